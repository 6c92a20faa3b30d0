// rfa-phase, the phase diagram over (n, d): what a run reports (read to its first full fit), how a cell combines its
// own seeds, where the boundary is read, and the program's quick profile whole, in parts, with --jobs 2 and
// gathered so far.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "csv_util.hpp"
#include "equivalence.hpp"
#include "phase_cells.hpp"

using namespace rfa;
using namespace rfa::cli;
using test::num;
using test::read_table;
using test::run_program;
namespace fs = std::filesystem;

namespace {
Metrics row(std::size_t step, double train, double test, double clean, double flipped) {
  Metrics m;
  m.step = step, m.train_acc = train, m.test_acc = test, m.test_clean_acc = clean, m.train_flipped_acc = flipped;
  return m;
}

RunSpec at_alpha10() {
  RunSpec s;
  s.alpha = 10;  // one step is 100 of the paper's
  return s;
}

// A run of a cell whose only number is its cost (clean-test accuracy at the end minus its best).
RunResult costing(double cost, std::uint64_t seed) {
  const std::vector<Metrics> rows = {row(0, 0.5, 0.5, 0.5, 0), row(1, 0.85, 0.85, 0.99, 0),
                                     row(2, 0.9, 0.8, 0.99 + cost, 0.2)};
  return summarize_run(rows, at_alpha10(), seed, true);
}
}  // namespace

TEST_CASE("rfa-phase's runs: read to the first full fit, the jump, the cost, and test accuracy as training passes 95%") {
  const std::vector<Metrics> rows = {
      row(0, 0.70, 0.66, 0.60, 0.3),  row(1, 0.85, 0.85, 0.96, 0.0),  // the jump (clean >= 95%), no flipped label
      row(2, 0.90, 0.85, 0.99, 0.0),  row(3, 0.96, 0.80, 0.97, 0.3),  // the best; training passes 95%, noise fitted
      row(4, 1.00, 0.78, 0.95, 1.0),  row(5, 1.00, 0.50, 0.50, 1.0),  // every label fitted; after it: not read
  };
  const RunResult r = summarize_run(rows, at_alpha10(), 7, true);
  CHECK(r.seed == 7);
  CHECK(r.reached == 400);  // the paper's steps: 100 per step at alpha = 10
  CHECK(r.fitted_at == 400);
  CHECK(r.jump == 100);
  CHECK(r.first_flip == 300);
  CHECK(r.train == 1.0);
  CHECK(r.test == doctest::Approx(0.78));
  CHECK(r.clean == doctest::Approx(0.95));
  CHECK(r.flipped == 1.0);
  CHECK(r.test_at_95 == doctest::Approx(0.80));
  CHECK(r.best_clean == doctest::Approx(0.99));
  CHECK(r.cost == doctest::Approx(-0.04));
  // Without a jump there is no cost, and a run that never fits keeps its last evaluation.
  const RunResult none = summarize_run({row(0, 0.5, 0.5, 0.5, 0), row(1, 0.6, 0.6, 0.7, 0)}, at_alpha10(), 1, false);
  CHECK(std::isnan(none.cost));
  CHECK(none.jump == NEVER);
  CHECK(none.fitted_at == NEVER);
  CHECK(none.reached == 100);
  CHECK(std::isnan(none.test_at_95));
}

