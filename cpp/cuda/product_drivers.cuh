// product_drivers.cuh: the host side of the hashed products — which kernels,
// over which tiles, with which cuBLAS calls — written once as templates on a
// `Device`, so the CUDA build (hashed_product.cu: launches, cuBLAS) and the
// CPU emulation (tests/cuda/emulated_device.h: loops, a column-major sgemm)
// run the same drivers.
//
// What it is: ProductDriver<Device> with forward / backward_dx /
// backward_dparams (semantics: hashed_product.h), the elementwise kernels'
// bodies (functors called once per index: add the bias, column sums, the
// fixed-point scale, ...) and the workspace plan. A Device provides
//
//   gemm(problem, tiles_m, tiles_n)      gemm_block over a tiles_m x tiles_n grid
//   scatter(problem, tiles_m, tiles_n)   scatter_block over the grid
//   for_each(n, f)                       f(e) for every e in [0, n), any order, in parallel
//   sgemm(ta, tb, m, n, k, A, lda, B, ldb, beta, C, ldc)
//                                        cuBLAS's column-major C = op(A) op(B) + beta C
//   zero(pointer, bytes)
//
// all enqueued in order on one stream. Row-major matrices are passed to the
// column-major sgemm as their transposes (y^T = V x^T, ...), as commented
// at each call.
//
// What it is not: the kernels' block programs (gemm_phases.cuh), error
// handling of CUDA calls (the Device's).
#ifndef HASHEDNET_CUDA_PRODUCT_DRIVERS_CUH
#define HASHEDNET_CUDA_PRODUCT_DRIVERS_CUH

#include "gemm_phases.cuh"
#include "product_layer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace hashednet {
namespace cuda {

/// Materialize: the tile of V (or dV) generated into the workspace per sgemm.
struct MaterializeTiles {
   std::int64_t rows = 512;
   std::int64_t cols = 512;
};

enum class ProductScheme { Dense, Element, Block, FunHash };

/// Conv2D::kMaxWholeFilters (conv2d.h): the largest filter matrix a CONV layer makes whole (virtual_matrix).
constexpr std::int64_t kMaxWholeFreshFilters = std::int64_t(1) << 20;

inline ProductScheme product_scheme(const ProductLayer &layer)
{
   if (!layer.layout.hashed)
      return ProductScheme::Dense;
   switch (layer.layout.hash_mode) {
   case HashMode::Block: return ProductScheme::Block;
   case HashMode::FunHash: return ProductScheme::FunHash;
   case HashMode::Element: return ProductScheme::Element;
   case HashMode::Fresh:
      HASHEDNET_CHECK(false, "FRESH (FreshNets) runs on the GPU only as the filters of a CONV layer with at most "
                                << kMaxWholeFreshFilters << " virtual weights (filters x depth x fh x fw), which "
                                << "the GPU makes whole once per batch; this layer is " << layer.layout.n_out << " x "
                                << layer.layout.n_in << " (a fully connected FRESH layer, or a larger filter bank, "
                                << "would need V tile by tile: not built). Use Architecture=CPU for it, or ELEMENT, "
                                << "BLOCK or FUNHASH on the GPU");
   }
   HASHEDNET_ASSERT(false);
   return ProductScheme::Element;
}

/// Byte offsets of the workspace's parts (each 256-byte aligned); `total` is its size.
struct WorkspacePlan {
   std::size_t v_tile = 0;    ///< Materialize: tile rows x cols floats
   std::size_t colsum = 0;    ///< n_out floats: dy's column sums (the bias gradient)
   std::size_t row_bound = 0; ///< deterministic: batch doubles, the bound of each event's dV share
   std::size_t exponent = 0;  ///< deterministic: one int, the fixed-point scale 2^exponent
   std::size_t fixed = 0;     ///< deterministic: one 64-bit integer per weight parameter
   std::size_t total = 0;
};

inline WorkspacePlan plan_workspace(const ProductLayer &layer, std::int64_t batch, Method method,
                                    bool deterministic, MaterializeTiles tiles)
{
   const HashedLayout &l = layer.layout;
   WorkspacePlan plan;
   std::size_t at = 0;
   auto take = [&](std::size_t bytes) {
      const std::size_t here = at;
      at += (bytes + 255) / 256 * 256;
      return here;
   };
   const bool materialize = method == Method::Materialize && l.hashed;
   plan.v_tile = take(materialize ? sizeof(float) * std::min(tiles.rows, l.n_out) * std::min(tiles.cols, l.n_in)
                                  : 0);
   plan.colsum = take(sizeof(float) * l.n_out);
   const bool fixed = deterministic && l.hashed;
   plan.row_bound = take(fixed ? sizeof(double) * std::max<std::int64_t>(batch, 1) : 0);
   plan.exponent = take(fixed ? sizeof(int) : 0);
   plan.fixed = take(fixed ? sizeof(unsigned long long) * l.n_buckets : 0);
   plan.total = at;
   return plan;
}

inline std::int64_t n_block_tiles(std::int64_t n, int tile) { return (n + tile - 1) / tile; }

// ---------------------------------------------------------------- elementwise kernels' bodies

/// V[row0 + r][col0 + c] -> out[r cols + c], one segment of a row per index.
template <class V>
struct GenerateTile {
   V v;
   std::int64_t row0, col0, rows, cols;
   float *out;
   std::int64_t size() const { return rows * n_block_tiles(cols, kSegment); }
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t e) const
   {
      const std::int64_t per_row = (cols + kSegment - 1) / kSegment;
      const std::int64_t r = e / per_row, c = (e % per_row) * kSegment;
      const int n = clipped(c, kSegment, cols);
      float seg[kSegment];
      v.segment(row0 + r, col0 + c, n, seg);
      for (int s = 0; s < kSegment; ++s)
         if (s < n)
            out[r * cols + c + s] = seg[s];
   }
};

