// Checks shared by the op implementations (ops_*.cpp); not part of the public interface.
#pragma once

#include <fmt/format.h>

#include "tape.hpp"

namespace rfa::detail {

// The tape both operands live on; an op cannot join two tapes.
template <typename T>
Tape<T>& tape_of(const char* op, Var<T> a, Var<T> b) {
  if (!a.tape || a.tape != b.tape) throw TapeError(fmt::format("{}: operands are on different tapes", op));
  return *a.tape;
}

template <typename T>
Tape<T>& tape_of(const char* op, Var<T> a) {
  if (!a.tape) throw TapeError(fmt::format("{}: operand was never recorded on a tape", op));
  return *a.tape;
}

template <typename T>
void check_same_shape(const char* op, Var<T> a, Var<T> b) {
  if (a.shape() != b.shape())
    throw ShapeError(fmt::format("{}: shapes differ: {} and {}", op, to_string(a.shape()), to_string(b.shape())));
}

template <typename T>
void check_rank(const char* op, const char* what, Var<T> a, int rank) {
  if (a.shape().rank != rank)
    throw ShapeError(fmt::format("{}: {} must have rank {}, got shape {}", op, what, rank, to_string(a.shape())));
}

}  // namespace rfa::detail
