// rfa-phase's cells: runs read, seeds combined, the boundary, tables and claims (phase_cells.hpp).
#include "phase_cells.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rfa::cli {

double a1_ratio(std::size_t n, std::size_t m) {
  const double l = std::log(double(n) / A1_DELTA);
  return A1_C * std::max(l * l, std::log(double(m) / A1_DELTA)) / double(n);
}

Cell make_cell(std::size_t n, double ratio, double alpha) {
  Cell c;
  c.n = n, c.ratio = ratio;
  c.d = static_cast<std::size_t>(std::llround(double(n) * ratio));
  c.key = fmt::format("{}x{}{}", n, c.d, alpha_suffix(alpha));
  return c;
}

// rows: a run's evaluations (at least one). Steps are the paper's at the same flow time.
RunResult summarize_run(const std::vector<Metrics>& all, const RunSpec& spec, std::uint64_t seed, bool finished) {
  auto paper = [&](std::size_t t) { return static_cast<std::size_t>(std::llround(spec.flow(t) / PAPER_ALPHA)); };
  // Read to the first full fit: a run of the same settings that went on (another program's) reads the same.
  std::vector<Metrics> rows;
  for (const Metrics& m : all) {
    rows.push_back(m);
    if (m.train_acc >= 1) break;
  }
  RunResult r;
  r.seed = seed, r.finished = finished;
  const Metrics& end = rows.back();
  r.reached = paper(end.step);
  r.train = end.train_acc, r.test = end.test_acc, r.clean = end.test_clean_acc, r.flipped = end.train_flipped_acc;
  if (end.train_acc >= 1) r.fitted_at = r.reached;
  const std::size_t flip = first_flipped_fit(rows);
  if (flip != NEVER) r.first_flip = paper(flip);
  for (const Metrics& m : rows) {
    if (r.jump == NEVER && m.test_clean_acc >= LEARNED) r.jump = paper(m.step);
    if (r.jump != NEVER) r.best_clean = std::isnan(r.best_clean) ? m.test_clean_acc : std::max(r.best_clean, m.test_clean_acc);
    if (std::isnan(r.test_at_95) && m.train_acc >= 0.95) r.test_at_95 = m.test_acc;
  }
  if (r.jump != NEVER) r.cost = r.clean - r.best_clean;
  return r;
}

Stat stat(const std::vector<double>& values) {
  Stat s;
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v, ++s.count;
    s.lo = s.count == 1 ? v : std::min(s.lo, v);
    s.hi = s.count == 1 ? v : std::max(s.hi, v);
  }
  if (s.count) s.mean = sum / double(s.count);
  return s;
}

