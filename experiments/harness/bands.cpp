#include "bands.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace rfa::cli {

Panel aggregate(const std::string& key, const RunSpec& spec, const std::vector<std::vector<Metrics>>& runs) {
  Panel p{key, spec, runs.size(), {}, {}};
  for (std::size_t e = 0; e < runs[0].size(); ++e) {
    Band b;
    for (const auto& r : runs) {
      const Metrics& m = r[e];
      const double k = double(runs.size());
      b.train_mean += m.train_acc / k, b.test_mean += m.test_acc / k;
      b.clean_mean += m.test_clean_acc / k, b.loss_mean += m.loss / k, b.flipped_mean += m.train_flipped_acc / k;
      b.train_min = std::min(b.train_min, m.train_acc), b.train_max = std::max(b.train_max, m.train_acc);
      b.test_min = std::min(b.test_min, m.test_acc), b.test_max = std::max(b.test_max, m.test_acc);
    }
    p.steps.push_back(runs[0][e].step);
    p.bands.push_back(b);
  }
  return p;
}

Panel aggregate_reached(const std::string& key, RunSpec spec, std::vector<std::vector<Metrics>>& runs) {
  std::size_t common = runs[0].size();
  for (const auto& r : runs) common = std::min(common, r.size());
  for (auto& r : runs) r.resize(common);
  spec.steps = runs[0].back().step;
  return aggregate(key, spec, runs);
}

Panel in_paper_steps(Panel p, double paper_alpha) {
  if (p.spec.alpha == paper_alpha) return p;
  const double ratio = p.spec.alpha / paper_alpha;
  for (std::size_t& t : p.steps) t = static_cast<std::size_t>(std::round(double(t) * ratio));
  p.spec.steps = static_cast<std::size_t>(std::round(double(p.spec.steps) * ratio));
  return p;
}

std::string bands_csv(const Panel& p) {
  std::string csv = "step,train_mean,train_min,train_max,test_mean,test_min,test_max,test_clean_mean,loss_mean,"
                    "train_flipped_mean,flow_time\n";
  for (std::size_t e = 0; e < p.steps.size(); ++e) {
    const Band& b = p.bands[e];
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", p.steps[e], b.train_mean, b.train_min, b.train_max,
                       b.test_mean, b.test_min, b.test_max, b.clean_mean, b.loss_mean, b.flipped_mean,
                       flow_text(p.spec.alpha, p.steps[e]));
  }
  return csv;
}

std::size_t jump_step(const Panel& p) { return first_step(p, LEARNED, [](const Band& b) { return b.clean_mean; }); }

std::size_t first_flipped_fit(const std::vector<Metrics>& rows) {
  bool jumped = false, none_fitted = false;
  for (const Metrics& m : rows) {
    jumped = jumped || m.test_clean_acc >= LEARNED;
    if (!jumped) continue;
    if (m.train_flipped_acc == 0) none_fitted = true;
    else if (none_fitted && m.train_flipped_acc > 0) return m.step;
  }
  return NEVER;
}

PowerLaw power_law(const std::vector<std::pair<double, double>>& xy) {
  PowerLaw law;
  law.used = xy.size();
  if (xy.size() < 2) return law;
  double mx = 0, my = 0;
  for (auto [x, y] : xy) mx += std::log(x), my += std::log(y);
  mx /= double(xy.size()), my /= double(xy.size());
  double sxx = 0, sxy = 0, syy = 0;
  for (auto [x, y] : xy) {
    const double dx = std::log(x) - mx, dy = std::log(y) - my;
    sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
  }
  if (sxx == 0) return law;
  law.k = sxy / sxx;
  law.c = std::exp(my - law.k * mx);
  law.r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1.0;
  return law;
}

const Band& at(const Panel& p, std::size_t step) {
  std::size_t k = 0;
  while (k + 1 < p.steps.size() && p.steps[k + 1] <= step) ++k;
  return p.bands[k];
}

}  // namespace rfa::cli
