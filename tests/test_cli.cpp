// rfa-train and rfa-gradcheck as a user runs them: good runs write their results; every kind of bad input
// gets a message and a non-zero exit, and leaves --out untouched.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "cli_util.hpp"
#include "common.hpp"
#include "run.hpp"
#include "tape.hpp"
#include "tensor_npy.hpp"

using namespace rfa;
using test::run_program;
namespace fs = std::filesystem;

namespace {
const std::string SMALL = "--n 60 --d 8 --m 6 --n-test 50 --steps 20 --eta 0.1 --threads 1 --quiet";

// The CSV's data rows as numbers.
std::vector<std::vector<double>> read_csv(const std::string& path) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) row.push_back(cell == "nan" ? NAN : std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}
}  // namespace

TEST_CASE("rfa-train from flags writes metrics.csv, manifest.json and W.npy") {
  test::TempDir dir("cli_flags");
  const auto r = run_program("rfa-train", SMALL + " --out " + dir / "run");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto rows = read_csv(dir / "run/metrics.csv");
  CHECK(rows.size() == 21);  // steps 0..20
  CHECK(rows.back()[0] == 20);
  const Tensor<double> W = read_npy<double>(dir / "run/W.npy");
  CHECK(W.shape() == Shape::matrix(6, 8));
  const std::string manifest = read_file(dir / "run/manifest.json");
  CHECK(manifest.find("\"alpha\": 0.05") != std::string::npos);
  CHECK(manifest.find("\"wall_seconds_this_session\"") != std::string::npos);
  // f32 writes float32 weights
  REQUIRE(run_program("rfa-train", SMALL + " --dtype f32 --out " + dir / "f32").code == 0);
  CHECK(read_file(dir / "f32/W.npy").find("'<f4'") != std::string::npos);
}

TEST_CASE("rfa-train: the tape and the closed form give the same trajectory") {
  test::TempDir dir("cli_same");
  const std::string args = "--n 80 --d 30 --m 10 --steps 60 --alpha 0.1 --flip exact --threads 1 --quiet";
  REQUIRE(run_program("rfa-train", args + " --grad tape --out " + dir / "tape").code == 0);
  REQUIRE(run_program("rfa-train", args + " --grad closed --out " + dir / "closed").code == 0);
  const auto a = read_csv(dir / "tape/metrics.csv"), b = read_csv(dir / "closed/metrics.csv");
  REQUIRE(a.size() == 61);  // steps 0..60
  REQUIRE(b.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      if (std::isnan(b[i][k])) continue;
      CHECK(std::abs(a[i][k] - b[i][k]) <= 1e-12 * std::max(1.0, std::abs(b[i][k])));
    }
}

TEST_CASE("rfa-train at (5000, 1000, 400) on the tape peaks below 1.5x its data and parameters (1.6x shared)" *
          doctest::skip(test::SANITIZED)) {
  test::TempDir dir("cli_memory");
  // Training and test inputs and labels (5000 and 6000 rows), W (400, 1000) and a (400), in double.
  const double data_mib = 8.0 * (5000.0 * 1001 + 6000.0 * 1001 + 400.0 * 1001) / (1024.0 * 1024.0);
  // The plain step; the shared-pattern one (auto's choice here) also keeps the patterns by point and their
  // references (n m bytes each) and the weights of the last grouping.
  for (const auto& [method, bound] : {std::pair{"plain", 1.5}, std::pair{"plain-patterns", 1.6}}) {
    CAPTURE(method);
    const auto r = run_program("rfa-train", std::string("--n 5000 --d 1000 --m 400 --steps 2 --grad tape --threads 2 "
                                                        "--quiet --method ") + method + " --out " + dir / method);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const std::string manifest = read_file(dir / (std::string(method) + "/manifest.json"));
    const std::size_t at = manifest.find("\"peak_rss_mb\": ");
    REQUIRE(at != std::string::npos);
    const double peak_mib = std::stod(manifest.substr(at + 15));
    INFO("peak " << peak_mib << " MiB, data and parameters " << data_mib << " MiB");
    CHECK(peak_mib <= bound * data_mib);
    CHECK(peak_mib >= data_mib);  // the measurement does see the data
  }
}