namespace {

template <class F>
Stat over(const std::vector<RunResult>& runs, F pick) {
  std::vector<double> v;
  for (const RunResult& r : runs) v.push_back(pick(r));
  return stat(v);
}

template <class F>
std::size_t median_step(const std::vector<RunResult>& runs, F pick) {
  std::vector<std::size_t> v;
  for (const RunResult& r : runs) v.push_back(pick(r));
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

CellResult combine(const Cell& cell, const std::vector<RunResult>& runs, std::size_t asked) {
  CellResult c;
  c.cell = cell, c.asked = asked, c.runs = runs;
  c.running = runs.size() < asked;
  c.reached = runs.front().reached;
  for (const RunResult& r : runs) {
    c.running = c.running || !r.finished;
    c.fitted += r.fitted_at != NEVER;
    c.reached = std::min(c.reached, r.reached);
  }
  c.train = over(runs, [](const RunResult& r) { return r.train; });
  c.test = over(runs, [](const RunResult& r) { return r.test; });
  c.clean = over(runs, [](const RunResult& r) { return r.clean; });
  c.flipped = over(runs, [](const RunResult& r) { return r.flipped; });
  c.test_at_95 = over(runs, [](const RunResult& r) { return r.test_at_95; });
  c.cost = over(runs, [](const RunResult& r) { return r.cost; });
  c.fitted_at = median_step(runs, [](const RunResult& r) { return r.fitted_at; });
  c.first_flip = median_step(runs, [](const RunResult& r) { return r.first_flip; });
  return c;
}

Boundary boundary(const std::vector<CellResult>& cells, const std::vector<std::size_t>& ns) {
  Boundary b;
  std::vector<std::pair<double, double>> found;
  for (std::size_t n : ns) {
    std::vector<const CellResult*> row;
    for (const CellResult& c : cells)
      if (c.cell.n == n) row.push_back(&c);
    std::sort(row.begin(), row.end(), [](auto* x, auto* y) { return x->cell.d < y->cell.d; });
    Boundary::PerN p;
    p.n = n;
    bool undecided = row.empty();
    std::size_t harmful = row.size();  // the largest harmful index
    for (std::size_t k = 0; k < row.size(); ++k) {
      undecided = undecided || row[k]->running || row[k]->cost.count == 0;
      if (row[k]->harmful()) harmful = k;
    }
    if (undecided) {
      p.where = "undecided";
    } else if (harmful == row.size()) {
      p.where = "below the grid";
    } else if (harmful + 1 == row.size()) {
      p.where = "above the grid";
    } else {
      const CellResult &lo = *row[harmful], &hi = *row[harmful + 1];
      const double t = (-HARMFUL - lo.cost.mean) / (hi.cost.mean - lo.cost.mean);
      const double rlo = double(lo.cell.d) / double(n), rhi = double(hi.cell.d) / double(n);
      p.ratio = std::exp(std::log(rlo) + t * (std::log(rhi) - std::log(rlo)));
      p.below = rlo, p.above = rhi;
      found.emplace_back(double(n), p.ratio);
    }
    b.per_n.push_back(p);
  }
  b.law = power_law(found);
  return b;
}

namespace {

std::string step_cell(std::size_t s) { return s == NEVER ? std::string() : std::to_string(s); }
std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string(); }
std::string stat_csv(const Stat& s) { return fmt::format("{},{},{}", num(s.mean), num(s.lo), num(s.hi)); }
std::string pct(const Stat& s) {
  if (!s.count) return "-";
  return s.lo == s.hi ? fmt::format("{:.1f}%", 100 * s.mean)
                      : fmt::format("{:.1f}% ({:.1f}-{:.1f})", 100 * s.mean, 100 * s.lo, 100 * s.hi);
}
std::string pts(const Stat& s) {
  if (!s.count) return "no jump";
  return s.lo == s.hi ? fmt::format("{:+.2f}", 100 * s.mean)
                      : fmt::format("{:+.2f} ({:+.2f} to {:+.2f})", 100 * s.mean, 100 * s.lo, 100 * s.hi);
}
// running, no jump (no cost to read), harmful, benign, or not fitted yet: no cost so far, but not every seed fits
// every label by the horizon.
const char* side(const CellResult& c) {
  return c.running ? "running"
         : c.cost.count == 0 ? "no jump"
         : c.harmful()       ? "harmful"
         : c.benign()        ? "benign"
                             : "not fitted yet";
}

// The cell with n and d, if on the grid.
const CellResult* find(const std::vector<CellResult>& cells, std::size_t n, std::size_t d) {
  for (const CellResult& c : cells)
    if (c.cell.n == n && c.cell.d == d) return &c;
  return nullptr;
}

}  // namespace

std::string cells_csv(const std::vector<CellResult>& cells) {
  std::string s =
      "cell,n,d,ratio,seeds,started,running,reached,train_mean,train_min,train_max,test_mean,test_min,test_max,"
      "clean_mean,clean_min,clean_max,flipped_fitted_mean,flipped_fitted_min,flipped_fitted_max,fitted_seeds,"
      "fitted_at_median,first_flip_median,test_at_train95_mean,test_at_train95_min,test_at_train95_max,cost_mean,"
      "cost_min,cost_max,side\n";
  for (const CellResult& c : cells)
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", c.cell.key, c.cell.n, c.cell.d,
                     num(double(c.cell.d) / double(c.cell.n)), c.asked, c.runs.size(), c.running ? 1 : 0, c.reached,
                     stat_csv(c.train), stat_csv(c.test), stat_csv(c.clean), stat_csv(c.flipped), c.fitted,
                     step_cell(c.fitted_at), step_cell(c.first_flip), stat_csv(c.test_at_95), stat_csv(c.cost),
                     side(c));
  return s;
}

