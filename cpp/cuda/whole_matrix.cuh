// whole_matrix.cuh: a hashed layer's virtual matrix made whole on the device,
// and its transpose (backend.h's virtual_matrix / virtual_matrix_backward: a
// CONV layer's small filter matrix, made once per batch), written once as a
// template on a `Device` (product_drivers.cuh's: for_each, scatter, zero), so
// the CUDA build (whole_matrix.cu) and the CPU emulation
// (tests/cuda/emulate_whole_ops.cpp) run the same driver.
//
// What it is: WholeMatrixDriver<Device> with
//   make(params, vb)              vb = [V (n_out x n_in) | its n_out virtual biases]
//   backward(params, dvb, grad, deterministic)
//                                 the layer's slice of grad = dL/dparams from dvb = [dV | db]
// for every hashed scheme:
//   ELEMENT, BLOCK, FUNHASH  V by the products' GenerateTile (one thread per 4
//                            entries of a row, scheme_tiles.cuh's segment), dV
//                            into the buckets by the products' scatter kernel
//                            (the MATERIALIZE path's, on the whole dV as one tile);
//   FRESH                    one thread per slice (i, c): freshnets.h's
//                            spatial_slice (fh fw hashes, the inverse DCT in
//                            the CPU's order: the CPU's V bit for bit with
//                            -fmad=false), and for dV its coefficient_gradient
//                            (the forward DCT of the whole slice), each of the
//                            fh fw values added with its sign into its bucket.
// The biases go through hashed_layout.h's bias hash, as in the products.
//
// Sums into the buckets: deterministic = false, float atomics (the order,
// hence the last bits, may change from run to run); deterministic = true,
// the products' 64-bit fixed point (device_ops.cuh), with the scale from a
// bound M on every partial sum of every bucket: M = sum |dV| for ELEMENT and
// BLOCK (each entry goes to one bucket once), M = sqrt(fh fw) (1 + 2^-10)
// sum |dV| for FRESH (per slice, sum over (u, v) of |dP| <= sum over (y, x)
// of |dV[y][x]| (sum_u |C_h[u][y]|) (sum_v |C_w[v][x]|) and each column of an
// orthonormal n x n matrix has an L1 norm <= sqrt(n); 2^-10 covers the float
// rounding of dP). FUNHASH with deterministic = true is an Error (as for
// its products). The CPU sums dV tile by tile in float, slices cut by tile
// edges separately (cpu_backend.cpp): the same values to float rounding,
// not the same bits.
//
// What it is not: the products (product_drivers.cuh) or the layer (conv2d.h).
#ifndef HASHEDNET_CUDA_WHOLE_MATRIX_CUH
#define HASHEDNET_CUDA_WHOLE_MATRIX_CUH

#include "product_drivers.cuh"

#include "hashednet/freshnets.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace hashednet {
namespace cuda {

/// FRESH: slice (i, c) of V (index e = i n_slices + c) into vb (row-major n_out x n_in).
struct FreshSlices {
   FreshLayout layer;
   const float *w; ///< the K buckets
   float *vb;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t e) const
   {
      const std::int64_t i = e / layer.n_slices(), c = e % layer.n_slices();
      // the slice's fh x fw values are consecutive in row i: the inverse DCT writes them in place
      layer.spatial_slice(w, i, c, vb + i * layer.n_in + c * layer.slice_size());
   }
};

/// FRESH: slice (i, c) of dV through the forward DCT, each coefficient's gradient into its bucket.
template <class Sum>
struct FreshSliceGradient {
   FreshLayout layer;
   const float *dv; ///< row-major n_out x n_in
   Sum sum;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t e) const
   {
      const std::int64_t i = e / layer.n_slices(), c = e % layer.n_slices();
      float dp[kFreshMaxSlice];
      layer.coefficient_gradient(dv + i * layer.n_in + c * layer.slice_size(), dp);
      for (int u = 0; u < layer.fh; ++u)
         for (int v = 0; v < layer.fw; ++v) {
            std::int64_t k;
            float sign;
            layer.locate(i, c, u, v, k, sign);
            sum.add_global(k, sum.encode(sign * dp[u * layer.fw + v]));
         }
   }
};

/// vb[i] = b_i, the layer's virtual bias i.
struct WholeBias {
   HashedLayout layout;
   const float *wb;
   float *out;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t i) const { out[i] = layout.virtual_bias(wb, i); }
};

/// bound[i] = factor sum_j |dV[i][j]| (double): row i's share of the bound M (file comment).
struct AbsRowSum {
   const float *dv;
   std::int64_t n_in;
   double factor;
   double *bound;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t i) const
   {
      double s = 0.0;
      for (std::int64_t j = 0; j < n_in; ++j)
         s += dv[i * n_in + j] < 0.0f ? -dv[i * n_in + j] : dv[i * n_in + j];
      bound[i] = factor * s;
   }
};

