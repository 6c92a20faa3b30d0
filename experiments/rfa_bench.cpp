// rfa-bench: times one gradient-descent step (forward, backward, update) of the paper's network for each
// trainer, against the machine's GEMM rate measured in the same run on the same shapes, and prints the ratios.
//
// Sizes: N samples, D input dimension, M neurons. A plain step does two products of 2 N D M flops each
// (Z = X W^T and dW = G^T X); their time alone, measured here with the same BLAS, is the "GEMM limit" of the step.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "checkpoint.hpp"
#include "cache.hpp"
#include "isa.hpp"
#include "openblas.hpp"
#include "common.hpp"
#include "network.hpp"
#include "program.hpp"
#include "parallel.hpp"
#include "methods.hpp"
#include "xor_data.hpp"

using namespace rfa;
using clock_type = std::chrono::steady_clock;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-bench: times one full gradient-descent step (forward, backward, update) of the paper's network for each "
    "trainer: the tape (blocked, fused), the hand-written closed-form step, row-space training and shared-pattern "
    "training (both exact; used where N < 2D unless --all-rowspace), and the plain step with its backward product "
    "shared (plain-patterns, exact; where N >= 2D and D >= 32); shared-pattern steps are timed after "
    "--pattern-steps steps at Figure 2's init and step, since their cost depends on how the activation patterns "
    "group. In the same run it times the step's two GEMMs alone, both with rows split over rfa's workers and with "
    "OpenBLAS's own threads (the faster is the GEMM limit) and prints each step's FLOP rate as a share of that "
    "limit and its time relative to the closed-form step. Candidates run interleaved, one step each in turn, so "
    "machine noise affects all alike. Times are medians with the 10th-90th percentile spread.";

struct ShapeNDM {
  std::size_t n, d, m;
};

struct Timing {
  double median = 0, lo = 0, hi = 0;  // seconds: median, 10th and 90th percentile
};

Timing summarize(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  auto at = [&](double q) { return t[std::min(t.size() - 1, static_cast<std::size_t>(q * double(t.size() - 1) + 0.5))]; };
  return {at(0.5), at(0.1), at(0.9)};
}

struct Row {
  ShapeNDM s;
  std::string dtype;
  int threads;
  std::string method;
  Timing step;
  double flops;        // per step, of the arithmetic the method does
  double gemm_share;   // GEMM-limit time of the plain step / this step's time
  double vs_closed;    // this step's time / the plain closed-form step's time (medians)
  double vs_closed_fast;  // the same for the 10th percentiles, which a noisy machine disturbs least
};

std::vector<ShapeNDM> parse_shapes(const std::string& list) {
  std::vector<ShapeNDM> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    const std::size_t x1 = item.find('x'), x2 = x1 == std::string::npos ? x1 : item.find('x', x1 + 1);
    if (x2 == std::string::npos)
      throw cli::UsageError(fmt::format("--shapes: '{}' is not NxDxM with N, M >= 1 and D >= 2", item));
    const std::string what = fmt::format("--shapes: '{}':", item);
    const ShapeNDM s{cli::parse_count(what + " N", item.substr(0, x1)),
                     cli::parse_count(what + " D", item.substr(x1 + 1, x2 - x1 - 1)),
                     cli::parse_count(what + " M", item.substr(x2 + 1))};
    if (s.n == 0 || s.d < 2 || s.m == 0 || s.n > 100000 || s.d > 100000 || s.m > 100000)
      throw cli::UsageError(fmt::format("--shapes: '{}' is not NxDxM with N, M >= 1 and D >= 2, each at most 100000",
                                        item));
    out.push_back(s);
  }
  return out;
}

// A step timed in turn with the others: its name, what it runs, its flops, its times.
struct Candidate {
  std::string name;
  std::function<void()> run;
  double flops;
  std::vector<double> times;
};

