// event_kernels_avx2.cpp: the event path's layers with AVX2 registers
// (event_kernels.h). This translation unit alone is compiled with -mavx2
// -ffp-contract=off; it runs only when cpu_isa.cpp finds AVX2 on the CPU.
//
// event_forward.h's 16 partial sums s[0..15] are two registers: s0 holds
// s[0..7], s1 holds s[8..15]; column j adds into lane j % 16. Every product
// is rounded, then added (_mm256_mul_ps, _mm256_add_ps; never an FMA). A
// negative block or entry adds (-w) a, which is the header's s - w a exactly.
// Lanes past a row's end add +0 (masked products): no partial sum is ever -0,
// so they change nothing. The fold is event::fold's: s[k] + s[k + 8], then
// + s[k + 4], + s[k + 2], then s[0] + s[1].
//
// Rows are independent sums, so kernels may take several at once as long as
// each row's own additions keep their order: dense rows 4 at a time
// (dot_rows_group), BLOCK rows 4 at a time block by block (block_row_group),
// so that the rows' chains of vaddps (3-4 cycles of latency each) overlap.
// tests/test_event_kernels.py crosses the group sizes, tails and wrapped runs.
#include "event_kernels.h"

#include "hash_lanes_avx2.h"
#include "hash_tile.h"

#include <immintrin.h>

#include <algorithm>