TEST_CASE("rfa-train from .npy files, including a given W0 and a") {
  test::TempDir dir("cli_npy");
  Tensor<double> X = Tensor<double>::from_rows({{1, 0.1}, {-1, 0.2}, {0.1, 1}, {-0.2, -1}, {0.9, -0.1}, {0.1, 0.8}});
  Tensor<double> y{1, 1, -1, -1, 1, -1};
  Tensor<double> W0 = Tensor<double>::from_rows({{0.1, 0.05}, {-0.1, 0.02}, {0.03, 0.1}, {0.02, -0.1}});
  Tensor<double> a{0.5, 0.5, -0.5, -0.5};
  write_npy(dir / "X.npy", X);
  write_npy(dir / "y.npy", y);
  write_npy(dir / "W0.npy", W0);
  write_npy(dir / "a.npy", a);
  const std::string files = "--x " + dir / "X.npy" + " --y " + dir / "y.npy";
  auto r = run_program("rfa-train", files + " --x-test " + dir / "X.npy" + " --y-test " + dir / "y.npy" + " --w0 " +
                                        dir / "W0.npy" + " --a " + dir / "a.npy" +
                                        " --alpha 1 --steps 200 --threads 1 --quiet --out " + dir / "run");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto rows = read_csv(dir / "run/metrics.csv");
  CHECK(rows.back()[2] == 1.0);  // XOR from 6 points, fitted
  CHECK(std::isnan(rows.back()[3]));  // clean labels are unknown for file data
  CHECK(read_npy<double>(dir / "run/W.npy").shape() == W0.shape());
}

TEST_CASE("rfa-train refuses bad input with a message, a non-zero exit and nothing written") {
  test::TempDir dir("cli_bad");
  write_npy(dir / "X.npy", Tensor<double>::from_rows({{1, 0}, {0, 1}, {-1, 0}}));
  write_npy(dir / "y.npy", Tensor<double>{1, -1, 1});
  write_npy(dir / "y_half.npy", Tensor<double>{1, 0.5, 1});
  write_npy(dir / "y_short.npy", Tensor<double>{1, -1});
  write_npy(dir / "X_nan.npy", Tensor<double>::from_rows({{1, 0}, {NAN, 1}, {-1, 0}}));
  write_npy(dir / "X_inf.npy", Tensor<double>::from_rows({{1, 0}, {0, 1}, {-1, INFINITY}}));
  write_npy(dir / "X3.npy", Tensor<double>::from_rows({{1, 0, 0}, {0, 1, 0}, {-1, 0, 0}}));
  write_npy(dir / "W_wrong.npy", Tensor<double>::from_rows({{1, 0, 0}}));
  write_file_atomic(dir / "garbage.npy", "this is not an npy file");
  const std::string out = " --out " + dir / "out";
  const std::string xy = " --x " + dir / "X.npy" + " --y " + dir / "y.npy";

  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"--eta 0.7", "--eta must be in [0, 0.5), got 0.7"},
      {"--eta 0.5", "--eta must be in [0, 0.5), got 0.5"},
      {"--eta -0.1", "--eta must be in [0, 0.5), got -0.1"},
      {"--n 0", "--n must be >= 1, got 0"},
      {"--m 0", "--m must be >= 1, got 0"},
      {"--d 1", "--d must be >= 2, got 1"},
      {"--n -5", "--n must be a whole number >= 0, got '-5'"},
      {"--steps 99999999999999999999999", "--steps must be a whole number at most 18446744073709551615"},
      {"--alpha 0", "--alpha must be finite and > 0, got 0"},
      {"--alpha -0.1", "--alpha must be finite and > 0, got -0.1"},
      {"--alpha nan", "--alpha must be a finite number, got 'nan'"},
      {"--alpha inf", "--alpha must be a finite number, got 'inf'"},
      {"--omega2 0", "--omega2 must be finite and > 0"},
      {"--sigma2 nan", "--sigma2 must be a finite number, got 'nan'"},
      {"--dtype f16", "--dtype must be one of f32, f64; got 'f16'"},
      {"--grad numeric", "--grad must be one of tape, closed; got 'numeric'"},
      {"--flip sometimes", "--flip must be one of prob, exact, adversarial"},
      {"--threads 0 --n 10", "--threads must be between 1 and 1024 (the most threads rfa starts), got 0"},
      {"--no-such-flag", "The following argument was not expected: --no-such-flag"},
      {xy.substr(0, xy.find(" --y")), "--x requires --y"},  // --x without --y
      {" --x " + dir / "X.npy" + " --y " + dir / "y_half.npy", "entry 1 is 0.5; labels must be -1 or +1"},
      {" --x " + dir / "X.npy" + " --y " + dir / "y_short.npy", "y must have shape (3), got (2)"},
      {" --x " + dir / "X_nan.npy" + " --y " + dir / "y.npy", "entry (1, 0) is nan; every value must be finite"},
      {" --x " + dir / "X_inf.npy" + " --y " + dir / "y.npy", "entry (2, 1) is inf; every value must be finite"},
      {" --x " + dir / "missing.npy" + " --y " + dir / "y.npy", "missing.npy: cannot open for reading"},
      {" --x " + dir / "garbage.npy" + " --y " + dir / "y.npy", "garbage.npy: not a .npy file"},
      {xy + " --x-test " + dir / "X3.npy" + " --y-test " + dir / "y.npy", "--x-test has 3 columns but --x has 2"},
      {xy + " --w0 " + dir / "W_wrong.npy", "W_wrong.npy: has shape (1, 3), expected (m, 2)"},
      {xy + " --n 5", "--n excludes --x"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const auto r = run_program("rfa-train", c.args + out);
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.output.find(c.message) != std::string::npos, r.output);
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}

