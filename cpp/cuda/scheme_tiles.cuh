// scheme_tiles.cuh: what the GPU kernels need from each hashed weight scheme,
// as host/device structs (the CPU emulation runs the very same code).
//
// What it is: for ELEMENT, BLOCK and FUNHASH, a small struct (a kernel
// argument, copied to every thread) with
//
//   segment(i, j0, n, out)         out[c] = V[i][j0 + c] for c < n (n <= kSegment), 0 after:
//                                  the entries one thread stages into shared memory
//   scatter(i, j0, n, dv, sink)    the gradient of the entries V[i][j0 + c],
//                                  c < n, given dv[c] = dL/dV[i][j0 + c]:
//                                  sink.add_bucket(k, value) per bucket touched,
//                                  FUNHASH also sink.alpha()[p] += ... (g's parameters)
//
// V[i][j] and its buckets come from hashed_layout.h / funhash.h only (the
// one definition of the hash): ELEMENT calls locate_weight per entry; BLOCK
// hashes once per block that a segment touches (hash.h's block_hash, then
// the run of consecutive buckets locate_weight defines); FUNHASH calls
// FunHashLayout's fetch / reconstruct / locate per entry.
//
// kTable says whether the scheme's bucket additions go through the block's
// shared-memory table (ELEMENT, FUNHASH: random buckets, some repeat within
// a tile when K is small) or straight to global memory (BLOCK: a segment's
// buckets are consecutive, so a warp's atomics are coalesced runs).
//
// Loops run over all kSegment entries with `c < n` as a condition, never up
// to n: with constant indices the arrays stay in registers (ptxas: no stack
// frame), where a loop to n would index them dynamically, in local memory.
//
// What it is not: the GEMM (gemm_phases.cuh) or the DENSE layer (cuBLAS).
#ifndef HASHEDNET_CUDA_SCHEME_TILES_CUH
#define HASHEDNET_CUDA_SCHEME_TILES_CUH

#include "device_ops.cuh"

#include "hashednet/common.h"
#include "hashednet/funhash.h"
#include "hashednet/hash.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>

namespace hashednet {
namespace cuda {

/// Entries of one row a thread generates or scatters at a time.
constexpr int kSegment = 4;

/// ELEMENT: one hash per virtual weight.
struct ElementV {
   static constexpr bool kTable = true;
   static constexpr bool kAlpha = false;
   HashedLayout layout;
   const float *w; ///< the layer's buckets (params + layout.offset)

   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void segment(std::int64_t i, std::int64_t j0, int n, float *out) const
   {
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         out[c] = c < n ? layout.virtual_weight(w, i, j0 + c) : 0.0f;
   }
   template <class Sink>
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void scatter(std::int64_t i, std::int64_t j0, int n, const float *dv, Sink &sink) const
   {
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         if (c < n) {
            std::int64_t k;
            float sign;
            layout.locate_weight(i, j0 + c, k, sign);
            sink.add_bucket(k, sign * dv[c]);
         }
   }
};

/// BLOCK: one hash per block of B columns; inside a block the buckets run
/// consecutively (modulo K) from the block's start, with the block's sign.
struct BlockV {
   static constexpr bool kTable = false;
   static constexpr bool kAlpha = false;
   HashedLayout layout;
   const float *w;

   /// Bucket start and sign of block q of row i (locate_weight's first step).
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void block_start(std::int64_t i, std::int64_t q, std::int64_t &start, float &sign) const
   {
      const std::uint32_t h = block_hash(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(q),
                                         static_cast<std::uint64_t>(layout.n_blocks()), layout.weight_seed);
      start = bucket_of(h, static_cast<std::uint32_t>(layout.n_buckets));
      sign = sign_of(h);
   }
   /// Calls f(c, bucket, sign) for c < n, hashing once per block touched.
   /// In 32 bits (n_in and K are below 2^31, B at most 4096): a 64-bit
   /// division is a function call on the GPU, and a call costs registers.
   template <class F>
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void walk(std::int64_t i, std::int64_t j0, int n, F f) const
   {
      const std::uint32_t b = static_cast<std::uint32_t>(layout.block);
      const std::uint32_t n_buckets = static_cast<std::uint32_t>(layout.n_buckets);
      std::uint32_t q = static_cast<std::uint32_t>(j0) / b;
      std::uint32_t t = static_cast<std::uint32_t>(j0) - q * b;
      std::int64_t start = 0;
      float sign = 1.0f;
      if (n > 0)
         block_start(i, q, start, sign);
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c) {
         if (c >= n)
            return;
         if (t == b) { // the next block
            ++q;
            t = 0;
            block_start(i, q, start, sign);
         }
         std::uint32_t k = static_cast<std::uint32_t>(start) + t; // < K + B < 2^32
         if (k >= n_buckets)
            k %= n_buckets;
         f(c, static_cast<std::int64_t>(k), sign);
         ++t;
      }
   }
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void segment(std::int64_t i, std::int64_t j0, int n, float *out) const
   {
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         out[c] = 0.0f;
      walk(i, j0, n, [&](int c, std::int64_t k, float sign) { out[c] = sign * w[k]; });
   }
   template <class Sink>
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void scatter(std::int64_t i, std::int64_t j0, int n, const float *dv, Sink &sink) const
   {
      walk(i, j0, n, [&](int c, std::int64_t k, float sign) { sink.add_bucket(k, sign * dv[c]); });
   }
};

/// FUNHASH: U hashes and g per virtual weight; g's gradient goes to alpha.
struct FunHashV {
   static constexpr bool kTable = true;
   static constexpr bool kAlpha = true;
   FunHashLayout layer;
   const float *params; ///< the layer's slice: K buckets, then alpha

   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void segment(std::int64_t i, std::int64_t j0, int n, float *out) const
   {
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c)
         out[c] = c < n ? layer.virtual_weight(params, i, j0 + c) : 0.0f;
   }
   template <class Sink>
   HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void scatter(std::int64_t i, std::int64_t j0, int n, const float *dv, Sink &sink) const
   {
      const float *alpha = params + layer.alpha_offset();
      HASHEDNET_UNROLL
      for (int c = 0; c < kSegment; ++c) {
         if (c >= n)
            return;
         float z[kFunHashMaxHashes] = {};
         float dz[kFunHashMaxHashes] = {};
         layer.fetch(params, i, j0 + c, z);
         layer.reconstruct_backward(alpha, z, dv[c], dz, sink.alpha());
         for (int u = 0; u < layer.n_hashes; ++u) {
            std::int64_t k;
            float sign;
            layer.locate(i, j0 + c, u, k, sign);
            sink.add_bucket(k, sign * dz[u]);
         }
      }
   }
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_SCHEME_TILES_CUH
