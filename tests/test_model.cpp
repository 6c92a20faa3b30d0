// The network on the tape against the paper's closed-form gradient, the trainers, and checkpoint/resume.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "closed_form.hpp"
#include "gradcheck.hpp"
#include "network.hpp"
#include "run.hpp"
#include "tape_model.hpp"
#include "test_util.hpp"
#include "logistic.hpp"
#include "methods.hpp"
#include "parallel.hpp"
#include "plain.hpp"
#include "xor_data.hpp"

using namespace rfa;

namespace {
struct Instance {
  Tensor<double> X, y, W, a;
};

// The paper's data and network at a small size; W at scale 1/sqrt(d) so that many neurons are active.
Instance make_instance(std::size_t N, std::size_t D, std::size_t M, std::uint64_t seed, double omega2 = -1) {
  const XorSample s = sample_xor({D, std::pow(double(D), -1.2), 0.15, FlipMode::exact, Noise::gaussian},
                                 random_means(D, seed), N, seed, Stream::train_data);
  return {s.X, s.y, init_weights<double>(M, D, omega2 > 0 ? omega2 : 1.0 / double(D), seed), second_layer<double>(M)};
}

double max_abs(const Tensor<double>& t) {
  double m = 0;
  for (double v : t) m = std::max(m, std::abs(v));
  return m;
}

// max |a - b| / max |b|: the norm-wise relative difference
double relative_difference(const Tensor<double>& a, const Tensor<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d / max_abs(b);
}

Tensor<double> tape_gradient(const Instance& p, double* loss = nullptr) {
  Tape<double> tape;
  const TapeNetwork<double> net = record_network_loss(tape, p.X, p.y, p.W, p.a);
  tape.backward(net.loss);
  if (loss) *loss = net.loss.value().item();
  return tape.grad(net.W);
}
}  // namespace

TEST_CASE("the second layer: +1/sqrt(m), then -1/sqrt(m), and 0 for the odd one out") {
  const Tensor<double> a = second_layer<double>(5);
  const double v = 1 / std::sqrt(5.0);
  CHECK(a[0] == v);
  CHECK(a[1] == v);
  CHECK(a[2] == -v);
  CHECK(a[3] == -v);
  CHECK(a[4] == 0);
  const Tensor<float> b = second_layer<float>(4);
  CHECK(b[1] == 0.5f);
  CHECK(b[2] == -0.5f);
}

TEST_CASE("random second-layer signs: +-1/sqrt(m), each sign about half the time, in no fixed order, by seed") {
  const std::size_t m = 2000;
  const Tensor<double> a = random_second_layer<double>(m, 4);
  const double v = 1 / std::sqrt(double(m));
  std::size_t positive = 0, positive_first_half = 0;
  for (std::size_t j = 0; j < m; ++j) {
    REQUIRE((a[j] == v || a[j] == -v));
    positive += a[j] > 0;
    positive_first_half += j < m / 2 && a[j] > 0;
  }
  // Binomial(2000, 1/2): sd 22; within 5 sd. The first half is not all positive (the balanced layer's order).
  CHECK(std::abs(double(positive) - 1000.0) < 110);
  CHECK(std::abs(double(positive_first_half) - 500.0) < 80);
  const Tensor<double> same = random_second_layer<double>(m, 4), other = random_second_layer<double>(m, 5);
  CHECK(std::memcmp(same.data(), a.data(), m * sizeof(double)) == 0);
  CHECK(std::memcmp(other.data(), a.data(), m * sizeof(double)) != 0);
  const Tensor<float> f = random_second_layer<float>(m, 4);
  for (std::size_t j = 0; j < m; ++j) CHECK((f[j] > 0) == (a[j] > 0));
}

