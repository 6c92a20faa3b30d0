// What every experiment program shares, so that each main reads parse, run, report: the common flags, the report
// it writes, and the paper's settings for Figures 1 and 2, defined here once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "args.hpp"
#include "common.hpp"
#include "run_spec.hpp"

namespace rfa::cli {

// The flags of every experiment program: --profile, --out, --seed, --threads, --checkpoint-seconds, --stop-at,
// --quiet, and where the program has them, --dtype and --grad.
struct CommonFlags {
  enum Optional : unsigned { NONE = 0, DTYPE = 1, GRAD = 2 };
  std::string profile = "default", out, dtype = "f64", grad = "closed";
  std::uint64_t seed = 1;
  int threads = all_cores();
  RunControl control;

  // `profiles` says what quick, default and paper mean for this program.
  void add_to(Args& app, const std::string& default_out, const std::string& profiles, unsigned optional = NONE);
  // Checks the values, sets the thread count, creates --out (unless create_out is false). Throws UsageError.
  void apply(bool create_out = true) const;
  GradSource gradient() const { return parse_grad_source(grad); }
  bool quick() const { return profile == "quick"; }
};

// A program's part of the report (tools/reproduce assembles REPORT.md from them): section.md, summary.json (which
// starts with the program's provenance: version, commit, OpenBLAS, kernels) and claims.tsv, written in its --out.
struct Report {
  explicit Report(const std::string& program) : summary(provenance(program)) {}
  std::string section;
  Json summary;
  std::vector<Claim> claims;
  // Writes the three files into `dir` (atomically) and prints the claims, one line each.
  void write(const std::string& dir, const std::string& program) const;
};

// The paper's settings (../shared/PAPER.md), with `quick` profiles scaled down for tests.
// Figure 1: d = 2, means e1 and e2, sigma^2 = 1/50, labels flipped with probability 0.15, n = 5000, m = 500,
// alpha = 0.05, omega_init^2 = 1/(32 m), 3000 steps, 6000 test points (quick: n = 1000, m = 100, 400 steps).
RunSpec figure1(const std::string& profile);
// Figure 2's panels "high" (n, d) = (300, 5000) and "low" (5000, 300): m = 400, sigma^2 = d^-1.2, exactly 15% of
// each cluster's labels flipped, omega_init^2 = 0.01/(m d), alpha = 0.1, 6000 test points, a random orthonormal pair
// of means (quick: (60, 1000) and (1000, 60), m = 40, 1000 test points). Steps: 10^7 in the paper profile,
// 2x10^5 (high) and 2x10^4 (low) by default, 300 in quick.
RunSpec figure2(const std::string& panel, const std::string& profile);
// Figure 2's settings at other sizes, with the sigma^2 = d^-1.2 and omega_init^2 = 0.01/(m d) they imply (steps: 0).
RunSpec figure2_sized(std::size_t n, std::size_t d, std::size_t m, std::size_t n_test);

}  // namespace rfa::cli