namespace hashednet {
namespace kernels {
namespace {

constexpr std::int64_t kLanes = 16; ///< event_forward.h's partial sums

/// Lanes l < n set (all ones), the others clear.
inline __m256i lanes_below(std::int64_t n)
{
   return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// v * x on the first n < 8 lanes, +0 on the others (x read only there).
inline __m256 product_part(__m256 v, const float *x, std::int64_t n)
{
   const __m256i mask = lanes_below(n);
   return _mm256_and_ps(_mm256_mul_ps(v, _mm256_maskload_ps(x, mask)), _mm256_castsi256_ps(mask));
}

inline float fold(__m256 s0, __m256 s1)
{
   const __m256 t = _mm256_add_ps(s0, s1);                                    // s[k] + s[k + 8], k < 8
   __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)); // + s[k + 4], k < 4
   u = _mm_add_ps(u, _mm_movehl_ps(u, u));                                    // + s[k + 2], k < 2
   return _mm_cvtss_f32(_mm_add_ss(u, _mm_movehdup_ps(u)));                   // s[0] + s[1]
}

/// xi * w[bucket] of 8 slots (bucket | sign << 31).
inline __m256 signed_gather(const float *w, __m256i slot)
{
   const __m256 weights =
      _mm256_i32gather_ps(w, _mm256_and_si256(slot, _mm256_set1_epi32(static_cast<int>(kBucketMask))), 4);
   return _mm256_xor_ps(weights,
                        _mm256_castsi256_ps(_mm256_and_si256(slot, _mm256_set1_epi32(static_cast<int>(kSignBit)))));
}

/// R rows of event::dot at once (independent sums, each in the header's order).
template <int R>
void dot_rows_group(const float *v, std::int64_t ld, std::int64_t n, const float *a, float *out)
{
   __m256 s0[R], s1[R];
   for (int r = 0; r < R; ++r)
      s0[r] = s1[r] = _mm256_setzero_ps();
   std::int64_t j = 0;
   for (; j + kLanes <= n; j += kLanes) {
      const __m256 a0 = _mm256_loadu_ps(a + j), a1 = _mm256_loadu_ps(a + j + 8);
      for (int r = 0; r < R; ++r) {
         s0[r] = _mm256_add_ps(s0[r], _mm256_mul_ps(_mm256_loadu_ps(v + r * ld + j), a0));
         s1[r] = _mm256_add_ps(s1[r], _mm256_mul_ps(_mm256_loadu_ps(v + r * ld + j + 8), a1));
      }
   }
   const std::int64_t rest = n - j; // < 16, into lanes 0 .. rest - 1
   for (int r = 0; r < R; ++r) {
      const float *row = v + r * ld + j;
      if (rest >= 8) {
         s0[r] = _mm256_add_ps(s0[r], _mm256_mul_ps(_mm256_loadu_ps(row), _mm256_loadu_ps(a + j)));
         if (rest > 8)
            s1[r] = _mm256_add_ps(
               s1[r], product_part(_mm256_maskload_ps(row + 8, lanes_below(rest - 8)), a + j + 8, rest - 8));
      } else if (rest > 0) {
         s0[r] = _mm256_add_ps(s0[r], product_part(_mm256_maskload_ps(row, lanes_below(rest)), a + j, rest));
      }
      out[r] = fold(s0[r], s1[r]);
   }
}

/// Row i of an ELEMENT layer whose keys' low word wraps: scalar, in the header's order.
float element_row_scalar(const HashedLayout &L, const float *w, std::int64_t i, const float *a)
{
   alignas(32) float s[kLanes] = {};
   for (std::int64_t j = 0; j < L.n_in; ++j)
      s[j % kLanes] += L.virtual_weight(w, i, j) * a[j];
   return fold(_mm256_load_ps(s), _mm256_load_ps(s + 8));
}

bool keys_wrap(std::uint64_t key0, std::int64_t n)
{
   return (key0 & 0xFFFFFFFFull) + static_cast<std::uint64_t>(n) > 0x100000000ull;
}

/// The 16 partial sums: s[0..7] in lo, s[8..15] in hi.
struct Sums {
   __m256 lo = _mm256_setzero_ps();
   __m256 hi = _mm256_setzero_ps();
};

/// The run of len buckets from `start` on, modulo K (one that wraps around K), copied into `run`; out of
/// line and without the sums, which stay in registers.
__attribute__((noinline)) void copy_wrapped_run(const float *w, std::uint32_t n_buckets, std::uint32_t start,
                                                std::int64_t len, float *run)
{
   for (std::int64_t t = 0; t < len; ++t)
      run[t] = w[(start + static_cast<std::uint64_t>(t)) % n_buckets];
}

/// A block's run v (len weights, sign: the block's sign bit in every lane) times a[j0 ..] into the sums, 8
/// lanes at a time (j0 a multiple of 8; the last chunk of a row's short last block masked).
inline Sums add_run(Sums s, const float *v, __m256 sign, const float *a, std::int64_t j0, std::int64_t len)
{
   const float *x = a + j0;
   for (std::int64_t t = 0; t < len; t += 8) {
      const __m256 p = t + 8 <= len
                          ? _mm256_mul_ps(_mm256_xor_ps(_mm256_loadu_ps(v + t), sign), _mm256_loadu_ps(x + t))
                          : product_part(_mm256_xor_ps(_mm256_maskload_ps(v + t, lanes_below(len - t)), sign), x + t,
                                         len - t);
      if ((((j0 + t) >> 3) & 1) != 0)
         s.hi = _mm256_add_ps(s.hi, p);
      else
         s.lo = _mm256_add_ps(s.lo, p);
   }
   return s;
}

/// A whole block of kB (a multiple of 16) from column j0 (a multiple of 16): pairs of vectors, lanes 0-7
/// then 8-15, in a loop of fixed length.
template <int kB>
inline Sums add_whole_run(Sums s, const float *v, __m256 sign, const float *x)
{
   for (int t = 0; t < kB; t += kLanes) {
      s.lo = _mm256_add_ps(s.lo, _mm256_mul_ps(_mm256_xor_ps(_mm256_loadu_ps(v + t), sign), _mm256_loadu_ps(x + t)));
      s.hi = _mm256_add_ps(s.hi, _mm256_mul_ps(_mm256_xor_ps(_mm256_loadu_ps(v + t + 8), sign),
                                               _mm256_loadu_ps(x + t + 8)));
   }
   return s;
}

/// The same with the block's columns of a already in registers (x[t]: columns 8t .. 8t + 7 of the block).
template <int kB>
inline Sums add_whole_run(Sums s, const float *v, __m256 sign, const __m256 *x)
{
   for (int t = 0; t < kB; t += kLanes) {
      s.lo = _mm256_add_ps(s.lo, _mm256_mul_ps(_mm256_xor_ps(_mm256_loadu_ps(v + t), sign), x[t / 8]));
      s.hi = _mm256_add_ps(s.hi, _mm256_mul_ps(_mm256_xor_ps(_mm256_loadu_ps(v + t + 8), sign), x[t / 8 + 1]));
   }
   return s;
}

constexpr std::int64_t kSlotChunk = 512; ///< block keys of a row hashed at a time
constexpr std::int64_t kMaxBlock = 4096; ///< the largest HashBlock (options.md)

inline __m256 sign_of_slot(std::uint32_t slot)
{
   return _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(slot & kSignBit)));
}

