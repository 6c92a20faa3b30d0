#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "network.hpp"
#include "logistic.hpp"

namespace rfa {

template <typename T>
double accuracy(const Tensor<T>& f, const Tensor<T>& labels, const std::vector<std::uint8_t>* mask,
                std::uint8_t want) {
  std::size_t right = 0, total = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (mask && (*mask)[i] != want) continue;
    ++total;
    const T pred = f[i] > T(0) ? T(1) : T(-1);
    right += pred == labels[i];
  }
  return total ? double(right) / double(total) : NAN;
}

template <typename T>
Metrics evaluate(std::size_t step, Trainer<T>& trainer, const Dataset<T>& train, const Dataset<T>* test,
                 EvalWork<T>& work) {
  Metrics m;
  m.step = step;
  trainer.train_outputs(work.f_train);
  m.loss = logistic_head(work.f_train.data(), train.y.data(), train.size());
  m.train_acc = accuracy(work.f_train, train.y);
  if (train.clean_known) {
    m.train_clean_acc = accuracy(work.f_train, train.y, &train.flipped, 0);
    m.train_flipped_acc = accuracy(work.f_train, train.y, &train.flipped, 1);
  }
  if (test) {
    trainer.outputs(*test, work.f_test);
    m.test_acc = accuracy(work.f_test, test->y);
    if (test->clean_known) m.test_clean_acc = accuracy(work.f_test, test->y_clean);
  }
  m.w_norm = trainer.weight_norm();
  return m;
}

std::vector<std::size_t> eval_schedule(std::size_t steps, std::size_t dense, std::size_t per_decade) {
  std::vector<std::size_t> s;
  for (std::size_t t = 0; t <= std::min(steps, dense); ++t) s.push_back(t);
  if (steps > dense && per_decade > 0) {
    // In double until the point is known to lie below `steps`: near the top of the range a rounded power of ten
    // does not fit an integer (llround would overflow and the loop would never reach `steps`).
    for (double k = std::log10(double(dense)) * per_decade;; k += 1) {
      const double v = std::round(std::pow(10.0, k / double(per_decade)));
      if (v >= double(steps)) break;
      const auto t = static_cast<std::size_t>(v);
      if (t >= steps) break;
      if (t > s.back()) s.push_back(t);
    }
  }
  if (s.back() != steps) s.push_back(steps);
  return s;
}

std::vector<std::size_t> flow_schedule(std::size_t steps, double alpha, double schedule_alpha, std::size_t dense,
                                       std::size_t per_decade) {
  if (schedule_alpha == alpha) return eval_schedule(steps, dense, per_decade);
  // The reference run's steps s reach flow time schedule_alpha * s; this run reaches it at step s * ratio.
  const double ratio = schedule_alpha / alpha;
  const double reference = std::round(double(steps) / ratio);
  const std::vector<std::size_t> ref =
      eval_schedule(reference >= 0x1p64 ? std::numeric_limits<std::size_t>::max() : std::size_t(reference), dense,
                    per_decade);
  std::vector<std::size_t> s;
  for (std::size_t r : ref) {
    const double v = std::round(double(r) * ratio);
    const std::size_t t = v >= double(steps) ? steps : static_cast<std::size_t>(v);
    if (s.empty() || t > s.back()) s.push_back(t);
  }
  if (s.back() != steps) s.push_back(steps);
  return s;
}

std::string metrics_csv_header() {
  return "step,loss,train_acc,train_clean_acc,train_flipped_acc,test_acc,test_clean_acc,w_norm";
}

std::string metrics_csv_row(const Metrics& m) {
  return fmt::format("{},{},{},{},{},{},{},{}", m.step, m.loss, m.train_acc, m.train_clean_acc, m.train_flipped_acc,
                     m.test_acc, m.test_clean_acc, m.w_norm);
}

#define RFA_INSTANTIATE(T)                                                                                      \
  template double accuracy(const Tensor<T>&, const Tensor<T>&, const std::vector<std::uint8_t>*, std::uint8_t); \
  template Metrics evaluate(std::size_t, Trainer<T>&, const Dataset<T>&, const Dataset<T>*, EvalWork<T>&);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
