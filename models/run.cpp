#include "run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>


namespace rfa {

namespace {
std::atomic<bool> stop_flag{false};

extern "C" void on_stop_signal(int sig) {
  // The first signal asks the loop to checkpoint and stop; a second one, if that takes too long for the user,
  // ends the process the default way (the last periodic checkpoint is then what a resume starts from).
  if (stop_flag.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

bool stop_requested() { return stop_flag.load(); }
void request_stop() { stop_flag = true; }
void reset_stop() { stop_flag = false; }

template <typename T>
std::vector<Metrics> run_training(Trainer<T>& trainer, const Dataset<T>& train,
                                  const std::type_identity_t<Dataset<T>>* test, const RunOptions& opt) {
  using clock = std::chrono::steady_clock;
  if (opt.schedule.empty()) throw std::invalid_argument("run_training: empty evaluation schedule");
  install_stop_handlers();
  const std::size_t total = opt.schedule.back();
  std::vector<Metrics> rows;
  std::size_t t = 0;
  if (!opt.checkpoint.empty()) {
    if (std::optional<Checkpoint> c = load_checkpoint(opt.checkpoint)) {
      if (c->fingerprint != opt.fingerprint)
        throw CheckpointError(fmt::format(
            "{}: this checkpoint was made with other settings; use the same arguments to resume, or delete it "
            "(or choose another output directory) to start a new run.\n  checkpoint: {}\n  this run:   {}",
            opt.checkpoint, c->fingerprint, opt.fingerprint));
      if (c->step > total)
        throw CheckpointError(fmt::format("{}: the checkpoint is at step {}, past the {} steps asked for",
                                          opt.checkpoint, c->step, total));
      trainer.load(*c);
      if (opt.load_extra) opt.load_extra(*c);
      t = c->step;
      rows = std::move(c->metrics);
      if (opt.on_resume) opt.on_resume(t);
    }
  }
  const std::size_t start = t;
  // Where this session stops early (--stop-at, after that step's evaluation), or 0: a stop at or before the resumed
  // step, or at the end, is no stop.
  const std::size_t stop_at = opt.stop_at > start && opt.stop_at < total ? opt.stop_at : 0;
  EvalWork<T> work;
  auto next_eval = std::lower_bound(opt.schedule.begin(), opt.schedule.end(), t);
  if (!rows.empty() && next_eval != opt.schedule.end() && *next_eval == t && rows.back().step == t) ++next_eval;

  const auto t0 = clock::now();
  auto last_ckpt = t0, last_progress = t0;
  auto seconds = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  auto save = [&] {
    if (opt.checkpoint.empty()) return;
    Checkpoint c;
    c.fingerprint = opt.fingerprint;
    c.step = t;
    c.metrics = rows;
    trainer.save(c);
    if (opt.save_extra) opt.save_extra(c);
    save_checkpoint(opt.checkpoint, c);
  };

  auto stop = [&] {
    save();
    throw TrainingInterrupted(fmt::format("stopped at step {} of {}{}", t, total,
                                          opt.checkpoint.empty() ? "" : "; run again with the same arguments to resume"));
  };

  if (stop_requested()) stop();  // a signal during the set-up
  if (opt.finished && !rows.empty() && rows.back().step == t && opt.finished(rows)) return rows;
  if (opt.no_steps && t < total)
    throw RunIncomplete(fmt::format("{}: the run is at step {} of {}{}", opt.checkpoint.empty() ? "run" : opt.checkpoint, t,
                                    total, rows.empty() ? " (no checkpoint)" : ""));
  for (;;) {
    if (next_eval != opt.schedule.end() && *next_eval == t) {
      rows.push_back(evaluate(t, trainer, train, test, work));
      // A NaN pre-activation fails z > 0 and looks like an inactive neuron, so a NaN in W can leave the loss
      // finite: the weights' norm is checked too.
      if (!std::isfinite(rows.back().loss) || !std::isfinite(rows.back().w_norm))
        throw TrainingDiverged(fmt::format("training diverged at step {}: the loss is {} and ||W||_F is {}; try a "
                                           "smaller step alpha (or data of a smaller scale)",
                                           t, rows.back().loss, rows.back().w_norm));
      if (opt.on_eval) opt.on_eval(rows.back());
      ++next_eval;
      if (opt.finished && opt.finished(rows)) break;
    }
    if (t == total) break;
    // --stop-at stops after the step's evaluation, if it has one: a run stopped at 10^6 keeps its 10^6 row.
    if (stop_at > 0 && t == stop_at) stop();
    const double loss = trainer.step();
    if (!std::isfinite(loss))
      throw TrainingDiverged(fmt::format("training diverged at step {}: the loss is {}; try a smaller step alpha",
                                         t, loss));
    ++t;
    const auto now = clock::now();
    if (stop_requested()) stop();
    if (!opt.checkpoint.empty() && seconds(now - last_ckpt) >= opt.checkpoint_seconds) {
      save();
      last_ckpt = now;
    }
    if (opt.on_progress && opt.progress_seconds > 0 && seconds(now - last_progress) >= opt.progress_seconds) {
      Progress p{t, total, seconds(now - t0), 0, 0, stop_at};
      p.rate = double(t - start) / std::max(p.elapsed, 1e-9);
      p.left = double((stop_at > 0 ? stop_at : total) - t) / std::max(p.rate, 1e-9);
      opt.on_progress(p);
      last_progress = now;
    }
  }
  save();
  return rows;
}

template std::vector<Metrics> run_training(Trainer<float>&, const Dataset<float>&, const Dataset<float>*,
                                           const RunOptions&);
template std::vector<Metrics> run_training(Trainer<double>&, const Dataset<double>&, const Dataset<double>*,
                                           const RunOptions&);

}  // namespace rfa
