#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "openblas.hpp"

namespace rfa {

namespace {

// True on a thread while it runs a parallel_for task: a parallel_for (or parallel_gemm) called from inside a task
// runs inline on that thread instead of waiting for workers that are all busy.
thread_local bool in_task = false;

struct TaskScope {
  bool was = in_task;
  TaskScope() { in_task = true; }
  ~TaskScope() { in_task = was; }
};

// Spins until ready() or until SPIN has passed; true if ready() came true. Waking a sleeping thread costs tens of
// microseconds on these machines (a futex call and a reschedule), as much as a small product takes, and a step
// runs several parallel regions per block of samples with only a few microseconds of serial work between them.
// So the workers and the caller first spin briefly on an atomic, and only then sleep on a condition variable.
// With more threads than cores a spinning thread would take a core from a working one: then nobody spins.
constexpr auto SPIN = std::chrono::microseconds(100);
template <typename Ready>
bool spin_until(Ready ready, bool spin) {
  if (!spin) return ready();
  const auto until = std::chrono::steady_clock::now() + SPIN;
  for (int k = 0;; ++k) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();  // tells the core this is a spin loop: saves power and the sibling hyperthread's time
#endif
    if (k % 64 == 63 && std::chrono::steady_clock::now() > until) return false;
  }
}

// A fixed set of worker threads that spin briefly, then sleep, between parallel_for calls.
class Pool {
 public:
  ~Pool() { resize(0); }

  void resize(int helpers) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    quit_ = false;
    // A new helper starts at the current generation: it waits for the next job, not for the one that quit.
    const unsigned long now = generation_.load(std::memory_order_relaxed);
    const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
    spin_ = cores == 0 || static_cast<unsigned>(helpers) + 1 <= cores;
    for (int w = 1; w <= helpers; ++w) threads_.emplace_back([this, w, now] { loop(w, now); });
  }

  int helpers() const { return static_cast<int>(threads_.size()); }

  void run(std::size_t tasks, int workers, void* body, detail::TaskFn call) {
    // The job's fields are published by the release increment of generation_ (and by the mutex to sleepers).
    body_ = body;
    call_ = call;
    tasks_ = tasks;
    workers_ = workers;
    error_ = nullptr;
    // Every helper acknowledges every job, also one with fewer workers than helpers, so that none is still reading
    // this job's fields when the next job overwrites them.
    pending_.store(helpers(), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(0);
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; }, spin_)) {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work(int w) {
    TaskScope scope;
    try {
      for (std::size_t t = static_cast<std::size_t>(w); t < tasks_; t += static_cast<std::size_t>(workers_)) call_(body_, t, w);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }

  void loop(int w, unsigned long seen) {
    for (;;) {
      auto started = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(started, spin_)) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, started);
      }
      seen = generation_.load(std::memory_order_acquire);
      if (quit_) return;
      if (w < workers_) work(w);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // The caller may be asleep on done_: take the mutex so that the wake-up cannot slip in between its
        // check of pending_ and its wait.
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::atomic<unsigned long> generation_{0};
  bool quit_ = false;  // written under mu_ before a generation_ increment, read after seeing it
  bool spin_ = true;   // whether waiting threads spin first (not when there are more threads than cores)
  void* body_ = nullptr;
  detail::TaskFn call_ = nullptr;
  std::size_t tasks_ = 0;
  int workers_ = 1;
  std::atomic<int> pending_{0};
  std::exception_ptr error_;  // written under mu_; read by the caller after pending_ reaches 0
};

Pool& pool() {
  static Pool p;
  return p;
}
int thread_count = 1;

}  // namespace

void set_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_threads: thread count must be >= 1, got " + std::to_string(n));
  openblas::set_threads(1);
  thread_count = n;
  if (pool().helpers() != n - 1) pool().resize(n - 1);
}

int threads() { return thread_count; }

int workers_for(std::size_t tasks) {
  if (in_task) return 1;
  return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(thread_count), tasks)));
}

void detail::parallel_for(std::size_t tasks, void* body, TaskFn call) {
  const int workers = workers_for(tasks);
  if (workers == 1) {
    for (std::size_t t = 0; t < tasks; ++t) call(body, t, 0);
    return;
  }
  pool().run(tasks, workers, body, call);
}

}  // namespace rfa
