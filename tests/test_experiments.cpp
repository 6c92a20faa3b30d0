// The experiment programs' quick profiles, run as a user runs them, with their outcomes asserted: Figure 1's
// fit of clean and flipped points, Figure 2's plateau at 1 - eta, the mechanism's J sets and one-step
// amplification, the linear baseline at chance; and a stopped Figure 2 run resumed gives the numbers of an
// uninterrupted one.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "atomic_file.hpp"
#include "cli_util.hpp"

using namespace rfa;
using test::run_program;
namespace fs = std::filesystem;

namespace {
// claims.tsv as id -> (ours, verdict)
std::map<std::string, std::pair<std::string, std::string>> read_claims(const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) f.push_back(cell);
    if (f.size() >= 5) out[f[0]] = {f[3], f[4]};
  }
  return out;
}

// The last data row of a CSV file, as numbers (the first column may be text).
std::vector<double> last_row(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  std::vector<double> v;
  std::stringstream ss(last);
  for (std::string cell; std::getline(ss, cell, ',');) v.push_back(cell == "nan" ? NAN : std::atof(cell.c_str()));
  return v;
}

void check_verdict(const std::map<std::string, std::pair<std::string, std::string>>& claims, const std::string& id,
                   const std::string& verdict) {
  CAPTURE(id);
  REQUIRE(claims.count(id) == 1);
  INFO(claims.at(id).first);
  CHECK(claims.at(id).second == verdict);
}
}  // namespace

TEST_CASE("rfa-fig1 quick: every clean training point right, every flipped one wrong, a figure drawn") {
  test::TempDir dir("fig1");
  const auto r = run_program("rfa-fig1", "--profile quick --threads 1 --quiet --out " + dir / "fig1");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto claims = read_claims(dir / "fig1/claims.tsv");
  check_verdict(claims, "fig1.clean", "agree");
  check_verdict(claims, "fig1.noisy", "agree");
  CHECK(claims.at("fig1.clean").first == "100.00%");
  for (const char* f : {"grid.csv", "points.csv", "metrics.csv", "summary.json", "W.npy", "fig1.png", "fig1.svg", "section.md"})
    CHECK_MESSAGE(fs::exists(dir / ("fig1/" + std::string(f))), f);
}

TEST_CASE("rfa-fig2 quick: after the jump the test accuracy sits near 1 - eta in both panels") {
  test::TempDir dir("fig2");
  const auto r = run_program("rfa-fig2", "--profile quick --seeds 2 --threads 1 --quiet --out " + dir / "fig2");
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* panel : {"high", "low"}) {
    CAPTURE(panel);
    // columns: step, train_mean, train_min, train_max, test_mean, test_min, test_max, test_clean_mean, loss_mean
    const std::vector<double> end = last_row(dir / ("fig2/" + std::string(panel) + ".csv"));
    REQUIRE(end.size() == 9);
    CHECK(end[0] == 300);
    CHECK(std::abs(end[4] - 0.85) <= 0.03);
    CHECK(end[7] >= 0.97);
    CHECK(end[2] <= end[1]);
    CHECK(end[1] <= end[3]);
  }
  const auto claims = read_claims(dir / "fig2/claims.tsv");
  check_verdict(claims, "fig2.high.plateau", "agree");
  check_verdict(claims, "fig2.low.plateau", "agree");
  CHECK(fs::exists(dir / "fig2/fig2.png"));
}

TEST_CASE("rfa-fig2: a run stopped midway and started again ends with the uninterrupted run's numbers") {
  test::TempDir dir("fig2_resume");
  const std::string args = "--profile quick --panels high --steps 400 --threads 1 --quiet --out ";
  REQUIRE(run_program("rfa-fig2", args + dir / "whole").code == 0);
  const auto stopped = run_program("rfa-fig2", args + dir / "parts" + " --stop-at 170");
  INFO(stopped.output);
  CHECK(stopped.code == 130);
  CHECK_FALSE(fs::exists(dir / "parts/high.csv"));  // no result file from an unfinished run
  CHECK(fs::exists(dir / "parts/high/seed-1/checkpoint.rfa"));
  REQUIRE(run_program("rfa-fig2", args + dir / "parts").code == 0);
  CHECK(read_file(dir / "parts/high.csv") == read_file(dir / "whole/high.csv"));
  CHECK(read_file(dir / "parts/high/seed-1/metrics.csv") == read_file(dir / "whole/high/seed-1/metrics.csv"));
}

