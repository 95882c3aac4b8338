// funhash_tile.cpp: the scalar FUNHASH tile kernels (the reference; the
// hashing inside is the vectorised key hasher it is given). See funhash_tile.h.
#include "funhash_tile.h"

#include "hashednet/common.h"

#include <vector>

namespace hashednet {
namespace kernels {

namespace {

struct Seeds {
   std::uint32_t of[kFunHashMaxHashes];
};

Seeds hash_seeds(const FunHashLayout &layer)
{
   Seeds seeds{};
   for (int u = 0; u < layer.n_hashes; ++u)
      seeds.of[u] = layer.hash_seed(u);
   return seeds;
}

/// The slots of n_cols entries of row `row` from column col0: plane u at out + u * stride.
void hash_row(const FunHashLayout &layer, const Seeds &seeds, std::int64_t row, std::int64_t col0, std::int64_t n_cols,
              KeySlotsFn hash_keys, std::uint32_t *out, std::int64_t stride)
{
   const std::uint64_t key0 = static_cast<std::uint64_t>(row) * static_cast<std::uint64_t>(layer.n_in) +
                              static_cast<std::uint64_t>(col0);
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   for (int u = 0; u < layer.n_hashes; ++u)
      hash_keys(key0, seeds.of[u], n_buckets, n_cols, out + u * stride);
}

/// g's input of entry c of a row whose slot planes start at `row_slots`, `stride` apart.
inline void fetch_entry(const float *w, const std::uint32_t *row_slots, std::int64_t stride, int n_hashes,
                        std::int64_t c, float *z)
{
   for (int u = 0; u < n_hashes; ++u)
      z[u] = signed_weight(w, row_slots[u * stride + c]);
}

/// Room for one row's U planes of slots (one per thread, grown once).
std::uint32_t *row_scratch(std::int64_t n)
{
   thread_local std::vector<std::uint32_t> scratch;
   if (static_cast<std::int64_t>(scratch.size()) < n)
      scratch.resize(static_cast<std::size_t>(n));
   return scratch.data();
}

/// Where row r's slot planes go and their stride: the caller's tile planes,
/// or the thread's scratch when the caller keeps none.
std::uint32_t *row_planes(const FunHashLayout &layer, std::int64_t r, std::int64_t n_rows, std::int64_t n_cols,
                          std::uint32_t *slots, std::int64_t &stride)
{
   if (slots) {
      stride = n_rows * n_cols;
      return slots + r * n_cols;
   }
   stride = n_cols;
   return row_scratch(layer.n_hashes * n_cols);
}

} // namespace

void funhash_generate_tile(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                           KeySlotsFn hash_keys)
{
   const Seeds seeds = hash_seeds(layer);
   const float *alpha = params + layer.alpha_offset();
   const int n_hashes = layer.n_hashes;
   for (std::int64_t r = 0; r < n_rows; ++r) {
      std::int64_t stride = 0;
      std::uint32_t *row = row_planes(layer, r, n_rows, n_cols, slots, stride);
      hash_row(layer, seeds, row0 + r, col0, n_cols, hash_keys, row, stride);
      if (!v)
         continue;
      float *v_row = v + r * n_cols;
      for (std::int64_t c = 0; c < n_cols; ++c) {
         float z[kFunHashMaxHashes];
         fetch_entry(params, row, stride, n_hashes, c, z);
         v_row[c] = layer.reconstruct(alpha, z);
      }
   }
}

void funhash_tile_backward(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, const float *dv, const std::uint32_t *slots,
                           float *grad, KeySlotsFn hash_keys)
{
   const Seeds seeds = hash_seeds(layer);
   const float *alpha = params + layer.alpha_offset();
   const int n_hashes = layer.n_hashes;
   thread_local std::vector<double> alpha_sum;
   alpha_sum.assign(static_cast<std::size_t>(layer.n_alpha()), 0.0);
   for (std::int64_t r = 0; r < n_rows; ++r) {
      std::int64_t stride = n_rows * n_cols;
      const std::uint32_t *row = slots ? slots + r * n_cols : nullptr;
      if (!slots) { // not kept by the caller: hashed again
         std::uint32_t *scratch = row_planes(layer, r, n_rows, n_cols, nullptr, stride);
         hash_row(layer, seeds, row0 + r, col0, n_cols, hash_keys, scratch, stride);
         row = scratch;
      }
      const float *dv_row = dv + r * n_cols;
      for (std::int64_t c = 0; c < n_cols; ++c) {
         float z[kFunHashMaxHashes], dz[kFunHashMaxHashes];
         fetch_entry(params, row, stride, n_hashes, c, z);
         layer.reconstruct_backward(alpha, z, dv_row[c], dz, alpha_sum.data());
         for (int u = 0; u < n_hashes; ++u) {
            const std::uint32_t slot = row[u * stride + c];
            grad[slot & kBucketMask] += with_sign(dz[u], slot);
         }
      }
   }
   float *grad_alpha = grad + layer.alpha_offset();
   for (std::size_t p = 0; p < alpha_sum.size(); ++p)
      grad_alpha[p] += static_cast<float>(alpha_sum[p]);
}

} // namespace kernels
} // namespace hashednet