/// y[b][i] += b_i (y: batch x n_out, index e = b n_out + i).
struct AddBias {
   HashedLayout layout;
   const float *wb;
   float *y;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t e) const { y[e] += layout.virtual_bias(wb, e % layout.n_out); }
};

/// out[i] = sum over events b (in order) of dy[b][i], in float, as the CPU backend sums.
struct ColumnSum {
   const float *dy;
   std::int64_t batch, n_out;
   float *out;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t i) const
   {
      float s = 0.0f;
      for (std::int64_t b = 0; b < batch; ++b)
         s += dy[b * n_out + i];
      out[i] = s;
   }
};

/// Dense bias: gb[i] = colsum[i].
struct CopyBias {
   const float *colsum;
   float *gb;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t i) const { gb[i] = colsum[i]; }
};

/// Hashed bias, any order: gb[bucket(i)] += sign(i) colsum[i] atomically.
struct AtomicHashedBias {
   HashedLayout layout;
   const float *colsum;
   float *gb;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t i) const
   {
      std::int64_t k;
      float sign;
      layout.locate_bias(i, k, sign);
      atomic_add(gb + k, sign * colsum[i]);
   }
};

/// Hashed bias, deterministic: one thread adds i = 0, 1, ... in order (the CPU backend's order).
struct SequentialHashedBias {
   HashedLayout layout;
   const float *colsum;
   float *gb;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t) const
   {
      for (std::int64_t i = 0; i < layout.n_out; ++i) {
         std::int64_t k;
         float sign;
         layout.locate_bias(i, k, sign);
         gb[k] += sign * colsum[i];
      }
   }
};