std::string runs_csv(const std::vector<CellResult>& cells) {
  std::string s = "cell,n,d,seed,finished,reached,train,test,clean,flipped_fitted,fitted_at,first_flip,jump,"
                  "test_at_train95,best_clean,cost\n";
  for (const CellResult& c : cells)
    for (const RunResult& r : c.runs)
      s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", c.cell.key, c.cell.n, c.cell.d, r.seed,
                       r.finished ? 1 : 0, r.reached, num(r.train), num(r.test), num(r.clean), num(r.flipped),
                       step_cell(r.fitted_at), step_cell(r.first_flip), step_cell(r.jump), num(r.test_at_95),
                       num(r.best_clean), num(r.cost));
  return s;
}

std::string boundary_csv(const Boundary& b) {
  std::string s = "n,ratio,last_harmful_ratio,next_ratio,where\n";
  for (const auto& p : b.per_n)
    s += fmt::format("{},{},{},{},{}\n", p.n, num(p.ratio), num(p.below), num(p.above), p.where);
  return s;
}

std::pair<double, double> box_bounds(const std::vector<double>& v, std::size_t k) {
  auto mid = [&](std::size_t i, std::size_t j) { return std::sqrt(v[i] * v[j]); };
  const double lo = k > 0 ? mid(k - 1, k) : v.size() > 1 ? v[0] * v[0] / mid(0, 1) : v[0] / 1.4;
  const double hi = k + 1 < v.size() ? mid(k, k + 1) : v.size() > 1 ? v[k] * v[k] / mid(k - 1, k) : v[0] * 1.4;
  return {lo, hi};
}

std::string boxes_csv(const std::vector<CellResult>& cells, const std::vector<std::size_t>& ns,
                      const std::vector<double>& ratios) {
  std::vector<double> nv(ns.begin(), ns.end());
  std::string s = "n,ratio,n_lo,n_hi,ratio_lo,ratio_hi,clean_mean,cost_mean,running\n";
  for (const CellResult& c : cells) {
    const std::size_t i = std::find(ns.begin(), ns.end(), c.cell.n) - ns.begin();
    const std::size_t j = std::find(ratios.begin(), ratios.end(), c.cell.ratio) - ratios.begin();
    if (i == ns.size() || j == ratios.size()) continue;  // not on this grid
    const auto [nlo, nhi] = box_bounds(nv, i);
    const auto [rlo, rhi] = box_bounds(ratios, j);
    s += fmt::format("{},{},{},{},{},{},{},{},{}\n", c.cell.n, num(double(c.cell.d) / double(c.cell.n)), num(nlo),
                     num(nhi), num(rlo), num(rhi), num(c.clean.mean), num(c.cost.mean), c.running ? 1 : 0);
  }
  return s;
}

std::string cells_table(const std::vector<CellResult>& cells) {
  std::string t =
      "| (n, d) | d/n | seeds | read to (least over seeds) | train / test / clean test at the end | flipped labels fitted | training at "
      "100% (median step) | first flipped label fitted (median) | test when training passes 95% | cost (points) | "
      "side |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const CellResult& c : cells)
    t += fmt::format("| ({}, {}) | {:.3g} | {}{} | {} | {} / {} / {} | {} | {} | {} | {} | {} | {} |\n", c.cell.n,
                     c.cell.d, double(c.cell.d) / double(c.cell.n), c.runs.size(),
                     c.runs.size() < c.asked ? fmt::format(" of {}", c.asked) : "", c.reached, pct(c.train),
                     pct(c.test), pct(c.clean), pct(c.flipped),
                     c.fitted_at == NEVER ? fmt::format("not reached ({} of {} seeds)", c.fitted, c.runs.size())
                                          : fmt::format("{} ({} of {} seeds)", c.fitted_at, c.fitted, c.runs.size()),
                     c.first_flip == NEVER ? std::string("none") : std::to_string(c.first_flip), pct(c.test_at_95),
                     pts(c.cost), side(c));
  return t;
}

