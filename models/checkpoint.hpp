// Checkpoints: a training run's state at a step, so that a stopped run resumes with exactly the numbers of an
// uninterrupted one.
//
// A checkpoint holds the run's fingerprint (every setting that changes its numbers or outputs), the step, the
// metrics so far, and named fields: the trainer's state (W for plain training, C for row space, ...) and whatever
// an experiment keeps beside it. The file format (version 2) is text lines, then the fields' raw bytes, then a
// checksum over all of it:
//     rfa-checkpoint 2
//     fingerprint <one line>
//     step <t>
//     metrics <K>              followed by K lines of metrics CSV (metrics.hpp)
//     fields <F>               followed by F lines: <name> <type> <rows> <cols> <bytes>  (type f32, f64, u64, text)
//     <the fields' bytes, in that order>
//     checksum <16 hex digits> 64-bit FNV-1a over everything before this line
// The checksum is checked before anything is used, so a flipped bit or a cut-off file is refused, never resumed.
// The previous checkpoint is kept beside the current one (<path>.prev) and used when the current one is damaged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "metrics.hpp"
#include "tensor.hpp"

namespace rfa {

// A checkpoint that cannot be used: damaged, of another format or precision, or made with other settings.
struct CheckpointError : InputError {
  using InputError::InputError;
};

struct Checkpoint {
  struct Field {
    std::string type;  // "f32", "f64", "u64" or "text"
    std::size_t rows = 0, cols = 0;
    std::string bytes;
  };

  std::string fingerprint;
  std::size_t step = 0;
  std::vector<Metrics> metrics;
  std::map<std::string, Field> fields;

  // A tensor of float or double under `name`; get() needs a field of the same type and of t's shape (or, when t is
  // empty, any shape) and throws CheckpointError otherwise.
  template <typename T>
  void put(const std::string& name, const Tensor<T>& t);
  template <typename T>
  void get(const std::string& name, Tensor<T>& t) const;
  void put_count(const std::string& name, std::uint64_t v);
  std::uint64_t get_count(const std::string& name) const;
  void put_text(const std::string& name, const std::string& text);
  std::string get_text(const std::string& name) const;
  bool has(const std::string& name) const { return fields.count(name) > 0; }

 private:
  const Field& field(const std::string& name, const char* type) const;
};

// The file's bytes, and back. `name` names the file in errors. parse_checkpoint() checks the checksum first
// unless verify_checksum is false (the fuzzer uses that to reach the parser behind it).
std::string serialize_checkpoint(const Checkpoint& c);
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& name, bool verify_checksum = true);

// Writes the checkpoint atomically and keeps the one it replaces as <path>.prev.
void save_checkpoint(const std::string& path, const Checkpoint& c);
// Reads <path>; when it is damaged, falls back to <path>.prev (with a note on stderr). Nothing when neither file
// exists; CheckpointError when none of them can be used.
std::optional<Checkpoint> load_checkpoint(const std::string& path);
std::string previous_checkpoint(const std::string& path);  // "<path>.prev"

}  // namespace rfa
