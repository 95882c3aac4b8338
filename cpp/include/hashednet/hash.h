// hash.h: the one definition of the weight-sharing hash, for host and device.
//
// Hash definition version 1 ("xxh32-v1"):
//
//   key(i, j)        = i * n_in + j, as a uint64, hashed as its 8 little-endian bytes
//   layer seeds      weight_seed(l) = XXH32(uint64(2*l),     master_seed)
//                    bias_seed(l)   = XXH32(uint64(2*l + 1), master_seed)
//   h                = XXH32(key(i, j), weight_seed(l))           (32 bits)
//   bucket h(l,i,j)  = (uint64(h) * K) >> 32                      in [0, K)
//   sign  xi(l,i,j)  = +1 if h is even, -1 if h is odd
//
// The bucket is Lemire's multiply-shift range reduction of the full 32-bit
// hash; the sign is its lowest bit. A bucket owns a run of about 2^32/K
// consecutive hash values, of which the even and odd ones differ in number by
// at most one, so the sign is balanced within every bucket and independent of
// it up to K/2^32. Every value here is reproduced bit for bit by the `xxhash`
// Python package: (xxh32_intdigest(key.to_bytes(8, 'little'), seed) * K) >> 32.
//
// Layer l's seeds differ, so two layers of the same shape do not share a
// pattern (the HashedNets Torch code and its PyTorch ports do).
#ifndef HASHEDNET_HASH_H
#define HASHEDNET_HASH_H

#include "hashednet/common.h"

#include <cstdint>

namespace hashednet {

constexpr int kHashVersion = 1;
constexpr const char *kHashName = "xxh32-v1";

namespace xxh32 {
constexpr std::uint32_t kPrime1 = 0x9E3779B1u;
constexpr std::uint32_t kPrime2 = 0x85EBCA77u;
constexpr std::uint32_t kPrime3 = 0xC2B2AE3Du;
constexpr std::uint32_t kPrime4 = 0x27D4EB2Fu;
constexpr std::uint32_t kPrime5 = 0x165667B1u;

HASHEDNET_HOST_DEVICE inline std::uint32_t rotl(std::uint32_t x, int r)
{
   return (x << r) | (x >> (32 - r));
}

/// XXH32's final mixing of the accumulator.
HASHEDNET_HOST_DEVICE inline std::uint32_t avalanche(std::uint32_t h)
{
   h ^= h >> 15;
   h *= kPrime2;
   h ^= h >> 13;
   h *= kPrime3;
   h ^= h >> 16;
   return h;
}

/// XXH32 of the 8 little-endian bytes of `key` (the whole algorithm for an
/// 8-byte input: two 4-byte lanes, then the avalanche).
HASHEDNET_HOST_DEVICE inline std::uint32_t hash_u64(std::uint64_t key, std::uint32_t seed)
{
   std::uint32_t h = seed + kPrime5 + 8u;
   const std::uint32_t low = static_cast<std::uint32_t>(key);
   const std::uint32_t high = static_cast<std::uint32_t>(key >> 32);
   h += low * kPrime3;
   h = rotl(h, 17) * kPrime4;
   h += high * kPrime3;
   h = rotl(h, 17) * kPrime4;
   return avalanche(h);
}
} // namespace xxh32

/// Bucket index in [0, n_buckets) from a 32-bit hash.
HASHEDNET_HOST_DEVICE inline std::uint32_t bucket_of(std::uint32_t h, std::uint32_t n_buckets)
{
   return static_cast<std::uint32_t>((static_cast<std::uint64_t>(h) * n_buckets) >> 32);
}

/// Sign +1.0f or -1.0f from a 32-bit hash.
HASHEDNET_HOST_DEVICE inline float sign_of(std::uint32_t h)
{
   return (h & 1u) ? -1.0f : 1.0f;
}

HASHEDNET_HOST_DEVICE inline std::uint32_t weight_seed(std::uint32_t master_seed, std::uint32_t layer)
{
   return xxh32::hash_u64(2ull * layer, master_seed);
}

HASHEDNET_HOST_DEVICE inline std::uint32_t bias_seed(std::uint32_t master_seed, std::uint32_t layer)
{
   return xxh32::hash_u64(2ull * layer + 1ull, master_seed);
}

/// Hash of virtual weight (row, col) of a layer with n_in columns.
HASHEDNET_HOST_DEVICE inline std::uint32_t weight_hash(std::uint64_t row, std::uint64_t col, std::uint64_t n_in,
                                                       std::uint32_t seed)
{
   return xxh32::hash_u64(row * n_in + col, seed);
}

/// BLOCK mode: hash of block q (columns [q B, q B + B)) of row `row` of a
/// layer whose rows have n_blocks = ceil(n_in / B) blocks.
HASHEDNET_HOST_DEVICE inline std::uint32_t block_hash(std::uint64_t row, std::uint64_t block, std::uint64_t n_blocks,
                                                      std::uint32_t seed)
{
   return xxh32::hash_u64(row * n_blocks + block, seed);
}

} // namespace hashednet

#endif // HASHEDNET_HASH_H