/// The workspace of backward: plan_workspace's fixed-point parts with one bound per row (batch = n_out).
inline WorkspacePlan plan_whole_workspace(const ProductLayer &layer, bool deterministic)
{
   return plan_workspace(layer, layer.layout.n_out, Method::Fused, deterministic, MaterializeTiles{});
}

template <class Device>
class WholeMatrixDriver {
public:
   WholeMatrixDriver(Device &device, const ProductLayer &layer, void *workspace, const WorkspacePlan &plan)
      : dev_(device), layer_(layer), l_(layer.layout), ws_(static_cast<char *>(workspace)), plan_(plan)
   {
   }

   bool fresh() const { return l_.hash_mode == HashMode::Fresh; }

   /// vb = [V | b]
   void make(const float *params, float *vb)
   {
      const float *w = params + l_.offset;
      if (fresh()) {
         dev_.for_each(l_.n_out * layer_.fresh.n_slices(), FreshSlices{layer_.fresh, w, vb});
      } else {
         with_scheme(w, [&](const auto &v) {
            const GenerateTile<std::decay_t<decltype(v)>> gen{v, 0, 0, l_.n_out, l_.n_in, vb};
            dev_.for_each(gen.size(), gen);
         });
      }
      dev_.for_each(l_.n_out, WholeBias{l_, params + l_.bias_offset(), vb + l_.n_virtual_weights()});
   }

   /// grad's slice of the layer = dL/dparams from dvb = [dV | db]
   void backward(const float *params, const float *dvb, float *grad, bool deterministic)
   {
      const float *w = params + l_.offset;
      float *g = grad + l_.offset;
      if (deterministic) {
         unsigned long long *fixed = reinterpret_cast<unsigned long long *>(ws_ + plan_.fixed);
         int *exponent = reinterpret_cast<int *>(ws_ + plan_.exponent);
         double *bound = reinterpret_cast<double *>(ws_ + plan_.row_bound);
         const int side = layer_.fresh.slice_size();
         const double factor = fresh() ? std::sqrt(static_cast<double>(side)) * (1.0 + 1.0 / 1024.0) : 1.0;
         dev_.for_each(l_.n_out, AbsRowSum{dvb, l_.n_in, factor, bound});
         dev_.for_each(1, ScaleExponent{bound, l_.n_out, exponent});
         dev_.zero(fixed, sizeof(unsigned long long) * l_.n_buckets);
         reduce(w, dvb, FixedSum{fixed, exponent});
         dev_.for_each(l_.n_buckets, FixedToFloat{fixed, exponent, g});
      } else {
         dev_.zero(g, sizeof(float) * l_.n_buckets);
         reduce(w, dvb, FloatSum{g});
      }
      bias_gradient(dvb + l_.n_virtual_weights(), grad, deterministic);
   }

private:
   template <class F>
   void with_scheme(const float *w, F f)
   {
      switch (product_scheme(layer_)) {
      case ProductScheme::Element: f(ElementV{l_, w}); return;
      case ProductScheme::Block: f(BlockV{l_, w}); return;
      case ProductScheme::FunHash: f(FunHashV{layer_.funhash, w}); return;
      case ProductScheme::Dense: break;
      }
      HASHEDNET_ASSERT(false); // a dense W is its own V: the callers never ask
   }

   /// The scheme's gradient (zeroed or fixed-point-cleared) += dV through `sum`.
   template <class Sum>
   void reduce(const float *w, const float *dv, const Sum &sum)
   {
      if (fresh()) {
         dev_.for_each(l_.n_out * layer_.fresh.n_slices(), FreshSliceGradient<Sum>{layer_.fresh, dv, sum});
         return;
      }
      with_scheme(w, [&](const auto &v) {
         using V = std::decay_t<decltype(v)>;
         if constexpr (V::kAlpha && !std::is_same<Sum, FloatSum>::value) {
            HASHEDNET_ASSERT(!"deterministic FUNHASH is refused by virtual_matrix_backward");
         } else {
            const std::int64_t k = V::kAlpha ? layer_.funhash.n_buckets : 0;
            const ReduceDV<V, Sum> epilogue{v, sum, k};
            // the whole dV (n_out x n_in, leading dimension n_in) as one tile at (0, 0)
            const ScatterProblem<ReduceDV<V, Sum>> p{{l_.n_out, l_.n_in, 0}, dv, 0, 0, epilogue};
            dev_.scatter(p, n_block_tiles(l_.n_out, kBM), n_block_tiles(l_.n_in, kBN));
         }
      });
   }

   /// The bias's gradient from db (n_out values), as the products' bias_gradient takes dy's column sums.
   void bias_gradient(const float *db, float *grad, bool deterministic)
   {
      scatter_bias_gradient(dev_, l_, db, grad, deterministic);
   }

   Device &dev_;
   const ProductLayer &layer_;
   const HashedLayout &l_;
   char *ws_;
   WorkspacePlan plan_;
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_WHOLE_MATRIX_CUH
