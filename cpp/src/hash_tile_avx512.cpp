// hash_tile_avx512.cpp: the AVX-512 tile generator, 16 virtual weights per
// step. This translation unit alone is compiled with -mavx512f -mavx512dq
// -mavx512vl -mavx512bw (plus AVX2/FMA); it runs only when cpu_isa.cpp finds
// them on the CPU. The same algorithm as hash_tile_avx2.cpp (read its
// comment), twice as wide, with the native 32-bit rotate; bit-identical to
// the scalar generator (tests/test_kernels.py).
#include "hash_tile.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

namespace hashednet {
namespace kernels {
namespace {

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

constexpr std::int64_t kChunk = 256; ///< columns hashed before their weights are gathered

/// Slots of n (<= kChunk, a multiple of 16) consecutive keys from key0 (whose low word does not wrap).
inline void slots_avx512(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                         std::uint32_t *slots)
{
   using namespace xxh32;
   const __m512i start = _mm512_set1_epi32(static_cast<int>(seed + kPrime5 + 8u));
   const __m512i high_p3 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0 >> 32) * kPrime3));
   const __m512i k = _mm512_set1_epi32(static_cast<int>(n_buckets));
   const __m512i step = _mm512_set1_epi32(static_cast<int>(16u * kPrime3));
   __m512i low_p3 = mul(_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(key0))),
                                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
                        kPrime3);
   for (std::int64_t c = 0; c < n; c += 16) {
      __m512i h = _mm512_add_epi32(start, low_p3);
      h = mul(_mm512_rol_epi32(h, 17), kPrime4);
      h = _mm512_add_epi32(h, high_p3);
      h = mul(_mm512_rol_epi32(h, 17), kPrime4);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 15));
      h = mul(h, kPrime2);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
      h = mul(h, kPrime3);
      h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
      const __m512i sign = _mm512_slli_epi32(h, 31); // the sign bit alone
      _mm512_storeu_si512(slots + c, _mm512_or_si512(bucket_of16(h, k), sign));
      low_p3 = _mm512_add_epi32(low_p3, step);
   }
}

/// See hash_tile_avx2.cpp: prefetch distance and the bucket-array size above which it pays.
constexpr std::int64_t kGatherPrefetch = 192;
constexpr std::uint32_t kPrefetchAbove = 1u << 17;

/// v = xi * w[bucket] for n slots, prefetching the buckets kGatherPrefetch slots ahead.
inline void gather_avx512(const float *w, const std::uint32_t *slots, std::int64_t n, float *v, bool prefetch)
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

/// The slots of one row of a tile: n_cols entries from key0 (which does not wrap in 32 bits).
inline void row_slots_avx512(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n_cols,
                             std::uint32_t *slots)
{
   const std::int64_t n_vector = n_cols / 16 * 16;
   for (std::int64_t c = 0; c < n_vector; c += kChunk)
      slots_avx512(key0 + c, seed, n_buckets, std::min(kChunk, n_vector - c), slots + c);
   for (std::int64_t c = n_vector; c < n_cols; ++c)
      slots[c] = slot_of(xxh32::hash_u64(key0 + c, seed), n_buckets);
}

/// One row of a tile hashed and gathered chunk by chunk (the slots stay in L1).
inline void row_avx512(const float *w, std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets,
                       std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   alignas(64) std::uint32_t scratch[kChunk];
   for (std::int64_t c = 0; c < n_cols; c += kChunk) {
      const std::int64_t n = std::min(kChunk, n_cols - c);
      std::uint32_t *s = slots ? slots + c : scratch;
      row_slots_avx512(key0 + c, seed, n_buckets, n, s);
      if (v)
         gather_avx512(w, s, n, v + c, false);
   }
}

std::uint32_t *slot_scratch(std::int64_t n)
{
   thread_local std::vector<std::uint32_t> scratch;
   if (static_cast<std::int64_t>(scratch.size()) < n)
      scratch.resize(n);
   return scratch.data();
}

bool low_word_wraps(std::uint64_t key0, std::int64_t n_cols)
{
   return (key0 & 0xFFFFFFFFull) + static_cast<std::uint64_t>(n_cols) > 0x100000000ull;
}

} // namespace

void key_slots_avx512(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
                      std::uint32_t *slots)
{
   while (n > 0) { // pieces in which the low word of the key does not wrap
      const std::uint64_t room = 0x100000000ull - (key0 & 0xFFFFFFFFull);
      const std::int64_t m = static_cast<std::int64_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(n), room));
      row_slots_avx512(key0, seed, n_buckets, m, slots);
      key0 += static_cast<std::uint64_t>(m);
      slots += m;
      n -= m;
   }
}

void generate_tile_avx512(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   if (layer.hash_mode == HashMode::Block) { // one hash per block: nothing left to vectorise in the hash
      generate_tile_block(layer, w, row0, n_rows, col0, n_cols, v, slots, key_slots_avx512);
      return;
   }
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   if (n_buckets <= kPrefetchAbove) { // buckets in L2: hash and gather row by row, chunk by chunk
      for (std::int64_t r = 0; r < n_rows; ++r) {
         const std::uint64_t key0 = static_cast<std::uint64_t>(row0 + r) * layer.n_in + col0;
         float *v_row = v ? v + r * n_cols : nullptr;
         std::uint32_t *slot_row = slots ? slots + r * n_cols : nullptr;
         if (low_word_wraps(key0, n_cols))
            generate_tile_scalar(layer, w, row0 + r, 1, col0, n_cols, v_row, slot_row);
         else
            row_avx512(w, key0, layer.weight_seed, n_buckets, n_cols, v_row, slot_row);
      }
      return;
   }
   // 1. the slots of the whole tile, 2. one flat gather over it with prefetching
   std::uint32_t *tile_slots = slots ? slots : slot_scratch(n_rows * n_cols);
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const std::uint64_t key0 = static_cast<std::uint64_t>(row0 + r) * layer.n_in + col0;
      std::uint32_t *slot_row = tile_slots + r * n_cols;
      if (low_word_wraps(key0, n_cols))
         generate_tile_scalar(layer, w, row0 + r, 1, col0, n_cols, nullptr, slot_row);
      else
         row_slots_avx512(key0, layer.weight_seed, n_buckets, n_cols, slot_row);
   }
   if (v)
      gather_avx512(w, tile_slots, n_rows * n_cols, v, true);
}

} // namespace kernels
} // namespace hashednet
