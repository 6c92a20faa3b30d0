#include "checkpoint.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "atomic_file.hpp"

namespace rfa {

namespace {

constexpr const char* MAGIC = "rfa-checkpoint 2";
constexpr std::size_t MAX_FIELDS = 256;

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

template <typename T>
const char* type_name() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

// Reads the text lines of a checkpoint one by one, and raises CheckpointError naming the file.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& name) : s_(bytes), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw CheckpointError(fmt::format("{}: unusable checkpoint ({})", name_, why));
  }
  std::string_view line(const char* what) {
    const std::size_t end = s_.find('\n', pos_);
    if (end == std::string_view::npos) fail(fmt::format("cut off before its {}", what));
    const std::string_view l = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return l;
  }
  // "<key> <rest>" -> rest
  std::string_view keyed(const char* key) {
    const std::string_view l = line(key);
    const std::size_t n = std::strlen(key);
    if (l.size() < n + 1 || l.substr(0, n) != key || l[n] != ' ') fail(fmt::format("no '{}' line", key));
    return l.substr(n + 1);
  }
  std::uint64_t number(std::string_view text, const char* what) const {
    if (text.empty() || text.size() > 19) fail(fmt::format("bad {} '{}'", what, text));
    std::uint64_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') fail(fmt::format("bad {} '{}'", what, text));
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view s_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

double parse_value(const Reader& r, std::string_view text) {
  if (text == "nan") return NAN;
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) r.fail(fmt::format("bad number '{}' in the metrics", s));
  return v;
}

Metrics parse_metrics(const Reader& r, std::string_view line) {
  const std::vector<std::string_view> f = split(line, ',');
  if (f.size() != 8) r.fail(fmt::format("a metrics row has {} fields, not 8", f.size()));
  Metrics m;
  m.step = r.number(f[0], "metrics step");
  double* values[] = {&m.loss, &m.train_acc, &m.train_clean_acc, &m.train_flipped_acc,
                      &m.test_acc, &m.test_clean_acc, &m.w_norm};
  for (int k = 0; k < 7; ++k) *values[k] = parse_value(r, f[k + 1]);
  return m;
}

}  // namespace

template <typename T>
void Checkpoint::put(const std::string& name, const Tensor<T>& t) {
  Field& f = fields[name];
  f.type = type_name<T>();
  f.rows = t.rows(), f.cols = t.rank() == 1 ? 0 : t.cols();  // cols 0 marks a vector
  f.bytes.assign(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(T));
}

template <typename T>
void Checkpoint::get(const std::string& name, Tensor<T>& t) const {
  const Field& f = field(name, type_name<T>());
  const Shape s = f.cols == 0 ? Shape::vector(f.rows) : Shape::matrix(f.rows, f.cols);
  if (t.size() != 0 && t.shape() != s)
    throw CheckpointError(fmt::format("checkpoint field '{}' has shape {}, this run needs {}", name, to_string(s),
                                      to_string(t.shape())));
  t.resize(s);
  if (f.bytes.size() != t.size() * sizeof(T)) throw CheckpointError(fmt::format("checkpoint field '{}' is cut off", name));
  std::memcpy(t.data(), f.bytes.data(), f.bytes.size());
}

void Checkpoint::put_count(const std::string& name, std::uint64_t v) {
  fields[name] = Field{"u64", 1, 0, std::string(reinterpret_cast<const char*>(&v), sizeof v)};
}

std::uint64_t Checkpoint::get_count(const std::string& name) const {
  const Field& f = field(name, "u64");
  std::uint64_t v = 0;
  if (f.bytes.size() != sizeof v) throw CheckpointError(fmt::format("checkpoint field '{}' is not one count", name));
  std::memcpy(&v, f.bytes.data(), sizeof v);
  return v;
}

void Checkpoint::put_text(const std::string& name, const std::string& text) {
  fields[name] = Field{"text", text.size(), 0, text};
}

std::string Checkpoint::get_text(const std::string& name) const { return field(name, "text").bytes; }

const Checkpoint::Field& Checkpoint::field(const std::string& name, const char* type) const {
  const auto it = fields.find(name);
  if (it == fields.end()) throw CheckpointError(fmt::format("the checkpoint has no field '{}'", name));
  if (it->second.type != type)
    throw CheckpointError(fmt::format("checkpoint field '{}' holds {}, this run needs {}{}", name, it->second.type, type,
                                      it->second.type[0] == 'f' ? " (saved in another precision)" : ""));
  return it->second;
}

std::string serialize_checkpoint(const Checkpoint& c) {
  if (c.fingerprint.find('\n') != std::string::npos) throw std::logic_error("checkpoint fingerprint spans lines");
  std::string s = fmt::format("{}\nfingerprint {}\nstep {}\nmetrics {}\n", MAGIC, c.fingerprint, c.step, c.metrics.size());
  for (const Metrics& m : c.metrics) s += metrics_csv_row(m) + "\n";
  s += fmt::format("fields {}\n", c.fields.size());
  for (const auto& [name, f] : c.fields) {
    if (!valid_name(name)) throw std::logic_error("checkpoint field name '" + name + "'");
    s += fmt::format("{} {} {} {} {}\n", name, f.type, f.rows, f.cols, f.bytes.size());
  }
  for (const auto& [name, f] : c.fields) s += f.bytes;
  return s + fmt::format("checksum {:016x}\n", fnv1a(s));
}

