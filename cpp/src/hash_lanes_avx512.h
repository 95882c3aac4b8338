// hash_lanes_avx512.h: xxh32 of 16 consecutive keys in the lanes of one
// AVX-512 register (internal; include only from files compiled with the
// AVX-512 flags). The same hash as hash_lanes_avx2.h (read its comment),
// twice as wide, with the native 32-bit rotate; shared by hash_tile_avx512.cpp
// and small_batch_avx512.cpp.
#ifndef HASHEDNET_SRC_HASH_LANES_AVX512_H
#define HASHEDNET_SRC_HASH_LANES_AVX512_H

#include "hashednet/hash.h"

#include <immintrin.h>

#include <cstdint>

namespace hashednet {
namespace kernels {
namespace avx512 {

inline __m512i mul(__m512i a, std::uint32_t b)
{
   return _mm512_mullo_epi32(a, _mm512_set1_epi32(static_cast<int>(b)));
}

/// (uint64(h) * K) >> 32 in each 32-bit lane; k holds K in every lane.
inline __m512i bucket_of16(__m512i h, __m512i k)
{
   const __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(h, k), 32); // even lanes, in the low halves
   const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(h, 32), k);  // odd lanes, in the high halves
   return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

/// The slots (bucket | sign << 31) of keys key0, key0 + 1, ...: 16 per next().
class KeyHasher {
public:
   KeyHasher(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets)
      : start_(_mm512_set1_epi32(static_cast<int>(seed + xxh32::kPrime5 + 8u))),
        high_p3_(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0 >> 32) * xxh32::kPrime3))),
        k_(_mm512_set1_epi32(static_cast<int>(n_buckets))),
        step_(_mm512_set1_epi32(static_cast<int>(16u * xxh32::kPrime3))),
        low_p3_(mul(_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0))),
                                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
                    xxh32::kPrime3))
   {
   }

   /// The slots of the next 16 keys.
   __m512i next()
   {
      using namespace xxh32;
      __m512i h = _mm512_add_epi32(start_, low_p3_);
      h = mul(_mm512_rol_epi32(h, 17), kPrime4);
      h = _mm512_add_epi32(h, high_p3_);
      h = mul(_mm512_rol_epi32(h, 17), kPrime4);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 15));
      h = mul(h, kPrime2);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
      h = mul(h, kPrime3);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
      low_p3_ = _mm512_add_epi32(low_p3_, step_);
      return _mm512_or_si512(bucket_of16(h, k_), _mm512_slli_epi32(h, 31)); // the sign bit alone on top
   }

private:
   __m512i start_, high_p3_, k_, step_, low_p3_;
};

} // namespace avx512
} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_HASH_LANES_AVX512_H
