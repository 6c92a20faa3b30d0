// The paper's claims that the programs test, in one table: each row's id, what the paper says, its value as stated
// or read off its figure (experiments/PAPER.md), and, where the claim is a number compared within a tolerance, that
// number, the tolerance and the step the paper shows it at. A program writes a claim's row with paper_claim(), which
// takes the statement and the paper's value from here; only what was measured, the verdict and the note are its own.
// Verdicts of numeric claims come from verdict(); the others state their rule in their note.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace rfa::cli {

// A number of the paper: the value, the tolerance within which a measurement agrees, and the step the paper shows
// it at (0: no step).
struct PaperValue {
  double value = 0, tolerance = 0;
  std::size_t at_step = 0;
};

// One claim. In id, statement and paper, "$1", "$2", ... stand for the words a program fills in (a setting's key, a
// panel's size, a value derived from the settings).
struct PaperClaim {
  const char* key;        // what a program names it by: "fig2.low.train", "amp.lemma3"
  const char* id;         // the report's row id: "fig2.low.train", "amp.$1.lemma3"
  const char* statement;  // what the paper says
  const char* paper;      // the paper's value, as stated or read off its figure
  bool numeric = false;   // whether `number` holds the value compared
  PaperValue number{};
};

// Every claim, in the order the programs report them.
const std::vector<PaperClaim>& paper_claims();
// The claim named `key`; throws std::logic_error for a key not in the table (a bug, not bad input).
const PaperClaim& paper_claim_named(const std::string& key);
// The number of a numeric claim (std::logic_error for a claim without one).
const PaperValue& paper_value(const std::string& key);

// The report's row for claim `key`, with "$1", "$2", ... in its id, statement and paper replaced by `words`.
Claim paper_claim(const std::string& key, const std::vector<std::string>& words, std::string ours, std::string verdict,
                  std::string note);

// Whether `measured` lies within the tolerance of the paper's value.
bool within(const PaperValue& v, double measured);
// "untested" when the run stopped before the paper's step, else "agree" within the tolerance, "disagree" outside.
// Without `reached`, the step is not checked.
const char* verdict(const PaperValue& v, double measured, std::size_t reached = SIZE_MAX);

}  // namespace rfa::cli