/// Blocks q0 .. q0 + n - 1 of a row (slots: theirs), kB = B when B is 16, 32 or 64 (whole blocks by
/// add_whole_run), else 0. Only a row's last block may be short. `wrapped` holds B floats.
template <int kB>
inline Sums add_blocks(Sums s, const HashedLayout &L, const float *w, const std::uint32_t *slots, std::int64_t q0,
                       std::int64_t n, const float *a, float *wrapped)
{
   const auto n_buckets = static_cast<std::uint32_t>(L.n_buckets);
   std::int64_t c = 0;
   if (kB != 0) {
      const std::int64_t whole = std::min(n, L.n_in / kB - q0); // blocks of this piece that are not short
      for (; c < whole; ++c) {
         const std::uint32_t start = slots[c] & kBucketMask;
         const float *v = w + start;
         if (start + static_cast<std::uint32_t>(kB) > n_buckets) {
            copy_wrapped_run(w, n_buckets, start, kB, wrapped);
            v = wrapped;
         }
         s = add_whole_run<kB>(s, v, sign_of_slot(slots[c]), a + (q0 + c) * kB);
      }
   }
   for (; c < n; ++c) {
      const std::int64_t j0 = (q0 + c) * L.block;
      const std::int64_t len = std::min(L.block, L.n_in - j0);
      const std::uint32_t start = slots[c] & kBucketMask;
      const float *v = w + start;
      if (start + static_cast<std::uint64_t>(len) > n_buckets) {
         copy_wrapped_run(w, n_buckets, start, len, wrapped);
         v = wrapped;
      }
      s = add_run(s, v, sign_of_slot(slots[c]), a, j0, len);
   }
   return s;
}

/// The sign bit of a slot in every lane (a broadcast load, then a mask).
inline __m256 sign_of(const std::uint32_t *slot)
{
   const __m256 bits = _mm256_broadcast_ss(reinterpret_cast<const float *>(slot));
   return _mm256_and_ps(bits, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(kSignBit))));
}

/// 8 buckets of a run from bucket start + t on, modulo K, for a run that wraps around K once (K >= B): a
/// gather, inline, so that the interleaved rows' sums stay in registers. Lanes >= n (< 8) read nothing, +0.
inline __m256 wrapped_vector(const float *w, std::uint32_t n_buckets, std::uint32_t start, std::int64_t t,
                             std::int64_t n)
{
   const __m256i k = _mm256_set1_epi32(static_cast<int>(n_buckets));
   __m256i index = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(start + static_cast<std::uint32_t>(t))),
                                    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); // < 2K <= 2^31
   index = _mm256_sub_epi32(index, _mm256_andnot_si256(_mm256_cmpgt_epi32(k, index), k));
   return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), w, index, _mm256_castsi256_ps(lanes_below(n)), 4);
}

/// add_run of a block whose run wraps around K (K >= its length): the same products in the same lanes.
inline Sums add_wrapped_run(Sums s, const float *w, std::uint32_t n_buckets, std::uint32_t start, __m256 sign,
                            const float *a, std::int64_t j0, std::int64_t len)
{
   for (std::int64_t t = 0; t < len; t += 8) {
      const std::int64_t n = std::min<std::int64_t>(8, len - t);
      const __m256 v = _mm256_xor_ps(wrapped_vector(w, n_buckets, start, t, n), sign);
      const __m256 p = n == 8 ? _mm256_mul_ps(v, _mm256_loadu_ps(a + j0 + t)) : product_part(v, a + j0 + t, n);
      if ((((j0 + t) >> 3) & 1) != 0)
         s.hi = _mm256_add_ps(s.hi, p);
      else
         s.lo = _mm256_add_ps(s.lo, p);
   }
   return s;
}

