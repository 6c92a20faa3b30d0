// The plumbing of every rfa program, rfa-train and rfa-bench included: exit codes and the exception-to-exit-code
// mapping, input checks with clear messages, the output directory, a small JSON writer for manifests, the claims
// file, gnuplot, CSV output and duration formatting. What only the experiment programs share is in program.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "metrics.hpp"

namespace rfa::cli {

// Exit codes: 0 success; 1 a run failed (diverged, a result could not be written, a figure could not be drawn, a
// check did not pass); 2 bad input (flags, files, data, a busy or damaged run directory); 3 an internal error (a
// bug in rfa); 130 stopped by a signal (a checkpoint was written).
constexpr int EXIT_RUN_FAILED = 1;
constexpr int EXIT_BAD_INPUT = 2;
constexpr int EXIT_INTERNAL_ERROR = 3;
constexpr int EXIT_STOPPED = 130;

// The help of --grad, for every program that has it: what the tape differentiates under each --method.
constexpr const char* GRAD_HELP =
    "where the gradient comes from: the tape or the paper's closed form (the same trajectory to rounding; closed is "
    "as fast or faster). The tape differentiates the loss with respect to what the method holds: dL/dW for plain; "
    "dL/dC for rowspace (W = W0 + C X; about 2x the closed form's time); dL/df for patterns and plain-patterns, "
    "whose shared products are exact accelerations of the row-space dL/dC and the plain dL/dW";

// Bad input from the user: reported as "<program>: error: <message>" with exit code 2.
struct UsageError : InputError {
  using InputError::InputError;
};

// Each throws UsageError("--flag must be ..., got ...").
void require_positive(const char* flag, double v);            // finite and > 0
void require_nonnegative(const char* flag, double v);         // finite and >= 0
void require_at_least(const char* flag, long long v, long long lo);
// An evaluation schedule's flags: --dense at most 10^7 (every step up to it is evaluated and kept) and --per-decade
// at most 10^4. Throws UsageError.
void require_schedule(std::size_t dense, std::size_t per_decade);
// A count of threads or processes to start: 1 <= v <= MAX_THREADS. Beyond that the system refuses to start them
// (or the machine thrashes), so the value is refused up front rather than failing half-way.
constexpr long long MAX_THREADS = 1024;
void require_threads(const char* flag, long long v);
void require_size(const char* flag, std::size_t v, std::size_t lo);  // lo <= v <= 2^31 - 1 (a BLAS dimension)
void require_eta(const char* flag, double v);                 // in [0, 0.5)
void require_one_of(const char* flag, const std::string& v, std::initializer_list<const char*> allowed);

// The first thing every rfa program does: OpenBLAS's kernels are checked (which may re-execute the program with
// OPENBLAS_CORETYPE set, see openblas.hpp) and, in a program that trains, the stop handlers installed (run.hpp), so
// that a Ctrl-C even during the set-up stops the run cleanly before its first step.
enum class Trains { no, yes };
void start_program(char** argv, Trains trains);

// Runs a program's body: maps exceptions to a message on stderr and an exit code (see above): InputError (and its
// kinds: UsageError, NpyError, CheckpointError, LockError) to 2, TrainingInterrupted to 130, other runtime errors
// (TrainingDiverged, FileError) to 1, anything else to 3. CLI11's own parse errors are handled by Args::parse.
int guarded_main(const char* program, const std::function<int()>& body);

// Creates the output directory (and its parents) if needed; throws UsageError if the path is not a directory.
void prepare_out_dir(const std::string& dir);

// All the cores of the machine: the default of every program's --threads.
int all_cores();

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

// The process's peak resident memory so far, in MiB (from getrusage).
double peak_rss_mb();

// The project version (from meson.build), the commit it was built from (git describe; "not built from a git
// checkout" otherwise), and what every program prints for --version: those, the OpenBLAS build and core, and the
// instruction set of rfa's own loops. Manifests record the same strings.
const char* version();
const char* commit();
std::string version_text(const std::string& program);
// The same as fields of a manifest: program, version, commit, openblas, openblas_core, kernels.
class Json;
Json provenance(const std::string& program);

// A JSON object written in insertion order. Numbers are written in shortest round-trip form; NaN and
// infinities (not JSON) become null.
class Json {
 public:
  Json& add(const std::string& key, const std::string& value);
  Json& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  Json& add(const std::string& key, double value);
  Json& add(const std::string& key, long long value);
  Json& add(const std::string& key, unsigned long long value);
  Json& add(const std::string& key, int value) { return add(key, static_cast<long long>(value)); }
  Json& add(const std::string& key, std::size_t value) { return add(key, static_cast<unsigned long long>(value)); }
  Json& add(const std::string& key, bool value);
  Json& add(const std::string& key, const Json& object);
  Json& add(const std::string& key, const std::vector<double>& values);
  Json& add_raw(const std::string& key, std::string json);
  Json& merge(const Json& other);  // other's fields, appended
  std::string str(int indent = 0) const;
  // On one line: {"a": 1, "b": {"c": "x"}} (for fingerprints).
  std::string compact() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string json_string(const std::string& s);
std::string json_number(double v);

// One row of a results table that sets a claim of the paper beside what we measured.
struct Claim {
  std::string id;       // short key, e.g. "fig1.clean"
  std::string claim;    // what the paper says
  std::string paper;    // the paper's value, as stated or read off its figure
  std::string ours;     // what we measured
  std::string verdict;  // "agree", "partly", "disagree" or "untested"
  std::string note;     // how it was measured, or why we differ
};
// Writes claims as tab-separated lines (id, claim, paper, ours, verdict, note), atomically.
void write_claims(const std::string& path, const std::vector<Claim>& claims);
// Reads them back (rfa-report). Throws InputError naming file and line for a line without six fields or with
// another verdict.
std::vector<Claim> read_claims(const std::string& path);
// The lines of a tab-separated file, each with exactly `fields` fields. Throws InputError naming file and line.
std::vector<std::vector<std::string>> read_tsv(const std::string& path, std::size_t fields);

// Runs gnuplot on `script` (saved as <dir>/<name>.gp for anyone who wants to restyle the figure). The script
// must write <name>.png.tmp and <name>.svg.tmp in `dir`; they are renamed to <name>.png and <name>.svg once
// gnuplot succeeded. Returns false with a warning on stderr when gnuplot is missing or fails.
bool plot(const std::string& dir, const std::string& name, const std::string& script);

// A gnuplot preamble: the pngcairo terminal at the given size and the output file <name>.png.tmp, with
// 'set output' and terminal switching to SVG done by plot_both().
std::string plot_both(const std::string& name, int width, int height, const std::string& body);

// The metrics of a run at step size alpha as CSV text (header and rows), with the flow time alpha * step last.
std::string metrics_csv(const std::vector<Metrics>& rows, double alpha);
// Flow time alpha * step as the CSVs write it (12 significant digits: 0.3, not 0.30000000000000004).
std::string flow_text(double alpha, std::size_t step);
// A metrics row as a JSON object.
Json metrics_json(const Metrics& m);

}  // namespace rfa::cli