TEST_CASE("rfa-train: a run whose loss becomes non-finite stops with exit code 1 and writes no results") {
  test::TempDir dir("cli_diverge");
  // Finite inputs whose products overflow float: z = inf for both neurons, f = inf/2 - inf/2 = NaN.
  write_npy(dir / "X.npy", Tensor<float>::from_rows({{3e38f, 3e38f}, {-3e38f, 3e38f}}));
  write_npy(dir / "y.npy", Tensor<float>{1, -1});
  write_npy(dir / "W0.npy", Tensor<float>::from_rows({{1, 1}, {1, 1}}));
  write_npy(dir / "a.npy", Tensor<float>{0.5f, -0.5f});
  const auto r = run_program("rfa-train", "--x " + dir / "X.npy" + " --y " + dir / "y.npy" + " --w0 " + dir / "W0.npy" +
                                              " --a " + dir / "a.npy" + " --dtype f32 --steps 5 --method plain --quiet --out " +
                                              dir / "run");
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find("training diverged at step") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run/metrics.csv"));
  CHECK_FALSE(fs::exists(dir / "run/W.npy"));
  CHECK_FALSE(fs::exists(dir / "run/manifest.json"));
  // Row-space training refuses the overflowing products up front.
  const auto rs = run_program("rfa-train", "--x " + dir / "X.npy" + " --y " + dir / "y.npy" + " --w0 " + dir / "W0.npy" +
                                               " --a " + dir / "a.npy" + " --dtype f32 --steps 5 --method rowspace --quiet");
  CHECK(rs.code == 1);
  CHECK(rs.output.find("overflows float") != std::string::npos);
}

TEST_CASE("rfa-train --out on a file is refused") {
  test::TempDir dir("cli_outfile");
  write_file_atomic(dir / "file", "x");
  const auto r = run_program("rfa-train", SMALL + " --out " + dir / "file");
  CHECK(r.code == 2);
  CHECK(r.output.find("exists and is not a directory") != std::string::npos);
}

