// cpu_parallel.h: the thread loops of the host backends (internal).
//
// What it is: parallel_for over OpenMP threads with a plain loop for one
// thread, the elementwise piece loop, and the rule for when a piece of work
// is worth more than one thread (never inside a region already parallel). Shared by the CPU backend's kernels and the
// host optimizers. What it is not: a thread pool or a scheduler.
#ifndef HASHEDNET_SRC_CPU_PARALLEL_H
#define HASHEDNET_SRC_CPU_PARALLEL_H

#include <algorithm>
#include <cstdint>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hashednet {
namespace cpu {

/// Below this many multiply-adds (about 0.2 ms on one core) a layer runs on
/// one thread: a parallel region costs microseconds on idle cores and whole
/// scheduler time slices on busy ones (small HIGGS nets, single events).
constexpr std::int64_t kParallelWork = 1 << 21;
/// Elements per work item of a parallel elementwise kernel (16 KiB of floats).
constexpr std::int64_t kElementwisePiece = 4096;

/// True inside a parallel region (a host backend's for_each_item): the kernels called there run on
/// their caller's thread alone (a nested region would give its threads ids 0, 1 ... and so share
/// the first threads' scratch buffers).
inline bool in_parallel_region()
{
#if defined(_OPENMP)
   return omp_in_parallel() != 0;
#else
   return false;
#endif
}

/// The threads a piece of `work` multiply-adds gets out of n_threads (one inside a parallel region).
inline int threads_for(std::int64_t work, int n_threads)
{
   return work >= kParallelWork && !in_parallel_region() ? n_threads : 1;
}

inline int thread_id()
{
#if defined(_OPENMP)
   return omp_get_thread_num();
#else
   return 0;
#endif
}

/// body(e) for e in [0, n) on n_threads threads (static schedule, chunks of
/// `chunk`, 0 = one block per thread). One thread runs a plain loop: even a
/// one-thread OpenMP region allocates a team and wakes futexes, microseconds
/// that a single event cannot afford.
template <class Body>
void parallel_for(int n_threads, std::int64_t n, std::int64_t chunk, Body body)
{
   if (n_threads <= 1) {
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
      return;
   }
   if (chunk > 0) {
#pragma omp parallel for schedule(static, chunk) num_threads(n_threads)
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
   } else {
#pragma omp parallel for schedule(static) num_threads(n_threads)
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
   }
}

/// body(begin, count) over [0, n) in pieces of kElementwisePiece on n_threads
/// threads (see parallel_for): the elementwise kernels.
template <class Body>
void for_each_piece(int n_threads, std::int64_t n, Body body)
{
   parallel_for(n_threads, (n + kElementwisePiece - 1) / kElementwisePiece, 0, [&](std::int64_t piece) {
      const std::int64_t begin = piece * kElementwisePiece;
      body(begin, std::min(kElementwisePiece, n - begin));
   });
}

} // namespace cpu
} // namespace hashednet

#endif // HASHEDNET_SRC_CPU_PARALLEL_H
