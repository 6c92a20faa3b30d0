// libFuzzer target: the .npy reader (support/npy.hpp) on arbitrary bytes, into float and double. An NpyError is a
// correct refusal; a crash, a sanitizer report, a hang or any other exception is a finding (tools/fuzz).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "npy.hpp"

namespace {
template <typename T>
void read_as(std::string_view bytes) {
  std::vector<T> values;
  try {
    rfa::npy::parse<T>(bytes, "fuzz.npy", [&](int, std::size_t rows, std::size_t cols) {
      values.resize(rows * cols);
      return values.data();
    });
  } catch (const rfa::NpyError&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read_as<double>(bytes);
  read_as<float>(bytes);
  return 0;
}
