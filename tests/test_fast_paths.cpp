// The fast exact paths give the ordinary trajectory: row-space training, blocks spread over workers, gradient
// sinks; the worker pool itself; and no trainer allocates anything once it has taken its first step.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "alloc_counter.hpp"
#include "blas.hpp"
#include "ops.hpp"
#include "gradcheck.hpp"
#include "closed_form.hpp"
#include "blocks.hpp"
#include "checkpoint.hpp"
#include "cache.hpp"
#include "isa.hpp"
#include "linear.hpp"
#include "metrics.hpp"
#include "network.hpp"
#include "parallel.hpp"
#include "rowspace_shared_step.hpp"
#include "rowspace.hpp"
#include "run.hpp"
#include "test_util.hpp"
#include "methods.hpp"
#include "plain.hpp"
#include "plain_shared_backward.hpp"

using namespace rfa;

namespace {
struct Problem {
  Dataset<double> train, test;
  Tensor<double> a, W0;
};

// Figure 2's settings at a small size (sigma^2 = d^-1.2, exact flips, omega^2 = 0.01 / (m d)).
Problem make_problem(std::size_t N, std::size_t D, std::size_t M, std::uint64_t seed) {
  const DataSpec spec{D, std::pow(double(D), -1.2), 0.15, FlipMode::exact, Noise::gaussian};
  const Means means = random_means(D, seed);
  return {make_dataset<double>(sample_xor(spec, means, N, seed, Stream::train_data)),
          make_dataset<double>(sample_xor(spec, means, 500, seed, Stream::test_data)), second_layer<double>(M),
          init_weights<double>(M, D, 0.01 / double(M * D), seed)};
}

double relative_difference(const Tensor<double>& a, const Tensor<double>& b) {
  double d = 0, s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i])), s = std::max(s, std::abs(b[i]));
  return d / s;
}

std::vector<Metrics> run(Trainer<double>& t, const Problem& p, std::size_t steps) {
  RunOptions opt;
  opt.schedule = eval_schedule(steps, 20, 10);
  return run_training(t, p.train, &p.test, opt);
}

// Trains `fast` and the plain closed-form step side by side for `steps` steps and checks that they follow one
// trajectory: W within 1e-10 (and moved from its init by more than `moved`, relative), the same accuracies, loss
// and ||W||_F to 1e-10.
void check_follows_plain(Trainer<double>& fast, const Problem& p, std::size_t steps, double moved = 1) {
  PlainDescent<double> plain(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
  const auto a = run(plain, p, steps), b = run(fast, p, steps);
  CHECK(relative_difference(fast.weights(), plain.weights()) < 1e-10);
  CHECK(relative_difference(plain.weights(), p.W0) > moved);
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CHECK(b[k].train_acc == a[k].train_acc);
    CHECK(b[k].test_acc == a[k].test_acc);
    CHECK(b[k].test_clean_acc == a[k].test_clean_acc);
    CHECK(test::close(b[k].loss, a[k].loss, 1e-10));
    CHECK(test::close(b[k].w_norm, a[k].w_norm, 1e-10));
  }
}

struct ThreadScope {
  explicit ThreadScope(int n) { set_threads(n); }
  ~ThreadScope() { set_threads(1); }
};
}  // namespace

TEST_CASE("row space and shared patterns follow the ordinary trajectory: W within 1e-10 after 1000 steps") {
  const Problem small = make_problem(40, 120, 16, 1);
  // Large enough that neurons group into shared patterns, so the shared product and the per-entry corrections
  // both run (checked through the trainer's counts), and 1000 steps cross refreshes.
  const Problem large = make_problem(120, 400, 96, 7);
  for (GradSource src : {GradSource::closed, GradSource::tape}) {
    CAPTURE(to_string(src));
    RowSpaceDescent<double> rows(src, small.train.X, small.train.y, small.a, small.W0, 0.1);
    check_follows_plain(rows, small, 1000);
    RowSpaceSharedStepDescent<double> shared(src, large.train.X, large.train.y, large.a, large.W0, 0.1);
    check_follows_plain(shared, large, 1000);
    const SharedStepStats& st = shared.stats();
    CHECK(st.steps == 1000);
    CHECK(st.refreshes >= 2);
    const std::uint64_t shared_steps = st.steps - st.dense_steps;
    REQUIRE(shared_steps > 500);
    CHECK(double(st.references) / double(shared_steps) < 0.25 * 96);  // a few references for 96 neurons
    CHECK(st.differences > 0);
  }
}

