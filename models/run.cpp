#include "run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "atomic_file.hpp"

namespace rfa {

namespace {
std::atomic<bool> stop_flag{false};
extern "C" void on_stop_signal(int) { stop_flag = true; }

constexpr const char* CHECKPOINT_MAGIC = "rfa-checkpoint 1";

// Text header lines, then the raw state bytes. Doubles are written in shortest round-trip form, so a resumed
// run continues from exactly the same numbers.
template <typename T>
void write_checkpoint(const std::string& path, const std::string& fingerprint, std::size_t step,
                      const std::vector<Metrics>& rows, const Tensor<T>& state) {
  std::string head = fmt::format("{}\nfingerprint {}\nstep {}\nmetrics {}\n", CHECKPOINT_MAGIC, fingerprint, step,
                                 rows.size());
  for (const Metrics& m : rows) head += metrics_csv_row(m) + "\n";
  head += fmt::format("state {} {} {} {}\n", state.rank(), state.rows(), state.cols(), sizeof(T));
  AtomicFile f(path);
  f.stream().write(head.data(), std::streamsize(head.size()));
  f.stream().write(reinterpret_cast<const char*>(state.data()), std::streamsize(state.size() * sizeof(T)));
  f.commit();
}

double parse_double(const std::string& s) {
  return s == "nan" ? NAN : std::stod(s);
}

Metrics parse_metrics_row(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string item; std::getline(ss, item, ',');) f.push_back(item);
  if (f.size() != 8) throw std::runtime_error("bad metrics row");
  Metrics m;
  m.step = std::stoull(f[0]);
  double* fields[] = {&m.loss, &m.train_acc, &m.train_clean_acc, &m.train_flipped_acc,
                      &m.test_acc, &m.test_clean_acc, &m.w_norm};
  for (int k = 0; k < 7; ++k) *fields[k] = parse_double(f[k + 1]);
  return m;
}

// Reads a checkpoint into (step, rows, state); false when none exists. Throws for one that is unreadable or
// belongs to other settings.
template <typename T>
bool read_checkpoint(const std::string& path, const std::string& fingerprint, std::size_t& step,
                     std::vector<Metrics>& rows, Tensor<T>& state) {
  if (!std::filesystem::exists(path)) return false;
  const std::string bytes = read_file(path);
  std::istringstream in(bytes);
  auto bad = [&](const std::string& why) {
    return std::runtime_error(fmt::format("{}: unusable checkpoint ({}); delete it to start over", path, why));
  };
  std::string line;
  if (!std::getline(in, line) || line != CHECKPOINT_MAGIC) throw bad("not an rfa checkpoint");
  if (!std::getline(in, line) || line.rfind("fingerprint ", 0) != 0) throw bad("no fingerprint");
  if (line.substr(12) != fingerprint)
    throw std::runtime_error(fmt::format(
        "{}: this checkpoint was made with other settings; use the same arguments to resume, or delete it "
        "(or choose another output directory) to start a new run.\n  checkpoint: {}\n  this run:   {}",
        path, line.substr(12), fingerprint));
  try {
    std::size_t count = 0;
    if (!(in >> line >> step) || line != "step") throw bad("no step");
    if (!(in >> line >> count) || line != "metrics") throw bad("no metrics");
    std::getline(in, line);
    rows.clear();
    for (std::size_t k = 0; k < count; ++k) {
      if (!std::getline(in, line)) throw bad("metrics cut short");
      rows.push_back(parse_metrics_row(line));
    }
    int rank = 0;
    std::size_t r = 0, c = 0, item = 0;
    if (!(in >> line >> rank >> r >> c >> item) || line != "state") throw bad("no state header");
    in.get();  // the newline
    if (item != sizeof(T)) throw bad("saved in another precision");
    if (rank != state.rank() || r != state.rows() || c != state.cols()) throw bad("state of another shape");
    const auto offset = static_cast<std::size_t>(in.tellg());
    if (bytes.size() != offset + state.size() * sizeof(T)) throw bad("state truncated");
    std::memcpy(state.data(), bytes.data() + offset, state.size() * sizeof(T));
  } catch (const std::invalid_argument&) {
    throw bad("unreadable number");
  } catch (const std::out_of_range&) {
    throw bad("number out of range");
  }
  return true;
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
  const std::size_t total = opt.schedule.back();
  std::vector<Metrics> rows;
  std::size_t t = 0;
  if (!opt.checkpoint.empty()) {
    Tensor<T> state = trainer.state();
    if (read_checkpoint(opt.checkpoint, opt.fingerprint, t, rows, state)) trainer.restore(state);
    if (t > total) throw std::runtime_error(fmt::format("{}: checkpoint is at step {}, past the {} steps asked for",
                                                        opt.checkpoint, t, total));
  }
  const std::size_t start = t;
  EvalWork<T> work;
  auto next_eval = std::lower_bound(opt.schedule.begin(), opt.schedule.end(), t);
  if (!rows.empty() && next_eval != opt.schedule.end() && *next_eval == t && rows.back().step == t) ++next_eval;

  const auto t0 = clock::now();
  auto last_ckpt = t0, last_progress = t0;
  auto seconds = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  auto save = [&] {
    if (!opt.checkpoint.empty()) write_checkpoint(opt.checkpoint, opt.fingerprint, t, rows, trainer.state());
  };

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
    }
    if (t == total) break;
    const double loss = trainer.step();
    if (!std::isfinite(loss))
      throw TrainingDiverged(fmt::format("training diverged at step {}: the loss is {}; try a smaller step alpha",
                                         t, loss));
    ++t;
    const auto now = clock::now();
    if (stop_requested() || (opt.stop_at > 0 && t == opt.stop_at && t < total)) {
      save();
      throw TrainingInterrupted(fmt::format("stopped at step {} of {}{}", t, total,
                                            opt.checkpoint.empty() ? "" : "; run again with the same arguments to resume"));
    }
    if (!opt.checkpoint.empty() && seconds(now - last_ckpt) >= opt.checkpoint_seconds) {
      save();
      last_ckpt = now;
    }
    if (opt.on_progress && opt.progress_seconds > 0 && seconds(now - last_progress) >= opt.progress_seconds) {
      const double elapsed = seconds(now - t0);
      const double left = elapsed / double(t - start) * double(total - t);
      opt.on_progress(t, total, elapsed, left);
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