Checkpoint parse_checkpoint(std::string_view bytes, const std::string& name, bool verify_checksum) {
  Reader r(bytes, name);
  // The checksum line: "checksum " + 16 hex digits + "\n" at the very end.
  constexpr std::size_t TAIL = 9 + 16 + 1;
  if (bytes.substr(0, std::strlen(MAGIC)) != MAGIC) {
    if (bytes.substr(0, 15) == "rfa-checkpoint ")
      r.fail("written by another version of rfa in another format; this version reads format 2");
    r.fail("not an rfa checkpoint");
  }
  std::size_t body = bytes.size();
  if (verify_checksum) {
    if (bytes.size() < TAIL || bytes.substr(bytes.size() - TAIL, 9) != "checksum " || bytes.back() != '\n')
      r.fail("cut off: no checksum at its end");
    body = bytes.size() - TAIL;
    const std::string want = fmt::format("{:016x}", fnv1a(bytes.substr(0, body)));
    if (bytes.substr(body + 9, 16) != want) r.fail("damaged: its checksum does not match its content");
  }
  Checkpoint c;
  if (r.line("format") != MAGIC) r.fail("not an rfa checkpoint");
  c.fingerprint = std::string(r.keyed("fingerprint"));
  c.step = r.number(r.keyed("step"), "step");
  const std::uint64_t rows = r.number(r.keyed("metrics"), "metrics count");
  if (rows > bytes.size()) r.fail("absurd metrics count");
  for (std::uint64_t k = 0; k < rows; ++k) c.metrics.push_back(parse_metrics(r, r.line("metrics")));
  const std::uint64_t count = r.number(r.keyed("fields"), "field count");
  if (count > MAX_FIELDS) r.fail("absurd field count");
  std::vector<std::pair<std::string, std::uint64_t>> order;
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::vector<std::string_view> p = split(r.line("fields"), ' ');
    if (p.size() != 5) r.fail("bad field line");
    const std::string fname(p[0]), type(p[1]);
    if (!valid_name(fname) || c.fields.count(fname)) r.fail("bad or repeated field name");
    if (type != "f32" && type != "f64" && type != "u64" && type != "text") r.fail(fmt::format("unknown field type '{}'", type));
    Checkpoint::Field f{type, r.number(p[2], "rows"), r.number(p[3], "cols"), {}};
    const std::uint64_t n = r.number(p[4], "byte count");
    if (n > bytes.size()) r.fail("absurd field size");
    const std::uint64_t item = type == "f32" ? 4 : type == "text" ? 1 : 8;
    const std::uint64_t cols = f.cols == 0 ? 1 : f.cols;
    if ((f.rows != 0 && cols > n / item / f.rows) || f.rows * cols * item != n)
      r.fail(fmt::format("field '{}' has {} bytes for shape ({}, {})", fname, n, f.rows, f.cols));
    c.fields[fname] = f;
    order.emplace_back(fname, n);
  }
  std::size_t at = r.pos();
  for (const auto& [fname, n] : order) {
    if (at + n > body) r.fail(fmt::format("cut off inside field '{}'", fname));
    c.fields[fname].bytes = std::string(bytes.substr(at, n));
    at += n;
  }
  if (verify_checksum && at != body) r.fail("bytes between its fields and its checksum");
  return c;
}

std::string previous_checkpoint(const std::string& path) { return path + ".prev"; }

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  write_file_atomic_keep(path, previous_checkpoint(path), serialize_checkpoint(c));
}

std::optional<Checkpoint> load_checkpoint(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string prev = previous_checkpoint(path);
  std::string why;
  if (fs::exists(path)) {
    try {
      return parse_checkpoint(read_file(path), path);
    } catch (const CheckpointError& e) {
      why = e.what();
    }
  }
  if (!fs::exists(prev)) {
    if (why.empty()) return std::nullopt;
    throw CheckpointError(why + "; there is no previous checkpoint to fall back to: delete it to start over");
  }
  try {
    Checkpoint c = parse_checkpoint(read_file(prev), prev);
    std::fprintf(stderr, "rfa: %s; resuming from the previous checkpoint %s (step %zu)\n",
                 why.empty() ? (path + " is missing").c_str() : why.c_str(), prev.c_str(), c.step);
    return c;
  } catch (const CheckpointError& e) {
    throw CheckpointError(fmt::format("{}{}{}; delete them to start over", why, why.empty() ? "" : "; and ", e.what()));
  }
}

template void Checkpoint::put(const std::string&, const Tensor<float>&);
template void Checkpoint::put(const std::string&, const Tensor<double>&);
template void Checkpoint::get(const std::string&, Tensor<float>&) const;
template void Checkpoint::get(const std::string&, Tensor<double>&) const;

}  // namespace rfa
