// The ordinary gradient-descent step on W itself: the gradient (M, D) from the tape or from the closed form, then
// W -= alpha grad; with train_second_layer, a (M) is a parameter too and takes its step a -= alpha grad_a L at the
// same time (the paper keeps it fixed). Both process the rows in blocks (blocks.hpp); the tape records and differentiates one block at a
// time, accumulating into the gradient (tape_model.hpp).
#pragma once

#include <deque>

#include "blocks.hpp"
#include "closed_form.hpp"
#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

template <typename T>
class PlainDescent final : public Trainer<T> {
 public:
  PlainDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha,
               bool train_second_layer = false);
  double step() override;
  const Tensor<T>& weights() override { return W_; }
  void save(Checkpoint& c) override;  // "W", and "a" when it is trained
  void load(const Checkpoint& c) override;
  std::string name() const override { return std::string("gd-") + to_string(source_) + (train_a_ ? "-both" : ""); }
  const Tensor<T>& second_layer() const { return this->a_; }

 private:
  GradSource source_;
  Tensor<T> W_;
  T alpha_;
  bool train_a_;
  Tensor<T> da_;                           // grad_a L (M), when a is trained
  std::vector<Tensor<T>> da_parts_;        // the tape path: each worker's share of it
  std::vector<char> da_used_;
  std::deque<Tape<T>> tapes_;  // the tape path: one recording per worker, reused every block of every step
  std::vector<Tensor<T>> X_blocks_, y_blocks_;  // views of the training rows, block by block
  Tensor<T> dW_;               // the gradient (M, D)
  BlockSum<T> sum_;            // the tape path: the blocks' gradients, summed
  bool parallel_ = false;      // blocks on different workers (small D) or in turn (blocks.hpp)
  ClosedFormWork<T> work_cf_;
};

}  // namespace rfa
