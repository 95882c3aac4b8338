// small_batch.h: the CPU backend's inference kernels for small batches (internal).
//
// What it is: y = x V^T (no bias) for a few events, rows [row0, row1) of V,
// without a tile of V. ELEMENT hashes 8 (AVX2) or 16 (AVX-512) keys of a row
// in the lanes of a register, gathers their buckets and multiplies them into
// one accumulator per event; BLOCK takes each row's runs (a block's B
// consecutive buckets) straight from the bucket array times the same slice of
// each event's x; DENSE is the same loop with the whole row as one run (and
// BLAS's sgemv at batch 1).
// Events go G <= kSmallBatch at a time (G accumulators in registers): a
// row's hashes are made once per group, its weights read once per group. Variants per
// instruction set (small_batch.cpp: scalar; small_batch_{avx2,avx512}.cpp),
// the loops written once in small_batch_driver.inc; chosen like the tile
// generators (cpu_isa.h).
//
// What it is not: bit-identical to the tile path (sgemm's order) or across
// instruction sets: each sums in its own lanes, with FMA on AVX2/AVX-512;
// results agree to float rounding (tests/test_small_batch.py). So the CPU
// backend takes them in inference only (Backend::linear_infer), never in
// training, whose results stay those of linear_forward.
#ifndef HASHEDNET_SRC_SMALL_BATCH_H
#define HASHEDNET_SRC_SMALL_BATCH_H

#include "hash_tile.h"

#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <string>

namespace hashednet {
namespace kernels {

/// y[e * n_out + i] = sum_j V[i][j] x[e * n_in + j] for e < batch, row0 <= i < row1
/// (V: the layer's scheme, w: its weights, no bias).
using SmallBatchFn = void (*)(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                              std::int64_t row0, std::int64_t row1, float *y);

struct SmallBatchKernels {
   SmallBatchFn dense;
   SmallBatchFn element;
   SmallBatchFn block;
};

/// The largest batch that runs through the small-batch kernels in inference;
/// larger batches take the tile path, whose sgemm reads V once for all the
/// events. The kernels keep one accumulator per event in registers, up to
/// this many events at a time, and read a row's weights (DENSE, BLOCK) or
/// hash it (ELEMENT) once per such group: from the second group on, a second
/// pass over W or a second hashing of every key costs more than the sgemm it
/// saves. One-thread timings on the 2-core AMD EPYC of benchmarks/README.md
/// (2048^2 and 4096^2, batch 1 to 16, a loaded machine): the small-batch
/// kernels were faster up to batch 4, slower from 8 on.
constexpr std::int64_t kSmallBatch = 4;

/// BLOCK layers with more buckets than this (512 KiB, beyond L2) prefetch
/// each row's runs a few blocks ahead (small_batch_driver.inc, block_row).
constexpr std::uint32_t kSmallBatchL2Buckets = 1u << 17;

/// How far ahead BLOCK prefetches beyond L2: the run kBlockPrefetchFloats / B
/// blocks on (into the next row, hashed one row ahead). Without prefetching
/// the loads of a run wait for L3 (a fixed ~8 ns per block); prefetching the
/// whole next row at once (before 2026-12-02) evicted the current row from L1.
/// Quiet run, 4096^2 at 1/64, batch 1, one thread (benchmarks/README.md),
/// median ms: B16 whole next row 6.74, 8 blocks ahead 4.82,
/// 16 4.83, 32 5.35; B32 whole row 4.18, 4 blocks 3.41, 8 and 16 within noise
/// (minima 2.95 and 2.93 against 3.17 at 4). Interleaving two rows (each x
/// vector loaded once for both) measured slower (minima 6.4 against 5.2 ms
/// at B16, 4.3 against 3.4 at B32): it was dropped.
constexpr std::int64_t kBlockPrefetchFloats = 256;

/// ELEMENT layers with more buckets than this (4 MiB) keep the tile path:
/// its generator hashes a whole tile, then gathers with prefetching. Smaller
/// ones hash and gather in registers. One-thread CPU time at 4096^2, batch 1
/// (AMD EPYC, 512 KiB L2; benchmarks/README.md), registers against the tile
/// path: at 1/64 (1 MiB of buckets) 30 against 41 ms (quiet), 57 against 59
/// (loaded); at 1/8 (8 MiB) 200 against 95 ms. Hashing a chunk of 256 keys
/// ahead and prefetching its buckets before the gathers measured 37 ms at
/// 1/64, and at 1/8 67 ms in one run, 220 against the tile path's 171 in a
/// second: not kept.
constexpr std::uint32_t kSmallBatchElementBuckets = 1u << 20;

/// DENSE at batch 1: one BLAS sgemv per event (BLAS's kernel reads W four rows at a time).
void small_dense_sgemv(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                       std::int64_t row0, std::int64_t row1, float *y);

#define HASHEDNET_SMALL_BATCH_DECLARE(isa)                                                                           \
   void small_dense_##isa(const HashedLayout &, const float *, const float *, std::int64_t, std::int64_t,           \
                          std::int64_t, float *);                                                                    \
   void small_element_##isa(const HashedLayout &, const float *, const float *, std::int64_t, std::int64_t,         \
                            std::int64_t, float *);                                                                  \
   void small_block_##isa(const HashedLayout &, const float *, const float *, std::int64_t, std::int64_t,           \
                          std::int64_t, float *);
HASHEDNET_SMALL_BATCH_DECLARE(scalar)
#if defined(HASHEDNET_HAVE_AVX2)
HASHEDNET_SMALL_BATCH_DECLARE(avx2)
#endif
#if defined(HASHEDNET_HAVE_AVX512)
HASHEDNET_SMALL_BATCH_DECLARE(avx512)
#endif
#undef HASHEDNET_SMALL_BATCH_DECLARE

/// The small-batch kernels for instruction set `isa` (cpu_isa.h).
SmallBatchKernels small_batch_kernels(const std::string &isa = "auto");

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_SMALL_BATCH_H