/// The bias's slice of grad from its n_out column sums: copied (unhashed bias) or added into the bias
/// buckets, atomically or in order (deterministic). Shared by the product drivers and whole_matrix.cuh.
template <class Device>
void scatter_bias_gradient(Device &dev, const HashedLayout &l, const float *colsum, float *grad, bool deterministic)
{
   float *gb = grad + l.bias_offset();
   if (!l.hashed_bias) {
      dev.for_each(l.n_out, CopyBias{colsum, gb});
      return;
   }
   dev.zero(gb, sizeof(float) * l.n_bias_buckets);
   if (deterministic)
      dev.for_each(1, SequentialHashedBias{l, colsum, gb});
   else
      dev.for_each(l.n_out, AtomicHashedBias{l, colsum, gb});
}

/// bound[b] = |x_b|_1 |dy_b|_1 (double): event b's share of sum |dV_ij| over the whole V.
struct RowBound {
   const float *x, *dy;
   std::int64_t n_in, n_out;
   double *bound;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t b) const
   {
      double sx = 0.0, sy = 0.0;
      for (std::int64_t j = 0; j < n_in; ++j)
         sx += x[b * n_in + j] < 0.0f ? -x[b * n_in + j] : x[b * n_in + j];
      for (std::int64_t i = 0; i < n_out; ++i)
         sy += dy[b * n_out + i] < 0.0f ? -dy[b * n_out + i] : dy[b * n_out + i];
      bound[b] = sx * sy;
   }
};

/// The fixed-point exponent e (one thread): with M = sum of the bounds >= sum |dV_ij|
/// (the magnitude of any partial sum of any bucket, ELEMENT and BLOCK),
/// M 2^e < 2^60, leaving room for the roundings (each < 1) below 2^63.
struct ScaleExponent {
   const double *bound;
   std::int64_t batch;
   int *exponent;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t) const
   {
      double m = 0.0;
      for (std::int64_t b = 0; b < batch; ++b)
         m += bound[b];
      int e = m > 0.0 && m < 1e300 ? 60 - binary_exponent(m * 1.0000001) : 0;
      *exponent = e < -1000 ? -1000 : (e > 1000 ? 1000 : e);
   }
};

/// out[k] = the fixed-point sum of bucket k as a float.
struct FixedToFloat {
   const unsigned long long *fixed;
   const int *exponent;
   float *out;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t k) const { out[k] = from_fixed(fixed[k], *exponent); }
};

// ---------------------------------------------------------------- the drivers

template <class Device>
class ProductDriver {
public:
   ProductDriver(Device &device, const ProductLayer &layer, std::int64_t batch, MaterializeTiles tiles,
                 void *workspace, const WorkspacePlan &plan)
      : dev_(device), layer_(layer), l_(layer.layout), batch_(batch),
        tiles_{std::min(tiles.rows, l_.n_out), std::min(tiles.cols, l_.n_in)},
        ws_(static_cast<char *>(workspace)), plan_(plan)
   {
   }

   /// y (batch x n_out) = x V^T + b
   void forward(const float *params, const float *x, float *y, Method method)
   {
      const float *wb = params + l_.bias_offset();
      if (product_scheme(layer_) == ProductScheme::Dense) {
         // y^T (n_out x B) = W (col-major: n_in x n_out, so op T) x^T (n_in x B)
         dev_.sgemm(true, false, l_.n_out, batch_, l_.n_in, params + l_.offset, l_.n_in, x, l_.n_in, 0.0f, y,
                    l_.n_out);
         dev_.for_each(batch_ * l_.n_out, AddBias{l_, wb, y});
         return;
      }
      with_scheme(params, [&](const auto &v) {
         using V = std::decay_t<decltype(v)>;
         if (method == Method::Fused) {
            const GemmShape s{batch_, l_.n_out, l_.n_in}; // y (B x n_out) = x (B x n_in) V^T (n_in x n_out)
            GemmProblem<RowMajorA, GeneratedTransposedB<V>, StoreC> p{s, {x, l_.n_in}, {v}, {y, l_.n_out, l_, wb, true}};
            dev_.gemm(p, n_block_tiles(s.m, kBM), n_block_tiles(s.n, kBN));
            return;
         }
         float *tile = v_tile();
         for (std::int64_t r0 = 0; r0 < l_.n_out; r0 += tiles_.rows)
            for (std::int64_t c0 = 0; c0 < l_.n_in; c0 += tiles_.cols) {
               const std::int64_t tr = std::min(tiles_.rows, l_.n_out - r0), tc = std::min(tiles_.cols, l_.n_in - c0);
               generate(v, r0, c0, tr, tc, tile);
               // y^T[rows] (tr x B) (+)= Vt (col-major tc x tr, so op T) x^T[cols] (tc x B)
               dev_.sgemm(true, false, tr, batch_, tc, tile, tc, x + c0, l_.n_in, c0 == 0 ? 0.0f : 1.0f, y + r0,
                          l_.n_out);
            }
         dev_.for_each(batch_ * l_.n_out, AddBias{l_, wb, y});
      });
   }

