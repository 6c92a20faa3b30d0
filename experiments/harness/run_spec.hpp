// One training run of the paper's network on generated data, as the experiment programs set it up and run it:
// the settings (whose JSON form is both the manifest's record and, on one line, the checkpoint's fingerprint, so
// that no setting can be recorded and yet forgotten by the resume check), the data, init and trainer, and the run
// itself in a directory of its own: locked, checkpointed, resumable, with metrics.csv and run.json at the end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "dataset.hpp"
#include "run.hpp"
#include "methods.hpp"
#include "xor_data.hpp"

namespace rfa::cli {

// The one place a precision's name becomes a type: calls f.template operator()<float>() for "f32" and <double>
// for "f64", so that a run is written once as a template and dispatched as `with_dtype(spec.dtype, [&]<class T> {
// return run<T>(spec); })`. Any other name is refused (UsageError; the flags are checked before this).
template <class F>
decltype(auto) with_dtype(const std::string& dtype, F&& f) {
  if (dtype == "f32") return f.template operator()<float>();
  if (dtype != "f64") throw UsageError("unknown precision '" + dtype + "' (f32 or f64)");
  return f.template operator()<double>();
}

// The network trained: the paper's (relu), or a linear baseline sgn <w, x> / sgn(<w, x> + b) (rfa-train's --model).
enum class Model { relu, linear, linear_bias };
Model parse_model(const std::string& s);  // "relu" | "linear" | "linear-bias"
const char* to_string(Model m);

// The init W0 (--init), each a family of Gaussians drawn from Stream::init of the seed:
//   gaussian   entries N(0, omega2) with the program's omega2 (the paper's: omega_init^2 = 0.01/(m d) in Figure 2,
//              1/(32 m) in Figure 1)
//   unit       entries N(0, 1) (an unscaled standard normal init)
//   lecun      entries N(0, 1/d) (LeCun's scaling: <w_j, x> of unit variance for unit-variance inputs)
//   he         entries N(0, 2/d) (He's scaling for ReLU layers)
//   symmetric  N(0, omega2) in mirrored pairs: neuron j + m/2 is a copy of neuron j, whose a_j has the opposite
//              sign, so that f(x; W0) = 0 (each pair cancels exactly; the kernels' fused sums leave rounding, see
//              models/network.hpp's symmetric_init_weights)
enum class Init { gaussian, unit, lecun, he, symmetric };
Init parse_init(const std::string& s);  // throws UsageError naming --init
const char* to_string(Init i);
std::string init_formula(const std::string& name);  // "entries N(0, 1)", ... for reports (throws as parse_init)
constexpr const char* INIT_HELP =
    "the init W0: gaussian (N(0, omega2), the program's omega2: the paper's), unit (N(0, 1)), lecun (N(0, 1/d)), he "
    "(N(0, 2/d)) or symmetric (N(0, omega2) in mirrored pairs with opposite a_j: f(x; W0) = 0)";

// Inputs from .npy files instead of generated or made from the seed (rfa-train's --x, --y, ...; empty: not given).
struct InputFiles {
  std::string x, y, x_test, y_test, w0, a;
  bool any() const { return !(x + y + x_test + y_test + w0 + a).empty(); }
};

struct RunSpec {
  std::size_t n = 0, d = 0, m = 0, n_test = 0, steps = 0;
  double sigma2 = 0, eta = 0.15, alpha = 0, omega2 = 0;
  FlipMode flip = FlipMode::exact;
  Noise noise = Noise::gaussian;
  bool random_means = true;
  std::uint64_t seed = 1;
  std::string dtype = "f64";
  GradSource grad = GradSource::tape;
  Method method = Method::automatic;
  std::size_t dense = 100, per_decade = 20;  // the evaluation schedule (metrics.hpp)
  bool train_second_layer = false;           // a trained too (plain step only; the paper keeps it fixed)
  double mean_norm = 1;                      // the clusters at +-r mu (the grokking follow-up's r; 1 in the paper)
  bool random_signs = false;                 // a_j with i.i.d. signs (the follow-up) instead of half and half
  // Evaluations in flow time (alpha * step): at the flow times a run at step size schedule_alpha evaluates on its
  // schedule (metrics.hpp's flow_schedule), so that runs at different alpha compare row by row; 0: in steps.
  double schedule_alpha = 0;
  Model model = Model::relu;
  Init init = Init::gaussian;  // with omega2 as set_init leaves it
  InputFiles files;  // read by rfa-train; the generated runs of the other programs leave them empty