TEST_CASE("tape gradient = closed-form gradient to 1e-12 relative, in double, on random instances") {
  struct Shape3 {
    std::size_t N, D, M;
  };
  for (Shape3 s : {Shape3{40, 2, 10}, Shape3{30, 80, 9}, Shape3{120, 15, 16}, Shape3{7, 300, 5}}) {
    for (std::uint64_t seed : {1, 2, 3}) {
      CAPTURE(s.N);
      CAPTURE(s.D);
      CAPTURE(seed);
      const Instance p = make_instance(s.N, s.D, s.M, seed);
      double loss_tape = 0;
      const Tensor<double> g_tape = tape_gradient(p, &loss_tape);
      Tensor<double> g_cf;
      ClosedFormWork<double> work;
      const double loss_cf = closed_form_gradient(g_cf, p.X, p.y, p.W, p.a, work);
      CHECK(max_abs(g_cf) > 1e-4);  // a real gradient, not a vanishing one
      CHECK(relative_difference(g_tape, g_cf) < 1e-12);
      CHECK(test::close(loss_tape, loss_cf, 1e-14));
    }
  }
}

TEST_CASE("at a kink exactly (<w_j, x_i> = 0) tape and closed form both use relu'(0) = 0") {
  // w_0 = (1, 0, 0), x_0 = (0, 1, 1): z_00 = 0 exactly. With relu'(0) = 1 the gradient would pick up x_0.
  Instance p{Tensor<double>::from_rows({{0, 1, 1}, {1, 0.5, 0}}), Tensor<double>{1, -1},
             Tensor<double>::from_rows({{1, 0, 0}, {0.3, -0.2, 0.1}}), Tensor<double>{0.7, -0.7}};
  const Tensor<double> g_tape = tape_gradient(p);
  Tensor<double> g_cf;
  ClosedFormWork<double> work;
  closed_form_gradient(g_cf, p.X, p.y, p.W, p.a, work);
  // Two code paths (the tape's products and the closed form's), so equal to rounding; a different relu'(0) on one
  // side would differ by a whole entry of x_0.
  CHECK(relative_difference(g_tape, g_cf) < 1e-15);
  // Only x_1 (z_01 = 1 > 0) contributes to neuron 0, so its gradient is parallel to x_1 = (1, 0.5, 0).
  CHECK(g_cf(0, 2) == 0.0);
  CHECK(g_cf(0, 1) == doctest::Approx(0.5 * g_cf(0, 0)));
}

TEST_CASE("the model passes the gradient checker") {
  const Instance p = make_instance(25, 6, 7, 4);
  const Comparison c = gradcheck(
      "network loss",
      [&](Tape<double>& t, const std::vector<Var<double>>& v) {
        auto Z = matmul(t.constant(p.X), v[0], Trans::N, Trans::T);
        return logistic_loss(t.constant(p.y) * matvec(relu(Z), t.constant(p.a)));
      },
      {p.W});
  INFO(c.report());
  CHECK(c.ok());
}

TEST_CASE("network_outputs is the tape's f") {
  const Instance p = make_instance(700, 5, 6, 5);  // more rows than one block of network_outputs
  Tape<double> tape;
  const TapeNetwork<double> net = record_network_loss(tape, p.X, p.y, p.W, p.a);
  Tensor<double> f, work;
  network_outputs(f, p.X, p.W, p.a, work);
  CHECK(relative_difference(f, net.f.value()) < 1e-14);
}

TEST_CASE("50 steps with the tape and with the closed form give the same W") {
  const Instance p = make_instance(60, 40, 10, 6, 0.01 / (10 * 40));
  PlainDescent<double> tape(GradSource::tape, p.X, p.y, p.a, p.W, 0.1);
  PlainDescent<double> closed(GradSource::closed, p.X, p.y, p.a, p.W, 0.1);
  for (int t = 0; t < 50; ++t) {
    const double lt = tape.step(), lc = closed.step();
    REQUIRE(test::close(lt, lc, 1e-12));
  }
  CHECK(relative_difference(tape.weights(), closed.weights()) < 1e-12);
  CHECK(relative_difference(tape.weights(), p.W) > 1e-3);  // and W did move
}

TEST_CASE("float training follows double training closely") {
  const Instance p = make_instance(60, 40, 10, 7, 0.01 / (10 * 40));
  PlainDescent<double> d(GradSource::closed, p.X, p.y, p.a, p.W, 0.1);
  const Tensor<float> Xf = cast<float>(p.X), yf = cast<float>(p.y);  // the trainer refers to its data
  PlainDescent<float> f(GradSource::tape, Xf, yf, cast<float>(p.a), cast<float>(p.W), 0.1f);
  for (int t = 0; t < 20; ++t) d.step(), f.step();
  const Tensor<float>& Wf = f.weights();
  Tensor<double> Wfd(Wf.shape());
  for (std::size_t k = 0; k < Wf.size(); ++k) Wfd[k] = Wf[k];
  CHECK(relative_difference(Wfd, d.weights()) < 1e-4);
}