TEST_CASE("rfa-gradcheck passes its default set, fails loudly on a broken gradient, and dumps") {
  test::TempDir dir("cli_gradcheck");
  const auto ok = run_program("rfa-gradcheck", "--dump " + dir / "dump");
  INFO(ok.output);
  CHECK(ok.code == 0);
  CHECK(ok.output.find("all instances OK") != std::string::npos);
  for (const char* f : {"X.npy", "y.npy", "W.npy", "a.npy", "grad.npy", "loss.txt"}) CHECK(fs::exists(dir / "dump/" + std::string(f)));
  // Every row, the W gradients' and the second layer's, checked: six instances, two rows each.
  CHECK(std::count(ok.output.begin(), ok.output.end(), '\n') >= 14);
  CHECK(ok.output.find("near kinks, d=2 (a)") != std::string::npos);
  const auto bad = run_program("rfa-gradcheck", "--sabotage");
  CHECK(bad.code == 1);
  // Both the W gradient and the second layer's gradient are caught.
  CHECK(bad.output.find("fig1-like d=2          40") != std::string::npos);
  std::istringstream lines(bad.output);
  int w_bad = 0, a_bad = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.size() > 6 && line.compare(line.size() - 6, 6, "NOT OK") == 0 && line.find('|') != std::string::npos)
      (line.find(" (a) ") != std::string::npos ? a_bad : w_bad) += 1;
  CHECK(w_bad == 6);
  CHECK(a_bad == 6);
}

TEST_CASE("rfa-train resumes only under the same settings: each setting changed in turn is refused") {
  // The fingerprint is the manifest's settings on one line, so a setting cannot be recorded and yet ignored by the
  // resume check. Every flag in --help must be either here, with another valid value, or among those that change
  // neither the numbers nor the outputs: a new flag fails this test until it is placed.
  const std::map<std::string, std::string> changed = {
      {"--n", "41"}, {"--d", "6"}, {"--m", "5"}, {"--sigma2", "0.03"}, {"--eta", "0.1"}, {"--flip", "exact"},
      {"--noise", "laplace"}, {"--means", "random"}, {"--alpha", "0.06"}, {"--steps", "21"}, {"--omega2", "0.01"},
      {"--seed", "2"}, {"--dtype", "f32"}, {"--grad", "tape"}, {"--method", "rowspace"}, {"--model", "linear"},
      {"--n-test", "31"}, {"--dense", "3"}, {"--per-decade", "10"}, {"--train-second-layer", ""},
      {"--mean-norm", "2"}, {"--second-layer", "random"}, {"--init", "symmetric"}};
  const std::set<std::string> neutral = {"--help", "--version", "--out", "--threads", "--checkpoint-seconds",
                                         "--stop-at", "--quiet"};
  const std::set<std::string> files = {"--x", "--y", "--w0", "--a", "--x-test", "--y-test"};
  test::TempDir dir("cli_fingerprint");
  const std::string base = "--n 40 --d 5 --m 4 --n-test 30 --steps 20 --threads 1 --quiet --out " + dir / "run";
  REQUIRE(run_program("rfa-train", base + " --stop-at 5").code == 130);
  std::istringstream help(run_program("rfa-train", "--help").output);
  std::size_t checked = 0;
  for (std::string line; std::getline(help, line);) {
    std::istringstream words(line);
    std::string flag;
    if (!(words >> flag) || flag.rfind("--", 0) != 0 || neutral.count(flag) || files.count(flag)) continue;
    CAPTURE(flag);
    REQUIRE_MESSAGE(changed.count(flag), "a new flag: add it to the fingerprint table or to the neutral ones");
    const auto r = run_program("rfa-train", base + " " + flag + " " + changed.at(flag));
    ++checked;
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.output.find("made with other settings") != std::string::npos, r.output);
  }
  CHECK(checked == changed.size());
  // The same settings resume; so does another thread count (results agree across thread counts to rounding).
  CHECK(run_program("rfa-train", base + " --checkpoint-seconds 5 --stop-at 10").code == 130);
  CHECK(run_program("rfa-train", base).code == 0);

  // Data from files: another file, or the same file with other contents, is refused.
  Tensor<double> X = Tensor<double>::from_rows({{1, 0.1}, {-1, 0.2}, {0.1, 1}, {-0.2, -1}});
  write_npy(dir / "X.npy", X);
  write_npy(dir / "y.npy", Tensor<double>{1, 1, -1, -1});
  write_npy(dir / "W0.npy", Tensor<double>::from_rows({{0.1, 0.05}, {-0.1, 0.02}}));
  write_npy(dir / "a.npy", Tensor<double>{0.5, -0.5});
  std::string fargs = " --steps 20 --threads 1 --quiet --out " + dir / "files";
  for (const std::string& f : files) {
    const std::string name = f.rfind("--x", 0) == 0 ? "X" : f.rfind("--y", 0) == 0 ? "y" : f == "--w0" ? "W0" : "a";
    fargs += " " + f + " " + dir / (name + ".npy");
  }
  REQUIRE(run_program("rfa-train", fargs + " --stop-at 5").code == 130);
  X(0, 0) = 0.9;
  write_npy(dir / "X.npy", X);
  const auto r = run_program("rfa-train", fargs);
  CHECK(r.code == 2);
  CHECK_MESSAGE(r.output.find("made with other settings") != std::string::npos, r.output);
}