// The GEMM limit first (the plain step's two products alone, Z (N,M) = X W^T and dW (M,D) = Z^T X, with rows split
// over rfa's workers as the trainers run them), then one candidate per trainer.
template <typename T>
std::vector<Candidate> candidates(const ShapeNDM& s, const std::vector<std::string>& methods, int pattern_steps,
                                  const Tensor<T>& X, const Tensor<T>& y, Tensor<T>& Z, Tensor<T>& dW,
                                  std::vector<std::unique_ptr<Trainer<T>>>& trainers) {
  const Tensor<T> a = second_layer<T>(s.m);
  const Tensor<T> W0 = init_weights<T>(s.m, s.d, 1.0 / double(s.d), 1);  // many active units, as mid-training
  std::vector<Candidate> cands;
  cands.push_back({"gemm-rfa", [&, W0] {
                     blas::parallel_gemm(blas::Trans::N, blas::Trans::T, s.n, s.m, s.d, T(1), X.data(), s.d, W0.data(),
                                         s.d, T(0), Z.data(), s.m);
                     blas::parallel_gemm(blas::Trans::T, blas::Trans::N, s.m, s.d, s.n, T(1), Z.data(), s.m, X.data(),
                                         s.d, T(0), dW.data(), s.d);
                   },
                   4.0 * double(s.n) * double(s.d) * double(s.m), {}});
  const cli::RunSpec fig2 = cli::figure2_sized(s.n, s.d, s.m, 0);
  std::optional<Checkpoint> trained[2];  // a shared-pattern trainer pattern_steps in, by method (row space, plain)
  for (const std::string& m : methods) {
    const bool rowspace = m.rfind("rowspace", 0) == 0, patterns = m.rfind("patterns", 0) == 0;
    const bool plain_patterns = m.rfind("plain-patterns", 0) == 0;
    const GradSource src = m.find("tape") != std::string::npos ? GradSource::tape : GradSource::closed;
    if (patterns || plain_patterns) {
      // Its cost depends on how the activation patterns group, so it is timed where training has taken it:
      // Figure 2's init and step, pattern_steps steps in (trained once; its tape twin starts from that state).
      trainers.push_back(make_trainer<T>(patterns ? Method::patterns : Method::plain_patterns, src, X, y, a,
                                         init_weights<T>(s.m, s.d, fig2.omega2, 1), T(fig2.alpha)));
      std::optional<Checkpoint>& state = trained[patterns ? 0 : 1];
      if (state) {
        trainers.back()->load(*state);
      } else {
        for (int k = 0; k < pattern_steps; ++k) trainers.back()->step();
        state.emplace();
        trainers.back()->save(*state);
      }
    } else {
      trainers.push_back(make_trainer<T>(rowspace ? Method::rowspace : Method::plain, src, X, y, a, W0, T(1e-3)));
    }
    Trainer<T>* tr = trainers.back().get();
    const double flops = (rowspace || patterns) && !plain_patterns ? 2.0 * double(s.n) * double(s.n) * double(s.m)
                                              : 4.0 * double(s.n) * double(s.d) * double(s.m);
    cands.push_back({m, [tr] { tr->step(); }, flops, {}});
  }
  return cands;
}