TEST_CASE("a NaN in W stops the run even though the loss stays finite") {
  // relu treats a NaN pre-activation as inactive, so f and the loss stay finite: the run must look at W.
  Instance p = make_instance(20, 5, 4, 9);
  p.W(1, 2) = NAN;
  const Dataset<double> train = make_dataset<double>(Tensor<double>(p.X), Tensor<double>(p.y), "test");
  PlainDescent<double> gd(GradSource::closed, train.X, train.y, p.a, p.W, 0.1);
  RunOptions opt;
  opt.schedule = {0, 5};
  CHECK_THROWS_WITH_AS(run_training(gd, train, nullptr, opt), doctest::Contains("||W||_F is nan"), TrainingDiverged);
  CHECK(std::isnan(frobenius_norm(p.W)));
}

TEST_CASE("the evaluation schedule: every step early, then log-spaced, ending at the last step") {
  const auto s = eval_schedule(100000, 100, 10);
  for (std::size_t t = 0; t <= 100; ++t) CHECK(s[t] == t);
  for (std::size_t k = 1; k < s.size(); ++k) CHECK(s[k] > s[k - 1]);
  CHECK(s.back() == 100000);
  CHECK(s.size() == 101 + 30);  // 10 per decade over 3 decades (126 ... 100000)
  CHECK(eval_schedule(5).size() == 6);
}

TEST_CASE("a run stopped midway and resumed gives exactly the uninterrupted run's numbers, for every trainer") {
  const Instance p = make_instance(50, 30, 8, 8, 0.01 / (8 * 30));
  const Dataset<double> train = make_dataset<double>(sample_xor({30, std::pow(30.0, -1.2), 0.15, FlipMode::exact,
                                                                 Noise::gaussian}, random_means(30, 8), 50, 8,
                                                                Stream::train_data));
  const Dataset<double> test = make_dataset<double>(sample_xor({30, std::pow(30.0, -1.2), 0.15, FlipMode::exact,
                                                                Noise::gaussian}, random_means(30, 8), 40, 8,
                                                               Stream::test_data));
  const std::string ckpt =
      (std::filesystem::temp_directory_path() / ("rfa_test_resume_" + std::to_string(::getpid()))).string();
  // Every field of every row, bit for bit (NaN included).
  auto same_rows = [](const std::vector<Metrics>& a, const std::vector<Metrics>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
      const double x[] = {double(a[k].step), a[k].loss, a[k].train_acc, a[k].train_clean_acc, a[k].train_flipped_acc,
                          a[k].test_acc, a[k].test_clean_acc, a[k].w_norm};
      const double y[] = {double(b[k].step), b[k].loss, b[k].train_acc, b[k].train_clean_acc, b[k].train_flipped_acc,
                          b[k].test_acc, b[k].test_clean_acc, b[k].w_norm};
      if (std::memcmp(x, y, sizeof x) != 0) return false;
    }
    return true;
  };
  const std::pair<Method, bool> trainers[] = {{Method::plain, false}, {Method::rowspace, false},
                                              {Method::patterns, false}, {Method::plain_patterns, false},
                                              {Method::plain, true}};  // true: both layers trained
  for (const auto& [method, both] : trainers) {
    auto make = [&, method = method, both = both] {
      return make_trainer<double>(method, GradSource::closed, train.X, train.y, p.a, p.W, 0.2, both);
    };
    CAPTURE(make()->name());
    RunOptions opt;
    opt.schedule = eval_schedule(300, 10, 10);
    opt.fingerprint = "test run";
    opt.checkpoint_seconds = 1e9;  // only the stop and the end write one
    auto whole = make();
    const std::vector<Metrics> full = run_training(*whole, train, &test, opt);

    std::filesystem::remove(ckpt);
    std::filesystem::remove(previous_checkpoint(ckpt));
    opt.checkpoint = ckpt;
    auto first = make();
    opt.on_eval = [](const Metrics& m) {
      if (m.step == 7) request_stop();
    };
    CHECK_THROWS_AS(run_training(*first, train, &test, opt), TrainingInterrupted);
    reset_stop();
    opt.on_eval = nullptr;
    auto second = make();  // a fresh process, as it were
    const std::vector<Metrics> resumed = run_training(*second, train, &test, opt);
    CHECK(same_rows(resumed, full));
    CHECK(full.size() == eval_schedule(300, 10, 10).size());
    CHECK(std::memcmp(second->weights().data(), whole->weights().data(), whole->weights().size() * sizeof(double)) == 0);

    // A checkpoint of other settings is refused, not silently resumed.
    opt.fingerprint = "another run";
    auto other = make();
    CHECK_THROWS_WITH_AS(run_training(*other, train, &test, opt), doctest::Contains("other settings"), CheckpointError);
  }
  std::filesystem::remove(ckpt);
  std::filesystem::remove(previous_checkpoint(ckpt));
}