   /// dx (batch x n_in) = dy V
   void backward_dx(const float *params, const float *dy, float *dx, Method method)
   {
      if (product_scheme(layer_) == ProductScheme::Dense) {
         // dx^T (n_in x B) = W (col-major n_in x n_out) dy^T (n_out x B)
         dev_.sgemm(false, false, l_.n_in, batch_, l_.n_out, params + l_.offset, l_.n_in, dy, l_.n_out, 0.0f, dx,
                    l_.n_in);
         return;
      }
      with_scheme(params, [&](const auto &v) {
         using V = std::decay_t<decltype(v)>;
         if (method == Method::Fused) {
            const GemmShape s{batch_, l_.n_in, l_.n_out}; // dx (B x n_in) = dy (B x n_out) V (n_out x n_in)
            GemmProblem<RowMajorA, GeneratedB<V>, StoreC> p{s, {dy, l_.n_out}, {v}, {dx, l_.n_in, l_, nullptr, false}};
            dev_.gemm(p, n_block_tiles(s.m, kBM), n_block_tiles(s.n, kBN));
            return;
         }
         float *tile = v_tile();
         for (std::int64_t c0 = 0; c0 < l_.n_in; c0 += tiles_.cols)
            for (std::int64_t r0 = 0; r0 < l_.n_out; r0 += tiles_.rows) {
               const std::int64_t tr = std::min(tiles_.rows, l_.n_out - r0), tc = std::min(tiles_.cols, l_.n_in - c0);
               generate(v, r0, c0, tr, tc, tile);
               // dx^T[cols] (tc x B) (+)= Vt (col-major tc x tr) dy^T[rows] (tr x B)
               dev_.sgemm(false, false, tc, batch_, tr, tile, tc, dy + r0, l_.n_out, r0 == 0 ? 0.0f : 1.0f,
                          dx + c0, l_.n_in);
            }
      });
   }

   /// grad's slice of the layer = dL/dparams (weights, alpha, bias)
   void backward_dparams(const float *params, const float *x, const float *dy, float *grad, Method method,
                         bool deterministic)
   {
      float *g = grad + l_.offset;
      if (product_scheme(layer_) == ProductScheme::Dense) {
         // dW^T (col-major n_in x n_out) = x^T (n_in x B) dy (B x n_out: dy^T col-major, so op T)
         dev_.sgemm(false, true, l_.n_in, l_.n_out, batch_, x, l_.n_in, dy, l_.n_out, 0.0f, g, l_.n_in);
      } else if (deterministic) {
         unsigned long long *fixed = reinterpret_cast<unsigned long long *>(ws_ + plan_.fixed);
         int *exponent = reinterpret_cast<int *>(ws_ + plan_.exponent);
         double *bound = reinterpret_cast<double *>(ws_ + plan_.row_bound);
         dev_.for_each(batch_, RowBound{x, dy, l_.n_in, l_.n_out, bound});
         dev_.for_each(1, ScaleExponent{bound, batch_, exponent});
         dev_.zero(fixed, sizeof(unsigned long long) * l_.n_buckets);
         with_scheme(params, [&](const auto &v) {
            if constexpr (std::decay_t<decltype(v)>::kAlpha)
               HASHEDNET_ASSERT(!"deterministic FUNHASH is refused by hashed_backward_dparams");
            else
               reduce_dv(v, FixedSum{fixed, exponent}, x, dy, method);
         });
         dev_.for_each(l_.n_buckets, FixedToFloat{fixed, exponent, g});
      } else {
         dev_.zero(g, sizeof(float) * l_.n_buckets);
         with_scheme(params, [&](const auto &v) { reduce_dv(v, FloatSum{g}, x, dy, method); });
      }
      bias_gradient(dy, grad, deterministic);
   }

private:
   template <class F>
   void with_scheme(const float *params, F f)
   {
      const float *w = params + l_.offset;
      switch (product_scheme(layer_)) {
      case ProductScheme::Element: f(ElementV{l_, w}); return;
      case ProductScheme::Block: f(BlockV{l_, w}); return;
      case ProductScheme::FunHash: f(FunHashV{layer_.funhash, w}); return;
      case ProductScheme::Dense: break;
      }
      HASHEDNET_ASSERT(false);
   }