TEST_CASE("the plain step with a shared backward follows the ordinary trajectory, shared and whole steps both taken") {
  // n >> d: the neurons' patterns over 1500 points group after a few steps; 1000 steps cross ten refreshes.
  const Problem p = make_problem(1500, 48, 40, 9);
  for (GradSource src : {GradSource::closed, GradSource::tape}) {
    CAPTURE(to_string(src));
    PlainSharedBackwardDescent<double> shared(src, p.train.X, p.train.y, p.a, p.W0, 0.1);
    check_follows_plain(shared, p, 1000);
    const SharedBackwardStats& st = shared.stats();
    CHECK(st.steps == 1000);
    CHECK(st.whole_steps >= 10);   // the first step, and one per REFRESH steps at least
    CHECK(st.whole_steps < 200);   // most steps shared
    CHECK(st.regroupings >= 10);
    CHECK(st.regroupings <= st.whole_steps);
    const std::uint64_t shared_steps = st.steps - st.whole_steps;
    CHECK(double(st.references) / double(shared_steps) < 10);  // a few references for 40 neurons
    CHECK(st.differences > 0);
  }
  // A random init of unit-scale patterns that do not group for a long while: (nearly) every step whole.
  Problem q = make_problem(600, 48, 40, 10);
  q.W0 = init_weights<double>(40, 48, 1.0, 10);
  PlainSharedBackwardDescent<double> fallback(GradSource::closed, q.train.X, q.train.y, q.a, q.W0, 0.1);
  check_follows_plain(fallback, q, 300, 0.05);  // a unit-scale init moves by a few percent
  CHECK(fallback.stats().whole_steps > 200);
}

TEST_CASE("shared-pattern training where patterns do not group (random init, small step) still follows") {
  // omega^2 = 1/d: pre-activations are not small, patterns stay as random as at init, so steps form Z whole.
  Problem p = make_problem(80, 300, 64, 8);
  p.W0 = init_weights<double>(64, 300, 1.0 / 300, 8);
  RowSpaceDescent<double> rows(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.05);
  RowSpaceSharedStepDescent<double> shared(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.05);
  for (int k = 0; k < 300; ++k) CHECK(test::close(shared.step(), rows.step(), 1e-12));
  CHECK(relative_difference(shared.weights(), rows.weights()) < 1e-11);
  CHECK(shared.stats().dense_steps > 0);
}