TEST_CASE("progress after a resume: the rate and the time left come from this session's steps, to its stop") {
  const Instance p = make_instance(40, 20, 6, 11, 0.01 / (6 * 20));
  const Dataset<double> train = make_dataset<double>(Tensor<double>(p.X), Tensor<double>(p.y), "test");
  const std::string ckpt =
      (std::filesystem::temp_directory_path() / ("rfa_test_progress_" + std::to_string(::getpid()))).string();
  RunOptions opt;
  opt.schedule = {0, 4000};
  opt.fingerprint = "progress";
  opt.checkpoint = ckpt;
  opt.stop_at = 3000;
  opt.progress_seconds = 1e-9;  // every step
  std::vector<Progress> seen;
  opt.on_progress = [&](const Progress& pr) { seen.push_back(pr); };
  PlainDescent<double> first(GradSource::closed, train.X, train.y, p.a, p.W, 0.1);
  CHECK_THROWS_AS(run_training(first, train, nullptr, opt), TrainingInterrupted);
  // a session that stops early counts the time left to its stop, not to the run's end
  REQUIRE(seen.size() > 10);
  for (const Progress& pr : seen) {
    CHECK(pr.stop_at == 3000);
    CHECK(test::close(pr.left * pr.rate, double(3000 - pr.step), 1e-9));
  }
  seen.clear();
  opt.stop_at = 0;
  PlainDescent<double> second(GradSource::closed, train.X, train.y, p.a, p.W, 0.1);
  run_training(second, train, nullptr, opt);
  REQUIRE(seen.size() > 10);
  for (const Progress& pr : seen) {
    CHECK(pr.step > 3000);
    CHECK(pr.total == 4000);
    // steps per second over this session's steps only (3000 were taken by the session before)
    CHECK(test::close(pr.rate * pr.elapsed, double(pr.step - 3000), 1e-9));
    CHECK(test::close(pr.left * pr.rate, double(4000 - pr.step), 1e-9));
    CHECK(pr.stop_at == 0);
  }
  std::filesystem::remove(ckpt);
  std::filesystem::remove(previous_checkpoint(ckpt));
}

TEST_CASE("a run that ends at an event: it stops at the first evaluation that meets it, and a resume ends at once") {
  const Instance p = make_instance(40, 20, 6, 12, 0.01 / (6 * 20));
  const Dataset<double> train = make_dataset<double>(Tensor<double>(p.X), Tensor<double>(p.y), "test");
  const std::string ckpt =
      (std::filesystem::temp_directory_path() / ("rfa_test_finished_" + std::to_string(::getpid()))).string();
  RunOptions opt;
  opt.schedule = eval_schedule(500, 10, 10);
  opt.fingerprint = "finished";
  opt.checkpoint = ckpt;
  int calls = 0;
  opt.finished = [&](const std::vector<Metrics>& rows) {
    ++calls;
    return rows.back().step >= 37;
  };
  PlainDescent<double> first(GradSource::closed, train.X, train.y, p.a, p.W, 0.1);
  const std::vector<Metrics> rows = run_training(first, train, nullptr, opt);
  REQUIRE(!rows.empty());
  const std::size_t end = rows.back().step;
  CHECK(end >= 37);
  CHECK(rows[rows.size() - 2].step < 37);  // the first evaluation step past 37, not a later one
  CHECK(calls == int(rows.size()));
  CHECK(parse_checkpoint(read_file(ckpt), ckpt).step == end);
  // Resumed: the loaded metrics meet the event, so no step is taken and the same rows come back.
  calls = 0;
  PlainDescent<double> second(GradSource::closed, train.X, train.y, p.a, p.W, 0.1);
  const std::vector<Metrics> again = run_training(second, train, nullptr, opt);
  CHECK(calls == 1);
  CHECK(again.size() == rows.size());
  CHECK(std::memcmp(second.weights().data(), first.weights().data(), first.weights().size() * sizeof(double)) == 0);
  std::filesystem::remove(ckpt);
  std::filesystem::remove(previous_checkpoint(ckpt));
}