TEST_CASE("rfa-phase's cells: each its own seeds' mean and spread; the boundary read between the grid's ratios") {
  const Cell a = make_cell(100, 1, 10), b = make_cell(100, 4, 10);
  CHECK(a.key == "100x100-alpha10");
  CHECK(b.d == 400);
  const CellResult ca = combine(a, {costing(-0.04, 1), costing(-0.02, 2)}, 2);
  const CellResult cb = combine(b, {costing(0, 1), costing(-0.002, 2)}, 2);
  CHECK(ca.cost.mean == doctest::Approx(-0.03));
  CHECK(ca.cost.lo == doctest::Approx(-0.04));
  CHECK(ca.cost.hi == doctest::Approx(-0.02));
  CHECK(cb.cost.mean == doctest::Approx(-0.001));
  CHECK(ca.harmful());
  CHECK_FALSE(cb.harmful());
  CHECK_FALSE(cb.benign());  // no seed fitted every label
  CHECK(combine(a, {costing(-0.04, 1)}, 2).running);  // a seed not started
  // n = 100: harmful at 1, not at 4: the crossing of -1 point, on a log axis, from -3 at 1 to -0.1 at 4.
  const CellResult c200a = combine(make_cell(200, 1, 10), {costing(0, 1)}, 1);
  const CellResult c200b = combine(make_cell(200, 4, 10), {costing(0, 1)}, 1);
  const CellResult c300a = combine(make_cell(300, 1, 10), {costing(-0.05, 1)}, 1);
  const CellResult c300b = combine(make_cell(300, 4, 10), {costing(-0.05, 1)}, 1);
  CellResult c400 = combine(make_cell(400, 1, 10), {costing(-0.05, 1)}, 1);
  c400.running = true;
  const Boundary bd = boundary({ca, cb, c200a, c200b, c300a, c300b, c400}, {100, 200, 300, 400});
  REQUIRE(bd.per_n.size() == 4);
  const double t = (-0.01 + 0.03) / (-0.001 + 0.03);
  CHECK(bd.per_n[0].where.empty());
  CHECK(bd.per_n[0].ratio == doctest::Approx(std::exp(t * std::log(4.0))));
  CHECK(bd.per_n[0].below == 1);
  CHECK(bd.per_n[0].above == 4);
  CHECK(bd.per_n[1].where == "below the grid");
  CHECK(bd.per_n[2].where == "above the grid");
  CHECK(bd.per_n[3].where == "undecided");
  CHECK(bd.law.used == 1);
}

TEST_CASE("the step check's verdict names the sizes where a rescaled step does not stand in") {
  Equivalence ok;
  ok.compared = 5, ok.spread = {0.02, 0.02, 0.02}, ok.deviation = {0.01, 0.01, 0.01};
  Equivalence off = ok;
  off.deviation.train = 0.05;
  const std::string t = equivalence_table({{40, 40, 10, ok}, {40, 160, 10, off}});
  CHECK(t.find("- alpha = 10: **does not stand in** at every size compared ((40, 40), (40, 160)): not at (40, 160).") !=
        std::string::npos);
  CHECK(equivalence_table({{40, 40, 10, ok}}).find("- alpha = 10: **stands in** for the paper's alpha = 0.1 at (40, 40).") !=
        std::string::npos);
}

TEST_CASE("rfa-phase's claims: the paper's two panels on their sides, partly while d >> n has not fitted yet") {
  auto claim = [](const std::vector<CellResult>& cells, double horizon) {
    Report rep("rfa-phase");
    phase_claims(rep, cells, boundary(cells, {300, 5000}), horizon);
    for (const Claim& c : rep.claims)
      if (c.id == "phase.sides") return c;
    FAIL("no phase.sides row");
    return Claim{};
  };
  RunResult fit = costing(0, 1);
  fit.fitted_at = 1000;  // every training label fitted
  const CellResult high = combine(make_cell(300, 50.0 / 3.0, 10), {fit}, 1);
  const CellResult unfitted = combine(make_cell(300, 50.0 / 3.0, 10), {costing(0, 1)}, 1);
  const CellResult low = combine(make_cell(5000, 3.0 / 50.0, 10), {costing(-0.03, 1)}, 1);
  const CellResult mild = combine(make_cell(5000, 3.0 / 50.0, 10), {costing(-0.005, 1)}, 1);
  REQUIRE(high.cell.d == 5000);
  REQUIRE(low.cell.d == 300);
  CHECK(claim({high, low}, 1e6).verdict == "agree");
  CHECK(claim({high, low}, 1e6).ours.find("the grid's nearest") == std::string::npos);  // the paper's own cells
  CHECK(claim({unfitted, low}, 1e5).verdict == "partly");   // short of the paper's horizon
  CHECK(claim({unfitted, low}, 1e6).verdict == "disagree");  // at it
  CHECK(claim({high, mild}, 1e6).verdict == "disagree");     // n >> d costs too little
  CellResult running = low;
  running.running = true;
  CHECK(claim({high, running}, 1e6).verdict == "untested");
}

