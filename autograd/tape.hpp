// The tape: reverse-mode automatic differentiation as an append-only record of operations.
//
// Recording: every op appends one node (its output value, its inputs, and a pointer to its backward function)
// in the order the ops run. That order is already a valid order for the backward pass, so backward() is a
// single loop over the nodes in reverse: no graph object, no topological sort, no recursion.
//
// Gradients: every backward function ACCUMULATES (+=) into its inputs' gradients, so a value used twice
// (x*x, a+a, a diamond) gets both contributions. Gradient buffers are zero-filled lazily, the first time a
// backward function touches them in a pass, so the buffer is still in cache when it is used.
//
// Gradients over values: an op whose backward reads an input entry by entry, and writes that entry's gradient
// right after, may ask for the gradient to be written over the input's value when nothing else will read that
// value (input_grad_over_value): an op's output with this op as its only consumer, whose own backward does not
// read it (declared with OutputUse::not_read). relu_matvec does this with the (R, C) output of matmul, which
// saves an (R, C) buffer and a pass over memory. Reading such a value after backward() throws.
//
// Leaves: param() marks a tensor whose gradient is wanted; constant() one whose gradient is not. No gradient
// storage and no backward work is spent on anything that depends only on constants. Leaves refer to the
// caller's tensor (no copy): keep it alive and unchanged until the recording is cleared.
//
// Reuse: clear() forgets the recording but keeps every node's storage. Recording the same computation again
// reuses it, so a training loop that clears and re-records each step allocates nothing after the first step.
//
//   Tape<double> tape;
//   for (int step = 0; step < steps; ++step) {
//     tape.clear();
//     auto w = tape.param(W);
//     auto loss = logistic_loss(mul(tape.constant(y), matvec(tape.constant(X), w)));
//     tape.backward(loss);
//     W -= alpha * tape.grad(w);   // (in a loop over elements)
//   }
#pragma once

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <deque>

#include "tensor.hpp"

namespace rfa {

// Misuse of the tape (a second backward, a stale or foreign Var, a missing seed): a logic error in the caller.
struct TapeError : std::logic_error {
  using std::logic_error::logic_error;
};

template <typename T>
class Tape;
template <typename T>
struct Backward;

// A handle to one value on a tape. Cheap to copy; valid until the tape is cleared.
template <typename T>
struct Var {
  Tape<T>* tape = nullptr;
  int id = -1;
  unsigned generation = 0;  // which recording of the tape this Var belongs to

  const Tensor<T>& value() const;
  const Shape& shape() const;
  // Whether an op's backward reads the op's own output (exp, sigmoid, relu do; matmul does not). Only an output
  // that is not_read may have its gradient written over it (see "Gradients over values" above).
  enum class OutputUse { read, not_read };
  // Installs this op's backward function; ops call it right below their forward code. A captureless lambda
  // converts to the function pointer, so recording stores no closure and allocates nothing.
  void on_backward(void (*fn)(Backward<T>&), OutputUse use = OutputUse::read) const;
};

template <typename T>
class Tape {
 public:
  // A leaf whose gradient backward() computes. `value` is referenced, not copied.
  Var<T> param(const Tensor<T>& value);
  // A leaf whose gradient backward() ADDS to the caller's `grad` (same shape as `value`), which the tape never
  // zeroes: gradients accumulate across recordings. This is how a loss that is a sum over blocks of samples is
  // differentiated one block at a time, with each block's intermediates still in cache (see models/tape_model).
  // With Sink::overwrite, `grad` may hold garbage and this recording's gradient replaces it (as if it were
  // zeroed first, without the pass that zeroes it): for the first of the blocks.
  enum class Sink { add, overwrite };
  Var<T> param(const Tensor<T>& value, Tensor<T>& grad, Sink mode = Sink::add);
  // A leaf that gets no gradient. `value` is referenced, not copied.
  Var<T> constant(const Tensor<T>& value);

  // Appends an op's output node of the given shape (storage reused from an earlier recording when it fits)
  // and returns it with its writable value. For op implementations; see ops.hpp.
  Var<T> record(const char* op, Shape shape, std::initializer_list<Var<T>> inputs, T scalar = 0, int flags = 0);
  Tensor<T>& output(Var<T> v);

  // Runs the backward pass from a scalar (length-1) output, seeded with d out / d out = 1.
  void backward(Var<T> out);
  // Runs the backward pass from an output of any shape, seeded with `seed` (same shape as the output):
  // afterwards grad(p) holds the vector-Jacobian product seed^T J_p.
  void backward(Var<T> out, const Tensor<T>& seed);

  // The gradient of a parameter (or of any node that depends on one) after backward().
  const Tensor<T>& grad(Var<T> v) const;