  // Every setting, for manifests; fingerprint() is the same on one line, for checkpoints.
  Json json() const;
  std::string fingerprint() const { return json().compact(); }
  std::vector<std::size_t> schedule() const {
    return schedule_alpha == 0 ? eval_schedule(steps, dense, per_decade)
                               : flow_schedule(steps, alpha, schedule_alpha, dense, per_decade);
  }
  // Flow time alpha * t at step t.
  double flow(std::size_t t) const { return alpha * double(t); }
};

// Sets spec.init and, for unit, lecun and he, spec.omega2 (1, 1/d, 2/d; spec.d must be set). Throws UsageError for
// symmetric with a second layer it cannot mirror (i.i.d. signs, or trained).
void set_init(RunSpec& spec, Init init);

// A run's data: the means, and the training and test sets drawn from streams train_data / test_data of the seed.
template <typename T>
struct RunData {
  Means means;
  Dataset<T> train, test;
};
template <typename T>
RunData<T> make_data(const RunSpec& spec);

template <typename T>
struct PreparedRun : RunData<T> {
  Tensor<T> a, W0;
  std::unique_ptr<Trainer<T>> trainer;
};

// The second layer (half +1/sqrt(m), half -1/sqrt(m); or i.i.d. signs) and the init W0 (entries N(0, omega2)), from
// stream init of the seed.
template <typename T>
Tensor<T> make_second_layer(const RunSpec& spec);
template <typename T>
Tensor<T> make_init(const RunSpec& spec);

// The data, the second layer, the init and the trainer (spec.model relu; files are not read).
template <typename T>
PreparedRun<T> prepare_run(const RunSpec& spec);

// How an experiment runs one training.
struct RunControl {
  double checkpoint_seconds = 60;
  std::size_t stop_at = 0;  // stop at this step as Ctrl-C would (0: never)
  bool quiet = false;       // no progress lines
  std::string label;        // names the run in progress lines
  bool lock = true;         // lock the run's directory (false when the caller holds that lock already)
  bool gather = false;      // take no step: read the finished run from its checkpoint (RunIncomplete otherwise)
  double alpha = 0;         // the run's step size, for metrics.csv's flow-time column (set by the RunSpec overload)
};

// Trains r.trainer as `spec` says in `dir` (created, and locked for the run's life: a second run into it is
// refused): checkpoints to dir/checkpoint.rfa under the fingerprint "<program> <spec.fingerprint()>", prints
// progress unless quiet, and writes dir/metrics.csv and dir/run.json at the end. A run stopped by Ctrl-C, SIGTERM
// or --stop-at leaves its evaluations so far in dir/metrics-so-far.csv and dir/run-so-far.json (the step it reached;
// removed when the run finishes). `hooks` may add on_eval and
// save_extra/load_extra (run.hpp). Returns the metrics at every evaluation step.
template <typename T>
std::vector<Metrics> train_in(const std::string& program, const RunSpec& spec, PreparedRun<T>& r,
                              const std::string& dir, const RunControl& control, RunOptions hooks = {});
// The same for any trainer and data, with the run's settings (its fingerprint and run.json record) given as JSON.
template <typename T>
std::vector<Metrics> train_in(const std::string& program, const Json& settings, Trainer<T>& trainer,
                              const Dataset<T>& train, const Dataset<T>* test, std::vector<std::size_t> schedule,
                              const std::string& dir, const RunControl& control, RunOptions hooks = {});

// A run's evaluations as far as it has got, read from dir/checkpoint.rfa without training: every one for a finished
// run, those up to its step for a stopped one, none when it has not started. The checkpoint may come from another
// program if its settings are `spec`'s (rfa-fig2's (5000, 300) panel is rfa-scale's n = 5000: the same run);
// other settings throw CheckpointError naming both.
std::vector<Metrics> metrics_reached(const std::string& dir, const RunSpec& spec);

// The training time a finished run's run.json records (its last session's), or NaN when there is none.
double run_seconds(const std::string& dir);

// A progress line: "<program>: <label>: step 1200/20000 (6.0%), 54 steps/s, 5m48s left", with " to the stop at step
// S" after it when --stop-at ends the session before the run's end.
void print_progress(const std::string& program, const std::string& label, const Progress& p);

}  // namespace rfa::cli
