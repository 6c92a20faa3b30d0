// rfa-grouping: how the neurons' activation patterns group along a real run, the measurement behind the
// shared-pattern steps (pattern_groups.hpp). Trains a Figure 2 panel with its usual trainer and, at log-spaced steps,
// forms Z = X W^T, the patterns S = 1[Z > 0], and groups them as the shared-pattern step would: the number of
// reference patterns R, the share of entries that differ from their reference, and what a step's backward product
// would cost shared, relative to forming it whole.
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "blas.hpp"
#include "pattern_groups.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-grouping: how the activation patterns of the network's neurons group along a run of Figure 2's low (5000, "
    "300) or high (300, 5000) panel. At log-spaced steps it groups the patterns 1[<w_j, x_i> > 0] around reference "
    "patterns, as the shared-pattern step does, and records the number of references R, the share of the n x m "
    "entries that differ from their reference, and the cost of the step's backward product formed shared (R "
    "products and one correction per differing entry) relative to forming it whole. Writes grouping.csv, "
    "summary.json and the run in --out/run/ (metrics.csv, run.json, checkpoint.rfa); resumable.";

// What a differing entry is taken to cost, in units of one row of a shared product (as in the row-space step).
constexpr std::uint64_t GROUPING_DIFF_COST = 2, DIFF_COST = 8;

struct Options {
  CommonFlags common;
  std::string panel = "low";
  std::size_t steps = 0;
};

struct Row {
  std::size_t step, references;
  double differing_share, shared_cost, train_acc, test_acc;
};

template <typename T>
std::vector<Row> run(const Options& o) {
  RunSpec spec = figure2(o.panel, o.common.profile);
  spec.steps = o.steps ? o.steps : (o.common.quick() ? 300 : 100000);
  spec.dense = 10, spec.per_decade = 5;
  spec.seed = o.common.seed, spec.grad = o.common.gradient();
  o.common.apply_init(spec);
  PreparedRun<T> r = prepare_run<T>(spec);
  const std::size_t N = spec.n, M = spec.m, D = spec.d;
  Tensor<T> Z(N, M);
  std::vector<std::uint8_t> S(M * N);
  PatternGrouper grouper;
  PatternGroups groups;
  std::vector<Row> rows;
  RunOptions hooks;
  hooks.on_eval = [&](const Metrics& m) {
    const Tensor<T>& W = r.trainer->weights();
    blas::parallel_gemm(blas::Trans::N, blas::Trans::T, N, M, D, T(1), r.train.X.data(), D, W.data(), D, T(0),
                        Z.data(), M);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < M; ++j) S[j * N + i] = Z(i, j) > T(0);
    grouper.group(S.data(), M, N, GROUPING_DIFF_COST, groups);
    const double R = double(groups.references());
    // shared: R rows of N plus DIFF_COST per differing entry; whole: M rows of N
    const double shared = (R * double(N) + double(DIFF_COST) * double(groups.differing)) / (double(M) * double(N));
    rows.push_back({m.step, groups.references(), double(groups.differing) / (double(M) * double(N)), shared,
                    m.train_acc, m.test_acc});
  };
  hooks.save_extra = [&](Checkpoint& c) {
    Tensor<double> t(rows.size(), 6);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const Row& w = rows[k];
      const double v[] = {double(w.step), double(w.references), w.differing_share, w.shared_cost, w.train_acc,
                          w.test_acc};
      std::copy(v, v + 6, &t(k, 0));
    }
    c.put("grouping", t);
  };
  hooks.load_extra = [&](const Checkpoint& c) {
    Tensor<double> t;
    c.get("grouping", t);
    rows.clear();
    for (std::size_t k = 0; k < t.rows(); ++k)
      rows.push_back({std::size_t(t(k, 0)), std::size_t(t(k, 1)), t(k, 2), t(k, 3), t(k, 4), t(k, 5)});
  };
  RunControl control = o.common.control;
  control.label = o.panel;
  train_in<T>("rfa-grouping", spec, r, o.common.out + "/run", control, std::move(hooks));
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Program prog(argv, "rfa-grouping", ABOUT, o.common, "results/grouping",
               "quick (the scaled-down panel, 300 steps) or default (10^5 steps)",
               CommonFlags::DTYPE | CommonFlags::GRAD | CommonFlags::INIT);
  prog.app().option("--panel", o.panel, "low (5000, 300) or high (300, 5000)");
  prog.app().option("--steps", o.steps, "steps [default: 100000; quick 300]", false);
  auto check = [&] { require_one_of("--panel", o.panel, {"low", "high"}); };
  return prog.run(argc, argv, check, [&] {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Row> rows = with_dtype(o.common.dtype, [&]<class T> { return run<T>(o); });
    std::string csv = "step,references,differing_share,shared_cost_over_whole,train_acc,test_acc\n";
    for (const Row& w : rows)
      csv += fmt::format("{},{},{},{},{},{}\n", w.step, w.references, w.differing_share, w.shared_cost, w.train_acc,
                         w.test_acc);
    write_file_atomic(o.common.out + "/grouping.csv", csv);
    Json summary = provenance("rfa-grouping");
    summary.add("panel", o.panel).add("profile", o.common.profile)
        .add("wall_seconds_this_session",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    write_file_atomic(o.common.out + "/summary.json", summary.str() + "\n");
    for (const Row& w : rows)
      if (w.step == 0 || std::log10(double(w.step)) == std::floor(std::log10(double(w.step))))
        fmt::print("rfa-grouping: step {:>7}: R = {:>3}, {:>5.2f}% of entries differ, shared/whole = {:.3f}\n", w.step,
                   w.references, 100 * w.differing_share, w.shared_cost);
    return 0;
  });
}
