#include "args.hpp"

#include <CLI/CLI.hpp>

#include "common.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

namespace rfa::cli {

static_assert(std::is_same_v<std::size_t, std::uint64_t>, "the instantiation for std::size_t covers std::uint64_t");

namespace {
template <typename T>
constexpr bool is_list = false;
template <typename E>
constexpr bool is_list<std::vector<E>> = true;

[[noreturn]] void refuse(const std::string& flag, const std::string& want, const std::string& got) {
  throw CLI::ValidationError(fmt::format("{} must be {}, got '{}'", flag, want, got));
}

// Every value is parsed strictly and completely: a count is digits only (no sign, no fraction, no exponent) and fits
// its type; a real number is finite; nothing is empty. CLI11's own conversions wrap "-2" into a huge unsigned count
// and accept "nan".
template <typename T>
T parse_value(const std::string& flag, const std::string& s) {
  if (s.empty()) refuse(flag, "given a value", s);
  if constexpr (std::is_same_v<T, std::string>) {
    return s;
  } else if constexpr (std::is_same_v<T, double>) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])))
      refuse(flag, "a number", s);
    if (!std::isfinite(v) || (errno == ERANGE && std::abs(v) > 1)) refuse(flag, "a finite number", s);
    if (errno == ERANGE) refuse(flag, "a number that is 0 or at least 1e-300 in size", s);
    return v;
  } else {
    const bool negative = s[0] == '-';
    if (negative && std::is_unsigned_v<T>) refuse(flag, "a whole number >= 0", s);
    const std::size_t digits_from = negative ? 1 : 0;
    if (s.size() == digits_from) refuse(flag, "a whole number", s);
    for (std::size_t i = digits_from; i < s.size(); ++i)
      if (!std::isdigit(static_cast<unsigned char>(s[i])))
        refuse(flag, std::is_unsigned_v<T> ? "a whole number >= 0" : "a whole number", s);
    errno = 0;
    if constexpr (std::is_unsigned_v<T>) {
      const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
      if (errno == ERANGE || v > std::numeric_limits<T>::max())
        refuse(flag, fmt::format("a whole number at most {}", std::numeric_limits<T>::max()), s);
      return static_cast<T>(v);
    } else {
      const long long v = std::strtoll(s.c_str(), nullptr, 10);
      if (errno == ERANGE || v > std::numeric_limits<T>::max() || v < std::numeric_limits<T>::min())
        refuse(flag, fmt::format("a whole number between {} and {}", std::numeric_limits<T>::min(),
                                 std::numeric_limits<T>::max()), s);
      return static_cast<T>(v);
    }
  }
}

// The names --help shows for the value of each kind of option; tests read them to find every numeric flag.
template <typename T>
const char* kind() {
  if constexpr (std::is_same_v<T, std::string>) return "TEXT";
  else if constexpr (std::is_same_v<T, double>) return "FLOAT";
  else if constexpr (std::is_unsigned_v<T>) return "UINT";
  else return "INT";
}

template <typename T>
std::string show(const T& v) {
  if constexpr (is_list<T>) {
    std::string s;
    for (const auto& e : v) s += (s.empty() ? "" : ",") + fmt::format("{}", e);
    return s;
  } else {
    return fmt::format("{}", v);
  }
}
}  // namespace

Args::Args(const std::string& description, const std::string& name)
    : app_(std::make_unique<CLI::App>(description, name)), name_(name) {
  app_->set_version_flag("--version", [name] { return version_text(name); }, "Print the version, the commit, the "
                         "OpenBLAS build and the kernels in use, and exit");
}
Args::~Args() = default;

template <typename T>
Args& Args::option(const std::string& flag, T& value, const std::string& help, bool show_default) {
  CLI::Option* o = nullptr;
  if constexpr (is_list<T>) {
    using E = typename T::value_type;
    o = app_->add_option(flag, [flag, &value](const CLI::results_t& res) {
      value.clear();
      for (const std::string& s : res) value.push_back(parse_value<E>(flag, s));
      return true;
    }, help);
    o->delimiter(',')->type_size(1)->expected(1, CLI::detail::expected_max_vector_size);
    o->type_name(std::string(kind<E>()) + "-LIST");
  } else {
    o = app_->add_option(flag, [flag, &value](const CLI::results_t& res) {
      if (res.size() != 1) refuse(flag, "given one value", show(res));
      value = parse_value<T>(flag, res[0]);
      return true;
    }, help);
    // Given twice, the last value counts (so a script may append overrides to a base command line).
    o->type_size(1)->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    o->type_name(kind<T>());
  }
  if (show_default) o->default_str(show(value));
  return *this;
}

template Args& Args::option(const std::string&, std::string&, const std::string&, bool);
template Args& Args::option(const std::string&, double&, const std::string&, bool);
template Args& Args::option(const std::string&, int&, const std::string&, bool);
template Args& Args::option(const std::string&, std::size_t&, const std::string&, bool);  // also std::uint64_t
template Args& Args::option(const std::string&, std::vector<int>&, const std::string&, bool);
template Args& Args::option(const std::string&, std::vector<double>&, const std::string&, bool);
template Args& Args::option(const std::string&, std::vector<std::size_t>&, const std::string&, bool);
template Args& Args::option(const std::string&, std::vector<std::string>&, const std::string&, bool);

Args& Args::flag(const std::string& name, bool& value, const std::string& help) {
  app_->add_flag(name, value, help);
  return *this;
}

Args& Args::needs(const std::string& a, const std::string& b) {
  app_->get_option(a)->needs(app_->get_option(b));
  return *this;
}

Args& Args::excludes(const std::string& a, const std::string& b) {
  app_->get_option(a)->excludes(app_->get_option(b));
  return *this;
}

std::optional<int> Args::parse(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are CLI11's to print. A refusal is printed as every other refusal of the program is
    // (guarded_main: "<program>: error: <what>"); CLI11's own exit codes vary, ours for bad input is 2 (common.hpp).
    if (e.get_exit_code() == 0) return app_->exit(e);
    fmt::print(stderr, "{}: error: {}\n", name_, e.what());
    return EXIT_BAD_INPUT;
  }
  return std::nullopt;
}

std::size_t parse_count(const std::string& what, const std::string& text) {
  try {
    return parse_value<std::size_t>(what, text);
  } catch (const CLI::ValidationError& e) {
    throw UsageError(e.what());
  }
}

bool Args::given(const std::string& flag) const { return app_->count(flag) > 0; }

}  // namespace rfa::cli
