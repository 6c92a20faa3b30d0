#include "equivalence.hpp"

#include <algorithm>
#include <limits>

namespace rfa::cli {

namespace {

double flow(const Trajectory& r, const Metrics& m) { return r.alpha * double(m.step); }

// The row of `r` at flow time F within SAME_FLOW of it (the nearest), or nullptr. Rows are in step order.
const Metrics* at_flow(const Trajectory& r, double F) {
  const auto it = std::lower_bound(r.rows.begin(), r.rows.end(), F,
                                   [&](const Metrics& m, double f) { return flow(r, m) < f; });
  const Metrics* best = nullptr;
  double gap = std::numeric_limits<double>::infinity();
  for (auto c : {it, it == r.rows.begin() ? it : it - 1})
    if (c != r.rows.end() && std::abs(flow(r, *c) - F) < gap) gap = std::abs(flow(r, *c) - F), best = &*c;
  return best && gap <= SAME_FLOW * F ? best : nullptr;
}

struct Pair {
  double flow;
  Accuracies gap;
};

}  // namespace

bool Equivalence::stands_in() const {
  return compared > 0 && std::isfinite(spread.max()) && deviation.train <= spread.train &&
         deviation.test <= spread.test && deviation.clean <= spread.clean;
}

Accuracies seed_spread(const std::vector<Trajectory>& runs, double from, double to) {
  if (runs.size() < 2) return {NAN, NAN, NAN};
  std::size_t common = runs[0].rows.size();
  for (const Trajectory& r : runs) common = std::min(common, r.rows.size());
  Accuracies s;
  for (std::size_t k = 0; k < common; ++k) {
    const double F = flow(runs[0], runs[0].rows[k]);
    if (F < from * (1 - SAME_FLOW) || F > to * (1 + SAME_FLOW)) continue;
    Accuracies lo{1, 1, 1}, hi{0, 0, 0};
    for (const Trajectory& r : runs) {
      const Metrics& m = r.rows[k];
      lo.train = std::min(lo.train, m.train_acc), hi.train = std::max(hi.train, m.train_acc);
      lo.test = std::min(lo.test, m.test_acc), hi.test = std::max(hi.test, m.test_acc);
      lo.clean = std::min(lo.clean, m.test_clean_acc), hi.clean = std::max(hi.clean, m.test_clean_acc);
    }
    s.train = std::max(s.train, hi.train - lo.train);
    s.test = std::max(s.test, hi.test - lo.test);
    s.clean = std::max(s.clean, hi.clean - lo.clean);
  }
  return s;
}

Equivalence compare_runs(const std::vector<Trajectory>& exact, const std::vector<Trajectory>& rescaled, double from) {
  Equivalence e;
  e.from = from;
  e.early = {NAN, NAN, NAN};
  std::vector<Pair> pairs;
  for (const Trajectory& r : rescaled) {
    const auto ex = std::find_if(exact.begin(), exact.end(), [&](const Trajectory& x) { return x.seed == r.seed; });
    if (ex == exact.end()) continue;
    const std::size_t before = pairs.size();
    for (const Metrics& m : r.rows) {
      const double F = flow(r, m);
      if (F <= 0) continue;  // the init is the same run in both
      const Metrics* x = at_flow(*ex, F);
      if (!x) continue;
      const Accuracies gap{std::abs(m.train_acc - x->train_acc), std::abs(m.test_acc - x->test_acc),
                           std::abs(m.test_clean_acc - x->test_clean_acc)};
      if (F >= from) {
        pairs.push_back({F, gap});
      } else {
        Accuracies& a = e.early;
        a.train = std::isnan(a.train) ? gap.train : std::max(a.train, gap.train);
        a.test = std::isnan(a.test) ? gap.test : std::max(a.test, gap.test);
        a.clean = std::isnan(a.clean) ? gap.clean : std::max(a.clean, gap.clean);
      }
    }
    if (pairs.size() > before) ++e.seeds;
  }
  e.compared = pairs.size();
  if (pairs.empty()) {
    e.deviation = e.spread = {NAN, NAN, NAN};
    return e;
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.flow < b.flow; });
  e.first_flow = pairs.front().flow, e.last_flow = pairs.back().flow;
  for (const Pair& p : pairs) {
    e.deviation.train = std::max(e.deviation.train, p.gap.train);
    e.deviation.test = std::max(e.deviation.test, p.gap.test);
    e.deviation.clean = std::max(e.deviation.clean, p.gap.clean);
  }
  e.spread_from_exact = exact.size() >= 2;
  const std::vector<Trajectory>& noise = e.spread_from_exact ? exact : rescaled;
  e.spread_seeds = noise.size();
  e.spread = seed_spread(noise, e.first_flow, e.last_flow);
  for (const Pair& p : pairs)
    if (p.gap.train > e.spread.train || p.gap.test > e.spread.test || p.gap.clean > e.spread.clean) {
      e.exceeds_at = p.flow;
      break;
    }
  return e;
}

}  // namespace rfa::cli