   float *v_tile() const { return reinterpret_cast<float *>(ws_ + plan_.v_tile); }

   template <class V>
   void generate(const V &v, std::int64_t r0, std::int64_t c0, std::int64_t tr, std::int64_t tc, float *tile)
   {
      const GenerateTile<V> gen{v, r0, c0, tr, tc, tile};
      dev_.for_each(gen.size(), gen);
   }

   /// The scheme's gradient (zeroed or fixed-point-cleared by the caller) += dV reduced through `sum`.
   template <class V, class Sum>
   void reduce_dv(const V &v, const Sum &sum, const float *x, const float *dy, Method method)
   {
      const std::int64_t k = product_scheme(layer_) == ProductScheme::FunHash ? layer_.funhash.n_buckets : 0;
      const ReduceDV<V, Sum> epilogue{v, sum, k};
      if (method == Method::Fused) {
         const GemmShape s{l_.n_out, l_.n_in, batch_}; // dV (n_out x n_in) = dy^T (n_out x B) x (B x n_in)
         GemmProblem<TransposedA, RowMajorB, ReduceDV<V, Sum>> p{s, {dy, l_.n_out}, {x, l_.n_in}, epilogue};
         dev_.gemm(p, n_block_tiles(s.m, kBM), n_block_tiles(s.n, kBN));
         return;
      }
      float *tile = v_tile();
      for (std::int64_t r0 = 0; r0 < l_.n_out; r0 += tiles_.rows)
         for (std::int64_t c0 = 0; c0 < l_.n_in; c0 += tiles_.cols) {
            const std::int64_t tr = std::min(tiles_.rows, l_.n_out - r0), tc = std::min(tiles_.cols, l_.n_in - c0);
            // dV^T[cols, rows] (col-major tc x tr) = x^T[cols] (tc x B) dy[:, rows] (B x tr: op T of dy^T)
            dev_.sgemm(false, true, tc, tr, batch_, x + c0, l_.n_in, dy + r0, l_.n_out, 0.0f, tile, tc);
            const ScatterProblem<ReduceDV<V, Sum>> p{{tr, tc, 0}, tile, r0, c0, epilogue};
            dev_.scatter(p, n_block_tiles(tr, kBM), n_block_tiles(tc, kBN));
         }
   }

   void bias_gradient(const float *dy, float *grad, bool deterministic)
   {
      float *colsum = reinterpret_cast<float *>(ws_ + plan_.colsum);
      dev_.for_each(l_.n_out, ColumnSum{dy, batch_, l_.n_out, colsum});
      scatter_bias_gradient(dev_, l_, colsum, grad, deterministic);
   }

   Device &dev_;
   const ProductLayer &layer_;
   const HashedLayout &l_;
   std::int64_t batch_;
   MaterializeTiles tiles_;
   char *ws_;
   WorkspacePlan plan_;
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_PRODUCT_DRIVERS_CUH
