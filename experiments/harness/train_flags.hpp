// rfa-train's command line: its run (a RunSpec, with the file inputs), how it runs (RunControl, threads, --out),
// and the record its manifests and checkpoints keep of the run.
#pragma once

#include <optional>
#include <string>

#include "common.hpp"
#include "run_spec.hpp"

namespace rfa::cli {

struct TrainCommand {
  RunSpec spec;       // defaults: the paper's Figure 1 (n = 5000, d = 2, m = 500, 3000 steps at alpha = 0.05)
  RunControl control;
  int threads = all_cores();
  std::string out;    // empty: nothing written
  TrainCommand();
};

// Parses rfa-train's command line into c and checks every value. Returns an exit code when the program should stop
// now: 0 after --help or --version, 2 after a malformed flag (the message printed); throws UsageError for a value
// out of its range. Touches nothing else: the fuzz target calls it on arbitrary command lines.
std::optional<int> parse_train_command(int argc, char** argv, TrainCommand& c);

// rfa-train's record of a run: every setting that changes its numbers or outputs, in the form and order its
// manifests have always had; on one line, the checkpoint's fingerprint (so earlier runs still resume). Left out,
// because they change neither: --out, the checkpoint interval, --stop-at, --quiet and --threads (results agree
// across thread counts to rounding, so a run may be resumed with another; the manifest records this session's).
// `method` is as given (auto stays auto), omega2 as resolved (0 -> 1/(32 m)) once m is known.
Json train_record(const RunSpec& s);

}  // namespace rfa::cli