std::string boundary_text(const Boundary& b) {
  std::string per;
  for (const auto& p : b.per_n)
    per += fmt::format("{}n = {}: {}", per.empty() ? "" : "; ", p.n,
                       p.where.empty() ? fmt::format("d/n = {:.3g} (between {:.3g} and {:.3g})", p.ratio, p.below,
                                                     p.above)
                                       : p.where);
  std::string s = fmt::format("Where overfitting stops costing clean-test accuracy (the boundary: the mean cost "
                              "crosses -{:.1f} points, read between the grid's ratios on a log axis): {}.",
                              100 * HARMFUL, per);
  if (b.law.used >= 2 && std::isfinite(b.law.k))
    s += fmt::format(" By least squares on log-log axes, d/n = {:.3g} n^{:.2f} there (r^2 = {:.3f}, {} sizes).",
                     b.law.c, b.law.k, b.law.r2, b.law.used);
  return s + "\n";
}

void phase_claims(Report& rep, const std::vector<CellResult>& cells, const Boundary& b, double horizon_flow) {
  // The paper's panels, or the largest n at their ratios.
  const CellResult *high = find(cells, 300, 5000), *low = find(cells, 5000, 300);
  std::string stand_in;
  // The grid's nearest: its largest n at its largest (smallest) ratio.
  auto nearest = [&](bool highest) {
    const CellResult* best = nullptr;
    for (const CellResult& c : cells)
      if (!best || (highest ? c.cell.ratio > best->cell.ratio : c.cell.ratio < best->cell.ratio) ||
          (c.cell.ratio == best->cell.ratio && c.cell.n > best->cell.n))
        best = &c;
    return best;
  };
  if (!high) high = nearest(true), stand_in += "; d >> n: not the paper's (300, 5000), the grid's nearest";
  if (!low) low = nearest(false), stand_in += "; n >> d: not the paper's (5000, 300), the grid's nearest";
  const std::string when = fmt::format("to flow time {:.3g} (the paper's {:.3g} steps) by step-size equivalence",
                                       horizon_flow, horizon_flow / PAPER_ALPHA);
  if (high && low && high != low) {
    auto say = [](const CellResult& c) {
      return fmt::format("({}, {}): {}, train {}, cost {} points", c.cell.n, c.cell.d, side(c), pct(c.train), pts(c.cost));
    };
    const bool decided = !high->running && !low->running;
    // Short of the paper's horizon (flow time 10^6) a d >> n cell may not have fitted every label yet: partly.
    const bool short_of_paper = horizon_flow < PAPER_ALPHA * 1e7;
    const bool no_cost = high->cost.count > 0 && !high->harmful();
    rep.claims.push_back(paper_claim(
        "phase.sides", {}, say(*high) + "; " + say(*low) + stand_in,
        !decided                                              ? "untested"
        : high->benign() && low->harmful()                    ? "agree"
        : no_cost && short_of_paper && low->harmful()         ? "partly"
                                                              : "disagree",
        fmt::format("benign: every seed fits every training label and clean-test accuracy drops by at most {:.1f} "
                    "points from its best after the jump; harmful: it drops by more; partly: no cost, but not every "
                    "seed has fitted every label by a horizon short of the paper's 10^7 steps; {}",
                    100 * HARMFUL, when)));
  }
  std::size_t inside = 0, decided = 0;
  for (const auto& p : b.per_n) {
    if (p.where == "undecided") continue;
    ++decided;
    inside += p.where.empty();
  }
  rep.claims.push_back(paper_claim(
      "phase.boundary", {}, boundary_text(b).substr(0, boundary_text(b).size() - 1),
      decided < b.per_n.size() || decided == 0 ? "untested"
      : inside == decided                      ? "agree"
      : inside > 0                             ? "partly"
                                               : "disagree",
      fmt::format("agree: at every n the boundary lies inside the grid, between the paper's ratios 3/50 and 50/3; {}",
                  when)));
}

}  // namespace rfa::cli
