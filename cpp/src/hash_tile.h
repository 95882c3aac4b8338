// hash_tile.h: tiles of V generated from the hash (internal to the CPU backend).
//
// A tile is V[row0, row0 + n_rows) x [col0, col0 + n_cols) of a hashed layer,
// written row-major with leading dimension n_cols. Beside V a tile may keep
// each entry's "slot": bucket | (sign bit << 31), i.e. the bucket index with
// the IEEE sign bit of xi(i,j) on top. The backward pass scatters dV through
// the slots without hashing again. Nothing here is D-sized: a tile is as big
// as its caller makes it.
//
// Implementations: a scalar one (the reference, any CPU), AVX2 (8 hashes per
// instruction, _mm256_i32gather_ps for the buckets) and AVX-512 (16), each
// compiled alone with its -m flags and chosen at run time (cpu_isa.h).
#ifndef HASHEDNET_SRC_HASH_TILE_H
#define HASHEDNET_SRC_HASH_TILE_H

#include "cpu_isa.h"

#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace hashednet {
namespace kernels {

constexpr std::uint32_t kSignBit = 0x80000000u;
constexpr std::uint32_t kBucketMask = 0x7FFFFFFFu;

/// Slot of a 32-bit hash: bucket (< 2^31) with the sign in bit 31 (set = -1).
inline std::uint32_t slot_of(std::uint32_t h, std::uint32_t n_buckets)
{
   return bucket_of(h, n_buckets) | (h << 31);
}

/// value with the slot's sign applied by flipping the float's sign bit.
inline float with_sign(float value, std::uint32_t slot)
{
   std::uint32_t bits;
   std::memcpy(&bits, &value, sizeof bits);
   bits ^= slot & kSignBit;
   std::memcpy(&value, &bits, sizeof value);
   return value;
}

/// w[bucket] with the slot's sign.
inline float signed_weight(const float *w, std::uint32_t slot)
{
   return with_sign(w[slot & kBucketMask], slot);
}

/// Fills v (n_rows x n_cols, may be null) with V and slots (may be null) with
/// the slots of the tile of a hashed layer whose buckets are w.
using GenerateTileFn = void (*)(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                                std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots);

/// BLOCK mode: one block's part inside one row of a tile, `len` entries from
/// tile entry `at`, taking the buckets from `bucket` on (circular modulo K)
/// with one sign (`sign`: the sign bit alone). A tile of n entries has about
/// n / B runs.
struct BlockRun {
   std::uint32_t at;
   std::uint32_t bucket;
   std::uint32_t sign;
   std::uint32_t len;
};

/// slots[e] = slot_of(hash_u64(key0 + e, seed), n_buckets) for e < n: the
/// hashes of consecutive keys, as ELEMENT mode hashes a row of a tile and
/// BLOCK mode the blocks of a row. One variant per instruction set.
using KeySlotsFn = void (*)(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                            std::uint32_t *slots);
void key_slots_scalar(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                      std::uint32_t *slots);
#if defined(HASHEDNET_HAVE_AVX2)
void key_slots_avx2(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                    std::uint32_t *slots);
#endif
#if defined(HASHEDNET_HAVE_AVX512)
void key_slots_avx512(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                      std::uint32_t *slots);
#endif
/// The key hasher for instruction set `isa` (cpu_isa.h).
KeySlotsFn key_slots(const std::string &isa = "auto");

/// The runs of a tile, in the order of its entries (one hash per run, by hash_keys).
void block_runs(const HashedLayout &layer, std::int64_t row0, std::int64_t n_rows, std::int64_t col0,
                std::int64_t n_cols, std::vector<BlockRun> &runs, KeySlotsFn hash_keys);
/// v (the tile, leading dimension n_cols) = xi * w[bucket] along the runs.
void copy_runs(const float *w, std::uint32_t n_buckets, const BlockRun *runs, std::size_t n_runs, float *v);
/// grad[bucket] += xi * dv along the runs: the same additions in the same
/// order as scatter_tile over the tile's slots, run by run instead of entry
/// by entry.
void scatter_runs(const BlockRun *runs, std::size_t n_runs, std::uint32_t n_buckets, const float *dv, float *grad);

/// BLOCK mode (every instruction set, by its hash_keys): the runs, then V and the slots from them.
void generate_tile_block(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                         std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                         KeySlotsFn hash_keys);
void generate_tile_scalar(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots);
#if defined(HASHEDNET_HAVE_AVX2)
void generate_tile_avx2(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                        std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots);
#endif
#if defined(HASHEDNET_HAVE_AVX512)
void generate_tile_avx512(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots);
#endif

/// Entries ahead whose bucket the scatter prefetches: K-sized buffers beyond
/// L2 make every add a cache miss, and prefetching keeps many in flight
/// (128 measured best of 32..256 on the 4096 x 4096 layer at 1/8).
constexpr std::int64_t kScatterPrefetch = 128;

/// grad[bucket] += xi * dv over n entries of a tile (dv and slots alike laid out).
inline void scatter_tile(const std::uint32_t *slots, const float *dv, std::int64_t n, float *grad)
{
   for (std::int64_t e = 0; e < n; ++e) {
#if defined(__GNUC__)
      if (e + kScatterPrefetch < n)
         __builtin_prefetch(&grad[slots[e + kScatterPrefetch] & kBucketMask], 1, 3);
#endif
      grad[slots[e] & kBucketMask] += with_sign(dv[e], slots[e]);
   }
}

/// The tile generator for instruction set `isa` (cpu_isa.h); "auto" is the
/// best available one, or the one forced with set_default_isa.
GenerateTileFn tile_generator(const std::string &isa = "auto");

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_HASH_TILE_H
