// The training loop around a Trainer: evaluation on a schedule, progress with an estimate of the time left,
// checkpoints that let a long run be stopped and resumed, and a clean stop on Ctrl-C or SIGTERM.
//
// A checkpoint holds the trainer's state, the step count and the metrics so far, tagged with a fingerprint
// of every setting of the run. Running again with the same settings resumes from it and gives exactly the
// numbers an uninterrupted run gives; a checkpoint with another fingerprint is refused.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "checkpoint.hpp"
#include "metrics.hpp"

namespace rfa {

// Where a run is, for progress lines: the rate counts only this session's steps (a resumed run's earlier steps
// are not this process's work), and the time left follows from it, counted to where this session will stop.
struct Progress {
  std::size_t step = 0, total = 0;
  double elapsed = 0;     // seconds in this session
  double rate = 0;        // steps per second in this session
  double left = 0;        // estimated seconds to the end, or to stop_at
  std::size_t stop_at = 0;  // where this session stops (RunOptions::stop_at, when before the end), else 0
};

struct RunOptions {
  std::vector<std::size_t> schedule;   // evaluation steps, increasing; the last one is the total step count
  std::string checkpoint;              // checkpoint file ("" for none); the previous one is kept as <file>.prev
  double checkpoint_seconds = 60;      // how often to write it
  std::string fingerprint;             // every setting that changes the run's numbers or outputs, on one line
  double progress_seconds = 10;        // how often on_progress is called (0: never)
  std::size_t stop_at = 0;             // if > 0: stop at this step, after its evaluation if it has one, as a signal would (checkpoint, then throw)
  bool no_steps = false;               // take no step: the checkpoint must hold the finished run (else RunIncomplete)
  // Called at each evaluation, with the trainer at that step.
  std::function<void(const Metrics&)> on_eval;
  // Called after each evaluation with the metrics so far: true ends the run at that step, as if it were the last
  // (a run that waits for an event, such as the jump of the test accuracy). A resumed run whose metrics already
  // satisfy it ends at once.
  std::function<bool(const std::vector<Metrics>&)> finished;
  // Called now and then.
  std::function<void(const Progress&)> on_progress;
  // Called once when the run resumes from a checkpoint, with the step it resumes at.
  std::function<void(std::size_t)> on_resume;
  // What an experiment keeps beside the trainer's state (say, measurements taken at each evaluation): added to
  // every checkpoint, and read back from the one a run resumes from.
  std::function<void(Checkpoint&)> save_extra;
  std::function<void(const Checkpoint&)> load_extra;
};

// Thrown when the loss becomes non-finite (the step is too large) and when a stop was requested by a signal
// (after the checkpoint was written).
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TrainingInterrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Thrown with RunOptions::no_steps when the run is not finished (no checkpoint, or one short of the end).
struct RunIncomplete : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs the trainer to schedule.back() steps, resuming from options.checkpoint when it exists (and was made with the
// same fingerprint: another one is refused with a CheckpointError). Returns the metrics at every evaluation step.
// Removes nothing: the checkpoint stays after a finished run, so running again only re-reads it. On SIGINT or
// SIGTERM (or at options.stop_at) it writes a checkpoint and throws TrainingInterrupted.
// `test` may be nullptr (no test set).
template <typename T>
std::vector<Metrics> run_training(Trainer<T>& trainer, const Dataset<T>& train,
                                  const std::type_identity_t<Dataset<T>>* test, const RunOptions& options);

// Installs SIGINT/SIGTERM handlers that ask run_training to checkpoint and stop (idempotent; run_training does it
// itself). A second signal, while the first is being acted on, ends the process at once.
void install_stop_handlers();
// True once a stop was requested (by a signal or by request_stop()).
bool stop_requested();
// Asks the running loop to checkpoint and stop, as a signal would; reset_stop() forgets the request.
void request_stop();
void reset_stop();

}  // namespace rfa
