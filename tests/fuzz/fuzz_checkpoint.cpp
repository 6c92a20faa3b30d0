// libFuzzer target: the checkpoint reader (models/checkpoint.hpp) on arbitrary bytes, with and without the
// checksum check (without it, the fuzzer reaches the parser behind the checksum). A CheckpointError is a correct
// refusal. What is accepted must survive a round trip, and its fields must read back as what they claim to be.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checkpoint.hpp"

namespace {
void use(const rfa::Checkpoint& c) {
  for (const auto& [name, field] : c.fields) {
    try {
      if (field.type == "f64") {
        rfa::Tensor<double> t;
        c.get(name, t);
      } else if (field.type == "f32") {
        rfa::Tensor<float> t;
        c.get(name, t);
      } else if (field.type == "u64") {
        c.get_count(name);
      } else {
        c.get_text(name);
      }
    } catch (const rfa::CheckpointError&) {
    }
  }
  // Whatever was read writes back to a checkpoint that reads as the same.
  const std::string again = rfa::serialize_checkpoint(c);
  if (rfa::serialize_checkpoint(rfa::parse_checkpoint(again, "round trip")) != again) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool verify : {true, false}) {
    try {
      use(rfa::parse_checkpoint(bytes, "fuzz.rfa", verify));
    } catch (const rfa::CheckpointError&) {
    }
  }
  return 0;
}
