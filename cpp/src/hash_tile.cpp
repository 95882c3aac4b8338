// hash_tile.cpp: the scalar tile generator (the reference) and the run-time
// choice of implementation. See hash_tile.h.
#include "hash_tile.h"

#include "hashednet/common.h"

#include <algorithm>
#include <vector>

namespace hashednet {
namespace kernels {

namespace {
/// One block's part inside a row of a tile: `len` entries from tile entry
/// `at`, taking buckets from `bucket` on (circular modulo K), with `sign`.
struct BlockRun {
   std::int64_t at;
   std::uint32_t bucket;
   std::uint32_t sign; ///< the sign bit alone
   std::int64_t len;
};

/// Runs ahead whose first bucket the copy prefetches (each run starts at a
/// random place of the bucket array: one cache miss per run otherwise).
constexpr std::size_t kRunPrefetch = 8;

/// Copies n entries of one run: v = xi * w[bucket + e], slots = (bucket + e) | sign.
void copy_run(const float *w, std::uint32_t n_buckets, const BlockRun &run, float *v, std::uint32_t *slots)
{
   const auto *w_bits = reinterpret_cast<const std::uint32_t *>(w);
   std::uint32_t b = run.bucket;
   if (b + static_cast<std::uint64_t>(run.len) <= n_buckets) { // contiguous (the usual case): vectorised loops
      if (v) {
         auto *v_bits = reinterpret_cast<std::uint32_t *>(v + run.at);
         for (std::int64_t e = 0; e < run.len; ++e)
            v_bits[e] = w_bits[b + e] ^ run.sign;
      }
      if (slots)
         for (std::int64_t e = 0; e < run.len; ++e)
            slots[run.at + e] = (b + static_cast<std::uint32_t>(e)) | run.sign;
      return;
   }
   for (std::int64_t e = 0; e < run.len; ++e) { // the run wraps around K
      if (v)
         v[run.at + e] = signed_weight(w, b | run.sign);
      if (slots)
         slots[run.at + e] = b | run.sign;
      b = b + 1 == n_buckets ? 0 : b + 1;
   }
}
} // namespace

void generate_tile_block(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                         std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   const std::int64_t block = layer.block;
   const auto n_blocks = static_cast<std::uint64_t>(layer.n_blocks());
   // 1. the runs of the tile: one hash per block part in each row
   thread_local std::vector<BlockRun> runs;
   runs.clear();
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const auto row = static_cast<std::uint64_t>(row0 + r);
      for (std::int64_t c = 0; c < n_cols;) {
         const std::int64_t j = col0 + c;       // block q = j / B, entry t = j % B of it
         const std::int64_t t = j % block;
         const std::int64_t len = std::min(block - t, n_cols - c);
         const std::uint32_t h = block_hash(row, static_cast<std::uint64_t>(j / block), n_blocks, layer.weight_seed);
         std::uint64_t b = bucket_of(h, n_buckets) + static_cast<std::uint64_t>(t);
         b = b < n_buckets ? b : b % n_buckets;
         runs.push_back({r * n_cols + c, static_cast<std::uint32_t>(b), h << 31, len});
         c += len;
      }
   }
   // 2. copy the runs, prefetching the buckets of runs ahead
   for (std::size_t i = 0; i < runs.size(); ++i) {
#if defined(__GNUC__)
      if (v && i + kRunPrefetch < runs.size())
         __builtin_prefetch(&w[runs[i + kRunPrefetch].bucket], 0, 3);
#endif
      copy_run(w, n_buckets, runs[i], v, slots);
   }
}

void generate_tile_scalar(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   if (layer.hash_mode == HashMode::Block) {
      generate_tile_block(layer, w, row0, n_rows, col0, n_cols, v, slots);
      return;
   }
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const std::uint64_t key0 = static_cast<std::uint64_t>(row0 + r) * layer.n_in + col0;
      for (std::int64_t c = 0; c < n_cols; ++c) {
         const std::uint32_t slot = slot_of(xxh32::hash_u64(key0 + c, layer.weight_seed), n_buckets);
         if (v)
            v[r * n_cols + c] = signed_weight(w, slot);
         if (slots)
            slots[r * n_cols + c] = slot;
      }
   }
}

GenerateTileFn tile_generator(const std::string &isa)
{
   switch (resolve_isa(isa)) {
#if defined(HASHEDNET_HAVE_AVX512)
   case Isa::Avx512: return generate_tile_avx512;
#endif
#if defined(HASHEDNET_HAVE_AVX2)
   case Isa::Avx2: return generate_tile_avx2;
#endif
   default: return generate_tile_scalar;
   }
}

} // namespace kernels
} // namespace hashednet