TEST_CASE("rfa-phase quick: cells, boundary and heatmaps; the same bytes in parts, with --jobs 2 and on gather") {
  test::TempDir dir("phase");
  const std::string args = "--profile quick --threads 1 --quiet ";
  const auto whole = run_program("rfa-phase", args + "--out " + dir / "whole");
  INFO(whole.output);
  REQUIRE(whole.code == 0);
  for (const char* f : {"phase.csv", "phase-runs.csv", "boundary.csv", "phase-boxes.csv", "phase.png", "phase.svg",
                        "section.md", "claims.tsv", "summary.json"})
    CHECK_MESSAGE(fs::exists(dir / "whole/" + f), f);
  const auto cells = read_table(dir / "whole/phase.csv");
  const auto runs = read_table(dir / "whole/phase-runs.csv");
  REQUIRE(cells.size() == 6);  // n 40, 80 by d/n 1/4, 1, 4
  REQUIRE(runs.size() == 12);  // two seeds each
  // Each cell's means are its own two seeds' (a cell averaged with another's seeds fails here).
  for (const auto& c : cells) {
    CAPTURE(c.at("cell"));
    double train = 0, clean = 0;
    int k = 0;
    for (const auto& r : runs)
      if (r.at("cell") == c.at("cell")) train += num(r, "train"), clean += num(r, "clean"), ++k;
    CHECK(k == 2);
    CHECK(num(c, "train_mean") == doctest::Approx(train / 2).epsilon(1e-5));
    CHECK(num(c, "clean_mean") == doctest::Approx(clean / 2).epsilon(1e-5));
    CHECK(c.at("cell") == c.at("n") + "x" + c.at("d") + "-alpha10");  // the key names the cell's own size
  }
  // The heatmaps' x is n and y is d/n (swapped axes fail here), each point inside its own box.
  const auto boxes = read_table(dir / "whole/phase-boxes.csv");
  REQUIRE(boxes.size() == 6);
  std::set<double> ns, ratios;
  for (const auto& b : boxes) {
    ns.insert(num(b, "n")), ratios.insert(num(b, "ratio"));
    CHECK(num(b, "n_lo") < num(b, "n"));
    CHECK(num(b, "n") < num(b, "n_hi"));
    CHECK(num(b, "ratio_lo") < num(b, "ratio"));
    CHECK(num(b, "ratio") < num(b, "ratio_hi"));
  }
  CHECK(ns == std::set<double>{40, 80});
  CHECK(ratios == std::set<double>{0.25, 1, 4});
  const std::string gp = read_file(dir / "whole/phase.gp");
  CHECK(gp.find("set xlabel 'training set size n'") != std::string::npos);
  CHECK(gp.find("'phase-boxes.csv' skip 1 using 1:2:3:4:5:6:7 with boxxyerror") != std::string::npos);
  // The quick grid overfits harmfully at d/n = 1/4 and is not harmful at 4, so the boundary lies inside the grid.
  const auto claims = test::read_claims(dir / "whole/claims.tsv");
  REQUIRE(claims.count("phase.boundary") == 1);
  CHECK(claims.at("phase.boundary").second == "agree");
  REQUIRE(claims.count("phase.sides") == 1);
  const std::string section = read_file(dir / "whole/section.md");
  CHECK(section.find("**Not the paper's step**") != std::string::npos);
  CHECK(claims.at("phase.sides").first.find("not the paper's (300, 5000), the grid's nearest") != std::string::npos);

  // The rescaled step checked against the paper's at the cells that have exact runs; phase.csv is unchanged.
  REQUIRE(run_program("rfa-phase", args + "--alpha 0.1 --n 40 --ratios 1,4 --out " + dir / "exact").code == 0);
  const std::string before = read_file(dir / "whole/phase.csv");
  const auto checked = run_program("rfa-phase", args + "--gather --exact-runs " + dir / "exact --out " + dir / "whole");
  INFO(checked.output);
  REQUIRE(checked.code == 0);
  CHECK(read_file(dir / "whole/phase.csv") == before);
  const auto study = read_table(dir / "whole/equivalence.csv");
  REQUIRE(study.size() == 2);
  CHECK(study[0].at("n") == "40");
  CHECK(study[0].at("d") == "40");
  CHECK(study[1].at("d") == "160");
  const std::string checked_section = read_file(dir / "whole/section.md");
  CHECK(checked_section.find("### Does alpha = 10 stand in off the n >> d line?") != std::string::npos);
  CHECK(checked_section.find("| (40, 160) | 2 / 2 | ") != std::string::npos);  // the cell's numbers, exact / rescaled
  CHECK(run_program("rfa-phase", args + "--gather --exact-runs " + dir / "none --out " + dir / "whole").code == 2);

  // In parts, with --jobs 2: the same bytes.
  const auto list = run_program("rfa-phase", args + "--list-runs --out " + dir / "parts");
  REQUIRE(list.code == 0);
  CHECK(list.output.find("0\t40x10-alpha10/seed-1\t{") == 0);
  for (int i = 0; i < 12; ++i)
    REQUIRE(run_program("rfa-phase", args + "--run-only " + std::to_string(i) + " --out " + dir / "parts").code == 0);
  REQUIRE(run_program("rfa-phase", args + "--gather --out " + dir / "parts").code == 0);
  REQUIRE(run_program("rfa-phase", "--profile quick --threads 2 --jobs 2 --quiet --out " + dir / "jobs").code == 0);
  for (const char* f : {"phase.csv", "phase-runs.csv", "boundary.csv", "40x40-alpha10/seed-2/metrics.csv"}) {
    CAPTURE(f);
    CHECK(read_file(dir / "parts/" + f) == read_file(dir / "whole/" + f));
    CHECK(read_file(dir / "jobs/" + f) == read_file(dir / "whole/" + f));
  }

  // So far: a stopped run marks its cell running, a cell not started is left out and named.
  REQUIRE(run_program("rfa-phase", args + "--run-only 0 --out " + dir / "some").code == 0);
  REQUIRE(run_program("rfa-phase", args + "--run-only 1 --stop-at 3 --out " + dir / "some").code == 130);
  CHECK(run_program("rfa-phase", args + "--gather --out " + dir / "some").code == 1);
  const auto so_far = run_program("rfa-phase", args + "--gather-so-far --out " + dir / "some");
  INFO(so_far.output);
  REQUIRE(so_far.code == 0);
  const auto some = read_table(dir / "some/phase.csv");
  REQUIRE(some.size() == 1);
  CHECK(some[0].at("running") == "1");
  CHECK(some[0].at("side") == "running");
  CHECK(read_file(dir / "some/section.md").find("not started: 40x40-alpha10") != std::string::npos);
  CHECK(test::read_claims(dir / "some/claims.tsv").at("phase.boundary").second == "untested");

  // Another init family's runs are named apart.
  const auto lecun = run_program("rfa-phase", args + "--init lecun --list-runs --out " + dir / "never");
  REQUIRE(lecun.code == 0);
  CHECK(lecun.output.find("0\t40x10-alpha10-init-lecun/seed-1\t{") == 0);
  CHECK(lecun.output.find("\"init\": \"lecun\"") != std::string::npos);

  // Bad grids are refused, naming the flag.
  const auto tiny = run_program("rfa-phase", args + "--n 40 --ratios 0.01 --out " + dir / "bad");
  CHECK(tiny.code == 2);
  CHECK(tiny.output.find("--ratios: d = n * ratio = 0 at n = 40") != std::string::npos);
  CHECK(run_program("rfa-phase", args + "--ratios 1,1.001 --out " + dir / "bad").code == 2);
  CHECK(run_program("rfa-phase", args + "--ratios 1,-2 --out " + dir / "bad").code == 2);
  CHECK(run_program("rfa-phase", args + "--alpha 0 --out " + dir / "bad").code == 2);
  CHECK(run_program("rfa-phase", args + "--seeds 0 --out " + dir / "bad").code == 2);
  // --seeds counts in every profile (quick's 2 is only its default).
  const auto three = run_program("rfa-phase", args + "--seeds 3 --list-runs --out " + dir / "never");
  CHECK(std::count(three.output.begin(), three.output.end(), '\n') == 18);
}
