#include "args.hpp"

#include <CLI/CLI.hpp>

#include "common.hpp"

#include <type_traits>

namespace rfa::cli {

static_assert(std::is_same_v<std::size_t, std::uint64_t>, "the instantiation for std::size_t covers std::uint64_t");

namespace {
template <typename T>
constexpr bool is_list = false;
template <typename E>
constexpr bool is_list<std::vector<E>> = true;
}  // namespace

Args::Args(const std::string& description, const std::string& name) : app_(std::make_unique<CLI::App>(description, name)) {}
Args::~Args() = default;

template <typename T>
Args& Args::option(const std::string& flag, T& value, const std::string& help, bool show_default) {
  CLI::Option* o = app_->add_option(flag, value, help);
  if constexpr (is_list<T>) o->delimiter(',');
  if (show_default) o->capture_default_str();
  return *this;
}

template Args& Args::option(const std::string&, std::string&, const std::string&, bool);
template Args& Args::option(const std::string&, double&, const std::string&, bool);
template Args& Args::option(const std::string&, int&, const std::string&, bool);
template Args& Args::option(const std::string&, std::size_t&, const std::string&, bool);  // also std::uint64_t
template Args& Args::option(const std::string&, std::vector<int>&, const std::string&, bool);
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
    // CLI11 prints the help or the error; its own exit codes vary, ours for bad input is 2 (common.hpp).
    return app_->exit(e) == 0 ? 0 : EXIT_BAD_INPUT;
  }
  return std::nullopt;
}

bool Args::given(const std::string& flag) const { return app_->count(flag) > 0; }

}  // namespace rfa::cli
