// gemm_phases.cuh: the fused kernels' block programs, as host/device phase
// functions that a GPU block runs with its threads and the CPU emulation
// runs thread by thread (tests/cuda/emulated_device.h).
//
// What it is: one tiled GEMM, C (M x N) = A (M x Kd) B (Kd x N), with
//   - a block tile of kBM x kBN outputs, kThreads threads, each kTM x kTN of
//     them in registers (ThreadAcc); the reduction dimension in steps of kBK;
//   - operand loaders (A and B) that stage a kBK slice into shared memory:
//     from a row-major or transposed matrix in global memory, or GENERATED
//     from the hash (B = V^T for the forward pass, B = V for dx): the
//     hashed operand is made exactly where a plain GEMM would copy it;
//   - epilogues: store C (+ the bias, forward) or reduce C = a tile of dV
//     into the buckets (a shared-memory table keyed by bucket, then one
//     global atomic add per touched bucket; BLOCK: coalesced runs).
//
// Each block program (gemm_block, scatter_block) is written in CUTLASS's
// order: preconditions, global views, this block's tile, shared buffers,
// k-loop (load, sync, multiply, sync), epilogue. `Block` is the executor:
// on the GPU `threads(f)` is f(threadIdx.x) and `sync()` __syncthreads(); in
// the emulation `threads(f)` calls f for every thread in turn and `sync()`
// does nothing. A phase never reads what another thread writes in the same
// phase; every such read is behind a sync (the emulation cannot check
// this, see docs/cuda.md).
//
// What it is not: the launches and the tile loops of the drivers
// (product_drivers.cuh), the schemes' hashing (scheme_tiles.cuh).
#ifndef HASHEDNET_CUDA_GEMM_PHASES_CUH
#define HASHEDNET_CUDA_GEMM_PHASES_CUH

#include "device_ops.cuh"
#include "scheme_tiles.cuh"

#include "hashednet/common.h"
#include "hashednet/funhash.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <type_traits>

