// Result files that are either complete or absent: a file is written to a temporary name beside the target,
// flushed to the disk (fsync), and only then renamed over the target. A crash, a kill, a full disk or a power cut
// leaves the old file (or none), never half of a new one.
#pragma once

#include <string>
#include <string_view>

#include "errors.hpp"

namespace rfa {

// Writes `content` to `path` atomically. Throws FileError naming the file and the reason (for example "No space
// left on device", "File too large", "Read-only file system") when it cannot; the old file is then untouched and
// no temporary file is left behind.
void write_file_atomic(const std::string& path, std::string_view content);

// Writes `content` to `path` atomically, and keeps what `path` held before as `previous` (renamed, so that one of
// the two always exists and is complete): for checkpoints, where the previous one is the fallback.
void write_file_atomic_keep(const std::string& path, const std::string& previous, std::string_view content);

// Removes the temporary files that a killed writer left in `dir` ("<name>.tmp.<pid>"). Only safe while no other
// process writes into `dir` (see run_lock.hpp).
void remove_stale_temporaries(const std::string& dir);

// The whole content of a file; throws InputError naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace rfa
