// Full-batch gradient descent on the paper's network, W <- W - alpha grad L(W), with a constant step.
//
// Sizes: N training samples, D input dimension, M neurons. A Trainer is one way of holding W and taking that step:
// plain (W itself; plain.hpp), row space (W = W_0 + C X; rowspace.hpp), row space with the step's product shared
// among neurons of one activation pattern (rowspace_shared_step.hpp), the plain step with its backward product shared
// the same way (plain_shared_backward.hpp), or the linear baseline (linear.hpp). Each says how to take a step,
// how to get the outputs on the training set and on another set, W and its norm, and its checkpoint state; the one
// loop that runs any of them, with evaluations, progress and checkpoints, is run_training (run.hpp). The factory
// that picks one is in methods.hpp.
#pragma once

#include <string>

#include "dataset.hpp"
#include "tensor.hpp"

namespace rfa {

struct Checkpoint;

// Where the gradient comes from: the tape, or the paper's closed form written by hand (the same trajectory).
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
  // ||W_t||_F (representations of W that do not hold it compute this without forming it).
  virtual double weight_norm();
  // f(x_i; W_t) (N) on the training points.
  virtual void train_outputs(Tensor<T>& f);
  // f(x; W_t) (Q) on the rows of another data set (Q, D).
  virtual void outputs(const Dataset<T>& data, Tensor<T>& f);
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
  Tensor<T> work_;      // scratch for the outputs
};

}  // namespace rfa
