// rfa-train's settings: what its command line sets, how it is parsed and checked, and how a run records them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common.hpp"

namespace rfa::cli {

struct TrainSettings {
  std::size_t n = 5000, d = 2, m = 500, n_test = 6000, steps = 3000, dense = 100, per_decade = 20;
  double sigma2 = 1.0 / 50, eta = 0.15, alpha = 0.05, omega2 = 0;  // omega2 0: 1/(32 m)
  std::string flip = "prob", noise = "gaussian", means = "axes", dtype = "f64", grad = "closed", model = "relu",
              method = "auto";
  std::uint64_t seed = 1;
  int threads = all_cores();
  std::string out, x, y, w0, a, x_test, y_test;
  double checkpoint_seconds = 60;
  std::size_t stop_at = 0;
  bool quiet = false;
  bool train_second_layer = false;  // a trained too (the paper keeps it fixed)
  double mean_norm = 1;             // clusters at +-r mu (1 in the paper; the grokking follow-up's r is larger)
  std::string second_layer = "balanced";  // balanced (the paper's half and half) or random (i.i.d. signs)

  // Every setting that changes the run's numbers or outputs, as the manifest records them; on one line, the same
  // is the checkpoint's fingerprint. Left out, because they change neither: where the results go (--out), how
  // often the checkpoint is written, where to stop this session, --quiet, and --threads (results agree across
  // thread counts to rounding, so a run may be resumed with another; the manifest records this session's).
  Json json() const {
    Json j;
    j.add("model", model).add("n", n).add("d", d).add("m", m).add("sigma2", sigma2).add("eta", eta).add("flip", flip)
        .add("noise", noise).add("means", means).add("alpha", alpha).add("steps", steps).add("omega2", omega2)
        .add("seed", static_cast<unsigned long long>(seed)).add("dtype", dtype).add("grad", grad).add("method", method)
        .add("n_test", n_test).add("dense", dense).add("per_decade", per_decade).add("x", x).add("y", y)
        .add("x_test", x_test).add("y_test", y_test).add("w0", w0).add("a", a)
        .add("train_second_layer", train_second_layer);
    // Absent at their defaults, so that earlier runs keep their fingerprints.
    if (mean_norm != 1) j.add("mean_norm", mean_norm);
    if (second_layer != "balanced") j.add("second_layer", second_layer);
    return j;
  }
};

// Parses rfa-train's command line into s and checks every value. Returns an exit code when the program should stop
// now: 0 after --help or --version, 2 after a malformed flag (the message printed); throws UsageError for a value
// out of its range. Touches nothing else: the fuzz target calls it on arbitrary command lines.
std::optional<int> parse_train_settings(int argc, char** argv, TrainSettings& s);

}  // namespace rfa::cli
