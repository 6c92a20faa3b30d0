#include "tape_model.hpp"

namespace rfa {

template <typename T>
TapeNetwork<T> record_network_loss(Tape<T>& tape, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                                   const Tensor<T>& a, bool a_is_param) {
  TapeNetwork<T> net;
  net.W = tape.param(W);
  net.a = a_is_param ? tape.param(a) : tape.constant(a);
  // Z (N,M) = X (N,D) W^T (D,M);  f (N) = relu(Z) a (M)
  Var<T> Z = matmul(tape.constant(X), net.W, Trans::N, Trans::T);
  net.f = matvec(relu(Z), net.a);
  net.loss = logistic_loss(tape.constant(y) * net.f);
  return net;
}

template <typename T>
TapeNetwork<T> record_block_loss(Tape<T>& tape, const Tensor<T>& Xb, const Tensor<T>& yb, const Tensor<T>& W,
                                 Tensor<T>& dW, const Tensor<T>& a, T weight, typename Tape<T>::Sink mode,
                                 Tensor<T>* da) {
  TapeNetwork<T> net;
  net.W = tape.param(W, dW, mode);
  net.a = da ? tape.param(a, *da, mode) : tape.constant(a);
  // Z_b (B,M) = X_b (B,D) W^T (D,M);  f_b (B) = relu(Z_b) a (M)
  Var<T> Z = matmul(tape.constant(Xb), net.W, Trans::N, Trans::T);
  net.f = relu_matvec(Z, net.a);
  net.loss = scale(logistic_loss(tape.constant(yb) * net.f), weight);
  return net;
}

template TapeNetwork<float> record_block_loss(Tape<float>&, const Tensor<float>&, const Tensor<float>&,
    const Tensor<float>&, Tensor<float>&, const Tensor<float>&, float, Tape<float>::Sink, Tensor<float>*);
template TapeNetwork<double> record_block_loss(Tape<double>&, const Tensor<double>&, const Tensor<double>&,
    const Tensor<double>&, Tensor<double>&, const Tensor<double>&, double, Tape<double>::Sink, Tensor<double>*);
template TapeNetwork<float> record_network_loss(Tape<float>&, const Tensor<float>&, const Tensor<float>&,
    const Tensor<float>&, const Tensor<float>&, bool);
template TapeNetwork<double> record_network_loss(Tape<double>&, const Tensor<double>&, const Tensor<double>&,
    const Tensor<double>&, const Tensor<double>&, bool);

}  // namespace rfa