template <typename T>
void bench_shape(const ShapeNDM& s, int threads, const std::vector<std::string>& methods, int reps, int warmup,
                 int pattern_steps, std::vector<Row>& rows) {
  rfa::set_threads(threads);
  const XorSample sample = sample_xor({s.d, std::pow(double(s.d), -1.2), 0.15, FlipMode::exact, Noise::gaussian},
                                      random_means(s.d, 1), s.n, 1, Stream::train_data);
  const Tensor<T> X = cast<T>(sample.X), y = cast<T>(sample.y);
  const char* dtype = sizeof(T) == 8 ? "f64" : "f32";
  Tensor<T> Z(s.n, s.m), dW(s.m, s.d);
  Z.fill(T(0.5));
  std::vector<std::unique_ptr<Trainer<T>>> trainers;
  std::vector<Candidate> cands = candidates<T>(s, methods, pattern_steps, X, y, Z, dW, trainers);
  // With more than one thread, OpenBLAS's own threaded GEMM joins each round first. Its threads keep spinning for
  // a while after a call and would slow whatever ran next, so each such call is followed by an untimed pause
  // that lets them go to sleep.
  const Tensor<T> W0 = init_weights<T>(s.m, s.d, 1.0 / double(s.d), 1);
  std::vector<double> native_times;
  auto native_round = [&](bool timed) {
    if (threads == 1) return;
    openblas::set_threads(threads);
    const auto t0 = clock_type::now();
    blas::gemm(blas::Trans::N, blas::Trans::T, s.n, s.m, s.d, T(1), X.data(), s.d, W0.data(), s.d, T(0), Z.data(), s.m);
    blas::gemm(blas::Trans::T, blas::Trans::N, s.m, s.d, s.n, T(1), Z.data(), s.m, X.data(), s.d, T(0), dW.data(), s.d);
    if (timed) native_times.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
    openblas::set_threads(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  };
  // Every candidate runs in the same loop, one step each in turn, so machine noise hits all of them alike.
  for (int r = 0; r < warmup + reps; ++r) {
    native_round(r >= warmup);
    for (auto& c : cands) {
      const auto t0 = clock_type::now();
      c.run();
      if (r >= warmup) c.times.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
    }
  }
  // The limit is the faster of the two ways of running the products (one and the same with one thread).
  double limit = summarize(cands[0].times).median, closed = NAN, closed_fast = NAN;
  if (threads > 1) limit = std::min(limit, summarize(native_times).median);
  for (auto& c : cands)
    if (c.name == "closed") closed = summarize(c.times).median, closed_fast = summarize(c.times).lo;
  if (threads > 1) {
    const Timing native = summarize(native_times);
    rows.push_back({s, dtype, threads, "gemm-openblas", native, cands[0].flops, limit / native.median,
                    native.median / closed, native.lo / closed_fast});
  }
  for (auto& c : cands) {
    const Timing t = summarize(c.times);
    rows.push_back({s, dtype, threads, c.name, t, c.flops, limit / t.median, t.median / closed, t.lo / closed_fast});
  }
}

void print_row(const Row& r) {
  fmt::print("{:>16} {:>4} {:>3} {:<21} {:>10.3f} {:>21} {:>9.1f} {:>7.0f}% {:>9.3f} {:>9.3f}\n",
             fmt::format("{}x{}x{}", r.s.n, r.s.d, r.s.m), r.dtype, r.threads, r.method, r.step.median * 1e3,
             fmt::format("[{:.3f}, {:.3f}]", r.step.lo * 1e3, r.step.hi * 1e3), r.flops / r.step.median / 1e9,
             100 * r.gemm_share, r.vs_closed, r.vs_closed_fast);
  std::fflush(stdout);
}

void write_json(const std::string& path, const std::vector<Row>& rows, int reps) {
  std::string items;
  for (const Row& r : rows) {
    cli::Json j;
    j.add("n", r.s.n).add("d", r.s.d).add("m", r.s.m).add("dtype", r.dtype).add("threads", r.threads)
        .add("method", r.method).add("median_s", r.step.median).add("p10_s", r.step.lo).add("p90_s", r.step.hi)
        .add("flops", r.flops).add("gemm_share", r.gemm_share).add("vs_closed", r.vs_closed)
        .add("vs_closed_p10", r.vs_closed_fast);
    items += (items.empty() ? "" : ",\n") + j.str(2);
  }
  const CacheSizes& cache = cache_sizes();
  cli::Json top = cli::provenance("rfa-bench");
  top.add("l1d_bytes", cache.l1d).add("l2_bytes", cache.l2).add("l3_bytes", cache.l3).add("cache_source", cache.source)
      .add("reps", reps).add_raw("rows", "[\n" + items + "\n]");
  write_file_atomic(path, top.str() + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv, cli::Trains::no);
  std::string shapes = "5000x2x500,300x5000x400,5000x300x400,5000x1000x400";
  std::string dtypes = "f32,f64", json;
  std::vector<int> thread_counts{1, 2};
  std::vector<std::string> methods{"tape",          "closed",          "rowspace-tape",        "rowspace-closed",
                                   "patterns-tape", "patterns-closed", "plain-patterns-tape", "plain-patterns-closed"};
  int pattern_steps = 2000;
  int reps = 21, warmup = 3;
  bool all_rowspace = false;
  cli::Args app{ABOUT, "rfa-bench"};
  app.option("--shapes", shapes, "comma-separated NxDxM shapes");
  app.option("--dtypes", dtypes, "f32, f64 or both");
  app.option("--threads", thread_counts, "thread counts to measure");
  app.option("--methods", methods,
             "trainers: tape, closed, rowspace-tape, rowspace-closed, patterns-tape, patterns-closed, "
             "plain-patterns-tape, plain-patterns-closed");
  app.option("--pattern-steps", pattern_steps,
             "untimed steps of the shared-pattern trainers at Figure 2's init and step before timing (0: time them "
             "at that init)");
  app.option("--reps", reps, "timed steps per candidate");
  app.option("--warmup", warmup, "untimed steps first");
  app.flag("--all-rowspace", all_rowspace, "time row-space training at every shape, not only where N < 2D");
  app.option("--json", json, "also write the numbers to this JSON file", false);
  if (auto rc = app.parse(argc, argv)) return *rc;

  return cli::guarded_main("rfa-bench", [&] {
    const std::vector<ShapeNDM> list = parse_shapes(shapes);
    cli::require_at_least("--reps", reps, 3);
    cli::require_at_least("--warmup", warmup, 0);
    for (int t : thread_counts) cli::require_threads("--threads", t);
    cli::require_at_least("--pattern-steps", pattern_steps, 0);
    for (const auto& m : methods)
      cli::require_one_of("--methods", m,
                          {"tape", "closed", "rowspace-tape", "rowspace-closed", "patterns-tape", "patterns-closed",
                           "plain-patterns-tape", "plain-patterns-closed"});
    std::vector<std::string> types;
    std::stringstream ss(dtypes);
    for (std::string t; std::getline(ss, t, ',');) {
      cli::require_one_of("--dtypes", t, {"f32", "f64"});
      types.push_back(t);
    }

    const CacheSizes& cache = cache_sizes();
    fmt::print("OpenBLAS {} ({} kernels); rfa's kernels: {}; caches: L1d {} KiB, L2 {} KiB per core, L3 {} KiB ({})\n"
               "times: median [p10, p90] over {} interleaved steps\n",
               openblas::config(), openblas::core_name(), to_string(isa()), cache.l1d / 1024, cache.l2 / 1024,
               cache.l3 / 1024, cache.source, reps);
    fmt::print("{:>16} {:>4} {:>3} {:<21} {:>10} {:>21} {:>9} {:>8} {:>9} {:>9}\n", "N x D x M", "type", "thr", "method",
               "ms/step", "spread (ms)", "GFLOP/s", "of GEMM", "/closed", "p10 ratio");
    std::vector<Row> rows;
    for (const ShapeNDM& s : list)
      for (const std::string& t : types)
        for (int th : thread_counts) {
          std::vector<std::string> ms;
          for (const auto& m : methods)
            if (m.rfind("plain-patterns", 0) == 0 ? s.n >= 2 * s.d && s.d >= SHARED_BACKWARD_MIN_D
                : (m.rfind("rowspace", 0) != 0 && m.rfind("patterns", 0) != 0) || all_rowspace || s.n < 2 * s.d)
              ms.push_back(m);
          const std::size_t first = rows.size();
          if (t == "f32") bench_shape<float>(s, th, ms, reps, warmup, pattern_steps, rows);
          else bench_shape<double>(s, th, ms, reps, warmup, pattern_steps, rows);
          for (std::size_t k = first; k < rows.size(); ++k) print_row(rows[k]);
        }
    fmt::print("gemm-rfa / gemm-openblas: the plain step's two products alone, rows split over rfa's workers / with "
               "OpenBLAS's own threads (with one thread the two are the same call). GFLOP/s counts each method's own "
               "arithmetic (4NDM plain, 2N^2M row-space, and for shared-pattern steps the row-space work they replace); "
               "'of GEMM' is the faster of the two GEMM times over the step's time (the plain step's FLOP rate as a "
               "share of the GEMM rate); '/closed' is the step's time over the closed-form step's, and 'p10 ratio' the "
               "same for the 10th percentiles, which a noisy machine disturbs least.\n");
    if (!json.empty()) write_json(json, rows, reps);
    return 0;
  });
}
