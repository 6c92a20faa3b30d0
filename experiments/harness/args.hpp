// Command-line flags for the rfa programs: a thin layer over CLI11, which is compiled once here (args.cpp)
// rather than in every program (CLI11 is header-only and slow to compile).
//
//   cli::Args args("what the program does", "rfa-x");
//   args.option("--n", n, "training samples");          // default shown in --help
//   args.flag("--quiet", quiet, "no progress lines");
//   if (auto rc = args.parse(argc, argv)) return *rc;   // --help, or a parse error (message printed)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rfa::cli {

class Args {
 public:
  Args(const std::string& description, const std::string& name);
  ~Args();
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  // An option taking a value; its current value is shown as the default in --help unless show_default is false.
  // Lists (vectors) take comma-separated values.
  template <typename T>
  Args& option(const std::string& flag, T& value, const std::string& help, bool show_default = true);
  Args& flag(const std::string& name, bool& value, const std::string& help);
  // `a` may only be given together with `b`; `a` may not be given together with `b`.
  Args& needs(const std::string& a, const std::string& b);
  Args& excludes(const std::string& a, const std::string& b);

  // Parses the command line. Returns an exit code when the program should stop now: 0 after --help, non-zero
  // after a parse error (the message is printed); nothing when it should go on.
  std::optional<int> parse(int argc, char** argv);
  // Whether a flag was given on the command line.
  bool given(const std::string& flag) const;

 private:
  std::unique_ptr<CLI::App> app_;
  std::string name_;
};

// A whole number >= 0 parsed as strictly as the flags are (digits only, no wrap-around); throws UsageError naming
// `what` otherwise. For values inside a flag, like the sizes in rfa-bench's --shapes.
std::size_t parse_count(const std::string& what, const std::string& text);

}  // namespace rfa::cli
