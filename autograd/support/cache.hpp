// The data caches of the machine rfa runs on, for choosing block sizes that fit them (instead of constants that
// suit one CPU). Read once from sysfs (/sys/devices/system/cpu/cpu0/cache), falling back to sysconf, then to
// common sizes. The environment variables RFA_L2_CACHE and RFA_L3_CACHE (bytes, with an optional K or M suffix:
// "512K") override what was read: tests use them to run the block choices of another machine.
#pragma once

#include <cstddef>
#include <string>

namespace rfa {

struct CacheSizes {
  std::size_t l1d = 0;  // bytes, per core
  std::size_t l2 = 0;   // bytes, per core
  std::size_t l3 = 0;   // bytes, shared
  std::string source;   // where the numbers came from ("sysfs", "sysconf", "default", "RFA_L2_CACHE", ...)
};

const CacheSizes& cache_sizes();

// "512K" -> 524288; throws std::invalid_argument naming `what` for anything but a positive size.
std::size_t parse_bytes(const std::string& s, const char* what);

}  // namespace rfa
