// freshnets.h: FRESH (FreshNets) filters from hashed DCT coefficients, for host and device.
//
// What it is: the math of the FRESH weight scheme (Chen, Wilson, Tyree,
// Weinberger, Chen, "Compressing Convolutional Neural Networks in the
// Frequency Domain", KDD 2016), written once as HOST_DEVICE functions on a
// plain descriptor, FreshLayout. A layer's virtual matrix V (n_out x n_in)
// is cut into slices of fh x fw consecutive columns: row i, columns
// [c fh fw, (c + 1) fh fw) are the slice (i, c), row-major (y, x). For a
// convolution, row i is filter i and slice c its input channel c.
//
//   coefficient   P_ic[u][v] = xi(i, j) w[band_begin[b] + bucket_of(h, K_b)],
//                 j = c fh fw + u fw + v (the column of (u, v) in V),
//                 h = weight_hash(i, j, n_in, weight_seed)   (hash.h, ELEMENT's key),
//                 xi(i, j) = sign_of(h), b = band(u, v) = u + v,
//                 K_b = band_begin[b + 1] - band_begin[b] buckets of band b
//   slice         V_ic = C_h^T P_ic C_w   (inverse 2-D DCT-II, orthonormal)
//   gradient      dP_ic = C_h dV_ic C_w^T (forward 2-D DCT), scattered with
//                 the signs into the buckets
//
// C_n[k][x] = s_k cos(pi (2x + 1) k / (2n)), s_0 = sqrt(1/n), s_k = sqrt(2/n)
// (scipy.fft.dctn(norm="ortho") is P = C_h V C_w^T). The cosines come from
// dct_cos below (a fixed argument reduction and Taylor series in double, no
// libm), so every build computes the same basis bits; a slice is summed in
// float in one fixed order (spatial_slice), so the CPU tiles, the event path
// and the standalone class give the same V bit for bit.
//
// How the K buckets are split into bands (fewer buckets per coefficient for
// high frequencies) is freshnets_scheme.h's fresh_band_budgets; this header
// only reads band_begin.
//
// What it is not: the bucket split (freshnets_scheme.h), the CPU kernels
// (cpu_schemes.h's FreshTiles) or a convolution.
#ifndef HASHEDNET_FRESHNETS_H
#define HASHEDNET_FRESHNETS_H

#include "hashednet/common.h"
#include "hashednet/hash.h"

#include <cmath>
#include <cstdint>

namespace hashednet {

constexpr int kFreshMaxSide = 16;                     ///< largest fh and fw of a FRESH slice
constexpr int kFreshMaxBands = 2 * kFreshMaxSide - 1; ///< bands u + v of the largest slice
constexpr int kFreshMaxSlice = kFreshMaxSide * kFreshMaxSide;
/// The largest FRESH virtual matrix (n_out x n_in), 16 M weights: a FRESH V
/// is a filter bank, small for a convolution; the standalone class holds it
/// whole (64 MiB at this limit).
constexpr std::int64_t kFreshMaxVirtualWeights = std::int64_t(1) << 24;

/// cos(pi m / (2n)) for m >= 0, n >= 1, the same bits on every IEEE-double
/// build without contraction: m reduced to [0, n] by the symmetries of the
/// cosine (exact integer arithmetic), then a Taylor series (Horner, 14
/// terms: converged for angles up to pi/2); 0 and 1 exactly where exact.
HASHEDNET_HOST_DEVICE inline double dct_cos(std::int64_t m, std::int64_t n)
{
   m %= 4 * n;
   if (m > 2 * n)
      m = 4 * n - m; // cos(2 pi - t) = cos t
   double sign = 1.0;
   if (m > n) {
      m = 2 * n - m; // cos(pi - t) = -cos t
      sign = -1.0;
   }
   if (m == n)
      return 0.0;
   if (m == 0)
      return sign;
   const double t = 3.14159265358979323846 * static_cast<double>(m) / (2.0 * static_cast<double>(n));
   const double t2 = t * t;
   double c = 1.0;
   for (int k = 14; k >= 1; --k)
      c = 1.0 - t2 * c / static_cast<double>((2 * k - 1) * (2 * k));
   return sign * c;
}

/// C_n[k][x] of the orthonormal DCT-II of length n, rounded to float.
HASHEDNET_HOST_DEVICE inline float dct_basis(int n, int k, int x)
{
   const double scale = k == 0 ? 1.0 / static_cast<double>(n) : 2.0 / static_cast<double>(n);
   // sqrt is correctly rounded in IEEE arithmetic: the same bits everywhere.
   return static_cast<float>(std::sqrt(scale) * dct_cos(static_cast<std::int64_t>(2 * x + 1) * k, n));
}

struct FreshLayout {
   std::int64_t n_in = 0;       ///< columns of V: a multiple of fh * fw
   std::int64_t n_out = 0;      ///< rows of V (filters)
   int fh = 1;                  ///< slice height (kernel rows)
   int fw = 1;                  ///< slice width (kernel columns)
   std::int64_t n_buckets = 0;  ///< K, all bands together
   std::uint32_t weight_seed = 0;
   int n_bands = 1;             ///< fh + fw - 1
   std::int64_t band_begin[kFreshMaxBands + 1] = {}; ///< band b's buckets: [band_begin[b], band_begin[b + 1])
   float basis_h[kFreshMaxSlice] = {}; ///< C_fh[u][y] at u * fh + y (fill_basis)
   float basis_w[kFreshMaxSlice] = {}; ///< C_fw[v][x] at v * fw + x