TEST_CASE("rfa-amplification quick: J sets as a Gaussian init predicts, one step amplifies, Theorem 1 holds") {
  test::TempDir dir("amp");
  const auto r = run_program("rfa-amplification", "--profile quick --threads 1 --out " + dir / "amp");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto claims = read_claims(dir / "amp/claims.tsv");
  for (const char* s : {"fig2", "theory"}) {
    const std::string k = s;
    check_verdict(claims, "amp." + k + ".lemma3", "agree");
    check_verdict(claims, "amp." + k + ".lemma4", "agree");  // each J share within 3 binomial sd of P(Z >= c)
    check_verdict(claims, "amp." + k + ".lemma14", "agree");
    check_verdict(claims, "amp." + k + ".thm1", "agree");
  }
  check_verdict(claims, "amp.theory.lemma12", "agree");
  check_verdict(claims, "amp.theory.cond9", "agree");
  CHECK(fs::exists(dir / "amp/theory/amplification.png"));
}

TEST_CASE("rfa-linear quick: the homogeneous linear classifier stays at chance, the 75% rule reaches 75%") {
  test::TempDir dir("linear");
  const auto r = run_program("rfa-linear", "--profile quick --threads 1 --out " + dir / "lin");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto claims = read_claims(dir / "lin/claims.tsv");
  check_verdict(claims, "linear.fig1.homogeneous", "agree");
  check_verdict(claims, "linear.fig2.homogeneous", "agree");
  check_verdict(claims, "linear.fig1.rule", "agree");
}

TEST_CASE("rfa-sweep quick: every variant runs; with the paper's settings the jump comes within T = 3.5 steps") {
  test::TempDir dir("sweep");
  const auto r = run_program("rfa-sweep", "--profile quick --threads 1 --out " + dir / "sweep");
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::istringstream in(read_file(dir / "sweep/sweep.csv"));
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  std::size_t rows = 1;
  for (std::string line; std::getline(in, line);) rows += !line.empty();
  CHECK(rows == 13);
  // variant,change,alpha,omega2,sigma2,flip,noise,dtype,steps,jump_step,...
  std::vector<std::string> f;
  std::stringstream ss(first);
  for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
  REQUIRE(f.size() >= 10);
  CHECK(f[0] == "paper");
  CHECK(std::atoi(f[9].c_str()) <= 4);
}

TEST_CASE("every experiment program answers --help and refuses a bad profile") {
  for (const char* p : {"rfa-fig1", "rfa-fig2", "rfa-amplification", "rfa-linear", "rfa-sweep", "rfa-bench"}) {
    CAPTURE(p);
    const auto help = run_program(p, "--help");
    CHECK(help.code == 0);
    CHECK(help.output.find("Usage") != std::string::npos);
  }
  for (const char* p : {"rfa-fig1", "rfa-fig2", "rfa-amplification", "rfa-linear", "rfa-sweep"}) {
    CAPTURE(p);
    const auto bad = run_program(p, "--profile huge --out /tmp/rfa-never-written");
    CHECK(bad.code == 2);
    CHECK(bad.output.find("--profile must be one of quick, default, paper; got 'huge'") != std::string::npos);
    CHECK_FALSE(fs::exists("/tmp/rfa-never-written"));
  }
  const auto list = run_program("rfa-bench", "--shapes 10x2x5,12x3x4 --dtypes f64 --threads 1,2 --reps 3 --warmup 0");
  INFO(list.output);
  CHECK(list.code == 0);  // comma-separated values reach the program whole
  const auto bench = run_program("rfa-bench", "--shapes 10x1x5");
  CHECK(bench.code == 2);
  CHECK(bench.output.find("--shapes: '10x1x5'") != std::string::npos);
}

TEST_CASE("rfa-bench runs a tiny shape and prints its table") {
  test::TempDir dir("bench");
  const auto r = run_program("rfa-bench", "--shapes 200x50x20 --dtypes f64 --threads 1 --reps 3 --warmup 1 --all-rowspace --json " +
                                              dir / "bench.json");
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* m : {"gemm-rfa", "tape", "closed", "rowspace-tape", "rowspace-closed"}) CHECK(r.output.find(m) != std::string::npos);
  CHECK(read_file(dir / "bench.json").find("\"vs_closed\"") != std::string::npos);
}
