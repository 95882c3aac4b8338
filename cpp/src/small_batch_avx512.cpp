// small_batch_avx512.cpp: the AVX-512 small-batch kernels (small_batch.h), 16
// floats per vector, FMA. This translation unit alone is compiled with the
// AVX-512 flags (F, DQ, VL, BW); it runs only when cpu_isa.cpp finds them on
// the CPU. The vector operations are here, the loops in small_batch_driver.inc.
#include "hash_lanes_avx512.h"
#include "small_batch.h"

#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 16;
using Vec = __m512;

inline Vec zero()
{
   return _mm512_setzero_ps();
}
inline Vec load(const float *p)
{
   return _mm512_loadu_ps(p);
}
inline Vec load_part(const float *p, std::int64_t n)
{
   return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
}
inline Vec fmadd(Vec a, Vec b, Vec c)
{
   return _mm512_fmadd_ps(a, b, c);
}
inline Vec add(Vec a, Vec b)
{
   return _mm512_add_ps(a, b);
}
inline Vec flip(Vec v, std::uint32_t sign)
{
   return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), _mm512_set1_epi32(static_cast<int>(sign))));
}
inline float sum(Vec v) // through memory: GCC 12 warns inside _mm512_reduce_add_ps (its _mm256_undefined_pd)
{
   alignas(64) float lanes[16];
   _mm512_store_ps(lanes, v);
   __m256 s8 = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
   __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
   s = _mm_add_ps(s, _mm_movehl_ps(s, s));
   s = _mm_add_ss(s, _mm_movehdup_ps(s));
   return _mm_cvtss_f32(s);
}

/// xi * w[bucket] of 16 consecutive keys per next(): hashed in the lanes, then one gather.
class ElementLanes {
public:
   ElementLanes(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets) : hasher_(key0, seed, n_buckets) {}
   Vec next(const float *w)
   {
      const __m512i slot = hasher_.next();
      const __m512i weights = _mm512_castps_si512(
         _mm512_i32gather_ps(_mm512_and_si512(slot, _mm512_set1_epi32(static_cast<int>(kBucketMask))), w, 4));
      return _mm512_castsi512_ps(
         _mm512_xor_si512(weights, _mm512_and_si512(slot, _mm512_set1_epi32(static_cast<int>(kSignBit)))));
   }

private:
   avx512::KeyHasher hasher_;
};

constexpr KeySlotsFn kHashKeys = key_slots_avx512;

} // namespace

#include "small_batch_driver.inc"

void small_dense_avx512(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                        std::int64_t row0, std::int64_t row1, float *y)
{
   small_dense_driver(layer, w, x, batch, row0, row1, y);
}

void small_element_avx512(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                          std::int64_t row0, std::int64_t row1, float *y)
{
   small_element_driver(layer, w, x, batch, row0, row1, y);
}

void small_block_avx512(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                        std::int64_t row0, std::int64_t row1, float *y)
{
   small_block_driver(layer, w, x, batch, row0, row1, y);
}

} // namespace kernels
} // namespace hashednet
