// hashed_layout.h: where one layer's virtual weights live in the real buffer.
//
// A layer is an n_out x n_in virtual matrix V and a virtual bias b. In the
// flat parameter buffer it owns [offset, offset + n_params()):
//
//   dense  (compression 1):  W (n_out * n_in, row-major), then bias
//   hashed:                  K buckets,                     then bias
//   bias:                    n_out values, or K_bias buckets when hashed
//
// V[i][j] = xi(i,j) * w[h(i,j)] is computed here, for host and device, from
// hash.h; nothing D-sized is ever stored. Two ways to hash (HashMode):
//
//   ELEMENT  h = XXH32(i * n_in + j),  bucket (h K) >> 32,  sign from bit 0 of h
//   BLOCK    block q = j / B, t = j % B, n_blocks = ceil(n_in / B):
//            h = XXH32(i * n_blocks + q),  bucket ((h K) >> 32 + t) mod K,
//            sign from bit 0 of h (one sign per block)
//
// A FUNHASH layer (HashMode::FunHash) keeps its shape, offset and bias here,
// with n_buckets = K + |alpha| (its weight parameters); its V is
// FunHashScheme's (funhash_scheme.h), never locate_weight's. A FRESH layer
// (HashMode::Fresh) likewise, with n_buckets = K; its V is FreshScheme's
// (freshnets_scheme.h).
#ifndef HASHEDNET_HASHED_LAYOUT_H
#define HASHEDNET_HASHED_LAYOUT_H

#include "hashednet/common.h"
#include "hashednet/config.h"
#include "hashednet/hash.h"

#include <cstdint>

namespace hashednet {

struct HashedLayout {
   std::int64_t n_in = 0;
   std::int64_t n_out = 0;
   bool hashed = false;          ///< false: a plain dense layer, no hashing at all
   std::int64_t n_buckets = 0;   ///< K (hashed) or n_out * n_in (dense)
   bool hashed_bias = false;
   std::int64_t n_bias_buckets = 0; ///< K_bias (hashed bias) or n_out (dense bias)
   std::uint32_t weight_seed = 0;
   std::uint32_t bias_seed = 0;
   std::int64_t offset = 0;      ///< first parameter of this layer in the flat buffer
   HashMode hash_mode = HashMode::Element;
   std::int64_t block = 1;       ///< BLOCK mode: virtual weights per hash (B)

   HASHEDNET_HOST_DEVICE std::int64_t n_blocks() const { return (n_in + block - 1) / block; }

   HASHEDNET_HOST_DEVICE std::int64_t n_virtual_weights() const { return n_in * n_out; }
   HASHEDNET_HOST_DEVICE std::int64_t n_params() const { return n_buckets + n_bias_buckets; }
   HASHEDNET_HOST_DEVICE std::int64_t bias_offset() const { return offset + n_buckets; }

   /// Bucket index (within this layer's weights) and sign of V[i][j].
   HASHEDNET_HOST_DEVICE void locate_weight(std::int64_t i, std::int64_t j, std::int64_t &bucket, float &sign) const
   {
      if (!hashed) {
         bucket = i * n_in + j;
         sign = 1.0f;
         return;
      }
      if (hash_mode == HashMode::Block) {
         const std::uint32_t h = block_hash(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j / block),
                                            static_cast<std::uint64_t>(n_blocks()), weight_seed);
         bucket = (bucket_of(h, static_cast<std::uint32_t>(n_buckets)) + j % block) % n_buckets;
         sign = sign_of(h);
         return;
      }
      const std::uint32_t h = weight_hash(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j),
                                          static_cast<std::uint64_t>(n_in), weight_seed);
      bucket = bucket_of(h, static_cast<std::uint32_t>(n_buckets));
      sign = sign_of(h);
   }

   /// Bucket index (within this layer's bias) and sign of b[i].
   HASHEDNET_HOST_DEVICE void locate_bias(std::int64_t i, std::int64_t &bucket, float &sign) const
   {
      if (!hashed_bias) {
         bucket = i;
         sign = 1.0f;
         return;
      }
      const std::uint32_t h = xxh32::hash_u64(static_cast<std::uint64_t>(i), bias_seed);
      bucket = bucket_of(h, static_cast<std::uint32_t>(n_bias_buckets));
      sign = sign_of(h);
   }

   /// gb[bucket(i)] += sign(i) db[i] for i = 0 .. n_out-1 in order: dL/db into the bias buckets (gb =
   /// grad + bias_offset(), zeroed by the caller), in the precision of gb.
   template <class From, class To>
   HASHEDNET_HOST_DEVICE void add_bias_gradient(const From *db, To *gb) const
   {
      for (std::int64_t i = 0; i < n_out; ++i) {
         std::int64_t k;
         float sign;
         locate_bias(i, k, sign);
         gb[k] += sign * static_cast<To>(db[i]);
      }
   }

   /// V[i][j] read from the layer's weights `w` (w = params + offset).
   HASHEDNET_HOST_DEVICE float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const
   {
      std::int64_t k;
      float s;
      locate_weight(i, j, k, s);
      return s * w[k];
   }

   /// b[i] read from the layer's bias parameters `wb` (wb = params + bias_offset()).
   HASHEDNET_HOST_DEVICE float virtual_bias(const float *wb, std::int64_t i) const
   {
      std::int64_t k;
      float s;
      locate_bias(i, k, s);
      return s * wb[k];
   }
};

} // namespace hashednet

#endif // HASHEDNET_HASHED_LAYOUT_H
