#include "tape.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace rfa {

template <typename T>
const typename Tape<T>::Node& Tape<T>::node(Var<T> v, const char* what) const {
  if (v.tape != this) throw TapeError(fmt::format("{}: the Var belongs to a different tape", what));
  if (v.generation != generation_ || v.id < 0 || static_cast<std::size_t>(v.id) >= count_)
    throw TapeError(fmt::format("{}: the Var is from a recording that was cleared; record it again", what));
  return nodes_[v.id];
}

template <typename T>
typename Tape<T>::Node& Tape<T>::node(Var<T> v, const char* what) {
  return const_cast<Node&>(static_cast<const Tape&>(*this).node(v, what));
}

template <typename T>
const Tensor<T>& Var<T>::value() const {
  if (!tape) throw TapeError("Var: used before being recorded on a tape");
  const auto& n = tape->node(*this, "value");
  if (n.grad_in_value)
    throw TapeError(fmt::format("value: the output of '{}' was overwritten by its gradient in backward() (nothing "
                                "else read it); read it before backward()", n.op));
  return n.value();
}

template <typename T>
typename Tape<T>::Node& Tape<T>::next_node() {
  if (backward_done_) throw TapeError("Tape: cannot record after backward(); call clear() and record again");
  if (count_ == nodes_.size()) nodes_.emplace_back();
  Node& n = nodes_[count_++];
  // A blank node that keeps the storage of `own` and `grad`, which the new op reuses.
  Node blank;
  blank.own = std::move(n.own);
  blank.grad = std::move(n.grad);
  n = std::move(blank);
  return n;
}

template <typename T>
Var<T> Tape<T>::leaf(const char* op, const Tensor<T>& value, bool needs_grad) {
  Node& n = next_node();
  n.op = op;
  n.leaf = &value;
  n.needs_grad = needs_grad;
  return Var<T>{this, static_cast<int>(count_ - 1), generation_};
}

template <typename T>
Var<T> Tape<T>::param(const Tensor<T>& value) {
  return leaf("param", value, true);
}

template <typename T>
Var<T> Tape<T>::param(const Tensor<T>& value, Tensor<T>& grad, Sink mode) {
  check_shape("param", "gradient buffer", grad.shape(), value.shape());
  Var<T> v = leaf("param", value, true);
  nodes_[v.id].grad_sink = &grad;
  // An added-to sink is live from the start (it holds earlier contributions); an overwritten one is fresh.
  nodes_[v.id].grad_live = mode == Sink::add;
  return v;
}

template <typename T>
Var<T> Tape<T>::constant(const Tensor<T>& value) {
  return leaf("constant", value, false);
}

template <typename T>
Var<T> Tape<T>::record(const char* op, Shape shape, std::initializer_list<Var<T>> inputs, T scalar, int flags) {
  if (inputs.size() > 3) throw TapeError(fmt::format("{}: an op takes at most 3 inputs", op));
  for (const Var<T>& v : inputs) node(v, op);  // each input must be live on this tape
  Node& n = next_node();
  n.op = op;
  n.own.resize(shape);
  n.scalar = scalar;
  n.flags = flags;
  int k = 0;
  for (const Var<T>& v : inputs) {
    n.in[k++] = v.id;
    ++nodes_[v.id].uses;
    n.needs_grad = n.needs_grad || nodes_[v.id].needs_grad;
  }
  return Var<T>{this, static_cast<int>(count_ - 1), generation_};
}

template <typename T>
Tensor<T>& Tape<T>::output(Var<T> v) {
  Node& n = node(v, "output");
  if (n.leaf) throw TapeError("Tape::output: a leaf's value belongs to the caller");
  return n.own;
}

template <typename T>
Tensor<T>& Tape<T>::grad_buffer(Node& n, bool& fresh) {
  Tensor<T>& g = n.gradient();
  fresh = !n.grad_live;
  if (fresh) {
    if (!n.grad_sink) g.resize(n.value().shape());
    n.grad_live = true;
  }
  return g;
}

template <typename T>
Tensor<T>& Tape<T>::grad_over_value(Node& n, bool& fresh) {
  // Nothing else reads the value: not the caller's (a leaf; only leaves have a grad_sink), not another consumer,
  // not the node's own backward. And no gradient has arrived yet (it would have to be added to).
  if (!n.leaf && !n.grad_live && n.uses == 1 && !n.output_read) {
    n.grad_in_value = true;
    n.grad_live = true;
    fresh = true;
    return n.own;
  }
  return grad_buffer(n, fresh);
}

template <typename T>
Tensor<T>& Tape<T>::live_grad(Node& n) {
  bool fresh = false;
  Tensor<T>& g = grad_buffer(n, fresh);
  if (fresh) g.fill(T(0));
  return g;
}

template <typename T>
void Tape<T>::backward(Var<T> out) {
  const Node& n = node(out, "backward");
  if (n.value().size() != 1)
    throw TapeError(fmt::format("backward: output of '{}' has shape {}, not a scalar; pass a seed of that shape",
                                n.op, to_string(n.value().shape())));
  run_backward(out, nullptr);
}

template <typename T>
void Tape<T>::backward(Var<T> out, const Tensor<T>& seed) {
  check_shape("backward", "seed", seed.shape(), node(out, "backward").value().shape());
  run_backward(out, &seed);
}

template <typename T>
void Tape<T>::run_backward(Var<T> out, const Tensor<T>* seed) {
  Node& o = nodes_[out.id];
  if (backward_done_) throw TapeError("backward: already ran on this recording; clear() and record again");
  if (o.grad_sink) throw TapeError("backward: the output is a param with a caller's gradient buffer");
  if (seed) live_grad(o) = *seed;
  else live_grad(o).fill(T(1));  // d out / d out
  backward_done_ = true;
  // Recording order is a topological order, so one reverse loop visits every node after all its consumers.
  for (int i = out.id; i >= 0; --i) {
    Node& n = nodes_[i];
    if (n.backward && n.needs_grad && n.grad_live) {
      Backward<T> b{*this, n};
      n.backward(b);
    }
  }
  // Whatever the output does not depend on (a parameter left out of it, say) has gradient zero.
  for (std::size_t i = 0; i < count_; ++i)
    if (nodes_[i].needs_grad) live_grad(nodes_[i]);
}

template <typename T>
const Tensor<T>& Tape<T>::grad(Var<T> v) const {
  const Node& n = node(v, "grad");
  if (!backward_done_) throw TapeError("grad: call backward() first");
  if (!n.needs_grad)
    throw TapeError(fmt::format("grad: '{}' has no gradient (a constant, or depends on no param)", n.op));
  return n.gradient();
}

template <typename T>
void Tape<T>::clear() {
  count_ = 0;
  ++generation_;
  backward_done_ = false;
}

template <typename T>
std::size_t Tape<T>::storage_bytes() const {
  std::size_t bytes = 0;
  for (const Node& n : nodes_) bytes += (n.own.capacity() + n.grad.capacity()) * sizeof(T);
  return bytes;
}

template struct Var<float>;
template struct Var<double>;
template class Tape<float>;
template class Tape<double>;

}  // namespace rfa