namespace hashednet {
namespace cuda {

// Tile configuration (the ptxas test, tests/test_cuda_kernels.py, checks
// registers and shared memory of exactly these).
constexpr int kThreads = 256;     ///< threads per block: a 16 x 16 grid of threads
constexpr int kBM = 64;           ///< block tile: rows of C
constexpr int kBN = 64;           ///< block tile: columns of C
constexpr int kBK = 16;           ///< reduction slice staged in shared memory per step
constexpr int kTM = 4;            ///< rows of C per thread
constexpr int kTN = 4;            ///< columns of C per thread (= kSegment: one segment of V)
constexpr int kThreadCols = kBN / kTN; ///< 16 threads across a tile row
static_assert(kThreadCols * (kBM / kTM) == kThreads, "the threads tile the block tile");
static_assert(kTN == kSegment, "a thread's columns are one segment of V");
static_assert(kBK * kBM == 4 * kThreads && kBK * kBN == 4 * kThreads, "each thread loads 4 values of A and of B");

/// Shared-memory table of the dV reduction: 2^bits slots (float sums: 2048,
/// half a 64 x 64 tile of distinct buckets; 64-bit fixed-point sums: 1024, so
/// that a block stays within 32 KB of shared memory), linear probes.
template <class Value>
constexpr int table_bits()
{
   return sizeof(Value) == 4 ? 11 : 10;
}
constexpr int kTableProbes = 8; ///< then the addition goes straight to global memory
constexpr std::uint32_t kEmptySlot = 0xFFFFFFFFu; ///< no bucket (buckets are < 2^31)
/// FUNHASH's |alpha| at most: H (U + 2) + 1.
constexpr int kMaxAlpha = kFunHashMaxHidden * (kFunHashMaxHashes + 2) + 1;

/// C (M x N) = A (M x k) B (k x N).
struct GemmShape {
   std::int64_t m, n, k;
};

/// The kBK x kBM slice of A (k-major: a[kk][mm] = A[m0 + mm][k0 + kk]) and the kBK x kBN slice of B.
struct GemmTiles {
   float a[kBK][kBM];
   float b[kBK][kBN];
};

/// One thread's kTM x kTN outputs.
struct ThreadAcc {
   float c[kTM][kTN];
};

HASHEDNET_HOST_DEVICE HASHEDNET_INLINE int thread_row(int tid) { return (tid / kThreadCols) * kTM; }
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE int thread_col(int tid) { return (tid % kThreadCols) * kTN; }
/// Entries of a segment of length up to `want` from `at` that lie before `end`.
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE int clipped(std::int64_t at, int want, std::int64_t end)
{
   return at >= end ? 0 : (end - at < want ? static_cast<int>(end - at) : want);
}

// ---------------------------------------------------------------- operand loaders

/// A[m][k] = p[m ld + k] (x or dy: batch x features). Thread: one row, 4 consecutive k.
struct RowMajorA {
   const float *p;
   std::int64_t ld;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void load(const GemmShape &s, std::int64_t m0, std::int64_t k0, int tid,
                                   GemmTiles &t) const
   {
      const int mm = tid / 4, kk = (tid % 4) * 4;
      const std::int64_t m = m0 + mm;
      HASHEDNET_UNROLL
      for (int c = 0; c < 4; ++c) {
         const std::int64_t k = k0 + kk + c;
         t.a[kk + c][mm] = (m < s.m && k < s.k) ? p[m * ld + k] : 0.0f;
      }
   }
};

/// A[m][k] = p[k ld + m] (dy^T for dV: m an output row, k an event). Thread: one k, 4 consecutive m.
struct TransposedA {
   const float *p;
   std::int64_t ld;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void load(const GemmShape &s, std::int64_t m0, std::int64_t k0, int tid,
                                   GemmTiles &t) const
   {
      const int kk = tid / 16, mm = (tid % 16) * 4;
      const std::int64_t k = k0 + kk;
      HASHEDNET_UNROLL
      for (int c = 0; c < 4; ++c) {
         const std::int64_t m = m0 + mm + c;
         t.a[kk][mm + c] = (m < s.m && k < s.k) ? p[k * ld + m] : 0.0f;
      }
   }
};

/// B[k][n] = p[k ld + n] (x for dV: k an event, n an input column). Thread: one k, 4 consecutive n.
struct RowMajorB {
   const float *p;
   std::int64_t ld;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void load(const GemmShape &s, std::int64_t k0, std::int64_t n0, int tid,
                                   GemmTiles &t) const
   {
      const int kk = tid / 16, nn = (tid % 16) * 4;
      const std::int64_t k = k0 + kk;
      HASHEDNET_UNROLL
      for (int c = 0; c < 4; ++c) {
         const std::int64_t n = n0 + nn + c;
         t.b[kk][nn + c] = (n < s.n && k < s.k) ? p[k * ld + n] : 0.0f;
      }
   }
};

/// B[k][n] = V[n][k] generated (forward: n an output row i, k an input column j).
/// Thread: one segment of row n0 + nn, columns k0 + kk .. + 3.
template <class V>
struct GeneratedTransposedB {
   V v;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void load(const GemmShape &s, std::int64_t k0, std::int64_t n0, int tid,
                                   GemmTiles &t) const
   {
      const int nn = tid / 4, kk = (tid % 4) * 4;
      const std::int64_t i = n0 + nn;
      float seg[kSegment];
      v.segment(i, k0 + kk, i < s.n ? clipped(k0 + kk, kSegment, s.k) : 0, seg); // 0 beyond the edges
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         t.b[kk + c][nn] = seg[c];
   }
};

/// B[k][n] = V[k][n] generated (dx: k an output row i, n an input column j).
/// Thread: one segment of row k0 + kk, columns n0 + nn .. + 3.
template <class V>
struct GeneratedB {
   V v;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void load(const GemmShape &s, std::int64_t k0, std::int64_t n0, int tid,
                                   GemmTiles &t) const
   {
      const int kk = tid / 16, nn = (tid % 16) * 4;
      const std::int64_t i = k0 + kk;
      float seg[kSegment];
      v.segment(i, n0 + nn, i < s.k ? clipped(n0 + nn, kSegment, s.n) : 0, seg); // 0 beyond the edges
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         t.b[kk][nn + c] = seg[c];
   }
};

/// acc += the thread's kTM x kTN part of A-slice x B-slice.
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void multiply_tile(const GemmTiles &t, int tid, ThreadAcc &acc)
{
   const int row = thread_row(tid), col = thread_col(tid);
   HASHEDNET_UNROLL
   for (int kk = 0; kk < kBK; ++kk) {
      float a[kTM], b[kTN];
      HASHEDNET_UNROLL
      for (int r = 0; r < kTM; ++r)
         a[r] = t.a[kk][row + r];
      HASHEDNET_UNROLL
      for (int c = 0; c < kTN; ++c)
         b[c] = t.b[kk][col + c];
      HASHEDNET_UNROLL
      for (int r = 0; r < kTM; ++r)
         HASHEDNET_UNROLL
         for (int c = 0; c < kTN; ++c)
            acc.c[r][c] += a[r] * b[c];
   }
}

// ---------------------------------------------------------------- epilogues

struct NoShared {
   int unused;
};

/// C (+ b[n] when bias) -> global memory (y, or dx), row-major with leading dimension ld.
struct StoreC {
   using Shared = NoShared;
   float *c;
   std::int64_t ld;
   HashedLayout layout; ///< the bias, when `bias`
   const float *wb;     ///< the layer's bias parameters (params + layout.bias_offset())
   bool bias;

   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void init(int, Shared &) const {}
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void apply(const GemmShape &s, std::int64_t m0, std::int64_t n0, int tid,
                                    const ThreadAcc &acc, Shared &) const
   {
      const int row = thread_row(tid), col = thread_col(tid);
      HASHEDNET_UNROLL
      for (int r = 0; r < kTM; ++r) {
         const std::int64_t m = m0 + row + r;
         for (int cc = 0; cc < kTN && m < s.m; ++cc) {
            const std::int64_t n = n0 + col + cc;
            if (n < s.n)
               c[m * ld + n] = bias ? acc.c[r][cc] + layout.virtual_bias(wb, n) : acc.c[r][cc];
         }
      }
   }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void flush(int, Shared &) const {}
};

/// Float sums: global atomicAdd into the gradient (order-dependent last bits).
struct FloatSum {
   using Value = float;
   float *target;
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE Value encode(float v) const { return v; }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void add_global(std::int64_t k, Value v) const { atomic_add(target + k, v); }
};

/// Fixed-point sums (device_ops.cuh): the same bits in any order.
struct FixedSum {
   using Value = unsigned long long;
   unsigned long long *target;
   const int *exponent; ///< device memory, written by ScaleExponent before the launch
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE Value encode(float v) const { return to_fixed(v, *exponent); }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void add_global(std::int64_t k, Value v) const { atomic_add(target + k, v); }
};

/// The block's shared memory for reducing dV: a table keyed by bucket and FUNHASH's dalpha.
template <class Value, bool kTable, bool kAlpha>
struct ReduceShared {
   static constexpr int kBits = table_bits<Value>();
   static constexpr int kSlots = kTable ? 1 << kBits : 1;
   std::uint32_t key[kSlots];
   Value value[kSlots];
   SharedAtomicFloat alpha[kAlpha ? kMaxAlpha : 1];
};

/// Where one thread's bucket additions go: the table (probing), else global memory.
template <class Sum, class Shared, bool kTable>
struct BucketSink {
   const Sum &sum;
   Shared &shared;

   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE SharedAtomicFloat *alpha() { return shared.alpha; }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void add_bucket(std::int64_t k, float v)
   {
      const typename Sum::Value e = sum.encode(v);
      if (kTable) {
         const std::uint32_t bucket = static_cast<std::uint32_t>(k);
         std::uint32_t slot = (bucket * 2654435761u) >> (32 - Shared::kBits);
         for (int probe = 0; probe < kTableProbes; ++probe) {
            const std::uint32_t old = atomic_cas(&shared.key[slot], kEmptySlot, bucket);
            if (old == kEmptySlot || old == bucket) {
               atomic_add(&shared.value[slot], e);
               return;
            }
            slot = (slot + 1) & (Shared::kSlots - 1);
         }
      }
      sum.add_global(k, e);
   }
};

/// C = a tile of dV (rows: output rows i, columns: input columns j) reduced into
/// the scheme's parameters: sum.target[bucket] (and [K + p] for FUNHASH's alpha).
template <class V, class Sum>
struct ReduceDV {
   using Shared = ReduceShared<typename Sum::Value, V::kTable, V::kAlpha>;
   V v;
   Sum sum;
   std::int64_t n_buckets; ///< FUNHASH: alpha's gradient starts here in sum.target