   HASHEDNET_HOST_DEVICE int slice_size() const { return fh * fw; }
   HASHEDNET_HOST_DEVICE std::int64_t n_slices() const { return n_in / slice_size(); } ///< per row
   HASHEDNET_HOST_DEVICE static int band(int u, int v) { return u + v; }
   HASHEDNET_HOST_DEVICE std::int64_t band_buckets(int b) const { return band_begin[b + 1] - band_begin[b]; }

   /// The DCT bases from fh and fw (dct_basis).
   HASHEDNET_HOST_DEVICE void fill_basis()
   {
      for (int u = 0; u < fh; ++u)
         for (int y = 0; y < fh; ++y)
            basis_h[u * fh + y] = dct_basis(fh, u, y);
      for (int v = 0; v < fw; ++v)
         for (int x = 0; x < fw; ++x)
            basis_w[v * fw + x] = dct_basis(fw, v, x);
   }

   /// Bucket (within the layer's K) and sign of a coefficient of band b whose hash is h.
   HASHEDNET_HOST_DEVICE void locate_hash(std::uint32_t h, int b, std::int64_t &bucket, float &sign) const
   {
      bucket = band_begin[b] + bucket_of(h, static_cast<std::uint32_t>(band_buckets(b)));
      sign = sign_of(h);
   }

   /// Bucket (within the layer's K) and sign of coefficient (u, v) of slice (i, c).
   HASHEDNET_HOST_DEVICE void locate(std::int64_t i, std::int64_t c, int u, int v, std::int64_t &bucket,
                                     float &sign) const
   {
      const std::int64_t j = c * slice_size() + u * fw + v;
      const std::uint32_t h = weight_hash(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j),
                                          static_cast<std::uint64_t>(n_in), weight_seed);
      locate_hash(h, band(u, v), bucket, sign);
   }

   /// The slice's fh x fw virtual coefficients P[u][v] at p[u * fw + v] (w: the K buckets).
   HASHEDNET_HOST_DEVICE void coefficients(const float *w, std::int64_t i, std::int64_t c, float *p) const
   {
      for (int u = 0; u < fh; ++u)
         for (int v = 0; v < fw; ++v) {
            std::int64_t k;
            float s;
            locate(i, c, u, v, k, s);
            p[u * fw + v] = s * w[k];
         }
   }

   /// V_ic = C_h^T P C_w at out[y * fw + x] (spatial_slice: P from the buckets).
   HASHEDNET_HOST_DEVICE void spatial_slice(const float *w, std::int64_t i, std::int64_t c, float *out) const
   {
      float p[kFreshMaxSlice];
      coefficients(w, i, c, p);
      inverse_dct(p, out);
   }

   /// out = C_h^T P C_w (p, out: fh x fw, row-major), in float in this order:
   /// t[u][x] = sum over v ascending of P[u][v] C_w[v][x] (from +0), then
   /// out[y][x] = sum over u ascending of C_h[u][y] t[u][x] (from +0).
   HASHEDNET_HOST_DEVICE void inverse_dct(const float *p, float *out) const
   {
      float t[kFreshMaxSlice];
      for (int u = 0; u < fh; ++u)
         for (int x = 0; x < fw; ++x) {
            float s = 0.0f;
            for (int v = 0; v < fw; ++v)
               s += p[u * fw + v] * basis_w[v * fw + x];
            t[u * fw + x] = s;
         }
      for (int y = 0; y < fh; ++y)
         for (int x = 0; x < fw; ++x) {
            float s = 0.0f;
            for (int u = 0; u < fh; ++u)
               s += basis_h[u * fh + y] * t[u * fw + x];
            out[y * fw + x] = s;
         }
   }