  // Forgets the recording; keeps all storage for the next one. Vars of the old recording become invalid.
  void clear();

  // Nodes in the current recording.
  std::size_t size() const { return count_; }
  // Bytes of value and gradient storage the tape owns (grows only while recordings get bigger).
  std::size_t storage_bytes() const;

 private:
  friend struct Var<T>;
  friend struct Backward<T>;
  struct Node {
    const char* op = "";
    Tensor<T> own;                      // the value of an op's output
    const Tensor<T>* leaf = nullptr;    // the caller's tensor, for param() and constant()
    Tensor<T> grad;                     // d(output of backward) / d(this), only when needs_grad
    Tensor<T>* grad_sink = nullptr;     // the caller's gradient buffer, for param(value, grad)
    void (*backward)(Backward<T>&) = nullptr;
    int in[3] = {-1, -1, -1};
    T scalar = 0;                       // an op's constant (the factor of scale, ...)
    int flags = 0;                      // an op's options (transpose flags of matmul, ...)
    int uses = 0;                       // how many recorded ops take this node as an input
    bool needs_grad = false;            // a param, or depends on one
    bool grad_live = false;             // grad holds this pass's values (zero-filled on first touch)
    bool output_read = true;            // its backward reads `own` (OutputUse::read)
    bool grad_in_value = false;         // its gradient was written over `own` (input_grad_over_value)
    const Tensor<T>& value() const { return leaf ? *leaf : own; }
    Tensor<T>& gradient() { return grad_sink ? *grad_sink : grad_in_value ? own : grad; }
    const Tensor<T>& gradient() const { return grad_sink ? *grad_sink : grad_in_value ? own : grad; }
  };

  Var<T> leaf(const char* op, const Tensor<T>& value, bool needs_grad);
  Node& next_node();
  const Node& node(Var<T> v, const char* what) const;
  Node& node(Var<T> v, const char* what);
  Tensor<T>& live_grad(Node& n);
  Tensor<T>& grad_buffer(Node& n, bool& fresh);
  Tensor<T>& grad_over_value(Node& n, bool& fresh);
  void run_backward(Var<T> out, const Tensor<T>* seed);  // seed null: a scalar output seeded with 1

  // A deque, because appending must not move earlier nodes: an op holds references to its inputs' values
  // while it records its own node. Never shrinks: nodes past count_ keep their storage for the next recording.
  std::deque<Node> nodes_;
  std::size_t count_ = 0;
  unsigned generation_ = 1;
  bool backward_done_ = false;
};

// What a backward function sees: the output's value and gradient, the inputs' values, and a way to reach
// an input's gradient to accumulate into (only for inputs that want one).
template <typename T>
struct Backward {
  Tape<T>& tape;
  typename Tape<T>::Node& node;

  const Tensor<T>& value() const { return node.own; }
  const Tensor<T>& grad() const { return node.gradient(); }
  const Tensor<T>& input(int k) const { return tape.nodes_[node.in[k]].value(); }
  bool wants(int k) const { return node.in[k] >= 0 && tape.nodes_[node.in[k]].needs_grad; }
  // The gradient buffer of input k, zero-filled the first time it is touched in this pass. Accumulate into it.
  Tensor<T>& input_grad(int k) { return tape.live_grad(tape.nodes_[node.in[k]]); }
  // The same buffer without the zero fill, for ops that produce their whole contribution in one pass: when
  // `fresh` is true the buffer holds garbage and the op must WRITE every entry (which equals accumulating into
  // zeros); otherwise it must add. Saves a pass over large gradients (matmul passes beta = 0 to the BLAS).
  Tensor<T>& input_grad_unzeroed(int k, bool& fresh) { return tape.grad_buffer(tape.nodes_[node.in[k]], fresh); }
  // Like input_grad_unzeroed, but when nothing else reads input k's value (see "Gradients over values" above) the
  // buffer IS that value, and `fresh` is true. The op must read each entry of input(k) before it writes the same
  // entry of the gradient, and nothing after.
  Tensor<T>& input_grad_over_value(int k, bool& fresh) { return tape.grad_over_value(tape.nodes_[node.in[k]], fresh); }
  T scalar() const { return node.scalar; }
  int flags() const { return node.flags; }
};

template <typename T>
const Shape& Var<T>::shape() const {
  if (!tape) throw TapeError("Var: used before being recorded on a tape");
  return tape->node(*this, "shape").value().shape();
}

template <typename T>
void Var<T>::on_backward(void (*fn)(Backward<T>&), OutputUse use) const {
  auto& n = tape->node(*this, "on_backward");
  n.backward = fn;
  n.output_read = use == OutputUse::read;
}

extern template class Tape<float>;
extern template class Tape<double>;

}  // namespace rfa