TEST_CASE("every trainer loaded from a checkpoint takes exactly the steps the original takes") {
  // Through the checkpoint file's bytes, as a resumed process sees them. The shared-pattern trainer is saved past
  // a refresh, so its state is C at the refresh and steps since, which load() replays.
  const Problem p = make_problem(120, 400, 96, 9);
  auto bits_equal = [](const Tensor<double>& a, const Tensor<double>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
  };
  for (Method method : {Method::plain, Method::rowspace, Method::patterns}) {
    for (GradSource src : {GradSource::closed, GradSource::tape}) {
      auto original = make_trainer<double>(method, src, p.train.X, p.train.y, p.a, p.W0, 0.1);
      CAPTURE(original->name());
      for (int k = 0; k < 650; ++k) original->step();
      Checkpoint c;
      original->save(c);
      const Checkpoint read = parse_checkpoint(serialize_checkpoint(c), "test");
      auto resumed = make_trainer<double>(method, src, p.train.X, p.train.y, p.a, p.W0, 0.1);
      resumed->load(read);
      if (method == Method::patterns) CHECK(read.get_count("steps_since_refresh") > 0);
      bool same_losses = true;
      for (int k = 0; k < 100; ++k) same_losses &= resumed->step() == original->step();
      CHECK(same_losses);
      CHECK(bits_equal(resumed->weights(), original->weights()));
      CHECK_FALSE(bits_equal(resumed->weights(), p.W0));
    }
  }
  LinearDescent<double> line(p.train.X, p.train.y, true, 0.1), line2(p.train.X, p.train.y, true, 0.1);
  for (int k = 0; k < 50; ++k) line.step();
  Checkpoint c;
  line.save(c);
  line2.load(parse_checkpoint(serialize_checkpoint(c), "test"));
  for (int k = 0; k < 20; ++k) CHECK(line2.step() == line.step());
  CHECK(line2.bias() == line.bias());
  CHECK(line.bias() != 0);
  // A shared-pattern state whose step count is impossible is refused.
  RowSpaceSharedStepDescent<double> shared(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
  Checkpoint bad;
  shared.save(bad);
  bad.put_count("steps_since_refresh", 100000);
  CHECK_THROWS_WITH_AS(shared.load(bad), doctest::Contains("steps since a refresh"), CheckpointError);
}

TEST_CASE("shared-pattern and plain steps give the same bits with every kernel variant the CPU runs") {
  // The kernels sum in fixed lanes without fused multiply-adds, so the instruction set must not change one bit
  // of a trajectory (the BLAS calls are the same in every run here).
  const Problem p = make_problem(120, 400, 96, 11);
  const Isa saved = isa();
  std::vector<Tensor<double>> shared, plain;
  for (Isa i : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (!cpu_supports(i)) continue;
    set_isa(i);
    RowSpaceSharedStepDescent<double> s(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
    PlainDescent<double> g(GradSource::tape, p.train.X, p.train.y, p.a, p.W0, 0.1);
    for (int k = 0; k < 300; ++k) s.step(), g.step();
    shared.push_back(s.weights());
    plain.push_back(g.weights());
  }
  set_isa(saved);
  CHECK(shared.size() >= 2);  // every x86-64 CPU with AVX2 compares at least two variants
  for (std::size_t k = 1; k < shared.size(); ++k) {
    CHECK(std::memcmp(shared[k].data(), shared[0].data(), shared[0].size() * sizeof(double)) == 0);
    CHECK(std::memcmp(plain[k].data(), plain[0].data(), plain[0].size() * sizeof(double)) == 0);
  }
}

TEST_CASE("blocks of rows fill a quarter of the machine's L2 cache (RFA_L2_CACHE overrides the size read)") {
  // tools/test runs the suite once with RFA_L2_CACHE=512K: the choice must follow whatever size is in force.
  const std::size_t l2 = cache_sizes().l2;
  for (std::size_t M : {100, 500}) {
    for (std::size_t elem : {4, 8}) {
      CAPTURE(M);
      CAPTURE(elem);
      const std::size_t want = l2 / 4 / (M * elem), got = block_rows(1000000, M, 2, elem, 1);
      CHECK(got <= want);
      CHECK(got + 1 >= want * 999 / 1000);  // blocks of equal size, give or take a row
    }
  }
  CHECK(block_rows(10240, 400, 300, 8, 1) >= 1024);  // large D: the products dominate, blocks stay large
}

TEST_CASE("row space on other data sets: the cached products follow the data, also at equal sizes; W and its norm") {
  // RowSpace caches Xq W_0^T and Xq X^T per data set; two different sets of the same size (the training and the
  // test set of a run can be) must not share them.
  const Problem p = make_problem(60, 80, 10, 12);
  const Tensor<double> C = test::uniform(Shape::matrix(10, 60), 13, -0.01, 0.01);  // W = W_0 + C X
  Tensor<double> W = p.W0;
  blas::gemm(blas::Trans::N, blas::Trans::N, 10, 80, 60, 1.0, C.data(), 60, p.train.X.data(), 80, 1.0, W.data(), 80);
  const Dataset<double> other = make_problem(60, 80, 10, 14).train;  // same shape as the training set
  RowSpace<double> space("test", p.train.X, p.W0);
  for (const Dataset<double>* data : {&p.train, &other, &p.test, &p.train}) {
    Tensor<double> f, want, work;
    space.outputs(*data, C, p.a, f);
    network_outputs(want, data->X, W, p.a, work);
    CHECK(relative_difference(f, want) < 1e-12);
  }
  Tensor<double> formed, work;
  space.weights(C, formed);
  CHECK(relative_difference(formed, W) < 1e-14);
  CHECK(test::close(space.norm(C, work), frobenius_norm(W), 1e-13));
}

TEST_CASE("row space on the tape differentiates L with respect to C: the closed form's dL/dC, and central differences") {
  // W = W_0 + C X, so dL/dC = dL/dW X^T; the closed form gives dL/dW (closed_form.hpp).
  const Problem p = make_problem(30, 70, 8, 15);
  RowSpaceDescent<double> closed(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
  for (int k = 0; k < 40; ++k) closed.step();  // somewhere along the trajectory, with C != 0
  Checkpoint at;
  closed.save(at);
  RowSpaceDescent<double> tape(GradSource::tape, p.train.X, p.train.y, p.a, p.W0, 0.1);
  tape.load(at);
  Tensor<double> C;
  at.get("C", C);
  Tensor<double> W, dW, want(C.shape());
  tape.space().weights(C, W);
  ClosedFormWork<double> work;
  const double loss = closed_form_gradient(dW, p.train.X, p.train.y, W, p.a, work);
  // dL/dC (M,N) = dL/dW (M,D) X^T (D,N)
  blas::gemm(blas::Trans::N, blas::Trans::T, 8, 30, 70, 1.0, dW.data(), 70, p.train.X.data(), 70, 0.0, want.data(), 30);
  CHECK(test::close(tape.step(), loss, 1e-13));
  CHECK(relative_difference(tape.tape_gradient(), want) < 1e-12);
  // And against central differences of L(C) (PyTorch's tolerances), recorded as the trainer records it.
  Tensor<double> Z0(30, 8);
  for (std::size_t j = 0; j < 8; ++j)
    for (std::size_t i = 0; i < 30; ++i) Z0(i, j) = tape.space().Z0t()(j, i);
  const Comparison c = gradcheck(
      "L(C)",
      [&](Tape<double>& t, const std::vector<Var<double>>& v) {
        auto z = add(t.constant(Z0), matmul(t.constant(tape.space().K()), v[0], Trans::N, Trans::T));
        return logistic_loss(t.constant(p.train.y) * relu_matvec(z, t.constant(p.a)));
      },
      {C});
  INFO(c.report());
  CHECK(c.ok());
}

TEST_CASE("the shared-pattern step moves Z by -alpha dL/dC: an exact acceleration of the row-space tape's product") {
  // Z^T = Z_0^T + C K and a step C -= alpha G^T move Z^T by -alpha G^T K = -alpha dL/dC.
  const Problem p = make_problem(120, 400, 96, 16);
  RowSpaceSharedStepDescent<double> shared(GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
  for (int k = 0; k < 700; ++k) shared.step();
  const std::uint64_t dense_before = shared.stats().dense_steps;
  const Tensor<double> C = shared.coefficients(), Z_before = shared.pre_activations();
  shared.step();
  REQUIRE(shared.stats().dense_steps == dense_before);  // this step was a shared one
  Tensor<double> dZ = shared.pre_activations();
  for (std::size_t k = 0; k < dZ.size(); ++k) dZ[k] -= Z_before[k];
  Checkpoint at;
  at.put("C", C);
  RowSpaceDescent<double> tape(GradSource::tape, p.train.X, p.train.y, p.a, p.W0, 0.1);
  tape.load(at);
  tape.step();
  Tensor<double> want = tape.tape_gradient();
  for (double& v : want) v *= -0.1;
  CHECK(relative_difference(dZ, want) < 1e-8);
}

TEST_CASE("the method choice: row space (shared patterns) when it is cheaper") {
  CHECK(resolve_method(Method::automatic, 300, 5000) == Method::patterns);
  CHECK(resolve_method(Method::rowspace, 300, 5000) == Method::rowspace);
  CHECK(resolve_method(Method::automatic, 5000, 300) == Method::plain_patterns);
  CHECK(resolve_method(Method::automatic, 5000, 31) == Method::plain);
  CHECK(resolve_method(Method::automatic, 5000, 2) == Method::plain);
  CHECK(resolve_method(Method::plain, 300, 5000) == Method::plain);
  const Problem p = make_problem(30, 90, 8, 2);
  CHECK(make_trainer<double>(Method::automatic, GradSource::tape, p.train.X, p.train.y, p.a, p.W0, 0.1)->name() ==
        "patterns-tape");
  CHECK(make_trainer<double>(Method::rowspace, GradSource::tape, p.train.X, p.train.y, p.a, p.W0, 0.1)->name() ==
        "rowspace-tape");
  const Problem q = make_problem(200, 40, 8, 2);
  CHECK(make_trainer<double>(Method::automatic, GradSource::closed, q.train.X, q.train.y, q.a, q.W0, 0.1)->name() ==
        "plain-patterns-closed");
}

TEST_CASE("blocks spread over two workers give the one-worker trajectory (to rounding)") {
  // d = 2: blocks go to different workers, each with its own share of the gradient, summed at the end.
  // d = 150: blocks run in turn and each product's rows are split over the workers.
  for (std::size_t D : {2, 150}) {
    CAPTURE(D);
    const Problem p = make_problem(3000, D, 40, 3);
    for (GradSource src : {GradSource::tape, GradSource::closed}) {
      CAPTURE(to_string(src));
      Tensor<double> W1, W2;
      {
        PlainDescent<double> t(src, p.train.X, p.train.y, p.a, p.W0, 0.2);
        for (int k = 0; k < 30; ++k) t.step();
        W1 = t.weights();
      }
      {
        ThreadScope two(2);
        PlainDescent<double> t(src, p.train.X, p.train.y, p.a, p.W0, 0.2);
        for (int k = 0; k < 30; ++k) t.step();
        W2 = t.weights();
      }
      CHECK(relative_difference(W2, W1) < 1e-12);
    }
  }
}

TEST_CASE("row-space and shared-pattern steps with two workers follow the one-worker steps") {
  // W after `steps` closed-form steps of `method` with `threads` workers
  auto weights_after = [](Method method, const Problem& p, int steps, int threads) {
    ThreadScope scope(threads);
    auto t = make_trainer<double>(method, GradSource::closed, p.train.X, p.train.y, p.a, p.W0, 0.1);
    for (int k = 0; k < steps; ++k) t->step();
    return Tensor<double>(t->weights());
  };
  const Problem small = make_problem(100, 300, 24, 4);
  CHECK(relative_difference(weights_after(Method::rowspace, small, 40, 2), weights_after(Method::rowspace, small, 40, 1)) <
        1e-12);
  // Enough neurons for two parts of at least 64, and steps past the point where patterns group.
  const Problem wide = make_problem(120, 400, 160, 10);
  CHECK(relative_difference(weights_after(Method::patterns, wide, 300, 2), weights_after(Method::patterns, wide, 300, 1)) <
        1e-11);
}

TEST_CASE("the worker pool: every task once, exceptions come back, nested calls run inline") {
  ThreadScope two(2);
  std::vector<int> hits(100, 0);
  parallel_for(hits.size(), [&](std::size_t t, int w) {
    hits[t] += 1;
    CHECK(w == int(t % 2));
  });
  for (int h : hits) CHECK(h == 1);
  CHECK_THROWS_AS(parallel_for(10, [](std::size_t t, int) {
                    if (t == 7) throw std::runtime_error("task 7");
                  }),
                  std::runtime_error);
  int inner_workers = 0;
  parallel_for(2, [&](std::size_t t, int) {
    if (t == 0) inner_workers = workers_for(8);
  });
  CHECK(inner_workers == 1);
  // parallel_gemm matches one BLAS call (to rounding: the BLAS may use another kernel for a part)
  Tensor<double> A = test::uniform(Shape::matrix(130, 70), 5), B = test::uniform(Shape::matrix(50, 70), 6);
  Tensor<double> C1(130, 50), C2(130, 50);
  blas::gemm(blas::Trans::N, blas::Trans::T, 130, 50, 70, 1.0, A.data(), 70, B.data(), 70, 0.0, C1.data(), 50);
  blas::parallel_gemm(blas::Trans::N, blas::Trans::T, 130, 50, 70, 1.0, A.data(), 70, B.data(), 70, 0.0, C2.data(), 50);
  CHECK(relative_difference(C2, C1) < 1e-15);
  // parallel_axpy splits an elementwise update. Not the same bits as one call on every CPU: a BLAS kernel may fuse
  // the multiply-add in the vector body and not in the tail (OpenBLAS's Zen daxpy does), and where the split falls
  // moves entries between the two. Each entry is y + alpha x rounded once or twice, so the two results differ by
  // at most two roundings: |y2 - y1| <= 2^-52 (|alpha x| + |y|). A wrong part (offset, length, alpha) is far off.
  const double alpha = -0.37;
  Tensor<double> x = test::uniform(Shape::vector(50001), 7), y0 = test::uniform(Shape::vector(50001), 8);
  Tensor<double> y1 = y0, y2 = y0;
  blas::axpy(x.size(), alpha, x.data(), y1.data());
  blas::parallel_axpy(x.size(), alpha, x.data(), y2.data());
  std::size_t outside = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    outside += !(std::abs(y2[i] - y1[i]) <= 0x1p-52 * (std::abs(alpha * x[i]) + std::abs(y0[i])));
  CHECK(outside == 0);
}

TEST_CASE("the worker pool: back-to-back calls, calls after its workers slept, fewer tasks than workers") {
  // Workers spin briefly between calls and then sleep: calls in quick succession meet spinning workers, calls
  // after a pause meet sleeping ones, and with four workers a two-task call leaves two of them idle.
  for (int n : {2, 4}) {
    ThreadScope scope(n);
    std::vector<int> hits(4, 0);
    for (int call = 0; call < 2000; ++call) {
      const std::size_t tasks = call % 3 == 0 ? 2 : 4;
      parallel_for(tasks, [&](std::size_t t, int) { hits[t] += 1; });
      if (call % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const int twos = (2000 + 2) / 3;
    CHECK(hits[0] == 2000);
    CHECK(hits[1] == 2000);
    CHECK(hits[2] == 2000 - twos);
    CHECK(hits[3] == 2000 - twos);
  }
}

TEST_CASE("no trainer allocates after its first step, with one or two workers") {
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    for (std::size_t D : {2, 100}) {
      const Problem p = make_problem(600, D, 30, 6);
      for (Method method : {Method::plain, Method::rowspace, Method::patterns}) {
        for (GradSource src : {GradSource::tape, GradSource::closed}) {
          auto t = make_trainer<double>(method, src, p.train.X, p.train.y, p.a, p.W0, 0.1);
          CAPTURE(threads);
          CAPTURE(D);
          CAPTURE(t->name());
          t->step();
          const long before = heap_allocations.load();
          for (int k = 0; k < 5; ++k) t->step();
          CHECK(heap_allocations.load() - before == 0);
        }
      }
    }
  }
}
