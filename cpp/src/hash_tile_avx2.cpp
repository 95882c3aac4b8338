// hash_tile_avx2.cpp: the AVX2 tile generator, 8 virtual weights per step.
// This translation unit alone is compiled with -mavx2 -mfma; it runs only
// when cpu_isa.cpp finds AVX2 on the CPU. Bit-identical to the scalar
// generator (tests/test_kernels.py). The hash and the gather are here; the
// rest, shared with AVX-512, is hash_tile_driver.inc.
//
// The hash of 8 consecutive keys is hash_lanes_avx2.h's.
#include "hash_lanes_avx2.h"
#include "hash_tile.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 8; ///< keys hashed per step
constexpr std::int64_t kChunk = 256; ///< keys hashed before their weights are gathered

/// Slots of n (<= kChunk, a multiple of 8) consecutive keys from key0 (whose low word does not wrap).
inline void hash_chunk(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                       std::uint32_t *slots)
{
   avx2::KeyHasher hasher(key0, seed, n_buckets);
   for (std::int64_t c = 0; c < n; c += 8)
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(slots + c), hasher.next());
}

/// Slots ahead whose bucket the gather prefetches. A bucket array beyond L2
/// (e.g. 2M buckets = 8 MB) makes nearly every gathered lane a cache miss;
/// the vector gather alone keeps too few of them in flight.
constexpr std::int64_t kGatherPrefetch = 192;

/// v = xi * w[bucket] for n slots: _mm256_i32gather_ps over a flat run of
/// slots (a whole tile), prefetching the buckets kGatherPrefetch slots ahead.
inline void gather(const float *w, const std::uint32_t *slots, std::int64_t n, float *v, bool prefetch)
{
   const __m256i mask = _mm256_set1_epi32(static_cast<int>(kBucketMask));
   const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(kSignBit));
   const std::int64_t n_vector = n / 8 * 8;
   const std::int64_t n_prefetched = prefetch ? n - kGatherPrefetch : 0;
   for (std::int64_t c = 0; c < n_vector; c += 8) {
      if (c < n_prefetched)
         for (int e = 0; e < 8; ++e)
            _mm_prefetch(reinterpret_cast<const char *>(&w[slots[c + kGatherPrefetch + e] & kBucketMask]),
                         _MM_HINT_T0);
      const __m256i slot = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(slots + c));
      const __m256 weights = _mm256_i32gather_ps(w, _mm256_and_si256(slot, mask), 4);
      _mm256_storeu_ps(v + c, _mm256_xor_ps(weights, _mm256_castsi256_ps(_mm256_and_si256(slot, sign_bit))));
   }
   for (std::int64_t c = n_vector; c < n; ++c)
      v[c] = signed_weight(w, slots[c]);
}

} // namespace

#include "hash_tile_driver.inc"

void key_slots_avx2(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                    std::uint32_t *slots)
{
   key_slots_driver(key0, seed, n_buckets, n, slots);
}

void generate_tile_avx2(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                        std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   generate_tile_driver(layer, w, row0, n_rows, col0, n_cols, v, slots, key_slots_avx2);
}

} // namespace kernels
} // namespace hashednet