TEST_CASE("both layers: grad_a L from the tape = the closed form's to 1e-12, and both pass the gradient checker") {
  for (std::uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    const Instance p = make_instance(90, 12, 8, seed);
    Tape<double> tape;
    const TapeNetwork<double> net = record_network_loss(tape, p.X, p.y, p.W, p.a, true);
    tape.backward(net.loss);
    Tensor<double> dW, da;
    ClosedFormWork<double> work;
    closed_form_gradient(dW, p.X, p.y, p.W, p.a, work, &da);
    CHECK(max_abs(da) > 1e-4);
    CHECK(relative_difference(tape.grad(net.a), da) < 1e-12);
    CHECK(relative_difference(tape.grad(net.W), dW) < 1e-12);
    // grad_a L = relu(Z)^T u by hand, as a third check of the closed form's sum over parts
    Tensor<double> f, scratch, want(8);
    network_outputs(f, p.X, p.W, p.a, scratch);
    want.fill(0);
    for (std::size_t i = 0; i < 90; ++i) {
      const double u = logistic_term(f[i], p.y[i]).dloss_df / 90.0;
      for (std::size_t j = 0; j < 8; ++j) {
        double z = 0;
        for (std::size_t k = 0; k < 12; ++k) z += p.W(j, k) * p.X(i, k);
        want[j] += u * std::max(z, 0.0);
      }
    }
    CHECK(relative_difference(da, want) < 1e-12);
  }
  const Instance p = make_instance(25, 6, 7, 4);
  const Comparison c = gradcheck(
      "network loss in W and a",
      [&](Tape<double>& t, const std::vector<Var<double>>& v) {
        auto Z = matmul(t.constant(p.X), v[0], Trans::N, Trans::T);
        return logistic_loss(t.constant(p.y) * matvec(relu(Z), v[1]));
      },
      {p.W, p.a});
  INFO(c.report());
  CHECK(c.ok());
}

TEST_CASE("both layers trained: the tape and the closed form take the same steps, a moves, and only plain does it") {
  const Instance p = make_instance(600, 30, 12, 7, 0.01 / (12 * 30));  // several blocks of rows
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    set_threads(threads);
    PlainDescent<double> tape(GradSource::tape, p.X, p.y, p.a, p.W, 0.1, true);
    PlainDescent<double> closed(GradSource::closed, p.X, p.y, p.a, p.W, 0.1, true);
    for (int t = 0; t < 60; ++t) CHECK(test::close(tape.step(), closed.step(), 1e-12));
    CHECK(relative_difference(tape.weights(), closed.weights()) < 1e-10);
    CHECK(relative_difference(tape.second_layer(), closed.second_layer()) < 1e-10);
    CHECK(relative_difference(closed.second_layer(), p.a) > 1e-3);  // a did move
  }
  set_threads(1);
  CHECK_THROWS_WITH_AS(make_trainer<double>(Method::rowspace, GradSource::closed, p.X, p.y, p.a, p.W, 0.1, true),
                       doctest::Contains("works with the plain step only"), InputError);
  CHECK(make_trainer<double>(Method::automatic, GradSource::closed, p.X, p.y, p.a, p.W, 0.1, true)->name() ==
        "gd-closed-both");
}
