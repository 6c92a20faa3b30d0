// Full-batch gradient descent on the paper's network, W <- W - alpha grad L(W), with a constant step.
//
// Sizes: N training samples, D input dimension, M neurons.
// A Trainer owns the evolving state and exposes what the metrics and checkpoints need. GradientDescent is the
// ordinary step, with its gradient from the tape or from the closed form; both follow the same trajectory.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "blocks.hpp"
#include "closed_form.hpp"
#include "tape.hpp"
#include "tensor.hpp"

namespace rfa {

struct Checkpoint;

enum class GradSource { tape, closed };
GradSource parse_grad_source(const std::string& s);  // "tape" | "closed"
const char* to_string(GradSource g);

template <typename T>
class Trainer {
 public:
  virtual ~Trainer() = default;
  // One gradient step; returns L(W) at the weights before the step.
  virtual double step() = 0;
  // The current first-layer weights W_t (M, D).
  virtual const Tensor<T>& weights() = 0;
  // f(x_i; W_t) (N) on the training points.
  virtual void train_outputs(Tensor<T>& f);
  // f(x; W_t) (K) for the rows of X (K, D).
  virtual void outputs(const Tensor<T>& X, Tensor<T>& f);
  // Everything that determines the future trajectory, as named fields of a checkpoint (checkpoint.hpp); load()
  // puts it back, so that the next steps are exactly those an uninterrupted trainer takes.
  virtual void save(Checkpoint& c) = 0;
  virtual void load(const Checkpoint& c) = 0;
  virtual std::string name() const = 0;

 protected:
  Trainer(const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a) : X_(X), y_(y), a_(std::move(a)) {}
  const Tensor<T>& X_;  // (N, D), referenced (it can be large): the caller keeps it alive as long as the trainer
  const Tensor<T>& y_;  // (N), referenced likewise
  Tensor<T> a_;         // (M), a copy
  Tensor<T> work_;      // scratch for outputs()
};

// The ordinary step: gradient (M, D) from the tape or the closed form, then W -= alpha * grad. Both process the
// rows in blocks (see blocks.hpp); the tape records and differentiates one block at a time, accumulating into
// the gradient (tape_model.hpp).
template <typename T>
class GradientDescent final : public Trainer<T> {
 public:
  GradientDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha);
  double step() override;
  const Tensor<T>& weights() override { return W_; }
  void save(Checkpoint& c) override;  // "W"
  void load(const Checkpoint& c) override;
  std::string name() const override;

 private:
  GradSource source_;
  Tensor<T> W_;
  T alpha_;
  std::deque<Tape<T>> tapes_;  // the tape path: one recording per worker, reused every block of every step
  std::vector<Tensor<T>> X_blocks_, y_blocks_;  // views of the training rows, block by block
  Tensor<T> dW_;               // the gradient (M, D)
  BlockSum<T> sum_;            // the tape path: the blocks' gradients, summed
  bool parallel_ = false;      // blocks on different workers (small D) or in turn (blocks.hpp)
  ClosedFormWork<T> work_cf_;
};

// How the trainer represents W: `plain` steps W itself; `rowspace` steps the coefficients C of
// W_t = W_0 + C_t X (rowspace.hpp), cheaper when N < 2 D; `patterns` is row space with the step's product shared
// among neurons whose activation patterns agree (patterns.hpp), cheaper still once training has grouped them;
// `auto` picks plain or patterns by counting flops.
enum class Method { automatic, plain, rowspace, patterns };
Method parse_method(const std::string& s);  // "auto" | "plain" | "rowspace" | "patterns"
const char* to_string(Method m);
// The method `auto` resolves to for N rows of dimension D: patterns (row space, shared) when row space's 2 N^2 M
// flops per step are fewer than the plain step's 4 N D M, i.e. when N < 2 D; plain otherwise.
Method resolve_method(Method m, std::size_t N, std::size_t D);

// A trainer for the paper's network with the given method and gradient source.
template <typename T>
std::unique_ptr<Trainer<T>> make_trainer(Method method, GradSource source, const Tensor<T>& X, const Tensor<T>& y,
                                         Tensor<T> a, Tensor<T> W0, T alpha);

}  // namespace rfa
