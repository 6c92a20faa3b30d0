#include "npy.hpp"

#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "atomic_file.hpp"

namespace rfa::npy {

// The format stores little-endian data; reading straight into memory assumes the host is too.
static_assert(std::endian::native == std::endian::little, "rfa's .npy code assumes a little-endian host");

namespace {

constexpr char MAGIC[] = "\x93NUMPY";
constexpr std::size_t MAGIC_LEN = 6;
constexpr std::size_t MAX_HEADER = 1 << 16;  // numpy itself refuses headers past 10 KB by default

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<std::size_t> shape;
};

// A parser for the one Python dict literal a .npy header holds, e.g.
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), s_(text) {}

  Header parse() {
    Header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string();
      expect(':');
      if (key == "descr") h.descr = string(), seen_descr = true;
      else if (key == "fortran_order") h.fortran = boolean(), seen_order = true;
      else if (key == "shape") h.shape = tuple(), seen_shape = true;
      else fail(fmt::format("unexpected header key '{}'", key));
      if (!peek('}')) expect(',');
    }
    expect('}');
    if (!seen_descr || !seen_order || !seen_shape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw NpyError(fmt::format("{}: malformed .npy header: {} (header: {})", path_, what, s_));
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool peek(char c) {
    skip_space();
    return i_ < s_.size() && s_[i_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(fmt::format("expected '{}' at position {}", c, i_));
    ++i_;
  }
  std::string string() {
    skip_space();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) fail(fmt::format("expected a string at {}", i_));
    const char q = s_[i_++];
    const std::size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string v(s_.substr(i_, end - i_));
    i_ = end + 1;
    return v;
  }
  bool boolean() {
    skip_space();
    if (s_.substr(i_, 4) == "True") return i_ += 4, true;
    if (s_.substr(i_, 5) == "False") return i_ += 5, false;
    fail("fortran_order must be True or False");
  }
  std::vector<std::size_t> tuple() {
    std::vector<std::size_t> dims;
    expect('(');
    while (!peek(')')) {
      skip_space();
      std::size_t start = i_;
      std::uint64_t v = 0;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
        if (v > (UINT64_MAX - 9) / 10) fail("a dimension is absurdly large");
        v = v * 10 + static_cast<std::uint64_t>(s_[i_++] - '0');
      }
      if (i_ == start) fail("shape must be a tuple of non-negative integers");
      dims.push_back(v);
      if (dims.size() > 32) fail("shape has too many dimensions");
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }

  const std::string& path_;
  std::string_view s_;
  std::size_t i_ = 0;
};

std::uint32_t read_le(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

}  // namespace

template <typename T>
void parse(std::string_view bytes, const std::string& name, const Destination<T>& dest) {
  auto fail = [&](const std::string& what) -> NpyError { return NpyError(fmt::format("{}: {}", name, what)); };

  if (bytes.size() < MAGIC_LEN + 2 || std::memcmp(bytes.data(), MAGIC, MAGIC_LEN) != 0)
    throw fail("not a .npy file (bad magic string; expected \\x93NUMPY)");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const int major = u[6];
  if (major < 1 || major > 3) throw fail(fmt::format("unsupported .npy format version {}.{}", major, int(u[7])));
  const int len_bytes = major == 1 ? 2 : 4;
  const std::size_t preamble = MAGIC_LEN + 2 + len_bytes;
  if (bytes.size() < preamble) throw fail("truncated: the file ends inside the header length");
  const std::size_t header_len = read_le(u + MAGIC_LEN + 2, len_bytes);
  if (header_len > MAX_HEADER) throw fail(fmt::format("absurd header length {} bytes", header_len));
  if (bytes.size() < preamble + header_len)
    throw fail(fmt::format("truncated: header claims {} bytes, the file has {}", header_len, bytes.size() - preamble));

  const Header h = HeaderParser(name, bytes.substr(preamble, header_len)).parse();

  std::size_t item = 0;
  if (h.descr == "<f8" || h.descr == "=f8") item = 8;
  else if (h.descr == "<f4" || h.descr == "=f4") item = 4;
  else if (h.descr == ">f8" || h.descr == ">f4")
    throw fail(fmt::format("big-endian dtype '{}' is not supported; save with arr.astype('<f8')", h.descr));
  else
    throw fail(fmt::format("unsupported dtype '{}': rfa reads float32 ('<f4') and float64 ('<f8'); "
                           "convert with arr.astype(np.float64)", h.descr));
  if (h.fortran)
    throw fail("Fortran-ordered arrays are not supported; save np.ascontiguousarray(arr) instead");
  if (h.shape.size() != 1 && h.shape.size() != 2)
    throw fail(fmt::format("rank {} array: rfa reads vectors (rank 1) and matrices (rank 2)", h.shape.size()));

  const std::size_t rows = h.shape[0], cols = h.shape.size() == 2 ? h.shape[1] : 1;
  const std::size_t data_bytes = bytes.size() - preamble - header_len;
  if (cols != 0 && rows > SIZE_MAX / item / cols)
    throw fail(fmt::format("absurd shape ({}, {}): its size does not fit in memory", rows, cols));
  const std::size_t want = rows * cols * item;
  if (data_bytes < want) throw fail(fmt::format("truncated: expected {} bytes of data, found {}", want, data_bytes));
  if (data_bytes > want)
    throw fail(fmt::format("inconsistent: {} bytes after the data that the shape does not account for",
                           data_bytes - want));

  T* out = dest(static_cast<int>(h.shape.size()), rows, cols);
  const char* src = bytes.data() + preamble + header_len;
  for (std::size_t k = 0; k < rows * cols; ++k) {
    if (item == 8) {
      double v;
      std::memcpy(&v, src + 8 * k, 8);
      out[k] = static_cast<T>(v);
    } else {
      float v;
      std::memcpy(&v, src + 4 * k, 4);
      out[k] = static_cast<T>(v);
    }
  }
}

template <typename T>
void read(const std::string& path, const Destination<T>& dest) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const InputError& e) {
    throw NpyError(e.what());
  }
  parse<T>(bytes, path, dest);
}

template <typename T>
void write(const std::string& path, const T* data, int rank, std::size_t rows, std::size_t cols) {
  const std::string shape = rank == 1 ? fmt::format("({},)", rows) : fmt::format("({}, {})", rows, cols);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   sizeof(T) == 8 ? "<f8" : "<f4", shape);
  // Pad with spaces so that the data starts at a multiple of 64 bytes, and end with a newline, as numpy does.
  const std::size_t preamble = MAGIC_LEN + 2 + 2;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';

  std::string out(MAGIC, MAGIC_LEN);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(data), (rank == 1 ? rows : rows * cols) * sizeof(T));
  write_file_atomic(path, out);
}

#define RFA_INSTANTIATE(T)                                                                 \
  template void parse<T>(std::string_view, const std::string&, const Destination<T>&);    \
  template void read<T>(const std::string&, const Destination<T>&);                       \
  template void write<T>(const std::string&, const T*, int, std::size_t, std::size_t);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa::npy
