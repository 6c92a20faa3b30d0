// The three kinds of failure a program built on rfa tells apart (rfa's own programs map them to exit codes 2, 1 and 3):
//   InputError  bad input from outside (a flag, a file, data): the user can fix it;
//   FileError   a result could not be written (disk full, read-only directory): the machine failed;
//   anything else that escapes, a std::logic_error above all (a ShapeError or TapeError from inside rfa): a bug.
#pragma once

#include <stdexcept>

namespace rfa {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace rfa