/// R rows of a BLOCK layer at once (slots: row r's n_blocks slots from slots + r * n_blocks): block q of
/// every row, then block q + 1, so that the R rows' chains of additions overlap; each row's additions stay in
/// its own order (block by block, lanes 0-7 then 8-15), so its bits are add_blocks'. kB as add_blocks; needs
/// K >= B (a run wraps around K at most once: add_wrapped_run, no call that would spill the sums).
/// Blocks q0 .. n_blocks - 1 of R rows into their sums s (rows' slots n_blocks apart): any length, the last
/// block short; out of line, so that block_row_group's loop over whole blocks keeps its sums in registers.
template <int R>
__attribute__((noinline)) void add_block_tails(const HashedLayout &L, const float *w, const std::uint32_t *slots,
                                               std::int64_t q0, const float *a, Sums *s)
{
   const auto n_buckets = static_cast<std::uint32_t>(L.n_buckets);
   const std::int64_t n_blocks = L.n_blocks();
   for (std::int64_t q = q0; q < n_blocks; ++q) {
      const std::int64_t j0 = q * L.block;
      const std::int64_t len = std::min(L.block, L.n_in - j0);
      for (int r = 0; r < R; ++r) {
         const std::uint32_t *slot = slots + r * n_blocks + q;
         const std::uint32_t start = *slot & kBucketMask;
         if (start + static_cast<std::uint64_t>(len) > n_buckets)
            s[r] = add_wrapped_run(s[r], w, n_buckets, start, sign_of(slot), a, j0, len);
         else
            s[r] = add_run(s[r], w + start, sign_of(slot), a, j0, len);
      }
   }
}

template <int kB, int R>
void block_row_group(const HashedLayout &L, const float *w, const std::uint32_t *slots, const float *a, float *out)
{
   const auto n_buckets = static_cast<std::uint32_t>(L.n_buckets);
   const std::int64_t n_blocks = L.n_blocks();
   Sums s[R];
   std::int64_t q = 0;
   if (kB != 0) {
      for (const std::int64_t whole = L.n_in / kB; q < whole; ++q) {
         __m256 x[kB > 0 ? kB / 8 : 1]; // a's columns of block q, loaded once for the R rows
         for (int t = 0; t < kB / 8; ++t)
            x[t] = _mm256_loadu_ps(a + q * kB + 8 * t);
#pragma GCC unroll 4
         for (int r = 0; r < R; ++r) {
            const std::uint32_t *slot = slots + r * n_blocks + q;
            const std::uint32_t start = *slot & kBucketMask;
            if (__builtin_expect(start + static_cast<std::uint32_t>(kB) > n_buckets, 0)) // B/K of the blocks
               s[r] = add_wrapped_run(s[r], w, n_buckets, start, sign_of(slot), a, q * kB, kB);
            else
               s[r] = add_whole_run<kB>(s[r], w + start, sign_of(slot), x);
         }
      }
   }
   if (q == n_blocks) {
      for (int r = 0; r < R; ++r)
         out[r] = fold(s[r].lo, s[r].hi);
      return;
   }
   Sums tails[R]; // a copy whose address is taken, not s's (which would put s in memory)
   for (int r = 0; r < R; ++r)
      tails[r] = s[r];
   add_block_tails<R>(L, w, slots, q, a, tails);
   for (int r = 0; r < R; ++r)
      out[r] = fold(tails[r].lo, tails[r].hi);
}

/// Rows per group of the interleaved BLOCK kernel (block_row_group): 4 rows' 8 chains of additions hide the
/// latency of vaddps (3-4 cycles on Zen 3, 4 on Intel) behind one another.
constexpr int kBlockRowGroup = 4;

/// One row of a BLOCK layer alone: too long to hash whole (more than kSlotChunk blocks, hashed in pieces), or
/// of a layer with K < B.
template <int kB>
float block_long_row(const HashedLayout &L, const float *w, std::int64_t i, const float *a, std::uint32_t *slots,
                     float *wrapped)
{
   const std::int64_t n_blocks = L.n_blocks();
   Sums s;
   for (std::int64_t q0 = 0; q0 < n_blocks; q0 += kSlotChunk) {
      const std::int64_t n = std::min(kSlotChunk, n_blocks - q0);
      key_slots_avx2(static_cast<std::uint64_t>(i * n_blocks + q0), L.weight_seed,
                     static_cast<std::uint32_t>(L.n_buckets), n, slots);
      s = add_blocks<kB>(s, L, w, slots, q0, n, a, wrapped);
   }
   return fold(s.lo, s.hi);
}

