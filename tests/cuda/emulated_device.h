// emulated_device.h: a Device (cpp/cuda/product_drivers.cuh) that runs the
// GPU kernels' block programs on the CPU, thread by thread.
//
// What it is: every block of a launch's grid, in turn (in the given order or
// its reverse), each with its own shared memory, first filled with the
// bytes 0x7F (the float 3.4e38, and no table key) so that a read of shared
// memory no phase wrote shows in the results; inside a block each phase
// (the code between two syncs) for thread 0, 1, ..., kThreads - 1 in turn,
// each with its own registers (ThreadAcc). Elementwise kernels run their
// indices in reverse order; sgemm is a plain column-major triple loop in
// double. So the same drivers, index math, loaders, hash calls, epilogues
// and atomics' arithmetic as on the GPU run here, compiled by the host
// compiler.
//
// What it is not: a GPU. Threads of a phase do not run at the same time, so
// races inside a phase (two threads writing one shared word without an
// atomic, a missing sync) are invisible; warps, scheduling, memory
// ordering, the device's float contraction (FMA) and cuBLAS itself are not
// emulated. docs/cuda.md, "What the emulation proves", has the full list.
#ifndef HASHEDNET_TESTS_CUDA_EMULATED_DEVICE_H
#define HASHEDNET_TESTS_CUDA_EMULATED_DEVICE_H

#include "gemm_phases.cuh"

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace hashednet {
namespace cuda {

/// One block of an emulated launch: its coordinates and its threads' registers.
class EmulatedBlock {
public:
   EmulatedBlock(std::int64_t tile_m, std::int64_t tile_n) : tile_m_(tile_m), tile_n_(tile_n), acc_(kThreads) {}
   std::int64_t tile_m() const { return tile_m_; }
   std::int64_t tile_n() const { return tile_n_; }
   template <class F>
   void threads(F f)
   {
      for (int tid = 0; tid < kThreads; ++tid)
         f(tid);
   }
   void sync() {}
   ThreadAcc &acc(int tid) { return acc_[tid]; }

private:
   std::int64_t tile_m_, tile_n_;
   std::vector<ThreadAcc> acc_;
};

class EmulatedDevice {
public:
   explicit EmulatedDevice(bool reverse_blocks = false) : reverse_(reverse_blocks) {}

   template <class Problem>
   void gemm(const Problem &p, std::int64_t tiles_m, std::int64_t tiles_n)
   {
      each_block<GemmShared<typename Problem::Epilogue>>(tiles_m, tiles_n, [&](EmulatedBlock &blk, auto &sh) {
         gemm_block(blk, p, sh);
      });
   }
   template <class Problem>
   void scatter(const Problem &p, std::int64_t tiles_m, std::int64_t tiles_n)
   {
      each_block<GemmShared<typename Problem::Epilogue>>(tiles_m, tiles_n, [&](EmulatedBlock &blk, auto &sh) {
         scatter_block(blk, p, sh);
      });
   }
   template <class F>
   void for_each(std::int64_t n, const F &f)
   {
      for (std::int64_t e = n - 1; e >= 0; --e)
         f(e);
   }
   /// Column-major C (m x n) = op(A) op(B) + beta C, alpha = 1 (cuBLAS's sgemm).
   void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float *a,
              std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c, std::int64_t ldc)
   {
      for (std::int64_t col = 0; col < n; ++col)
         for (std::int64_t row = 0; row < m; ++row) {
            double s = 0.0;
            for (std::int64_t l = 0; l < k; ++l) {
               const float av = trans_a ? a[l + row * lda] : a[row + l * lda];
               const float bv = trans_b ? b[col + l * ldb] : b[l + col * ldb];
               s += static_cast<double>(av) * bv;
            }
            float &out = c[row + col * ldc];
            out = static_cast<float>(s + (beta == 0.0f ? 0.0 : beta * static_cast<double>(out)));
         }
   }
   void zero(void *p, std::size_t bytes) { std::memset(p, 0, bytes); }

private:
   template <class Shared, class F>
   void each_block(std::int64_t tiles_m, std::int64_t tiles_n, F f)
   {
      const std::int64_t n = tiles_m * tiles_n;
      for (std::int64_t e = 0; e < n; ++e) {
         const std::int64_t b = reverse_ ? n - 1 - e : e;
         EmulatedBlock blk(b / tiles_n, b % tiles_n);
         auto shared = std::make_unique<Shared>();
         std::memset(static_cast<void *>(shared.get()), 0x7F, sizeof(Shared)); // "uninitialised": see the top
         f(blk, *shared);
      }
   }

   bool reverse_;
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_TESTS_CUDA_EMULATED_DEVICE_H
