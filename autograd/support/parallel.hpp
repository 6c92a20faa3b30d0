// One pool of threads for everything rfa runs in parallel. OpenBLAS itself is kept at one thread: its own
// workers spin for a while after every call and would compete with these for the cores, so the parallel
// products split their rows over this pool instead (blas::parallel_gemm), and blocks of samples go to its workers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace rfa {

// The one thread count of rfa: sets the number of workers (>= 1, the calling thread included) and keeps OpenBLAS
// at one thread.
void set_threads(int n);
int threads();

// Runs body(task, worker) for every task in [0, tasks) on up to threads() workers; worker 0 is the calling
// thread. Task t always runs on worker t % workers, a fixed assignment, so per-worker partial results do not
// depend on timing (the grouping of sums does depend on the thread count). Rethrows the first exception a task
// threw.
// The body is passed by reference, not stored: nothing is allocated per call.
template <typename F>
void parallel_for(std::size_t tasks, F&& body);

// How many workers parallel_for(tasks, ...) uses: min(threads(), tasks), at least 1.
int workers_for(std::size_t tasks);

// body(part, r0, r1) over consecutive parts [r0, r1) of `rows` rows, one part per worker, each of at least 64
// rows (fewer parts, down to one on the calling thread, when there are not enough rows): for row-wise loops.
// There are at most MAX_PARTS parts, so per-part results fit in a fixed array.
constexpr std::size_t MAX_PARTS = 64;
// How many parts for_row_parts(rows, ...) makes.
inline std::size_t row_parts(std::size_t rows) {
  return std::min<std::size_t>(MAX_PARTS, static_cast<std::size_t>(workers_for(rows / 64)));
}
template <typename F>
void for_row_parts(std::size_t rows, F&& body) {
  const std::size_t parts = row_parts(rows);
  const std::size_t per = (rows + parts - 1) / parts;
  parallel_for(parts, [&](std::size_t p, int) {
    const std::size_t r0 = p * per;
    if (r0 < rows) body(p, r0, std::min(rows, r0 + per));
  });
}

namespace detail {
using TaskFn = void (*)(void* body, std::size_t task, int worker);
void parallel_for(std::size_t tasks, void* body, TaskFn call);
}  // namespace detail

template <typename F>
void parallel_for(std::size_t tasks, F&& body) {
  using B = std::remove_reference_t<F>;
  detail::parallel_for(tasks, const_cast<void*>(static_cast<const void*>(&body)),
                       [](void* b, std::size_t task, int worker) { (*static_cast<B*>(b))(task, worker); });
}

}  // namespace rfa
