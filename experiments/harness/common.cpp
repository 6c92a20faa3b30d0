#include "common.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "blas.hpp"
#include "isa.hpp"
#include "openblas.hpp"
#include "npy.hpp"
#include "parallel.hpp"
#include "run.hpp"

#ifndef RFA_VERSION
#define RFA_VERSION "unknown"
#endif

namespace rfa::cli {

void require_positive(const char* flag, double v) {
  if (!(v > 0) || !std::isfinite(v)) throw UsageError(fmt::format("{} must be finite and > 0, got {}", flag, v));
}

void require_nonnegative(const char* flag, double v) {
  if (!(v >= 0) || !std::isfinite(v)) throw UsageError(fmt::format("{} must be finite and >= 0, got {}", flag, v));
}

void require_at_least(const char* flag, long long v, long long lo) {
  if (v < lo) throw UsageError(fmt::format("{} must be >= {}, got {}", flag, lo, v));
}

void require_schedule(std::size_t dense, std::size_t per_decade) {
  if (dense > 10000000)
    throw UsageError(fmt::format("--dense must be at most 10^7 (every step up to it is evaluated and kept), got {}", dense));
  if (per_decade > 10000) throw UsageError(fmt::format("--per-decade must be at most 10^4, got {}", per_decade));
}

void require_threads(const char* flag, long long v) {
  if (v < 1 || v > MAX_THREADS)
    throw UsageError(fmt::format("{} must be between 1 and {} (the most threads rfa starts), got {}", flag,
                                 MAX_THREADS, v));
}

void require_size(const char* flag, std::size_t v, std::size_t lo) {
  if (v < lo) throw UsageError(fmt::format("{} must be >= {}, got {}", flag, lo, v));
  if (v > 2147483647u)
    throw UsageError(fmt::format("{} must be at most 2147483647 (a dimension of the BLAS), got {}", flag, v));
}

void require_eta(const char* flag, double v) {
  if (!(v >= 0 && v < 0.5)) throw UsageError(fmt::format("{} must be in [0, 0.5), got {}", flag, v));
}

void require_one_of(const char* flag, const std::string& v, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw UsageError(fmt::format("{} must be one of {}; got '{}'", flag, list, v));
}

void start_program(char** argv, Trains trains) {
  openblas::select_kernels(argv);
  if (trains == Trains::yes) install_stop_handlers();
}

int guarded_main(const char* program, const std::function<int()>& body) {
  // A full disk turns writes into EFBIG or ENOSPC errors with a message naming the file; without this, writing past
  // a file-size limit would kill the process with SIGXFSZ instead.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return body();
  } catch (const InputError& e) {  // flags, files, data, a busy or damaged run directory
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return EXIT_BAD_INPUT;
  } catch (const TrainingInterrupted& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return EXIT_STOPPED;
  } catch (const std::bad_alloc& e) {
    fmt::print(stderr, "{}: error: out of memory ({}); the sizes asked for need more than this machine has\n", program,
               e.what());
    return EXIT_RUN_FAILED;
  } catch (const std::runtime_error& e) {  // a diverged run, a file that could not be written, an overflow
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return EXIT_RUN_FAILED;
  } catch (const std::exception& e) {  // a ShapeError or TapeError escaping rfa itself: a bug, not the user's doing
    fmt::print(stderr, "{}: internal error: {} (this is a bug in rfa; please report it with the command line)\n",
               program, e.what());
    return EXIT_INTERNAL_ERROR;
  }
}

void prepare_out_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir) && !fs::is_directory(dir)) throw UsageError(fmt::format("--out {}: exists and is not a directory", dir));
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("--out {}: cannot create the directory: {}", dir, ec.message()));
}

int all_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::string format_duration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  const auto total = static_cast<long long>(std::llround(s));
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

const char* build_commit();  // version.cpp, generated
const char* version() { return RFA_VERSION; }
const char* commit() { return build_commit(); }

std::string version_text(const std::string& program) {
  return fmt::format("{} {} (commit {})\n{}\nrfa's kernels: {}; OpenBLAS kernels: {}", program, version(), commit(),
                     openblas::config(), to_string(isa()), openblas::core_name());
}

double peak_rss_mb() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux; this is MiB (the JSON key keeps "mb")
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
        else out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

Json& Json::add(const std::string& key, const std::string& value) { return add_raw(key, json_string(value)); }
Json& Json::add(const std::string& key, double value) { return add_raw(key, json_number(value)); }
Json& Json::add(const std::string& key, long long value) { return add_raw(key, fmt::format("{}", value)); }
Json& Json::add(const std::string& key, unsigned long long value) { return add_raw(key, fmt::format("{}", value)); }
Json& Json::add(const std::string& key, bool value) { return add_raw(key, value ? "true" : "false"); }
Json& Json::add(const std::string& key, const Json& object) { return add_raw(key, object.str()); }
Json& Json::add(const std::string& key, const std::vector<double>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + json_number(values[i]);
  return add_raw(key, s + "]");
}
Json& Json::merge(const Json& other) {
  fields_.insert(fields_.end(), other.fields_.begin(), other.fields_.end());
  return *this;
}

Json provenance(const std::string& program) {
  Json j;
  j.add("program", program).add("version", version()).add("commit", commit()).add("openblas", openblas::config())
      .add("openblas_core", openblas::core_name()).add("kernels", to_string(isa()));
  return j;
}