TEST_CASE("exit codes: 2 for bad input, 1 for a failed run, 3 for an internal error, 130 for a stop") {
  CHECK(cli::guarded_main("t", [] { return 0; }) == 0);
  CHECK(cli::guarded_main("t", []() -> int { throw cli::UsageError("--n must be >= 1, got 0"); }) == 2);
  CHECK(cli::guarded_main("t", []() -> int { throw NpyError("x.npy: not a .npy file"); }) == 2);
  CHECK(cli::guarded_main("t", []() -> int { throw CheckpointError("damaged"); }) == 2);
  CHECK(cli::guarded_main("t", []() -> int { throw InputError("labels must be -1 or +1"); }) == 2);
  CHECK(cli::guarded_main("t", []() -> int { throw TrainingDiverged("diverged"); }) == 1);
  CHECK(cli::guarded_main("t", []() -> int { throw FileError("disk full"); }) == 1);
  CHECK(cli::guarded_main("t", []() -> int { throw std::bad_alloc(); }) == 1);
  CHECK(cli::guarded_main("t", []() -> int { throw TrainingInterrupted("stopped"); }) == 130);
  // Errors from inside rfa are bugs, not bad input: a ShapeError is a std::invalid_argument, but not an InputError.
  CHECK(cli::guarded_main("t", []() -> int { throw ShapeError("matmul: inner dimensions differ"); }) == 3);
  CHECK(cli::guarded_main("t", []() -> int { throw TapeError("backward: already ran"); }) == 3);
  CHECK(cli::guarded_main("t", []() -> int { throw std::out_of_range("vector::at"); }) == 3);
}

TEST_CASE("--version: the version, the commit, OpenBLAS, and the kernels in use, which RFA_KERNELS chooses") {
  const auto r = run_program("rfa-train", "--version");
  CHECK(r.code == 0);
  CHECK(r.output.find("rfa-train 0.1.0 (commit ") != std::string::npos);
  CHECK(r.output.find("OpenBLAS") != std::string::npos);
  const auto sse2 = run_program("rfa-fig2", "--version", "RFA_KERNELS=sse2 ");
  CHECK(sse2.output.find("rfa's kernels: sse2") != std::string::npos);
  const auto bad = run_program("rfa-fig2", "--version", "RFA_KERNELS=neon ");
  CHECK(bad.output.find("RFA_KERNELS must be avx512, avx2 or sse2, got 'neon'") != std::string::npos);
  // The manifest records the same strings.
  test::TempDir dir("cli_version");
  REQUIRE(run_program("rfa-train", "--n 20 --d 3 --m 2 --n-test 10 --steps 2 --quiet --out " + dir / "run").code == 0);
  const std::string manifest = read_file(dir / "run/manifest.json");
  const std::string line = r.output.substr(0, r.output.find('\n'));
  const std::string commit = line.substr(line.find("(commit ") + 8, line.find(')') - line.find("(commit ") - 8);
  CHECK(manifest.find("\"commit\": \"" + commit + "\"") != std::string::npos);
}
