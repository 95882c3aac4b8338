// hash_lanes_avx2.h: xxh32 of 8 consecutive keys in the lanes of one AVX2
// register (internal; include only from files compiled with -mavx2 -mfma).
//
// What it is: the one vector form of hash.h's hash_u64 for keys key0 + c,
// shared by the tile generator (hash_tile_avx2.cpp) and the small-batch
// kernels (small_batch_avx2.cpp). The keys' high word is constant (callers
// send rows whose low word would wrap to the scalar code) and the low-word
// product low * P3 grows by 8 * P3 per step: four 32-bit multiplies per 8
// hashes, plus two for the bucket (multiply-shift, high halves of two
// _mm256_mul_epu32). What it is not: a general hash of arbitrary keys.
#ifndef HASHEDNET_SRC_HASH_LANES_AVX2_H
#define HASHEDNET_SRC_HASH_LANES_AVX2_H

#include "hashednet/hash.h"

#include <immintrin.h>

#include <cstdint>

namespace hashednet {
namespace kernels {
namespace avx2 {

inline __m256i rotl17(__m256i x)
{
   return _mm256_or_si256(_mm256_slli_epi32(x, 17), _mm256_srli_epi32(x, 15));
}

inline __m256i mul(__m256i a, std::uint32_t b)
{
   return _mm256_mullo_epi32(a, _mm256_set1_epi32(static_cast<int>(b)));
}

/// (uint64(h) * K) >> 32 in each 32-bit lane; k holds K in every lane.
inline __m256i bucket_of8(__m256i h, __m256i k)
{
   const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(h, k), 32); // lanes 0,2,4,6 in the low halves
   const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(h, 32), k);  // lanes 1,3,5,7 in the high halves
   return _mm256_blend_epi32(even, odd, 0xAA);
}

/// The slots (bucket | sign << 31) of keys key0, key0 + 1, ...: 8 per next().
class KeyHasher {
public:
   KeyHasher(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets)
      : start_(_mm256_set1_epi32(static_cast<int>(seed + xxh32::kPrime5 + 8u))),
        high_p3_(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0 >> 32) * xxh32::kPrime3))),
        k_(_mm256_set1_epi32(static_cast<int>(n_buckets))),
        step_(_mm256_set1_epi32(static_cast<int>(8u * xxh32::kPrime3))),
        low_p3_(mul(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0))),
                                     _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                    xxh32::kPrime3))
   {
   }

   /// The slots of the next 8 keys.
   __m256i next()
   {
      using namespace xxh32;
      __m256i h = _mm256_add_epi32(start_, low_p3_);
      h = mul(rotl17(h), kPrime4);
      h = _mm256_add_epi32(h, high_p3_);
      h = mul(rotl17(h), kPrime4);
      h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 15));
      h = mul(h, kPrime2);
      h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
      h = mul(h, kPrime3);
      h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
      low_p3_ = _mm256_add_epi32(low_p3_, step_);
      return _mm256_or_si256(bucket_of8(h, k_), _mm256_slli_epi32(h, 31)); // the sign bit alone on top
   }

private:
   __m256i start_, high_p3_, k_, step_, low_p3_;
};

} // namespace avx2
} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_HASH_LANES_AVX2_H
