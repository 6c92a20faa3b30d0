// libFuzzer target: rfa-train's command line (experiments/harness/train_flags.hpp). The input is split at newlines into
// arguments. A refusal (a non-zero exit code, or a UsageError) is correct; a crash, a sanitizer report, a hang or
// any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "train_flags.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"rfa-train"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      args.push_back(current);
      current.clear();
    } else if (c != '\0') {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(current);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  rfa::cli::TrainCommand s;
  try {
    rfa::cli::parse_train_command(static_cast<int>(args.size()), argv.data(), s);
  } catch (const rfa::InputError&) {
  }
  return 0;
}
