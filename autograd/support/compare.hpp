// Two arrays compared entry by entry: an entry passes when |got - want| <= atol + rtol |want| and both are finite.
//
// The report reads like llm.c's check_tensor: the first few mismatches as (got, want) pairs, the largest
// absolute and relative errors, then OK or NOT OK. Callers turn NOT OK into a failing test or a non-zero exit.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace rfa {

struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-3;
};

struct Mismatch {
  std::size_t index;  // flat position in the compared arrays
  double got, want;
  std::string where;  // a readable position, when the caller can name one
};

struct Comparison {
  std::string label;
  std::size_t count = 0;       // entries compared
  std::size_t mismatches = 0;  // entries outside the tolerance (or non-finite)
  double max_abs = 0;          // max |got - want|
  double max_rel = 0;          // max |got - want| / max(|got|, |want|); 0 where both are 0
  std::vector<Mismatch> first; // the first 5 mismatches
  bool ok() const { return mismatches == 0; }
  // "label: 105 entries, max abs err 1.2e-10, max rel err 3.4e-09: OK", preceded by the first mismatches.
  std::string report() const;
};

// Compares got against want entry by entry; the report shows the first 5 mismatches, each named by `where(i)`
// when given.
Comparison compare(std::string label, const double* got, const double* want, std::size_t n, Tolerance tol = {},
                   const std::function<std::string(std::size_t)>& where = {});
}  // namespace rfa
