// rfa-report: assembles results/REPORT.md from the parts the programs wrote (each part's section.md and
// claims.tsv in its own directory) and from tools/reproduce's parts.tsv (each part's wall time and exit code).
// Which directories are parts, in which order, under which title, and which part's rows answer which claim is
// declared below as data (PARTS, CLAIM_PARTS, ANSWERS); nothing else edits a part.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "openblas.hpp"
#include "program.hpp"

using namespace rfa;
using namespace rfa::cli;
namespace fs = std::filesystem;

namespace {

constexpr const char* ABOUT =
    "rfa-report: writes REPORT.md (and claims.tsv, the report's whole claims table) in --out from the parts the "
    "experiment programs wrote there (<part>/section.md and <part>/claims.tsv) and from parts.tsv (one line per "
    "part: name, wall seconds, exit code), as tools/reproduce leaves them. A part that is missing is left out; a "
    "malformed claims.tsv or parts.tsv is refused with the file and line. The committed reference runs' parts get "
    "their own titles, and where the profile's horizon leaves Figure 2's n >> d claims untested, the scale study's "
    "verdicts answer them, saying so.";

// A directory under --out whose section.md goes into the report, in this order. `title` (when set) replaces the
// section's first heading: a reference run is drawn by the same program as a profile's run, and says which it is.
struct Part {
  const char* dir;
  const char* title;
};
constexpr Part PARTS[] = {
    {"fig1", nullptr},
    {"fig2", nullptr},
    {"fig2-reference", "## Figure 2's (5000, 300) panel past the paper's onset (committed reference run)"},
    {"fig2-alpha10",
     "## Figure 2's (5000, 300) panel by step-size equivalence at alpha = 10 (committed reference runs)"},
    {"fig2-unit",
     "## Figure 2's (300, 5000) panel under the unit-variance init, a candidate setting (committed reference run)"},
    {"fig2-low-unit",
     "## Figure 2's (5000, 300) panel under the unit-variance init, by step-size equivalence at alpha = 10 (committed "
     "reference run)"},
    {"scale", nullptr},
    {"scale-precision", "## Single precision on Figure 2's n >> d panel (committed reference run)"},
    {"scale-unit",
     "## Step-size equivalence under the unit-variance init, at (250, 15) to flow time 10^6 (committed reference runs)"},
    {"amplification", nullptr},
    {"linear", nullptr},
    {"sweep", nullptr},
    {"jump", nullptr},
    {"jump-symmetric", "## The jump under the symmetric init (f = 0 at step 0)"},
    {"onestep", nullptr},
    {"grokking-timing", nullptr},
    {"phase", nullptr},
};

// The parts whose claims.tsv rows make the claims table, in this order, and what a part's notes say first. The
// reference parts that are not listed answer no claim of their own: the (5000, 300) runs at this horizon, and
// f32 on the small size, are measurements the scale study's rows already use; the jump under the symmetric init
// is the pre-jump shape under another init family (its law row would repeat jump.law's claim).
struct ClaimPart {
  const char* dir;
  const char* note_prefix;
};
constexpr ClaimPart CLAIM_PARTS[] = {
    {"fig1", ""},         {"fig2", ""},  {"amplification", ""},
    {"linear", ""},       {"sweep", ""}, {"jump", ""},   {"onestep", ""}, {"grokking-timing", ""},
    {"phase", ""},
    {"scale", "committed reference runs (experiments/reference/scale-study): "},
};

// A claim a profile's horizon leaves untested and the row that answers it there (when that row is tested).
struct Answer {
  const char* untested;
  const char* by;
};
constexpr Answer ANSWERS[] = {{"fig2.low.train", "scale.train"}, {"fig2.low.harmful", "scale.test"}};

struct PartTime {
  std::string name, seconds;
  int exit_code = 0;
};

// The claims table's rows: every listed part's, then each untested row that ANSWERS names takes the answering
// row's verdict, saying so.
std::vector<Claim> gather_claims(const std::string& out) {
  std::vector<Claim> all;
  for (const ClaimPart& p : CLAIM_PARTS) {
    const std::string path = out + "/" + p.dir + "/claims.tsv";
    if (!fs::exists(path)) continue;
    for (Claim c : read_claims(path)) {
      c.note = p.note_prefix + c.note;
      all.push_back(std::move(c));
    }
  }
  auto find = [&](const std::string& id) -> Claim* {
    for (Claim& c : all)
      if (c.id == id) return &c;
    return nullptr;
  };
  for (const Answer& a : ANSWERS) {
    Claim *row = find(a.untested), *by = find(a.by);
    if (!row || !by || row->verdict != "untested" || by->verdict == "untested") continue;
    // A verdict obtained by step-size equivalence says so wherever it is shown, here too.
    const std::size_t eq = by->note.find("by step-size equivalence");
    row->note = "untested at this profile's horizon (" + row->ours + "); the verdict is the scale study's, at " +
                by->ours + (eq == std::string::npos ? "" : ", " + by->note.substr(eq));
    row->verdict = by->verdict;
  }
  return all;
}

// A section as the report shows it: its first heading replaced by `title` (when set), and its relative links
// (written relative to the part's own directory, so that section.md reads on its own) made relative to --out.
std::string placed(std::string section, const std::string& dir, const char* title) {
  if (title && section.rfind("## ", 0) == 0) section = title + section.substr(section.find('\n'));
  std::string s;
  for (std::size_t a = 0;;) {
    const std::size_t b = section.find("](", a);
    if (b == std::string::npos) return s + section.substr(a);
    s += section.substr(a, b + 2 - a);
    a = b + 2;
    const std::string rest = section.substr(a, 8);
    if (rest.rfind("http", 0) != 0 && rest.rfind("/", 0) != 0 && rest.rfind("#", 0) != 0) s += dir + "/";
  }
}

// A table cell: '|' escaped.
std::string cell(const std::string& s) {
  std::string c;
  for (char ch : s) {
    if (ch == '|') c += '\\';
    c += ch;
  }
  return c;
}

std::string claims_table(const std::vector<Claim>& claims) {
  auto count = [&](const char* v) { return std::count_if(claims.begin(), claims.end(), [&](auto& c) { return c.verdict == v; }); };
  std::string s = fmt::format("{} agree, {} partly, {} disagree, {} untested at this profile's horizon.\n\n",
                              count("agree"), count("partly"), count("disagree"), count("untested"));
  s += "| claim | paper | ours | verdict | how measured / why |\n|---|---|---|---|---|\n";
  for (const Claim& c : claims)
    s += fmt::format("| {} | {} | {} | **{}** | {} |\n", cell(c.claim), cell(c.paper), cell(c.ours), c.verdict,
                     cell(c.note));
  s += "\n## Where we disagree, and why\n\n";
  for (const Claim& c : claims)
    if (c.verdict == "disagree") s += fmt::format("- {}: paper {}, ours {}. {}\n", c.claim, c.paper, c.ours, c.note);
  return s;
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(": ") != std::string::npos) return line.substr(line.find(": ") + 2);
  return "unknown CPU";
}

