// libFuzzer target: rfa-train's command line (experiments/harness/train_settings.hpp). The input is split at newlines into
// arguments. A refusal (a non-zero exit code, or a UsageError) is correct; a crash, a sanitizer report, a hang or
// any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "train_settings.hpp"

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
  rfa::cli::TrainSettings s;
  try {
    rfa::cli::parse_train_settings(static_cast<int>(args.size()), argv.data(), s);
  } catch (const rfa::InputError&) {
  }
  return 0;
}
