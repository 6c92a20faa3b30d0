#include "run_spec.hpp"

#include <fmt/format.h>

#include "network.hpp"

namespace rfa::cli {

std::string RunSpec::fingerprint() const {
  return fmt::format("n={} d={} m={} n_test={} steps={} sigma2={} eta={} alpha={} omega2={} flip={} noise={} means={} "
                     "seed={} dtype={} grad={} method={}",
                     n, d, m, n_test, steps, sigma2, eta, alpha, omega2, to_string(flip), to_string(noise),
                     random_means ? "random" : "axes", seed, dtype, to_string(grad), to_string(resolve_method(method, n, d)));
}

Json RunSpec::json() const {
  Json j;
  j.add("n", n).add("d", d).add("m", m).add("n_test", n_test).add("steps", steps).add("sigma2", sigma2)
      .add("eta", eta).add("alpha", alpha).add("omega2", omega2).add("flip", to_string(flip))
      .add("noise", to_string(noise)).add("means", random_means ? "random" : "axes")
      .add("seed", static_cast<unsigned long long>(seed)).add("dtype", dtype).add("grad", to_string(grad))
      .add("method", to_string(resolve_method(method, n, d)));
  return j;
}

template <typename T>
PreparedRun<T> prepare_run(const RunSpec& s) {
  PreparedRun<T> r;
  r.means = s.random_means ? random_means(s.d, s.seed) : axis_means(s.d);
  const DataSpec spec{s.d, s.sigma2, s.eta, s.flip, s.noise};
  r.train = make_dataset<T>(sample_xor(spec, r.means, s.n, s.seed, Stream::train_data));
  r.test = make_dataset<T>(sample_xor(spec, r.means, s.n_test, s.seed, Stream::test_data));
  r.a = second_layer<T>(s.m);
  r.W0 = init_weights<T>(s.m, s.d, s.omega2, s.seed);
  r.trainer = make_trainer<T>(s.method, s.grad, r.train.X, r.train.y, r.a, r.W0, T(s.alpha));
  return r;
}

template PreparedRun<float> prepare_run<float>(const RunSpec&);
template PreparedRun<double> prepare_run<double>(const RunSpec&);

}  // namespace rfa::cli
