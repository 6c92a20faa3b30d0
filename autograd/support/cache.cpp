#include "cache.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace rfa {

std::size_t parse_bytes(const std::string& s, const char* what) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    if (s.empty() || s[0] == '-' || s[0] == '+') throw std::invalid_argument(s);
    v = std::stoull(s, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string(what) + " must be a size in bytes such as 524288 or 512K, got '" + s + "'");
  }
  const std::string suffix = s.substr(used);
  unsigned long long scale = 1;
  if (suffix == "K" || suffix == "k") scale = 1024;
  else if (suffix == "M" || suffix == "m") scale = 1024 * 1024;
  else if (!suffix.empty())
    throw std::invalid_argument(std::string(what) + " must be a size in bytes such as 524288 or 512K, got '" + s + "'");
  if (v == 0 || v > (1ull << 40) / scale)
    throw std::invalid_argument(std::string(what) + " must be between 1 byte and 1 TiB, got '" + s + "'");
  return static_cast<std::size_t>(v * scale);
}

namespace {

// The size of the level-`level` data or unified cache of cpu0, from sysfs; 0 when unknown.
std::size_t sysfs_cache(int level) {
  for (int index = 0; index < 8; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
    int l = 0;
    std::string type, size;
    if (!(lf >> l) || !(tf >> type) || !(sf >> size)) continue;
    if (l != level || type == "Instruction") continue;
    try {
      return parse_bytes(size, "sysfs cache size");
    } catch (const std::invalid_argument&) {
      return 0;
    }
  }
  return 0;
}

std::size_t sysconf_cache(int name) {
  const long v = ::sysconf(name);
  return v > 0 ? static_cast<std::size_t>(v) : 0;
}

CacheSizes detect() {
  CacheSizes c;
  c.l1d = sysfs_cache(1), c.l2 = sysfs_cache(2), c.l3 = sysfs_cache(3);
  c.source = "sysfs";
  if (c.l2 == 0) {
    c.l1d = sysconf_cache(_SC_LEVEL1_DCACHE_SIZE), c.l2 = sysconf_cache(_SC_LEVEL2_CACHE_SIZE);
    c.l3 = sysconf_cache(_SC_LEVEL3_CACHE_SIZE);
    c.source = "sysconf";
  }
  if (c.l2 == 0) c.l2 = 512 * 1024, c.source = "default";  // the smallest L2 of current x86-64 server cores
  if (c.l1d == 0) c.l1d = 32 * 1024;
  for (auto [var, field] : {std::pair{"RFA_L2_CACHE", &c.l2}, std::pair{"RFA_L3_CACHE", &c.l3}}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    try {
      *field = parse_bytes(v, var);
      c.source += std::string(", ") + var;
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "rfa: %s; keeping the detected size\n", e.what());
    }
  }
  return c;
}

}  // namespace

const CacheSizes& cache_sizes() {
  static const CacheSizes c = detect();
  return c;
}

}  // namespace rfa