   /// dP = C_h dV C_w^T of one slice (dv, dp: fh x fw, row-major), in float.
   HASHEDNET_HOST_DEVICE void coefficient_gradient(const float *dv, float *dp) const
   {
      float t[kFreshMaxSlice];
      for (int y = 0; y < fh; ++y)
         for (int v = 0; v < fw; ++v) {
            float s = 0.0f;
            for (int x = 0; x < fw; ++x)
               s += dv[y * fw + x] * basis_w[v * fw + x];
            t[y * fw + v] = s;
         }
      for (int u = 0; u < fh; ++u)
         for (int v = 0; v < fw; ++v) {
            float s = 0.0f;
            for (int y = 0; y < fh; ++y)
               s += basis_h[u * fh + y] * t[y * fw + v];
            dp[u * fw + v] = s;
         }
   }

   /// V[i][j] (its slice made whole, then the entry: a reference, not a fast path).
   HASHEDNET_HOST_DEVICE float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const
   {
      float slice[kFreshMaxSlice];
      spatial_slice(w, i, j / slice_size(), slice);
      return slice[j % slice_size()];
   }

   /// Slice c's entries inside columns [c0, c0 + n_cols) into row `row` of a
   /// tile (leading dimension n_cols).
   HASHEDNET_HOST_DEVICE void put_slice(const float *slice, std::int64_t c, std::int64_t c0, std::int64_t n_cols,
                                        float *row) const
   {
      const std::int64_t size = slice_size();
      const std::int64_t begin = c * size > c0 ? c * size : c0;
      const std::int64_t end = (c + 1) * size < c0 + n_cols ? (c + 1) * size : c0 + n_cols;
      for (std::int64_t j = begin; j < end; ++j)
         row[j - c0] = slice[j - c * size];
   }

   /// Slice c's part of a tile row (columns [c0, c0 + n_cols)), zero outside it.
   HASHEDNET_HOST_DEVICE void get_slice(const float *row, std::int64_t c, std::int64_t c0, std::int64_t n_cols,
                                        float *slice) const
   {
      const std::int64_t size = slice_size();
      for (std::int64_t q = 0; q < size; ++q) {
         const std::int64_t j = c * size + q;
         slice[q] = j >= c0 && j < c0 + n_cols ? row[j - c0] : 0.0f;
      }
   }

   /// V[r0 .. r0 + n_rows, c0 .. c0 + n_cols) into tile (leading dimension
   /// n_cols), slice by slice: the entries of virtual_weight.
   HASHEDNET_HOST_DEVICE void generate_tile(const float *w, std::int64_t r0, std::int64_t n_rows, std::int64_t c0,
                                            std::int64_t n_cols, float *tile) const
   {
      float slice[kFreshMaxSlice];
      for (std::int64_t r = 0; r < n_rows; ++r)
         for (std::int64_t c = c0 / slice_size(); c * slice_size() < c0 + n_cols; ++c) {
            spatial_slice(w, r0 + r, c, slice);
            put_slice(slice, c, c0, n_cols, tile + r * n_cols);
         }
   }

   /// dw (the K buckets) += the gradient of the tile dV[r0 .., c0 ..) (leading
   /// dimension n_cols): each slice's part (zero outside the tile: the DCT is
   /// linear, so the parts of a slice cut by a tile edge add up) through
   /// coefficient_gradient, scattered with the signs.
   HASHEDNET_HOST_DEVICE void add_tile_gradient(const float *dv, std::int64_t r0, std::int64_t n_rows,
                                                std::int64_t c0, std::int64_t n_cols, float *dw) const
   {
      float slice[kFreshMaxSlice], dp[kFreshMaxSlice];
      for (std::int64_t r = 0; r < n_rows; ++r)
         for (std::int64_t c = c0 / slice_size(); c * slice_size() < c0 + n_cols; ++c) {
            get_slice(dv + r * n_cols, c, c0, n_cols, slice);
            coefficient_gradient(slice, dp);
            for (int u = 0; u < fh; ++u)
               for (int v = 0; v < fw; ++v) {
                  std::int64_t k;
                  float s;
                  locate(r0 + r, c, u, v, k, s);
                  dw[k] += s * dp[u * fw + v];
               }
         }
   }
};

} // namespace hashednet

#endif // HASHEDNET_FRESHNETS_H
