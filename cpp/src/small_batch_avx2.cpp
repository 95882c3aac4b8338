// small_batch_avx2.cpp: the AVX2 small-batch kernels (small_batch.h), 8 floats
// per vector, FMA. This translation unit alone is compiled with -mavx2 -mfma;
// it runs only when cpu_isa.cpp finds AVX2 on the CPU. The vector operations
// are here, the loops in small_batch_driver.inc.
#include "hash_lanes_avx2.h"
#include "small_batch.h"

#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 8;
using Vec = __m256;

inline Vec zero()
{
   return _mm256_setzero_ps();
}
inline Vec load(const float *p)
{
   return _mm256_loadu_ps(p);
}
inline Vec load_part(const float *p, std::int64_t n)
{
   const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
   return _mm256_maskload_ps(p, mask);
}
inline Vec fmadd(Vec a, Vec b, Vec c)
{
   return _mm256_fmadd_ps(a, b, c);
}
inline Vec add(Vec a, Vec b)
{
   return _mm256_add_ps(a, b);
}
inline Vec flip(Vec v, std::uint32_t sign)
{
   return _mm256_xor_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(sign))));
}
inline float sum(Vec v)
{
   __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
   s = _mm_add_ps(s, _mm_movehl_ps(s, s));
   s = _mm_add_ss(s, _mm_movehdup_ps(s));
   return _mm_cvtss_f32(s);
}

/// xi * w[bucket] of 8 consecutive keys per next(): hashed in the lanes, then one gather.
class ElementLanes {
public:
   ElementLanes(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets) : hasher_(key0, seed, n_buckets) {}
   Vec next(const float *w)
   {
      const __m256i slot = hasher_.next();
      const __m256 weights =
         _mm256_i32gather_ps(w, _mm256_and_si256(slot, _mm256_set1_epi32(static_cast<int>(kBucketMask))), 4);
      return _mm256_xor_ps(weights,
                           _mm256_castsi256_ps(_mm256_and_si256(slot, _mm256_set1_epi32(static_cast<int>(kSignBit)))));
   }

private:
   avx2::KeyHasher hasher_;
};

constexpr KeySlotsFn kHashKeys = key_slots_avx2;

} // namespace

#include "small_batch_driver.inc"

void small_dense_avx2(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch, std::int64_t row0,
                      std::int64_t row1, float *y)
{
   small_dense_driver(layer, w, x, batch, row0, row1, y);
}

void small_element_avx2(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                        std::int64_t row0, std::int64_t row1, float *y)
{
   small_element_driver(layer, w, x, batch, row0, row1, y);
}

void small_block_avx2(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch, std::int64_t row0,
                      std::int64_t row1, float *y)
{
   small_block_driver(layer, w, x, batch, row0, row1, y);
}

} // namespace kernels
} // namespace hashednet
