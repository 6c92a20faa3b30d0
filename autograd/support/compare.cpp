#include "compare.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace rfa {

Comparison compare(std::string label, const double* got, const double* want, std::size_t n, Tolerance tol,
                   const std::function<std::string(std::size_t)>& where) {
  Comparison c;
  c.label = std::move(label);
  c.count = n;
  for (std::size_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    const double abs_err = std::abs(g - w);
    const double scale = std::max(std::abs(g), std::abs(w));
    const double rel_err = scale > 0 ? abs_err / scale : 0.0;
    // NaN compares false everywhere, so a non-finite entry must be caught explicitly or it would pass.
    const bool bad = !std::isfinite(g) || !std::isfinite(w) || abs_err > tol.atol + tol.rtol * std::abs(w);
    if (std::isfinite(abs_err)) {
      c.max_abs = std::max(c.max_abs, abs_err);
      c.max_rel = std::max(c.max_rel, rel_err);
    } else {
      c.max_abs = c.max_rel = INFINITY;
    }
    if (bad) {
      if (c.first.size() < 5) c.first.push_back({i, g, w, where ? where(i) : fmt::format("[{}]", i)});
      ++c.mismatches;
    }
  }
  return c;
}

std::string Comparison::report() const {
  std::string out;
  if (mismatches > 0) {
    out += fmt::format("{}: {} of {} entries outside tolerance; first {} (got, want):\n", label, mismatches, count,
                       first.size());
    for (const Mismatch& m : first) out += fmt::format("  {}: {:.10g}, {:.10g}\n", m.where, m.got, m.want);
  }
  out += fmt::format("{}: {} entries, max abs err {:.3e}, max rel err {:.3e}: {}", label, count, max_abs, max_rel,
                     ok() ? "OK" : "NOT OK");
  return out;
}

}  // namespace rfa
