// funhash.h: the virtual weights of a FUNHASH layer (FunHashNN: Shi, Feng,
// Zhu, "Functional Hashing for Compressing Neural Networks", 2016), written
// once for host and device.
//
// A FUNHASH layer is an n_out x n_in virtual matrix V made from K buckets w
// and a small reconstruction network g with parameters alpha, shared by the
// whole layer and trained with it:
//
//   z_u(i,j) = xi_u(i,j) * w[h_u(i,j)]                       u = 0 .. U-1
//   V[i][j]  = g(z_0(i,j), ..., z_{U-1}(i,j); alpha)
//
// Hash u is hash.h's ELEMENT hash (key i * n_in + j, bucket (h K) >> 32, sign
// from bit 0 of h) with the seed
//
//   hash_seed(0) = weight_seed                       the layer's HashedNets seed
//   hash_seed(u) = XXH32(uint64(u), weight_seed)     u >= 1
//
// so hash 0 is exactly HashedNets' hash of the layer, and U = 1 with g the
// identity is a HashedNets (ELEMENT) layer bit for bit.
//
// g (Reconstruction), evaluated in float in exactly the order written:
//
//   IDENTITY  U = 1, alpha empty            V = z_0
//   LINEAR    alpha = a[U]                  V = a_0 z_0 + a_1 z_1 + ... (left to right)
//   MLP       alpha = A[H][U] (row-major), b[H], c[H], d   (H hidden units, activation f)
//             p_h = b_h + A_h0 z_0 + A_h1 z_1 + ...,  s_h = f(p_h)
//             V   = d + c_0 s_0 + c_1 s_1 + ...
//
// The layer's parameter slice is [K buckets | alpha | bias]: alpha starts at
// alpha_offset() = K, the bias (dense or hashed, as a HashedLayout's) at
// n_weight_params() = K + n_alpha(). Nothing D-sized is stored: V is computed
// element by element (here) or tile by tile (cpp/src/funhash_tile.h).
//
// Not here: the tile kernels, the layer's bias, initialisation of the buckets
// (the core's, as for a hashed layer); options and the weight file.
#ifndef HASHEDNET_FUNHASH_H
#define HASHEDNET_FUNHASH_H

#include "hashednet/activation.h"
#include "hashednet/common.h"
#include "hashednet/config.h"
#include "hashednet/hash.h"

#include <cstdint>

namespace hashednet {

/// U is at most this (g's input lives in a fixed-size array on the device's stack).
constexpr int kFunHashMaxHashes = 16;
/// H (MLP hidden units) is at most this; g is meant to be small (U H multiply-adds per virtual weight).
constexpr int kFunHashMaxHidden = 32;

struct FunHashLayout {
   std::int64_t n_in = 0;
   std::int64_t n_out = 0;
   std::int64_t n_buckets = 0;       ///< K
   int n_hashes = 1;                 ///< U, in [1, kFunHashMaxHashes]
   std::uint32_t weight_seed = 0;    ///< seed of hash 0: the layer's HashedNets weight seed
   Reconstruction reconstruction = Reconstruction::Identity;
   int hidden = 0;                   ///< H: MLP hidden units in [1, kFunHashMaxHidden]; 0 otherwise
   Activation hidden_activation = Activation::Tanh; ///< f of the MLP's hidden units

   /// |alpha|: 0, U, or H U + 2 H + 1.
   HASHEDNET_HOST_DEVICE std::int64_t n_alpha() const
   {
      switch (reconstruction) {
      case Reconstruction::Identity: return 0;
      case Reconstruction::Linear: return n_hashes;
      case Reconstruction::Mlp: return static_cast<std::int64_t>(hidden) * (n_hashes + 2) + 1;
      }
      return 0;
   }
   /// alpha's first parameter, relative to the layer's slice (the buckets come first).
   HASHEDNET_HOST_DEVICE std::int64_t alpha_offset() const { return n_buckets; }
   /// Buckets and alpha: where the layer's bias starts in its slice.
   HASHEDNET_HOST_DEVICE std::int64_t n_weight_params() const { return n_buckets + n_alpha(); }
   HASHEDNET_HOST_DEVICE std::int64_t n_virtual_weights() const { return n_in * n_out; }

   /// The seed of hash u (see the top of this file).
   HASHEDNET_HOST_DEVICE std::uint32_t hash_seed(int u) const
   {
      return u == 0 ? weight_seed : xxh32::hash_u64(static_cast<std::uint64_t>(u), weight_seed);
   }

   /// Bucket and sign of hash u of V[i][j].
   HASHEDNET_HOST_DEVICE void locate(std::int64_t i, std::int64_t j, int u, std::int64_t &bucket, float &sign) const
   {
      const std::uint32_t h = weight_hash(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j),
                                          static_cast<std::uint64_t>(n_in), hash_seed(u));
      bucket = bucket_of(h, static_cast<std::uint32_t>(n_buckets));
      sign = sign_of(h);
   }

   /// g's input z[0, U) of V[i][j] from the buckets w.
   HASHEDNET_HOST_DEVICE void fetch(const float *w, std::int64_t i, std::int64_t j, float *z) const
   {
      for (int u = 0; u < n_hashes; ++u) {
         std::int64_t k;
         float s;
         locate(i, j, u, k, s);
         z[u] = s * w[k];
      }
   }

