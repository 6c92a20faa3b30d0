// .npy round trips for both dtypes and ranks, and every kind of malformed file.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "atomic_file.hpp"
#include "tensor_npy.hpp"
#include "test_util.hpp"

using namespace rfa;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("rfa_test_npy_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// A .npy file with the given header dict (padded as numpy pads it) followed by `data`.
std::string npy_bytes(const std::string& dict, const std::string& data, int version = 1) {
  std::string header = dict;
  const std::size_t preamble = version == 1 ? 10 : 12;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(version);
  out += '\0';
  for (std::size_t k = 0; k < (version == 1 ? 2u : 4u); ++k) out += char((header.size() >> (8 * k)) & 0xff);
  return out + header + data;
}

std::string doubles(std::size_t n) { return std::string(n * 8, '\0'); }

void write_raw(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Reading `bytes` must fail with a message that names the file and contains `problem`.
void expect_rejected(const TempDir& dir, const std::string& bytes, const std::string& problem) {
  const std::string path = dir.file("bad.npy");
  write_raw(path, bytes);
  try {
    read_npy<double>(path);
    FAIL("read_npy accepted a malformed file; expected: " << problem);
  } catch (const NpyError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find(problem) != std::string::npos);
  }
}
}  // namespace

TEST_CASE_TEMPLATE("npy round trip: rank 1 and rank 2", T, float, double) {
  TempDir dir;
  Tensor<T> m(3, 5), v(7);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = T(0.1) * T(i) - T(0.7);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = T(1) / T(i + 1);
  write_npy(dir.file("m.npy"), m);
  write_npy(dir.file("v.npy"), v);
  const Tensor<T> m2 = read_npy<T>(dir.file("m.npy"));
  const Tensor<T> v2 = read_npy<T>(dir.file("v.npy"));
  CHECK(m2.shape() == m.shape());
  CHECK(v2.shape() == v.shape());
  for (std::size_t i = 0; i < m.size(); ++i) CHECK(m2[i] == m[i]);
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v2[i] == v[i]);
  // The data starts on a 64-byte boundary, as numpy writes it.
  CHECK((fs::file_size(dir.file("m.npy")) - m.size() * sizeof(T)) % 64 == 0);
  // No temporary file is left behind.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 2);
}

TEST_CASE("npy: float32 files are read into double and the other way round") {
  TempDir dir;
  Tensor<float> f{0.5f, -2.25f};
  write_npy(dir.file("f.npy"), f);
  const Tensor<double> d = read_npy<double>(dir.file("f.npy"));
  CHECK(d[0] == 0.5);
  CHECK(d[1] == -2.25);
  write_npy(dir.file("d.npy"), d);
  CHECK(read_npy<float>(dir.file("d.npy"))[1] == -2.25f);
}

TEST_CASE("npy: a file written by numpy's layout, version 2.0 and a one-column matrix") {
  TempDir dir;
  std::string data(16, '\0');
  const double vals[] = {1.5, -3.0};
  std::memcpy(data.data(), vals, 16);
  write_raw(dir.file("v2.npy"), npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", data, 2));
  const Tensor<double> t = read_npy<double>(dir.file("v2.npy"));
  CHECK(t.shape() == Shape::matrix(2, 1));
  CHECK(t[1] == -3.0);
}

TEST_CASE("npy: each kind of malformed file is rejected with the file and the problem named") {
  TempDir dir;
  const std::string ok_dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  expect_rejected(dir, "not an npy file at all, just text", "bad magic");
  expect_rejected(dir, npy_bytes(ok_dict, doubles(6), 9), "unsupported .npy format version 9");
  expect_rejected(dir, npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", doubles(6)),
                  "unsupported dtype '<i8'");
  expect_rejected(dir, npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", doubles(6)),
                  "big-endian");
  expect_rejected(dir, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", doubles(6)),
                  "Fortran");
  expect_rejected(dir, npy_bytes(ok_dict, doubles(5)), "truncated: expected 48 bytes of data, found 40");
  expect_rejected(dir, npy_bytes(ok_dict, doubles(7)), "inconsistent: 8 bytes after the data");
  expect_rejected(dir, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }", doubles(24)),
                  "rank 3");
  expect_rejected(dir, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999, 99999999999), }", doubles(6)),
                  "absurd shape");
  expect_rejected(dir, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", doubles(6)),
                  "malformed .npy header");
  expect_rejected(dir, npy_bytes("{'descr': '<f8', 'shape': (2, 3), }", doubles(6)), "lacks one of");
  // An absurd header length: the 4-byte length field of version 2 says 4 GB.
  std::string huge = "\x93NUMPY\x02";
  huge += '\0';
  huge += std::string("\xff\xff\xff\xff", 4);
  expect_rejected(dir, huge, "absurd header length");
  // The header length points past the end of the file.
  std::string cut = npy_bytes(ok_dict, "");
  expect_rejected(dir, cut.substr(0, 40), "truncated");
}

TEST_CASE("npy: a missing file is an NpyError naming it") {
  CHECK_THROWS_WITH_AS(read_npy<double>("/nonexistent/x.npy"), doctest::Contains("/nonexistent/x.npy"), NpyError);
}

TEST_CASE("atomic files: a write that fails (file too large) leaves the old file and no temporary, and says why") {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomic(path, "old");
  // RLIMIT_FSIZE makes every write past 4 KiB fail with EFBIG, as a full disk fails with ENOSPC.
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit saved {};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    write_file_atomic(path, std::string(100000, 'x'));
  } catch (const FileError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  INFO(message);
  CHECK(message.find(path) != std::string::npos);
  CHECK(message.find("File too large") != std::string::npos);
  CHECK(read_file(path) == "old");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
}

TEST_CASE("atomic files: the previous version kept beside the new one; stale temporaries removed") {
  TempDir dir;
  const std::string path = dir.file("ckpt"), prev = dir.file("ckpt.prev");
  write_file_atomic_keep(path, prev, "first");
  CHECK(read_file(path) == "first");
  CHECK_FALSE(fs::exists(prev));
  write_file_atomic_keep(path, prev, "second");
  CHECK(read_file(path) == "second");
  CHECK(read_file(prev) == "first");
  write_raw(dir.file("ckpt.tmp.12345"), "left by a killed writer");
  remove_stale_temporaries(dir.path.string());
  CHECK_FALSE(fs::exists(dir.file("ckpt.tmp.12345")));
  CHECK(fs::exists(path));
  CHECK(fs::exists(prev));
}
