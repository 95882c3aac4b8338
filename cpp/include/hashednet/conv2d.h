// conv2d.h: the convolution layer, y = f(V * x + b), MethodDL's CONV.
//
// What it is: a 2-D convolution of an event's image (depth x height x width,
// image_window.h's order) with `filters` filters of depth x fh x fw, strides
// and zero padding, one bias per filter, then one of TMVA's activations. Its
// output is filters x out_height x out_width (depth-major again). The filters
// are one virtual matrix V (filters x depth*fh*fw, row i = filter i, columns
// in the patch order of image_window.h: depth-major, then fh, then fw, so each
// fh x fw slice is a contiguous run of fh*fw columns) made by a WeightScheme
// (weight_scheme.h: DENSE, ELEMENT, BLOCK, or any scheme to come), exactly as
// a fully connected layer's V: the layer holds a FullyConnected over V (its
// "filter layer", with offset 0 in the layer's own slice), and convolves as
//
//   for each tile of the batch (never the whole batch at once):
//      cols  (tile*P x depth*fh*fw)  = im2col(x of the tile)      P = output positions
//      rows  (tile*P x filters)      = cols V^T + b                the dense layer's linear_forward
//      z     (tile x filters*P)      = rows, transposed per image
//
// and backward: dy transposed back into rows, im2col again, linear_backward
// (dx_cols and the scheme's dparams and db), col2im(dx_cols). Parameters: the
// scheme's, then the bias (filters values, or hashed when HashedBias), as a
// fully connected layer's.
//
// Threads: the tiles are the items of one backend.for_each_item per pass (a
// host backend spreads them over its threads, each tile's im2col, product and
// transpose on one thread in that thread's own tile buffers; one parallel
// region per batch instead of several per tile). Backward sums dparams by
// groups of consecutive tiles (gradient_groups: one tile each while their
// gradients fit kGroupGradientFloats): each group adds its tiles in tile
// order into its own buffer, and the groups are added in group order after
// the region. The tiling and the groups follow from the layer and the batch
// alone, so any thread count gives the same bits; with one tile per group the
// sum is the plain tile-order one, t0 + t1 + t2 ... (as before the threads).
//
// A hashed V (any scheme but DENSE) of at most kMaxWholeFilters values is
// made whole once per batch (backend.virtual_matrix, V then b: the FRESH
// slices by their separable inverse DCT) and every tile multiplies it as a
// dense layer's W ("the matrix layer"); backward adds each tile's dV and db
// into one dense gradient and takes it into the buckets once
// (virtual_matrix_backward). A larger V keeps the tiled path above, V's
// tiles made inside each linear_* call. Both give the same values to float
// rounding (dV summed over the tiles before its scatter, not after).
//
// What it is not: a GEMM (the backend's linear_* are), the im2col loops
// (backend.h), or pooling (max_pool2d.h).
#ifndef HASHEDNET_CONV2D_H
#define HASHEDNET_CONV2D_H

#include "hashednet/fully_connected.h"
#include "hashednet/image_window.h"
#include "hashednet/layer.h"

#include <memory>

namespace hashednet {

class Conv2D final : public Layer {
public:
   /// `window` is the input image and the filter geometry; `filter_layout`
   /// the virtual matrix V (n_out = filters, n_in = window.patch()) with the
   /// layer's offset in the flat buffer, its bias and seeds; `scheme` makes
   /// V (its n_params() must be filter_layout.n_buckets).
   Conv2D(const ImageWindow &window, const HashedLayout &filter_layout, std::unique_ptr<WeightScheme> scheme,
          Activation activation);

   LayerKind kind() const override { return LayerKind::Conv2D; }
   std::int64_t n_in() const override { return window_.image_size(); }
   std::int64_t n_out() const override { return filters() * window_.positions(); }
   std::int64_t offset() const override { return offset_; }
   std::int64_t n_params() const override { return filter_layer_.n_params(); }
   LayerMemory memory() const override;
   void initialize(float *params, WeightInit init, Rng &rng) const override;
   std::unique_ptr<LayerContext> make_context() const override;

   const ImageWindow &window() const { return window_; }
   std::int64_t filters() const { return filter_layer_.n_out(); }
   Activation activation() const { return activation_; }
   /// The filter matrix V as a fully connected layer whose offset is 0:
   /// pass it params + offset() (and grad + offset()).
   const FullyConnected &filter_layer() const { return filter_layer_; }
   /// The filter layout with the layer's real offset (the weight file, the single-event path).
   const HashedLayout &layout() const { return layout_; }

   /// Events of a batch convolved per tile: as many as keep im2col's rows within kColumnFloats floats.
   std::int64_t tile_events() const;
   /// 512 KiB, about a core's L2: im2col writes the tile, the GEMM packs it from cache. With 4 MiB
   /// tiles (2^20 floats) the dense 32-filter 3x3 layer on 16 x 28 x 28 took twice the time (perf:
   /// im2col's stores and sgemm's packing missed the cache).
   static constexpr std::int64_t kColumnFloats = std::int64_t(1) << 17;
   /// True when V is made whole once per batch (the file comment): on a backend that makes it, for
   /// hashed filters (DENSE: W is V) of at most kMaxWholeFilters values.
   bool whole_filters(const Backend &backend) const;
   /// 4 MiB of floats: a filter bank is far smaller (32 x 144 values in the benchmark, 64 x 800 in
   /// the MNIST CNN); a V beyond it keeps the tiled path, without a V-sized buffer.
   static constexpr std::int64_t kMaxWholeFilters = std::int64_t(1) << 20;
   /// The groups of a backward pass's n_tiles tiles whose dL/dparams (n_params values each, the
   /// product's: [V | b] made whole, or the filter layer's) are summed apart (the file comment): one
   /// per tile while they fit kGroupGradientFloats, else as many as fit (at least 1). Not a function
   /// of the thread count.
   static std::int64_t gradient_groups(std::int64_t n_tiles, std::int64_t n_params);
   /// 8 MiB of floats: the benchmark's 256 one-event tiles of 32 x 145 values take 4.5 MiB, the
   /// MNIST CNN's second layer (64 x 801 values) at batch 128 would take 26 MiB (40 groups of 3-4 tiles).
   static constexpr std::int64_t kGroupGradientFloats = std::int64_t(1) << 21;

private:
   /// What every tile of a batch multiplies: the matrix layer over [V | b] made whole, or the filter
   /// layer over the parameters, with the gradient its backward pass writes (null in forward).
   struct TileProduct {
      const FullyConnected &layer;
      const float *w;
      float *grad;
   };
   TileProduct tile_product(Backend &backend, const float *params, float *grad, LayerContext &context) const;
   void backward_tile(Backend &backend, const TileProduct &product, const float *x, const float *dy,
                      std::int64_t batch, std::int64_t t, LayerContext &context, int slot, float *dx,
                      float *tile_grad) const;

   void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                     LayerContext &context) const override;
   void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                      LayerContext &context, float *dy, float *dx, float *grad) const override;

   ImageWindow window_;
   std::int64_t offset_;
   HashedLayout layout_;
   FullyConnected filter_layer_;
   FullyConnected matrix_layer_; ///< a dense layer over [V | b] made whole (offset 0, unhashed bias)
   Activation activation_;
};

} // namespace hashednet

#endif // HASHEDNET_CONV2D_H
