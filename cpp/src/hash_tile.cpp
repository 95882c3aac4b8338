// hash_tile.cpp: the scalar tile generator (the reference) and the run-time
// choice of implementation. See hash_tile.h.
#include "hash_tile.h"

#include "hashednet/common.h"

#include <algorithm>

namespace hashednet {
namespace kernels {

namespace {
/// Runs ahead whose first bucket the copy and the scatter prefetch (each run
/// starts at a random place of the bucket array: one cache miss per run
/// otherwise).
constexpr std::size_t kRunPrefetch = 48;

/// v = xi * w[bucket + e] for the `len` entries of a run that does not wrap.
template <std::uint32_t kLen>
inline void copy_fixed(const std::uint32_t *__restrict w_bits, std::uint32_t sign, std::uint32_t *__restrict v_bits)
{
   for (std::uint32_t e = 0; e < kLen; ++e) // unrolled into a few vector instructions
      v_bits[e] = w_bits[e] ^ sign;
}

/// Copies one run: v = xi * w[bucket + e] (the sign is a bit flip).
inline void copy_run(const std::uint32_t *__restrict w_bits, std::uint32_t n_buckets, BlockRun run,
                     std::uint32_t *__restrict v_bits)
{
   const std::uint32_t b = run.bucket, len = run.len, sign = run.sign;
   if (b + len > n_buckets) { // the run wraps around K
      for (std::uint32_t e = 0; e < len; ++e)
         v_bits[e] = w_bits[(b + e) % n_buckets] ^ sign;
      return;
   }
   switch (len) { // whole blocks of the usual sizes: fixed-length copies
   case 8: copy_fixed<8>(w_bits + b, sign, v_bits); return;
   case 16: copy_fixed<16>(w_bits + b, sign, v_bits); return;
   case 32: copy_fixed<32>(w_bits + b, sign, v_bits); return;
   default:
      for (std::uint32_t e = 0; e < len; ++e)
         v_bits[e] = w_bits[b + e] ^ sign;
   }
}

/// Prefetches the first and the last cache line of a run's buckets: all of
/// them for runs of up to 16 floats (at most two lines), the ends otherwise.
/// (ForWrite is a template argument: clang wants a constant there.)
template <int ForWrite>
inline void prefetch_run(const float *values, const BlockRun &run)
{
#if defined(__GNUC__)
   __builtin_prefetch(&values[run.bucket], ForWrite, 3);
   __builtin_prefetch(&values[run.bucket] + (run.len > 0 ? run.len - 1 : 0), ForWrite, 3);
#endif
}
} // namespace

void block_runs(const HashedLayout &layer, std::int64_t row0, std::int64_t n_rows, std::int64_t col0,
                std::int64_t n_cols, std::vector<BlockRun> &runs, KeySlotsFn hash_keys)
{
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   const std::int64_t block = layer.block;
   const auto n_blocks = static_cast<std::uint64_t>(layer.n_blocks());
   // every row starts in block q0 at entry t0 of it and spans n_q blocks; the later ones start at t = 0
   const auto q0 = static_cast<std::uint64_t>(col0 / block);
   const std::int64_t t0 = col0 % block;
   const std::int64_t n_q = (t0 + n_cols + block - 1) / block;
   thread_local std::vector<std::uint32_t> block_slots;
   block_slots.resize(static_cast<std::size_t>(n_q));
   runs.resize(static_cast<std::size_t>(n_rows * n_q));
   BlockRun *run = runs.data();
   for (std::int64_t r = 0; r < n_rows; ++r) {
      // the keys of a row's blocks, row * n_blocks + q, are consecutive: hashed like a row of ELEMENT mode
      hash_keys(static_cast<std::uint64_t>(row0 + r) * n_blocks + q0, layer.weight_seed, n_buckets, n_q,
                block_slots.data());
      std::int64_t t = t0;
      for (std::int64_t q = 0, c = 0; q < n_q; ++q, t = 0, ++run) {
         const std::int64_t len = std::min(block - t, n_cols - c);
         const std::uint32_t slot = block_slots[q];
         std::uint64_t b = static_cast<std::uint64_t>(slot & kBucketMask) + static_cast<std::uint64_t>(t);
         b = b < n_buckets ? b : b % n_buckets;
         *run = {static_cast<std::uint32_t>(r * n_cols + c), static_cast<std::uint32_t>(b), slot & kSignBit,
                 static_cast<std::uint32_t>(len)};
         c += len;
      }
   }
}

void copy_runs(const float *w, std::uint32_t n_buckets, const BlockRun *runs, std::size_t n_runs, float *v)
{
   const auto *w_bits = reinterpret_cast<const std::uint32_t *>(w);
   auto *v_bits = reinterpret_cast<std::uint32_t *>(v);
   for (std::size_t i = 0; i < n_runs; ++i) {
      if (i + kRunPrefetch < n_runs)
         prefetch_run<0>(w, runs[i + kRunPrefetch]);
      copy_run(w_bits, n_buckets, runs[i], v_bits + runs[i].at);
   }
}

void scatter_runs(const BlockRun *runs, std::size_t n_runs, std::uint32_t n_buckets, const float *dv, float *grad)
{
   for (std::size_t i = 0; i < n_runs; ++i) {
      if (i + kRunPrefetch < n_runs)
         prefetch_run<1>(grad, runs[i + kRunPrefetch]);
      const BlockRun run = runs[i];
      const float *__restrict d = dv + run.at;
      float *__restrict g = grad + run.bucket;
      if (run.bucket + run.len > n_buckets) { // the run wraps around K
         for (std::uint32_t e = 0; e < run.len; ++e)
            grad[(run.bucket + e) % n_buckets] += with_sign(d[e], run.sign);
      } else if (run.sign) { // a + (-d) and a - d are the same float: the same bits as scatter_tile
         for (std::uint32_t e = 0; e < run.len; ++e)
            g[e] -= d[e];
      } else {
         for (std::uint32_t e = 0; e < run.len; ++e)
            g[e] += d[e];
      }
   }
}

void generate_tile_block(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                         std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                         KeySlotsFn hash_keys)
{
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   thread_local std::vector<BlockRun> runs;
   block_runs(layer, row0, n_rows, col0, n_cols, runs, hash_keys);
   if (v)
      copy_runs(w, n_buckets, runs.data(), runs.size(), v);
   if (slots)
      for (const BlockRun &run : runs)
         for (std::uint32_t e = 0; e < run.len; ++e)
            slots[run.at + e] = ((run.bucket + e) % n_buckets) | run.sign;
}

void generate_tile_scalar(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   if (layer.hash_mode == HashMode::Block) {
      generate_tile_block(layer, w, row0, n_rows, col0, n_cols, v, slots, key_slots_scalar);
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

void key_slots_scalar(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                      std::uint32_t *slots)
{
   for (std::int64_t e = 0; e < n; ++e)
      slots[e] = slot_of(xxh32::hash_u64(key0 + static_cast<std::uint64_t>(e), seed), n_buckets);
}

KeySlotsFn key_slots(const std::string &isa)
{
   switch (resolve_isa(isa)) {
#if defined(HASHEDNET_HAVE_AVX512)
   case Isa::Avx512: return key_slots_avx512;
#endif
#if defined(HASHEDNET_HAVE_AVX2)
   case Isa::Avx2: return key_slots_avx2;
#endif
   default: return key_slots_scalar;
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