#include <fmt/format.h>

namespace rfa::cli {

namespace {
std::string cell(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }
std::string points(double v) { return std::isfinite(v) ? fmt::format("{:.2f}", 100 * v) : std::string("-"); }
std::string points3(const Accuracies& a) { return points(a.train) + " / " + points(a.test) + " / " + points(a.clean); }
}  // namespace

std::string equivalence_csv(const std::vector<EquivalenceRow>& rows) {
  std::string csv = "n,d,alpha,window_from_flow,seeds,compared,first_flow,last_flow,early_train,early_test,"
                    "early_clean,dev_train,dev_test,dev_clean,spread_train,spread_test,spread_clean,spread_seeds,"
                    "spread_from,exceeds_at_flow,stands_in\n";
  for (const EquivalenceRow& r : rows) {
    const Equivalence& e = r.e;
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.n, r.d, r.alpha, e.from,
                       e.seeds, e.compared, cell(e.first_flow), cell(e.last_flow), cell(e.early.train),
                       cell(e.early.test), cell(e.early.clean), cell(e.deviation.train), cell(e.deviation.test),
                       cell(e.deviation.clean), cell(e.spread.train), cell(e.spread.test), cell(e.spread.clean),
                       e.spread_seeds, e.spread_from_exact ? "exact" : "rescaled", cell(e.exceeds_at),
                       e.stands_in() ? 1 : 0);
  }
  return csv;
}

bool validated(const std::vector<EquivalenceRow>& rows, double alpha, std::string* sizes) {
  bool any = false, all = true;
  for (const EquivalenceRow& r : rows)
    if (r.alpha == alpha) {
      any = true, all = all && r.e.stands_in();
      if (sizes) *sizes += fmt::format("{}({}, {})", sizes->empty() ? "" : ", ", r.n, r.d);
    }
  return any && all;
}

std::string equivalence_table(const std::vector<EquivalenceRow>& rows) {
  std::string t = "| size (n, d) | alpha | seeds | flow times compared (the window) | largest deviation from the exact "
                  "run, train / test / clean test (points) | spread over seeds (points) | first flow time the deviation "
                  "exceeds the spread | stands in | before the window (the jump): largest deviation |\n"
                  "|---|---|---|---|---|---|---|---|---|\n";
  for (const EquivalenceRow& r : rows) {
    const Equivalence& e = r.e;
    t += fmt::format("| ({}, {}) | {} | {} | {} | {} | {} | {} | {} | {} |\n", r.n, r.d, r.alpha, e.seeds,
                     e.compared ? fmt::format("{} from {:.3g} to {:.3g}", e.compared, e.first_flow, e.last_flow)
                                : std::string("none"),
                     points3(e.deviation),
                     std::isfinite(e.spread.max())
                         ? fmt::format("{} ({} {} seeds)", points3(e.spread), e.spread_seeds,
                                       e.spread_from_exact ? "exact" : "rescaled")
                         : std::string("- (one seed)"),
                     std::isfinite(e.exceeds_at) ? fmt::format("{:.3g}", e.exceeds_at) : std::string("never"),
                     e.stands_in() ? "yes" : "no", points3(e.early));
  }
  std::vector<double> alphas;
  for (const EquivalenceRow& r : rows)
    if (std::find(alphas.begin(), alphas.end(), r.alpha) == alphas.end()) alphas.push_back(r.alpha);
  t += "\n";
  for (double a : alphas) {
    std::string sizes;
    const bool ok = validated(rows, a, &sizes);
    std::string failing;
    for (const EquivalenceRow& r : rows)
      if (r.alpha == a && !r.e.stands_in()) failing += fmt::format("{}({}, {})", failing.empty() ? "" : ", ", r.n, r.d);
    t += ok ? fmt::format("- alpha = {}: **stands in** for the paper's alpha = 0.1 at {}.\n", a, sizes)
            : fmt::format("- alpha = {}: **does not stand in** at every size compared ({}): not at {}.\n", a, sizes,
                          failing);
  }
  return t;
}

}  // namespace rfa::cli
