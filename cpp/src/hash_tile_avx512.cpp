// hash_tile_avx512.cpp: the AVX-512 tile generator, 16 virtual weights per
// step. This translation unit alone is compiled with -mavx512f -mavx512dq
// -mavx512vl -mavx512bw (plus AVX2/FMA); it runs only when cpu_isa.cpp finds
// them on the CPU. The hash of 16 keys is hash_lanes_avx512.h's; the rest,
// as in hash_tile_avx2.cpp, twice as wide, with the same driver
// (hash_tile_driver.inc); bit-identical to the scalar generator
// (tests/test_kernels.py).
#include "hash_lanes_avx512.h"
#include "hash_tile.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 16; ///< keys hashed per step
constexpr std::int64_t kChunk = 256; ///< keys hashed before their weights are gathered

/// Slots of n (<= kChunk, a multiple of 16) consecutive keys from key0 (whose low word does not wrap).
inline void hash_chunk(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                       std::uint32_t *slots)
{
   avx512::KeyHasher hasher(key0, seed, n_buckets);
   for (std::int64_t c = 0; c < n; c += 16)
      _mm512_storeu_si512(slots + c, hasher.next());
}

/// Slots ahead whose bucket the gather prefetches (see hash_tile_avx2.cpp).
constexpr std::int64_t kGatherPrefetch = 192;

/// v = xi * w[bucket] for n slots, prefetching the buckets kGatherPrefetch slots ahead.
inline void gather(const float *w, const std::uint32_t *slots, std::int64_t n, float *v, bool prefetch)
{
   const __m512i mask = _mm512_set1_epi32(static_cast<int>(kBucketMask));
   const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(kSignBit));
   const std::int64_t n_vector = n / 16 * 16;
   const std::int64_t n_prefetched = prefetch ? n - kGatherPrefetch : 0;
   for (std::int64_t c = 0; c < n_vector; c += 16) {
      if (c < n_prefetched)
         for (int e = 0; e < 16; ++e)
            _mm_prefetch(reinterpret_cast<const char *>(&w[slots[c + kGatherPrefetch + e] & kBucketMask]),
                         _MM_HINT_T0);
      const __m512i slot = _mm512_loadu_si512(slots + c);
      const __m512i weights = _mm512_castps_si512(_mm512_i32gather_ps(_mm512_and_si512(slot, mask), w, 4));
      _mm512_storeu_si512(v + c, _mm512_xor_si512(weights, _mm512_and_si512(slot, sign_bit)));
   }
   for (std::int64_t c = n_vector; c < n; ++c)
      v[c] = signed_weight(w, slots[c]);
}

} // namespace

#include "hash_tile_driver.inc"

void key_slots_avx512(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                      std::uint32_t *slots)
{
   key_slots_driver(key0, seed, n_buckets, n, slots);
}

void generate_tile_avx512(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   generate_tile_driver(layer, w, row0, n_rows, col0, n_cols, v, slots, key_slots_avx512);
}

} // namespace kernels
} // namespace hashednet