std::string header(const std::string& profile, int threads) {
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return fmt::format(
      "# Random Feature Amplification: reproduction report\n\n"
      "Frei, Chatterji & Bartlett, \"Random Feature Amplification: Feature Learning and Generalization in Neural\n"
      "Networks\" (JMLR 2023), rerun with rfa. Generated by `tools/reproduce --profile {}` on {},\n"
      "commit {}, on {} cores of an {} with {} thread(s); {}.\n\n"
      "Every number below was measured by this run; the paper's values are as stated in its text or read off its\n"
      "figures (see `experiments/PAPER.md`). Seeds: every program uses seed 1 unless its section says otherwise;\n"
      "random numbers come from PCG64 with one stream per purpose (training data, test data, init, means).\n\n"
      "## The paper's claims beside our measurements\n\n",
      profile, date, commit(), std::thread::hardware_concurrency(), cpu_name(), threads, openblas::config());
}

std::string timings(const std::vector<PartTime>& parts) {
  std::string s = "## How long each part took\n\n| part | wall time |\n|---|---|\n";
  for (const PartTime& p : parts) s += fmt::format("| {} | {} s |\n", p.name, p.seconds);
  s += "\nData for every figure and run: `fig1/` (grid.csv, points.csv, metrics.csv), `fig2/` (high.csv, low.csv,\n"
       "and one directory per run with metrics.csv), `amplification/<setting>/` (amplification.csv and the\n"
       "distributions), `linear/linear.csv`, `sweep/sweep.csv`, `jump/jump.csv`, `onestep/onestep.csv`; each with a\n"
       "summary.json of its "
       "settings.\n";
  bool failed = false;
  for (const PartTime& p : parts)
    if (p.exit_code != 0) {
      if (!failed) s += "\n## Parts that failed\n\n";
      failed = true;
      s += fmt::format("- {} (exit code {})\n", p.name, p.exit_code);
    }
  return s;
}

std::vector<PartTime> read_parts(const std::string& path) {
  std::vector<PartTime> parts;
  if (!fs::exists(path)) return parts;
  for (auto& f : read_tsv(path, 3)) {
    if (f[1].empty() || f[1].find_first_not_of("0123456789.") != std::string::npos)
      throw InputError(fmt::format("{}: part '{}' has wall time '{}', expected seconds", path, f[0], f[1]));
    const std::size_t code = parse_count(path + ": the exit code of part '" + f[0] + "'", f[2]);
    parts.push_back({f[0], f[1], static_cast<int>(code)});
  }
  return parts;
}

