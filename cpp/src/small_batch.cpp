// small_batch.cpp: the scalar small-batch kernels (any CPU; 8 partial sums a
// vector the compiler may map to SSE), DENSE's sgemv at batch 1, and the
// run-time choice of variant.
// See small_batch.h.
#include "small_batch.h"

#include "blas.h"

#include "hashednet/common.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 8;
struct Vec {
   float v[kLanes];
};

inline Vec zero()
{
   return Vec{};
}
inline Vec load(const float *p)
{
   Vec r;
   for (std::int64_t l = 0; l < kLanes; ++l)
      r.v[l] = p[l];
   return r;
}
inline Vec load_part(const float *p, std::int64_t n)
{
   Vec r{};
   for (std::int64_t l = 0; l < n; ++l)
      r.v[l] = p[l];
   return r;
}
inline Vec fmadd(Vec a, Vec b, Vec c)
{
   for (std::int64_t l = 0; l < kLanes; ++l)
      c.v[l] += a.v[l] * b.v[l];
   return c;
}
inline Vec add(Vec a, Vec b)
{
   for (std::int64_t l = 0; l < kLanes; ++l)
      a.v[l] += b.v[l];
   return a;
}
inline Vec flip(Vec v, std::uint32_t sign)
{
   for (std::int64_t l = 0; l < kLanes; ++l)
      v.v[l] = with_sign(v.v[l], sign);
   return v;
}
inline float sum(Vec v)
{
   float s = 0.0f;
   for (std::int64_t l = 0; l < kLanes; ++l)
      s += v.v[l];
   return s;
}

/// xi * w[bucket] of 8 consecutive keys per next(), hashed one by one.
class ElementLanes {
public:
   ElementLanes(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets)
      : key_(key0), seed_(seed), n_buckets_(n_buckets)
   {
   }
   Vec next(const float *w)
   {
      Vec r;
      for (std::int64_t l = 0; l < kLanes; ++l, ++key_)
         r.v[l] = signed_weight(w, slot_of(xxh32::hash_u64(key_, seed_), n_buckets_));
      return r;
   }

private:
   std::uint64_t key_;
   std::uint32_t seed_, n_buckets_;
};

constexpr KeySlotsFn kHashKeys = key_slots_scalar;

} // namespace

#include "small_batch_driver.inc"

void small_dense_scalar(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                        std::int64_t row0, std::int64_t row1, float *y)
{
   small_dense_driver(layer, w, x, batch, row0, row1, y);
}

void small_element_scalar(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                          std::int64_t row0, std::int64_t row1, float *y)
{
   small_element_driver(layer, w, x, batch, row0, row1, y);
}

void small_block_scalar(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                        std::int64_t row0, std::int64_t row1, float *y)
{
   small_block_driver(layer, w, x, batch, row0, row1, y);
}

/// One sgemv per event: at batch 1 BLAS's dot kernel, which reads 4 rows of
/// W at a time, beat the driver's dense_row (measured 1.2-1.4 ms against
/// 1.7-1.8 ms at 2048^2, numpy 1.1-1.3 ms, which also calls sgemv there).
void small_dense_sgemv(const HashedLayout &layer, const float *w, const float *x, std::int64_t batch,
                       std::int64_t row0, std::int64_t row1, float *y)
{
   for (std::int64_t e = 0; e < batch; ++e)
      blas::sgemv(row1 - row0, layer.n_in, 1.0f, w + row0 * layer.n_in, layer.n_in, x + e * layer.n_in, 0.0f,
                  y + e * layer.n_out + row0);
}

SmallBatchKernels small_batch_kernels(const std::string &isa)
{
   switch (resolve_isa(isa)) {
#if defined(HASHEDNET_HAVE_AVX512)
   case Isa::Avx512: return {small_dense_avx512, small_element_avx512, small_block_avx512};
#endif
#if defined(HASHEDNET_HAVE_AVX2)
   case Isa::Avx2: return {small_dense_avx2, small_element_avx2, small_block_avx2};
#endif
   default: return {small_dense_scalar, small_element_scalar, small_block_scalar};
   }
}

} // namespace kernels
} // namespace hashednet
