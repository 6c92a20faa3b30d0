// An enum's values and their names in one table, read both ways: name_of for output, value_of for parsing (a
// flag, an environment variable), which refuses anything else with a message that lists the allowed names.
//   constexpr Names<Noise, 2> NOISE = {{{Noise::gaussian, "gaussian"}, {Noise::laplace, "laplace"}}};
//   value_of(NOISE, "laplace", "noise law")  -> Noise::laplace
//   value_of(NOISE, "cauchy", "noise law")   -> throws InputError("noise law must be gaussian or laplace, got 'cauchy'")
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "errors.hpp"

namespace rfa {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, const char*>, N>;

template <typename E, std::size_t N>
const char* name_of(const Names<E, N>& names, E value) {
  for (const auto& [e, name] : names)
    if (e == value) return name;
  return "?";
}

// The value named `text`; otherwise throws Error("<what> must be a, b or c, got '<text>'").
template <typename Error = InputError, typename E, std::size_t N>
E value_of(const Names<E, N>& names, const std::string& text, const std::string& what) {
  std::string allowed;
  for (std::size_t k = 0; k < N; ++k) {
    if (text == names[k].second) return names[k].first;
    allowed += (k == 0 ? "" : k + 1 == N ? " or " : ", ") + std::string(names[k].second);
  }
  throw Error(what + " must be " + allowed + ", got '" + text + "'");
}

}  // namespace rfa