// A candidate setting beside the stated one: each Figure 2 row the candidate's part answers, with the profile's own
// row of the same id beside it (the stated settings), so that a reader sees which rows one change of setting fixes
// and which it breaks.
struct Candidate {
  const char* dir;     // the candidate's part
  const char* title;   // its section's heading
  const char* what;    // what differs from the stated settings, and why it is tried
  const char* stated;  // the part whose rows are the stated settings' (nullptr: the claims table's)
};
constexpr Candidate CANDIDATES[] = {
    {"fig2-unit", "## One set of settings for Figure 2: the stated init beside a candidate",
     "the candidate differs in one setting the paper states, the init: entries of W0 N(0, 1) instead of N(0, 0.01/(m "
     "d)). It is a hypothesis about what the paper ran, not its stated setting: rfa-jump's law puts the jump at the "
     "paper's 200-300 steps for an init variance near 1 at alpha = 0.1. The candidate's (300, 5000) panel is the "
     "committed run as far as it has got (experiments/reference/fig2-high-300x5000-unit)",
     nullptr},
    {"fig2-low-unit", "### The (5000, 300) panel by step-size equivalence: the stated init beside the candidate",
     "both at alpha = 10 to flow time 10^6 (the paper's 10^7 steps at 0.1), as far as each has got: the stated "
     "settings' five committed seeds (experiments/reference/fig2-low-5000x300-alpha10) and the candidate's committed "
     "run (experiments/reference/fig2-low-5000x300-alpha10-unit). A rescaled step, not the paper's: alpha = 10 "
     "stands in under the unit init at (250, 15) to flow time 10^6 (experiments/reference/scale-250x15-unit-1e6)",
     "fig2-alpha10"},
};

std::string candidates(const std::string& out, const std::vector<Claim>& table) {
  std::string s;
  for (const Candidate& c : CANDIDATES) {
    const std::string path = out + "/" + c.dir + "/claims.tsv";
    if (!fs::exists(path)) continue;
    const std::string stated_path = c.stated ? out + "/" + c.stated + "/claims.tsv" : "";
    const std::vector<Claim> stated =
        !c.stated ? table : fs::exists(stated_path) ? read_claims(stated_path) : std::vector<Claim>{};
    s += fmt::format("{}\n\nEach Figure 2 row under the stated settings ({}) and under the candidate; {}.\n\n| claim | the paper | stated settings | verdict | candidate | verdict |\n"
                     "|---|---|---|---|---|---|\n",
                     c.title,
                     c.stated ? fmt::format("the `{}` part", c.stated)
                              : std::string("this profile's `fig2` part, at its own panel size and horizon"),
                     c.what);
    std::string disagree;  // the candidate's disagree rows, each named with what the stated settings' row says
    for (const Claim& k : read_claims(path)) {
      const Claim* here = nullptr;
      for (const Claim& h : stated)
        if (h.id == k.id) here = &h;
      s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(k.id), cell(k.paper), here ? cell(here->ours) : "-",
                       here ? here->verdict : "-", cell(k.ours), k.verdict);
      if (k.verdict == "disagree")
        disagree += fmt::format("{}{} ({}; the stated settings: {})", disagree.empty() ? "" : ", ", k.id, k.ours,
                                here ? here->verdict : "not run");
    }
    // A disagree row says what explains it: nothing here does for a candidate's, and the report says so.
    if (!disagree.empty())
      s += fmt::format("\nThe candidate disagrees on {}: unexplained. No experiment here says why this setting ends "
                       "where it does; the rows show that one change of init does not give every row at once.\n",
                       disagree);
    s += "\n";
  }
  return s;
}

std::string report(const std::string& out, const std::vector<Claim>& claims, const std::string& profile, int threads) {
  std::string s = header(profile, threads) + claims_table(claims);
  s += "\nThe section on fidelity below shows, from this run, which settings move Figure 2's jump.\n\n"
       "## Gradient check\n\nThe tape's gradient against the paper's closed-form gradient and against central "
       "differences (`rfa-gradcheck`):\n\n```\n";
  if (fs::exists(out + "/gradcheck.txt")) s += read_file(out + "/gradcheck.txt");
  s += "```\n\n";
  for (const Part& p : PARTS)
    if (fs::exists(out + "/" + p.dir + "/section.md"))
      s += placed(read_file(out + "/" + p.dir + "/section.md"), p.dir, p.title) + "\n";
  s += candidates(out, claims);
  return s + timings(read_parts(out + "/parts.tsv"));
}

}  // namespace

int main(int argc, char** argv) {
  start_program(argv, Trains::no);
  std::string out = "results", profile = "default";
  int threads = all_cores();
  Args app{ABOUT, "rfa-report"};
  app.option("--out", out, "the directory the parts are in, and where REPORT.md goes");
  app.option("--profile", profile, "the profile the parts were run with (quick, default or paper), as the report says");
  app.option("--threads", threads, "the thread count the parts were run with, as the report says [default: all cores]",
             false);
  if (auto rc = app.parse(argc, argv)) return *rc;
  return guarded_main("rfa-report", [&] {
    require_one_of("--profile", profile, {"quick", "default", "paper"});
    require_threads("--threads", threads);
    if (!fs::is_directory(out)) throw UsageError("--out '" + out + "' is not a directory");
    const std::vector<Claim> claims = gather_claims(out);
    const std::string text = report(out, claims, profile, threads);
    write_claims(out + "/claims.tsv", claims);
    write_file_atomic(out + "/REPORT.md", text);
    fmt::print("rfa-report: wrote {}/REPORT.md\n", out);
    return 0;
  });
}