Json& Json::add_raw(const std::string& key, std::string json) {
  fields_.emplace_back(key, std::move(json));
  return *this;
}

std::string Json::str(int indent) const {
  if (fields_.empty()) return "{}";
  const std::string pad(indent + 2, ' '), close(indent, ' ');
  std::string s = "{\n";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    std::string value = fields_[i].second;
    // Re-indent nested objects.
    for (std::size_t p = 0; (p = value.find('\n', p)) != std::string::npos; p += 1 + pad.size()) value.insert(p + 1, pad);
    s += pad + json_string(fields_[i].first) + ": " + value + (i + 1 < fields_.size() ? ",\n" : "\n");
  }
  return s + close + "}";
}

std::string Json::compact() const {
  // str() puts a newline and indentation between fields only (strings escape their newlines), so removing every
  // newline with the spaces after it leaves the same JSON on one line.
  const std::string s = str();
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') {
      out += s[i];
      continue;
    }
    while (i + 1 < s.size() && s[i + 1] == ' ') ++i;
    if (i + 1 < s.size() && s[i + 1] != '}' && out.back() != '{') out += ' ';
  }
  return out;
}

void write_claims(const std::string& path, const std::vector<Claim>& claims) {
  std::string out;
  for (const Claim& c : claims)
    out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", c.id, c.claim, c.paper, c.ours, c.verdict, c.note);
  write_file_atomic(path, out);
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path, std::size_t fields) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  for (std::size_t no = 1; std::getline(in, line); ++no) {
    std::vector<std::string> f;
    std::size_t a = 0;
    for (std::size_t b; (b = line.find('\t', a)) != std::string::npos; a = b + 1) f.push_back(line.substr(a, b - a));
    f.push_back(line.substr(a));
    if (f.size() != fields)
      throw InputError(fmt::format("{}:{}: {} tab-separated fields, expected {}", path, no, f.size(), fields));
    rows.push_back(std::move(f));
  }
  return rows;
}

std::vector<Claim> read_claims(const std::string& path) {
  std::vector<Claim> claims;
  for (auto& f : read_tsv(path, 6)) {
    if (f[4] != "agree" && f[4] != "partly" && f[4] != "disagree" && f[4] != "untested")
      throw InputError(fmt::format("{}: claim {} has verdict '{}', expected agree, partly, disagree or untested",
                                   path, f[0], f[4]));
    claims.push_back({f[0], f[1], f[2], f[3], f[4], f[5]});
  }
  return claims;
}

std::string plot_both(const std::string& name, int width, int height, const std::string& body) {
  // The body is drawn twice: once to PNG, once to SVG.
  return fmt::format(
      "set terminal pngcairo size {w},{h} font 'Sans,11'\nset output '{n}.png.tmp'\n{b}\n"
      "set terminal svg size {w},{h} font 'Sans,11' dynamic\nset output '{n}.svg.tmp'\n{b}\nunset output\n",
      fmt::arg("w", width), fmt::arg("h", height), fmt::arg("n", name), fmt::arg("b", body));
}

namespace {
// Runs gnuplot on <dir>/<name>.gp in `dir`, its messages in <name>.gp.log; its exit status (-1 when it could not
// start). Not std::system: that ignores SIGINT in the caller while the child runs, and a Ctrl-C during a figure
// must reach the stop handlers (run.hpp).
int run_gnuplot(const std::string& dir, const std::string& name) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    const int log = ::open((name + ".gp.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) ::dup2(log, 2);
    ::execlp("gnuplot", "gnuplot", (name + ".gp").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

bool plot(const std::string& dir, const std::string& name, const std::string& script) {
  namespace fs = std::filesystem;
  write_file_atomic(dir + "/" + name + ".gp", script);
  const int rc = run_gnuplot(dir, name);
  const std::string png = dir + "/" + name + ".png", svg = dir + "/" + name + ".svg";
  if (rc != 0 || !fs::exists(png + ".tmp") || !fs::exists(svg + ".tmp")) {
    fmt::print(stderr, "warning: gnuplot could not draw {} (is gnuplot installed? see {}/{}.gp.log)\n", name, dir, name);
    fs::remove(png + ".tmp");
    fs::remove(svg + ".tmp");
    return false;
  }
  fs::rename(png + ".tmp", png);
  fs::rename(svg + ".tmp", svg);
  fs::remove(dir + "/" + name + ".gp.log");
  return true;
}

std::string flow_text(double alpha, std::size_t step) { return fmt::format("{:.12g}", alpha * double(step)); }

std::string metrics_csv(const std::vector<Metrics>& rows, double alpha) {
  std::string s = metrics_csv_header() + ",flow_time\n";
  for (const Metrics& m : rows) s += metrics_csv_row(m) + "," + flow_text(alpha, m.step) + "\n";
  return s;
}

Json metrics_json(const Metrics& m) {
  Json j;
  j.add("step", m.step)
      .add("loss", m.loss)
      .add("train_acc", m.train_acc)
      .add("train_clean_acc", m.train_clean_acc)
      .add("train_flipped_acc", m.train_flipped_acc)
      .add("test_acc", m.test_acc)
      .add("test_clean_acc", m.test_clean_acc)
      .add("w_norm", m.w_norm);
  return j;
}

}  // namespace rfa::cli