   static_assert(!V::kAlpha || std::is_same<Sum, FloatSum>::value, "FUNHASH's dalpha is summed in float only");

   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void init(int tid, Shared &sh) const
   {
      if (V::kTable)
         for (int e = tid; e < Shared::kSlots; e += kThreads) {
            sh.key[e] = kEmptySlot;
            sh.value[e] = 0;
         }
      if (V::kAlpha)
         for (int p = tid; p < kMaxAlpha; p += kThreads)
            sh.alpha[p].value = 0.0f;
   }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void apply(const GemmShape &s, std::int64_t m0, std::int64_t n0, int tid,
                                    const ThreadAcc &acc, Shared &sh) const
   {
      BucketSink<Sum, Shared, V::kTable> sink{sum, sh};
      const int row = thread_row(tid), col = thread_col(tid);
      HASHEDNET_UNROLL
      for (int r = 0; r < kTM; ++r) {
         const std::int64_t i = m0 + row + r;
         const int len = i < s.m ? clipped(n0 + col, kTN, s.n) : 0;
         v.scatter(i, n0 + col, len, acc.c[r], sink);
      }
   }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void flush(int tid, Shared &sh) const
   {
      if (V::kTable)
         for (int e = tid; e < Shared::kSlots; e += kThreads)
            if (sh.key[e] != kEmptySlot)
               sum.add_global(sh.key[e], sh.value[e]);
      if constexpr (V::kAlpha)
         for (int p = tid; p < v.layer.n_alpha(); p += kThreads)
            atomic_add(sum.target + n_buckets + p, sh.alpha[p].value);
   }
};

// ---------------------------------------------------------------- block programs

/// Everything a fused GEMM block reads: the shape, the operands, the epilogue.
template <class A, class B, class E>
struct GemmProblem {
   using Epilogue = E;
   GemmShape shape;
   A a;
   B b;
   E epilogue;
};

template <class Epilogue>
struct GemmShared {
   GemmTiles tiles;
   typename Epilogue::Shared epilogue;
};

/// One block of the fused GEMM: C[tile_m, tile_n] of problem p.
template <class Block, class Problem>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void gemm_block(Block &blk, const Problem &p, GemmShared<typename Problem::Epilogue> &sh)
{
   // preconditions: kThreads threads (the launch), shapes and grid checked by the driver
   // global views: p.a (M x Kd), p.b (Kd x N), p.epilogue (C's destination), M x N x Kd = p.shape
   const GemmShape &s = p.shape;
   // this block's tile: C[m0, m0 + kBM) x [n0, n0 + kBN)
   const std::int64_t m0 = blk.tile_m() * kBM, n0 = blk.tile_n() * kBN;
   // shared buffers: sh.tiles (A: kBK x kBM, B: kBK x kBN), sh.epilogue (table / dalpha)
   blk.threads([&](int tid) {
      blk.acc(tid) = ThreadAcc{};
      p.epilogue.init(tid, sh.epilogue);
   });
   // k-loop: stage A and (generate) B, sync, multiply, sync
   for (std::int64_t k0 = 0; k0 < s.k; k0 += kBK) {
      blk.threads([&](int tid) {
         p.a.load(s, m0, k0, tid, sh.tiles);      // A[m0.., k0..k0+kBK)
         p.b.load(s, k0, n0, tid, sh.tiles);      // B[k0..k0+kBK, n0..)
      });
      blk.sync();
      blk.threads([&](int tid) { multiply_tile(sh.tiles, tid, blk.acc(tid)); });
      blk.sync();
   }
   // epilogue: store / reduce into the table, sync, flush the table
   blk.threads([&](int tid) { p.epilogue.apply(s, m0, n0, tid, blk.acc(tid), sh.epilogue); });
   blk.sync();
   blk.threads([&](int tid) { p.epilogue.flush(tid, sh.epilogue); });
}

/// A dV tile (rows x cols, row-major, in the workspace: from cuBLAS) reduced
/// into the buckets by the same epilogue as the fused kernel's.
template <class E>
struct ScatterProblem {
   using Epilogue = E;
   GemmShape shape; ///< m = rows, n = cols of the tile (k unused)
   const float *dv; ///< leading dimension shape.n
   std::int64_t row0, col0; ///< the tile's place in V
   E epilogue;
};

template <class Block, class Problem>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void scatter_block(Block &blk, const Problem &p, GemmShared<typename Problem::Epilogue> &sh)
{
   // this block's part of the tile: [m0, m0 + kBM) x [n0, n0 + kBN); its place in V: + (row0, col0)
   const GemmShape &s = p.shape;
   const std::int64_t m0 = blk.tile_m() * kBM, n0 = blk.tile_n() * kBN;
   const GemmShape in_v{p.row0 + s.m, p.col0 + s.n, 0};
   blk.threads([&](int tid) {
      ThreadAcc &acc = blk.acc(tid);
      const int row = thread_row(tid), col = thread_col(tid);
      HASHEDNET_UNROLL
      for (int r = 0; r < kTM; ++r)
         HASHEDNET_UNROLL
         for (int c = 0; c < kTN; ++c) {
            const std::int64_t m = m0 + row + r, n = n0 + col + c;
            acc.c[r][c] = (m < s.m && n < s.n) ? p.dv[m * s.n + n] : 0.0f;
         }
      p.epilogue.init(tid, sh.epilogue);
   });
   blk.sync();
   blk.threads([&](int tid) {
      p.epilogue.apply(in_v, p.row0 + m0, p.col0 + n0, tid, blk.acc(tid), sh.epilogue);
   });
   blk.sync();
   blk.threads([&](int tid) { p.epilogue.flush(tid, sh.epilogue); });
}

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_GEMM_PHASES_CUH