   /// V = g(z; alpha) for one virtual weight.
   HASHEDNET_HOST_DEVICE float reconstruct(const float *alpha, const float *z) const
   {
      switch (reconstruction) {
      case Reconstruction::Identity: return z[0];
      case Reconstruction::Linear: {
         float v = alpha[0] * z[0];
         for (int u = 1; u < n_hashes; ++u)
            v += alpha[u] * z[u];
         return v;
      }
      case Reconstruction::Mlp: {
         float v = mlp_output_bias(alpha);
         for (int h = 0; h < hidden; ++h)
            v += mlp_out(alpha)[h] * activate(hidden_activation, mlp_pre(alpha, z, h));
         return v;
      }
      }
      return z[0];
   }

   /// g's backward for one virtual weight with upstream gradient dv = dL/dV:
   /// writes dz[u] = dv dV/dz_u and adds dv dV/dalpha_p into dalpha[p]
   /// (Acc: float, or double for the tile kernels' sums).
   template <class Acc>
   HASHEDNET_HOST_DEVICE void reconstruct_backward(const float *alpha, const float *z, float dv, float *dz,
                                                   Acc *dalpha) const
   {
      switch (reconstruction) {
      case Reconstruction::Identity: dz[0] = dv; return;
      case Reconstruction::Linear:
         for (int u = 0; u < n_hashes; ++u) {
            dz[u] = dv * alpha[u];
            dalpha[u] += dv * z[u];
         }
         return;
      case Reconstruction::Mlp: mlp_backward(alpha, z, dv, dz, dalpha); return;
      }
   }

   /// V[i][j] of the layer whose slice (buckets, then alpha) starts at `params`.
   HASHEDNET_HOST_DEVICE float virtual_weight(const float *params, std::int64_t i, std::int64_t j) const
   {
      float z[kFunHashMaxHashes] = {}; // (zeroed: the compiler cannot see that U >= 1)
      fetch(params, i, j, z);
      return reconstruct(params + alpha_offset(), z);
   }

   // MLP alpha layout: A (H x U), then b (H), then c (H), then d.
   HASHEDNET_HOST_DEVICE const float *mlp_in(const float *alpha) const { return alpha; }
   HASHEDNET_HOST_DEVICE const float *mlp_in_bias(const float *alpha) const { return alpha + hidden * n_hashes; }
   HASHEDNET_HOST_DEVICE const float *mlp_out(const float *alpha) const { return alpha + hidden * (n_hashes + 1); }
   HASHEDNET_HOST_DEVICE float mlp_output_bias(const float *alpha) const { return alpha[hidden * (n_hashes + 2)]; }

   /// p_h = b_h + A_h0 z_0 + A_h1 z_1 + ...
   HASHEDNET_HOST_DEVICE float mlp_pre(const float *alpha, const float *z, int h) const
   {
      const float *a_row = mlp_in(alpha) + h * n_hashes;
      float p = mlp_in_bias(alpha)[h];
      for (int u = 0; u < n_hashes; ++u)
         p += a_row[u] * z[u];
      return p;
   }

private:
   template <class Acc>
   HASHEDNET_HOST_DEVICE void mlp_backward(const float *alpha, const float *z, float dv, float *dz, Acc *dalpha) const
   {
      const float *c = mlp_out(alpha);
      const int u_count = n_hashes;
      Acc *d_a = dalpha, *d_b = dalpha + hidden * u_count, *d_c = dalpha + hidden * (u_count + 1);
      dalpha[hidden * (u_count + 2)] += dv; // dV/dd = 1
      for (int u = 0; u < u_count; ++u)
         dz[u] = 0.0f;
      for (int h = 0; h < hidden; ++h) {
         const float p = mlp_pre(alpha, z, h);
         const float s = activate(hidden_activation, p);
         d_c[h] += dv * s;
         const float dp = dv * c[h] * activation_derivative(hidden_activation, p, s);
         d_b[h] += dp;
         const float *a_row = mlp_in(alpha) + h * u_count;
         for (int u = 0; u < u_count; ++u) {
            d_a[h * u_count + u] += dp * z[u];
            dz[u] += dp * a_row[u];
         }
      }
   }
};

/// The reconstruction's name in options and files: "IDENTITY", "LINEAR", "MLP".
const char *reconstruction_name(Reconstruction g);

/// Checks a FUNHASH layout (shape, K in [1, 2^31), U, H and the reconstruction
/// agree); throws Error naming the bad value and what is allowed.
void check_funhash_layout(const FunHashLayout &layer);

/// alpha's initial values (seeded, deterministic). LINEAR: a_u = 1 / sqrt(U),
/// so Var V = Var w for independent random-signed z_u (and U = 1 is HashedNets
/// at the start). MLP: A_hu ~ N(0, 1 / (U bucket_std^2)), so that the hidden
/// pre-activations start at unit scale (the nonlinearity is used), b = 0,
/// c_h ~ N(0, bucket_std^2 / (H E[f(N(0,1))^2])), so Var V ~ bucket_std^2, d = 0.
/// `bucket_std`: the standard deviation the buckets are initialised with.
void initialize_reconstruction(const FunHashLayout &layer, double bucket_std, std::uint64_t seed, float *alpha);

} // namespace hashednet

#endif // HASHEDNET_FUNHASH_H
