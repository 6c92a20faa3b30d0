// Checkpoints prove their integrity: a real checkpoint with one bit flipped anywhere (header, metrics, each field,
// the checksum itself) or cut off anywhere is refused, never resumed; the previous checkpoint is the fallback;
// another format is refused with a message that says so.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "network.hpp"
#include "rowspace_shared_step.hpp"
#include "run.hpp"
#include "xor_data.hpp"

using namespace rfa;
namespace fs = std::filesystem;

namespace {
// A checkpoint as a shared-pattern run writes it: metrics rows, C at the last refresh (a matrix) and a count.
std::string real_checkpoint() {
  const std::size_t N = 24, D = 60, M = 8;
  const DataSpec spec{D, std::pow(double(D), -1.2), 0.15, FlipMode::exact, Noise::gaussian};
  const Means means = random_means(D, 3);
  const Dataset<double> train = make_dataset<double>(sample_xor(spec, means, N, 3, Stream::train_data));
  RowSpaceSharedStepDescent<double> t(GradSource::closed, train.X, train.y, second_layer<double>(M),
                           init_weights<double>(M, D, 0.01 / double(M * D), 3), 0.1);
  RunOptions opt;
  opt.schedule = eval_schedule(30, 5, 5);
  opt.fingerprint = "test {\"n\": 24}";
  Checkpoint c;
  c.fingerprint = opt.fingerprint;
  c.metrics = run_training(t, train, nullptr, opt);
  c.step = 30;
  t.save(c);
  c.put_text("note", "extra text field");
  return serialize_checkpoint(c);
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("rfa_test_checkpoint_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("a checkpoint round-trips: fingerprint, step, metrics and every field, bit for bit") {
  const std::string bytes = real_checkpoint();
  const Checkpoint c = parse_checkpoint(bytes, "ckpt");
  CHECK(c.step == 30);
  CHECK(c.fingerprint == "test {\"n\": 24}");
  CHECK(c.metrics.size() == eval_schedule(30, 5, 5).size());
  CHECK(c.metrics.back().step == 30);
  CHECK(std::isnan(c.metrics.back().test_acc));  // no test set: NaN survives
  Tensor<double> C;
  c.get("C_refresh", C);
  CHECK(C.shape() == Shape::matrix(8, 24));
  CHECK(c.get_text("note") == "extra text field");
  CHECK(serialize_checkpoint(c) == bytes);
  Tensor<float> wrong;
  CHECK_THROWS_WITH_AS(c.get("C_refresh", wrong), doctest::Contains("another precision"), CheckpointError);
  Tensor<double> other(3, 3);
  CHECK_THROWS_WITH_AS(c.get("C_refresh", other), doctest::Contains("has shape (8, 24), this run needs (3, 3)"),
                       CheckpointError);
  CHECK_THROWS_WITH_AS(c.get_count("missing"), doctest::Contains("no field 'missing'"), CheckpointError);
}

TEST_CASE("one bit flipped anywhere in a real checkpoint is refused") {
  const std::string bytes = real_checkpoint();
  REQUIRE(bytes.size() > 1500);
  std::size_t refused = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ (1 << (at % 8)));
    try {
      parse_checkpoint(bad, "ckpt");
    } catch (const CheckpointError&) {
      ++refused;
      continue;
    }
    FAIL_CHECK("a flip at byte " << at << " of " << bytes.size() << " was accepted");
  }
  CHECK(refused == bytes.size());
}

TEST_CASE("a checkpoint cut off anywhere is refused, and so is one of another format") {
  const std::string bytes = real_checkpoint();
  for (std::size_t len = 0; len < bytes.size(); ++len)
    CHECK_THROWS_AS(parse_checkpoint(std::string_view(bytes).substr(0, len), "ckpt"), CheckpointError);
  CHECK_THROWS_WITH_AS(parse_checkpoint("rfa-checkpoint 1\nfingerprint x\n", "old.rfa"),
                       doctest::Contains("old.rfa: unusable checkpoint (written by another version of rfa"),
                       CheckpointError);
  CHECK_THROWS_WITH_AS(parse_checkpoint("hello", "x.rfa"), doctest::Contains("not an rfa checkpoint"), CheckpointError);
}

TEST_CASE("loading falls back to the previous checkpoint when the current one is damaged or missing") {
  TempDir dir;
  const std::string path = (dir.path / "checkpoint.rfa").string();
  CHECK_FALSE(load_checkpoint(path).has_value());
  Checkpoint c;
  c.fingerprint = "f";
  c.step = 10;
  save_checkpoint(path, c);
  c.step = 20;
  save_checkpoint(path, c);
  CHECK(load_checkpoint(path)->step == 20);
  std::string bytes = read_file(path);
  bytes[bytes.size() - 3] ^= 1;  // the checksum itself
  write_file_atomic(path, bytes);
  CHECK(load_checkpoint(path)->step == 10);
  fs::remove(path);
  CHECK(load_checkpoint(path)->step == 10);  // killed between keeping the previous one and renaming the new
  write_file_atomic(previous_checkpoint(path), "damaged");
  CHECK_THROWS_WITH_AS(load_checkpoint(path), doctest::Contains("checkpoint.rfa.prev: unusable"), CheckpointError);
}
