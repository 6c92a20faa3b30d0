#include "run_spec.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "names.hpp"
#include "network.hpp"
#include "run_lock.hpp"

namespace rfa::cli {

namespace {
constexpr Names<Model, 3> MODEL_NAMES = {{{Model::relu, "relu"}, {Model::linear, "linear"}, {Model::linear_bias, "linear-bias"}}};
}
Model parse_model(const std::string& s) { return value_of(MODEL_NAMES, s, "model"); }
const char* to_string(Model m) { return name_of(MODEL_NAMES, m); }

Json RunSpec::json() const {
  Json j;
  j.add("n", n).add("d", d).add("m", m).add("n_test", n_test).add("steps", steps).add("sigma2", sigma2)
      .add("eta", eta).add("alpha", alpha).add("omega2", omega2).add("flip", to_string(flip))
      .add("noise", to_string(noise)).add("means", random_means ? "random" : "axes")
      .add("seed", static_cast<unsigned long long>(seed)).add("dtype", dtype).add("grad", to_string(grad))
      .add("method", to_string(train_second_layer ? Method::plain : resolve_method(method, n, d)))
      .add("dense", dense).add("per_decade", per_decade);
  // Absent at their defaults, so that earlier runs keep their fingerprints.
  if (train_second_layer) j.add("train_second_layer", true);
  if (mean_norm != 1) j.add("mean_norm", mean_norm);
  if (random_signs) j.add("second_layer", "random");
  // Evaluations in flow time change the schedule only when alpha differs from the schedule's step size.
  if (schedule_alpha != 0 && schedule_alpha != alpha) j.add("eval_flow_of_alpha", schedule_alpha);
  if (model != Model::relu) j.add("model", to_string(model));
  if (init != Init::gaussian) j.add("init", to_string(init));
  if (files.any())
    j.add("x", files.x).add("y", files.y).add("x_test", files.x_test).add("y_test", files.y_test)
        .add("w0", files.w0).add("a", files.a);
  return j;
}

template <typename T>
RunData<T> make_data(const RunSpec& s) {
  RunData<T> r;
  r.means = s.random_means ? random_means(s.d, s.seed) : axis_means(s.d);
  const DataSpec spec{s.d, s.sigma2, s.eta, s.flip, s.noise, s.mean_norm};
  r.train = make_dataset<T>(sample_xor(spec, r.means, s.n, s.seed, Stream::train_data));
  r.test = make_dataset<T>(sample_xor(spec, r.means, s.n_test, s.seed, Stream::test_data));
  return r;
}

template <typename T>
Tensor<T> make_second_layer(const RunSpec& s) {
  return s.random_signs ? random_second_layer<T>(s.m, s.seed) : second_layer<T>(s.m);
}

template <typename T>
Tensor<T> make_init(const RunSpec& s) {
  if (s.init == Init::symmetric) return symmetric_init_weights<T>(s.m, s.d, s.omega2, s.seed);
  return init_weights<T>(s.m, s.d, s.omega2, s.seed);  // the Gaussians: omega2 set by set_init
}

Init parse_init(const std::string& s) {
  for (Init i : {Init::gaussian, Init::unit, Init::lecun, Init::he, Init::symmetric})
    if (s == to_string(i)) return i;
  throw UsageError("--init must be gaussian, unit, lecun, he or symmetric, got '" + s + "'");
}

const char* to_string(Init i) {
  switch (i) {
    case Init::gaussian: return "gaussian";
    case Init::unit: return "unit";
    case Init::lecun: return "lecun";
    case Init::he: return "he";
    case Init::symmetric: return "symmetric";
  }
  return "?";
}

std::string init_formula(const std::string& name) {
  switch (parse_init(name)) {
    case Init::gaussian: return "entries N(0, omega2)";
    case Init::unit: return "entries N(0, 1)";
    case Init::lecun: return "entries N(0, 1/d)";
    case Init::he: return "entries N(0, 2/d)";
    case Init::symmetric: return "entries N(0, omega2) in mirrored pairs with opposite a_j, f = 0 at init";
  }
  return "?";
}

void set_init(RunSpec& s, Init init) {
  if (init == Init::symmetric && (s.random_signs || s.train_second_layer))
    throw UsageError("--init symmetric mirrors neurons of opposite fixed a_j (half +, half -): it cannot be used with "
                     "i.i.d. second-layer signs or a trained second layer");
  s.init = init;
  if (init == Init::unit) s.omega2 = 1;
  if (init == Init::lecun) s.omega2 = 1 / double(s.d);
  if (init == Init::he) s.omega2 = 2 / double(s.d);
}

template <typename T>
PreparedRun<T> prepare_run(const RunSpec& s) {
  PreparedRun<T> r;
  static_cast<RunData<T>&>(r) = make_data<T>(s);
  r.a = make_second_layer<T>(s);
  r.W0 = make_init<T>(s);
  r.trainer = make_trainer<T>(s.method, s.grad, r.train.X, r.train.y, r.a, r.W0, T(s.alpha), s.train_second_layer);
  return r;
}

double run_seconds(const std::string& dir) {
  const std::string path = dir + "/run.json";
  if (!std::filesystem::exists(path)) return NAN;
  const std::string text = read_file(path);
  const std::size_t at = text.find("\"wall_seconds_this_session\": ");
  return at == std::string::npos ? NAN : std::atof(text.c_str() + at + 29);
}

std::vector<Metrics> metrics_reached(const std::string& dir, const RunSpec& spec) {
  const std::string path = dir + "/checkpoint.rfa";
  const std::optional<Checkpoint> c = load_checkpoint(path);
  if (!c) return {};
  // The fingerprint is "<program> <settings>": the settings decide the run.
  const std::size_t space = c->fingerprint.find(' ');
  const std::string settings = space == std::string::npos ? c->fingerprint : c->fingerprint.substr(space + 1);
  if (settings != spec.fingerprint())
    throw CheckpointError(fmt::format("{}: this checkpoint was made with other settings than this run's\n  checkpoint: "
                                      "{}\n  this run:   {}",
                                      path, c->fingerprint, spec.fingerprint()));
  return c->metrics;
}

void print_progress(const std::string& program, const std::string& label, const Progress& p) {
  fmt::print(stderr, "{}: {}{}step {}/{} ({:.1f}%), {:.0f} steps/s, {} left{}\n", program, label,
             label.empty() ? "" : ": ", p.step, p.total, 100.0 * double(p.step) / double(p.total), p.rate,
             format_duration(p.left), p.stop_at > 0 ? fmt::format(" to the stop at step {}", p.stop_at) : "");
}

template <typename T>
std::vector<Metrics> train_in(const std::string& program, const Json& settings, Trainer<T>& trainer,
                              const Dataset<T>& train, const Dataset<T>* test, std::vector<std::size_t> schedule,
                              const std::string& dir, const RunControl& control, RunOptions hooks) {
  prepare_out_dir(dir);
  std::optional<DirLock> lock;
  if (control.lock) lock.emplace(dir);
  hooks.schedule = std::move(schedule);
  hooks.fingerprint = program + " " + settings.compact();
  hooks.checkpoint = dir + "/checkpoint.rfa";
  hooks.checkpoint_seconds = control.checkpoint_seconds;
  hooks.stop_at = control.stop_at;
  hooks.no_steps = control.gather;
  if (!control.gather)
    hooks.on_resume = [&](std::size_t step) {
      fmt::print(stderr, "{}: {}{}resuming at step {} of {} from {}/checkpoint.rfa\n", program, control.label,
                 control.label.empty() ? "" : ": ", step, hooks.schedule.back(), dir);
    };
  if (!control.quiet && !control.gather) {
    hooks.progress_seconds = 15;
    hooks.on_progress = [&](const Progress& p) { print_progress(program, control.label, p); };
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Metrics> rows;
  try {
    rows = run_training(trainer, train, test, hooks);
  } catch (const TrainingInterrupted&) {
    // A long run stopped is still worth looking at: its evaluations so far, from the checkpoint just written.
    // (Best effort: the stop itself, already checkpointed, is what the caller must hear of.)
    try {
      if (const auto c = load_checkpoint(hooks.checkpoint); c && !c->metrics.empty()) {
        write_file_atomic(dir + "/metrics-so-far.csv", metrics_csv(c->metrics, control.alpha));
        Json j;
        j.merge(provenance(program)).add("settings", settings).add("trainer", trainer.name())
            .add("stopped_at_step", static_cast<std::size_t>(c->step)).add("last", metrics_json(c->metrics.back()));
        write_file_atomic(dir + "/run-so-far.json", j.str() + "\n");
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}: could not write {}/metrics-so-far.csv: {}\n", program, dir, e.what());
    }
    throw;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (control.gather) return rows;  // its files were written when it finished
  write_file_atomic(dir + "/metrics.csv", metrics_csv(rows, control.alpha));
  Json j;
  j.merge(provenance(program)).add("settings", settings).add("trainer", trainer.name())
      .add("wall_seconds_this_session", wall).add("final", metrics_json(rows.back()));
  write_file_atomic(dir + "/run.json", j.str() + "\n");
  for (const char* f : {"/metrics-so-far.csv", "/run-so-far.json"}) std::filesystem::remove(dir + f);
  return rows;
}

template <typename T>
std::vector<Metrics> train_in(const std::string& program, const RunSpec& spec, PreparedRun<T>& r,
                              const std::string& dir, const RunControl& control, RunOptions hooks) {
  RunControl c = control;
  c.alpha = spec.alpha;
  return train_in<T>(program, spec.json(), *r.trainer, r.train, &r.test, spec.schedule(), dir, c, std::move(hooks));
}

#define RFA_INSTANTIATE(T)                                                                                      \
  template RunData<T> make_data<T>(const RunSpec&);                                                             \
  template PreparedRun<T> prepare_run<T>(const RunSpec&);                                                       \
  template Tensor<T> make_second_layer<T>(const RunSpec&);                                                      \
  template Tensor<T> make_init<T>(const RunSpec&);                                                              \
  template std::vector<Metrics> train_in(const std::string&, const RunSpec&, PreparedRun<T>&, const std::string&, \
                                         const RunControl&, RunOptions);                                         \
  template std::vector<Metrics> train_in(const std::string&, const Json&, Trainer<T>&, const Dataset<T>&,          \
                                         const Dataset<T>*, std::vector<std::size_t>, const std::string&,          \
                                         const RunControl&, RunOptions);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa::cli
