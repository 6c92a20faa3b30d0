// Which representation of W trains the paper's network (trainer.hpp), and the factory that makes it.
#pragma once

#include <memory>
#include <string>

#include "trainer.hpp"

namespace rfa {

// `plain` steps W itself; `rowspace` steps the coefficients C of W_t = W_0 + C_t X (rowspace.hpp), cheaper when
// N < 2 D; `patterns` is row space with the step's product shared among neurons whose activation patterns agree
// (rowspace_shared_step.hpp), cheaper still once training has grouped them; `plain-patterns` is the plain step with its
// backward product shared the same way (plain_shared_backward.hpp), for N >= 2 D; `auto` picks by counting flops.
enum class Method { automatic, plain, rowspace, patterns, plain_patterns };
Method parse_method(const std::string& s);  // "auto" | "plain" | "rowspace" | "patterns" | "plain-patterns"
const char* to_string(Method m);
// The method `auto` resolves to for N rows of dimension D: patterns (row space, shared) when row space's 2 N^2 M
// flops per step are fewer than the plain step's 4 N D M, i.e. when N < 2 D; otherwise plain-patterns when D >=
// SHARED_BACKWARD_MIN_D, where the backward product is a large part of the step; plain otherwise.
constexpr std::size_t SHARED_BACKWARD_MIN_D = 32;
Method resolve_method(Method m, std::size_t N, std::size_t D);

// A trainer for the paper's network with the given method and gradient source. With train_second_layer, a is
// trained too: only the plain step does that (auto then means plain); the others keep a fixed and refuse it
// (InputError).
template <typename T>
std::unique_ptr<Trainer<T>> make_trainer(Method method, GradSource source, const Tensor<T>& X, const Tensor<T>& y,
                                         Tensor<T> a, Tensor<T> W0, T alpha, bool train_second_layer = false);

}  // namespace rfa
