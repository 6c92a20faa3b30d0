#include "grokking.hpp"

#include <algorithm>
#include <cmath>

#include "atomic_file.hpp"
#include "bands.hpp"
#include "common.hpp"

namespace rfa::cli::grokking {

RunSpec followup_spec(std::size_t p, std::size_t n, std::size_t m, double alpha, std::size_t steps) {
  RunSpec s;
  s.n = n, s.d = p, s.m = m, s.n_test = 200, s.steps = steps;
  s.sigma2 = 1, s.mean_norm = 2.5 * std::sqrt(double(p) / double(n)), s.eta = 0.05, s.flip = FlipMode::prob;
  s.omega2 = 1e-30, s.alpha = alpha, s.random_signs = true, s.random_means = true;
  s.dense = 100, s.per_decade = 50;
  return s;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double at = q * double(v.size() - 1);
  const std::size_t lo = std::size_t(at);
  return lo + 1 < v.size() ? v[lo] + (at - double(lo)) * (v[lo + 1] - v[lo]) : v[lo];
}

Curve curve(const std::vector<Outcome>& outs, std::size_t step_size) {
  Curve c;
  std::vector<const Outcome*> runs;
  for (const Outcome& o : outs)
    if (o.c.step_size == step_size && o.c.dtype == "f64") runs.push_back(&o);
  for (std::size_t k = 0; k < runs[0]->rows.size(); ++k) {
    std::vector<double> train, test;
    for (const Outcome* r : runs) train.push_back(r->rows[k].train_acc), test.push_back(r->rows[k].test_clean_acc);
    c.steps.push_back(runs[0]->rows[k].step);
    c.q.push_back({quantile(train, 0.2), quantile(train, 0.5), quantile(train, 0.8), quantile(test, 0.2),
                   quantile(test, 0.5), quantile(test, 0.8)});
  }
  return c;
}

std::size_t first(const Curve& c, std::size_t column, double level) {
  for (std::size_t k = 0; k < c.steps.size(); ++k)
    if (c.q[k][column] >= level) return c.steps[k];
  return NEVER;
}

std::vector<double> pooled(const std::vector<Outcome>& outs, std::size_t step_size, std::size_t s, std::size_t which) {
  std::vector<double> v;
  for (const Outcome& o : outs) {
    if (o.c.step_size != step_size || o.c.dtype != "f64") continue;
    const std::size_t m = o.a.size();
    for (std::size_t j = 0; j < m; ++j)
      if (o.a[j] > 0) v.push_back(o.proj[(s * 2 + which) * m + j]);
  }
  return v;
}

double split_ratio(const std::vector<Outcome>& outs, std::size_t step_size, std::size_t s) {
  auto abs_median = [](std::vector<double> v) {
    for (double& x : v) x = std::abs(x);
    return quantile(v, 0.5);
  };
  return abs_median(pooled(outs, step_size, s, 0)) / abs_median(pooled(outs, step_size, s, 1));
}

void write_tables(const std::string& out, const std::vector<Outcome>& outs) {
  std::string csv = "alpha,step,train_p20,train_median,train_p80,test_p20,test_median,test_p80\n";
  for (std::size_t k = 0; k < STEP_SIZES.size(); ++k) {
    const Curve c = curve(outs, k);
    std::string one = "step,train_p20,train_median,train_p80,test_p20,test_median,test_p80\n";
    for (std::size_t i = 0; i < c.steps.size(); ++i)
      one += fmt::format("{},{},{},{},{},{},{}\n", c.steps[i], c.q[i][0], c.q[i][1], c.q[i][2], c.q[i][3], c.q[i][4],
                         c.q[i][5]);
    write_file_atomic(out + "/curve-" + STEP_SIZES[k].key + ".csv", one);
    for (std::size_t i = 0; i < c.steps.size(); ++i)
      csv += fmt::format("{},{},{},{},{},{},{},{}\n", STEP_SIZES[k].key, c.steps[i], c.q[i][0], c.q[i][1], c.q[i][2],
                         c.q[i][3], c.q[i][4], c.q[i][5]);
    // Both rows of a column share their bins, so that a narrow peak shows as narrow beside a split.
    std::string hist;
    for (std::size_t which : {0u, 1u})
      for (std::size_t s = 0; s < STEP_SIZES[k].snapshots.size(); ++s) {
        const std::vector<double> v1 = pooled(outs, k, s, 0), v2 = pooled(outs, k, s, 1);
        const std::vector<double>& v = which ? v2 : v1;
        const double lo = std::min(*std::min_element(v1.begin(), v1.end()), *std::min_element(v2.begin(), v2.end()));
        const double hi = std::max(*std::max_element(v1.begin(), v1.end()), *std::max_element(v2.begin(), v2.end()));
        const double width = (hi - lo) / 30 + 1e-300;
        std::vector<std::size_t> count(30, 0);
        for (double x : v) ++count[std::min<std::size_t>(29, std::size_t((x - lo) / width))];
        hist += fmt::format("# t = {}, <w_j, mu{}>\n", STEP_SIZES[k].snapshots[s], which + 1);
        for (std::size_t b = 0; b < 30; ++b) hist += fmt::format("{} {}\n", lo + (double(b) + 0.5) * width, count[b]);
        hist += "\n\n";
      }
    write_file_atomic(out + "/hist-" + STEP_SIZES[k].key + ".csv", hist);
  }
  write_file_atomic(out + "/grokking.csv", csv);

  const Outcome& first_run = outs[0];  // alpha = 1e-12, double, the first seed
  const std::size_t m = first_run.a.size();
  const double reach = 1.6 * first_run.spec.mean_norm;
  std::string boundary = "t,u,v,sign_f\n", neurons = "t,j,a_sign,w_mu1,w_mu2\n", points = "x_mu1,x_mu2,label\n";
  for (std::size_t s : {0u, 1u, 5u}) {  // t = 0, 1, 15
    const double* p = first_run.proj.data() + s * 2 * m;
    for (int iu = 0; iu <= 80; ++iu)
      for (int iv = 0; iv <= 80; ++iv) {
        const double u = reach * (iu / 40.0 - 1), v = reach * (iv / 40.0 - 1);
        double f = 0;
        for (std::size_t j = 0; j < m; ++j) f += first_run.a[j] * std::max(0.0, u * p[j] + v * p[m + j]);
        boundary += fmt::format("{},{},{},{}\n", STEP_SIZES[0].snapshots[s], u, v, f > 0 ? 1 : -1);
      }
    for (std::size_t j = 0; j < m; ++j)
      neurons += fmt::format("{},{},{},{},{}\n", STEP_SIZES[0].snapshots[s], j, first_run.a[j] > 0 ? 1 : -1, p[j], p[m + j]);
  }
  for (std::size_t i = 0; i < first_run.y.size(); ++i)
    points += fmt::format("{},{},{}\n", first_run.x_mu1[i], first_run.x_mu2[i], first_run.y[i]);
  write_file_atomic(out + "/boundary.csv", boundary);
  write_file_atomic(out + "/neurons.csv", neurons);
  write_file_atomic(out + "/points.csv", points);
}

bool figures(const std::string& out) {
  std::string curves;
  for (const StepSize& a : STEP_SIZES)
    curves += fmt::format(
        "set title 'alpha = {k} (median and 20-80% band over the runs)'\nset xrange [1:{end}]\n"
        "plot 'curve-{k}.csv' using ($1+1):2:4 with filledcurves fs transparent solid 0.25 lc rgb '#1f4e9c' notitle, "
        "'' using ($1+1):3 with lines lw 2 lc rgb '#1f4e9c' title 'train', "
        "'' using ($1+1):5:7 with filledcurves fs transparent solid 0.25 lc rgb '#c0392b' notitle, "
        "'' using ($1+1):6 with lines lw 2 lc rgb '#c0392b' title 'test (clean labels)'\n",
        fmt::arg("k", a.key), fmt::arg("end", a.steps + 1));
  // The gnuplot script, a template whose {fields} are filled here: figures/grokking.gp.in.
  constexpr const char* GROKKING_GP =
#include "figures/grokking.gp.in"
      ;
  bool ok = plot(out, "grokking", plot_both("grokking", 1200, 480, fmt::format(GROKKING_GP, curves)));

  std::string planes;
  for (int t : {0, 1, 15})
    planes += fmt::format(
        "set title 't = {t}: sign of f (blue +, red -) and the training points'\n"
        "plot 'boundary.csv' using ($1=={t} ? $2 : 1/0):3:($4 > 0 ? 0xc8d8f0 : 0xf3d0cb) with points pt 5 ps 0.45 "
        "lc rgb variable notitle, 'points.csv' using 1:2:($3 > 0 ? 0x1f4e9c : 0xc0392b) with points pt 7 ps 0.6 lc rgb "
        "variable notitle\n", fmt::arg("t", t));
  for (int t : {0, 1, 15})
    planes += fmt::format(
        "set title 't = {t}: the neurons (<w_j, mu1>, <w_j, mu2>)'\nset autoscale\n"
        "plot 'neurons.csv' using ($1=={t} ? $4 : 1/0):5:($3 > 0 ? 0x1f4e9c : 0xc0392b) with points pt 7 ps 0.4 lc rgb "
        "variable notitle\n", fmt::arg("t", t));
  // The gnuplot script, a template whose {fields} are filled here: figures/grokking-boundary.gp.in.
  constexpr const char* GROKKING_BOUNDARY_GP =
#include "figures/grokking-boundary.gp.in"
      ;
  ok &= plot(out, "boundary", plot_both("boundary", 1400, 900, fmt::format(GROKKING_BOUNDARY_GP, planes)));

  for (const StepSize& a : STEP_SIZES) {
    std::string panels;
    for (std::size_t which = 0; which < 2; ++which)
      for (std::size_t s = 0; s < a.snapshots.size(); ++s)
        panels += fmt::format("set title '<w_j, mu{}>, t = {}'\nplot 'hist-{}.csv' index {} using 1:2 with boxes fs solid "
                              "0.6 lc rgb '{}' notitle\n", which + 1, a.snapshots[s], a.key,
                              which * a.snapshots.size() + s, which ? "#c0392b" : "#1f4e9c");
    // The gnuplot script, a template whose {fields} are filled here: figures/grokking-hist.gp.in.
    constexpr const char* GROKKING_HIST_GP =
#include "figures/grokking-hist.gp.in"
        ;
    ok &= plot(out, std::string("hist-") + a.key,
               plot_both(std::string("hist-") + a.key, 1600, 620, fmt::format(GROKKING_HIST_GP, a.snapshots.size(), a.key, panels)));
  }
  return ok;
}

}  // namespace rfa::cli::grokking
