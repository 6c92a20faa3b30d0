// The tests' readers of the programs' outputs: CSV tables by column name, and claims.tsv.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "atomic_file.hpp"

namespace rfa::test {

// claims.tsv as id -> (ours, verdict)
inline std::map<std::string, std::pair<std::string, std::string>> read_claims(const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) f.push_back(cell);
    if (f.size() >= 5) out[f[0]] = {f[3], f[4]};
  }
  return out;
}

// A CSV file as rows of named cells (quoted cells may hold commas).
inline std::vector<std::map<std::string, std::string>> read_table(const std::string& path) {
  std::istringstream in(read_file(path));
  auto cells = [](const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) out.emplace_back();
      else out.back() += c;
    }
    return out;
  };
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = cells(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> c = cells(line);
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < header.size() && k < c.size(); ++k) row[header[k]] = c[k];
    rows.push_back(row);
  }
  return rows;
}

inline double num(const std::map<std::string, std::string>& row, const std::string& key) {
  const auto it = row.find(key);
  REQUIRE_MESSAGE(it != row.end(), key);
  return it->second == "nan" ? NAN : std::stod(it->second);
}

// The row whose `key` column equals `value`.
inline std::map<std::string, std::string> row_where(const std::vector<std::map<std::string, std::string>>& rows,
                                             const std::string& key, const std::string& value) {
  for (const auto& r : rows)
    if (r.count(key) && r.at(key) == value) return r;
  FAIL("no row with " << key << " = " << value);
  return {};
}

}  // namespace rfa::test