/// The rows of a BLOCK layer. Their keys i * n_blocks + q are consecutive: hashed whole rows at a time
/// (kSlotChunk keys or fewer, so that short rows are hashed in vectors too), then taken kBlockRowGroup rows
/// at a time (the chunk's last rows 2 or 1 at a time); a long row alone, in pieces.
template <int kB>
void block_layer(const HashedLayout &L, const float *w, const float *a, float *out)
{
   HASHEDNET_ASSERT(L.block <= kMaxBlock);
   const std::int64_t n_blocks = L.n_blocks();
   alignas(32) std::uint32_t slots[kSlotChunk];
   alignas(32) float wrapped[kMaxBlock];
   if (n_blocks > kSlotChunk || L.n_buckets < L.block || L.n_buckets >= (std::int64_t{1} << 30)) {
      // long rows; runs that wrap around K repeatedly; wrapped_vector's indices need 2K < 2^31
      for (std::int64_t i = 0; i < L.n_out; ++i)
         out[i] = block_long_row<kB>(L, w, i, a, slots, wrapped);
      return;
   }
   const std::int64_t rows_per_chunk = kSlotChunk / n_blocks;
   for (std::int64_t i0 = 0; i0 < L.n_out; i0 += rows_per_chunk) {
      const std::int64_t m = std::min(rows_per_chunk, L.n_out - i0);
      key_slots_avx2(static_cast<std::uint64_t>(i0 * n_blocks), L.weight_seed,
                     static_cast<std::uint32_t>(L.n_buckets), m * n_blocks, slots);
      std::int64_t r = 0;
      for (; r + kBlockRowGroup <= m; r += kBlockRowGroup)
         block_row_group<kB, kBlockRowGroup>(L, w, slots + r * n_blocks, a, out + i0 + r);
      for (; r + 2 <= m; r += 2)
         block_row_group<kB, 2>(L, w, slots + r * n_blocks, a, out + i0 + r);
      if (r < m)
         block_row_group<kB, 1>(L, w, slots + r * n_blocks, a, out + i0 + r);
   }
}

} // namespace

void event_dot_rows_avx2(const float *v, std::int64_t n_rows, std::int64_t ld, std::int64_t n, const float *a,
                         float *out)
{
   std::int64_t r = 0;
   for (; r + 4 <= n_rows; r += 4)
      dot_rows_group<4>(v + r * ld, ld, n, a, out + r);
   for (; r < n_rows; ++r)
      dot_rows_group<1>(v + r * ld, ld, n, a, out + r);
}

void event_element_avx2(const HashedLayout &L, const float *w, const float *a, float *out)
{
   const auto n_buckets = static_cast<std::uint32_t>(L.n_buckets);
   for (std::int64_t i = 0; i < L.n_out; ++i) {
      const std::uint64_t key0 = static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(L.n_in);
      if (keys_wrap(key0, L.n_in)) { // the hasher keeps the keys' high word: this row by the scalar hash
         out[i] = element_row_scalar(L, w, i, a);
         continue;
      }
      avx2::KeyHasher hasher(key0, L.weight_seed, n_buckets);
      __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
      std::int64_t j = 0;
      for (; j + kLanes <= L.n_in; j += kLanes) {
         s0 = _mm256_add_ps(s0, _mm256_mul_ps(signed_gather(w, hasher.next()), _mm256_loadu_ps(a + j)));
         s1 = _mm256_add_ps(s1, _mm256_mul_ps(signed_gather(w, hasher.next()), _mm256_loadu_ps(a + j + 8)));
      }
      if (j + 8 <= L.n_in) {
         s0 = _mm256_add_ps(s0, _mm256_mul_ps(signed_gather(w, hasher.next()), _mm256_loadu_ps(a + j)));
         j += 8;
      }
      if (j < L.n_in) { // keys past the row hash to buckets < K (read, then masked out)
         const __m256 p = product_part(signed_gather(w, hasher.next()), a + j, L.n_in - j);
         if (j % kLanes == 8)
            s1 = _mm256_add_ps(s1, p);
         else
            s0 = _mm256_add_ps(s0, p);
      }
      out[i] = fold(s0, s1);
   }
}

void event_block_avx2(const HashedLayout &L, const float *w, const float *a, float *out)
{
   HASHEDNET_ASSERT(L.block % 8 == 0);
   switch (L.block) {
   case 16: block_layer<16>(L, w, a, out); return;
   case 32: block_layer<32>(L, w, a, out); return;
   case 64: block_layer<64>(L, w, a, out); return;
   default: block_layer<0>(L, w, a, out); return;
   }
}

} // namespace kernels
} // namespace hashednet
