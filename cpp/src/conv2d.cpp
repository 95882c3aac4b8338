// conv2d.cpp: see conv2d.h.
#include "hashednet/conv2d.h"

#include <algorithm>

namespace hashednet {

namespace {
/// The pre-activation z beside the output, and the per-tile work buffers.
struct Conv2DContext final : LayerContext {
   Buffer z;
   Buffer cols, rows, d_cols; ///< one tile: im2col's rows, V's products, dL/dcols
   Buffer tile_grad;          ///< one tile's dL/dparams, added into the gradient from the second tile on
   Buffer filters, d_filters; ///< whole_filters(): [V | b] of this batch, and dL/d[V | b] over its tiles
};

HashedLayout at_offset_zero(HashedLayout layout)
{
   layout.offset = 0;
   return layout;
}

/// A dense n_out x n_in layout with an unhashed bias at offset 0: the matrix layer over [V | b].
HashedLayout whole_matrix_layout(const HashedLayout &filters)
{
   HashedLayout layout;
   layout.n_in = filters.n_in;
   layout.n_out = filters.n_out;
   layout.n_buckets = filters.n_in * filters.n_out;
   layout.n_bias_buckets = filters.n_out;
   return layout;
}
} // namespace

Conv2D::Conv2D(const ImageWindow &window, const HashedLayout &filter_layout, std::unique_ptr<WeightScheme> scheme,
               Activation activation)
   : window_(window), offset_(filter_layout.offset), layout_(filter_layout),
     filter_layer_(at_offset_zero(filter_layout), std::move(scheme), Activation::Linear),
     matrix_layer_(whole_matrix_layout(filter_layout), Activation::Linear), activation_(activation)
{
   HASHEDNET_ASSERT(filter_layout.n_in == window.patch() && window.out_height() >= 1 && window.out_width() >= 1);
}

LayerMemory Conv2D::memory() const
{
   LayerMemory m = filter_layer_.memory();
   m.n_in = n_in();
   m.n_out = n_out();
   m.kind = "CONV";
   return m;
}

void Conv2D::initialize(float *params, WeightInit init, Rng &rng) const
{
   // Glorot's fans of a convolution: depth*fh*fw in, filters*fh*fw out (as MethodDL and Keras count them).
   const WeightScheme &scheme = filter_layer_.scheme();
   scheme.initialize(params, init, rng, window_.patch(), filters() * window_.fh * window_.fw);
   const HashedLayout &layout = filter_layer_.layout();
   std::fill(params + layout.n_buckets, params + layout.n_params(), 0.0f);
}

std::unique_ptr<LayerContext> Conv2D::make_context() const
{
   return std::make_unique<Conv2DContext>();
}

std::int64_t Conv2D::tile_events() const
{
   return std::max<std::int64_t>(1, kColumnFloats / (window_.positions() * window_.patch()));
}

bool Conv2D::whole_filters(const Backend &backend) const
{
   return backend.makes_virtual_matrix() && filter_layer_.scheme().kind() != SchemeKind::Dense &&
          filter_layer_.layout().n_virtual_weights() <= kMaxWholeFilters;
}

void Conv2D::forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                          LayerContext &context) const
{
   auto &ctx = static_cast<Conv2DContext &>(context);
   const std::int64_t positions = window_.positions(), tile = std::min(tile_events(), batch);
   backend.resize(ctx.z, batch * n_out());
   backend.resize(ctx.output, batch * n_out());
   backend.resize(ctx.cols, tile * positions * window_.patch());
   backend.resize(ctx.rows, tile * positions * filters());
   const bool whole = whole_filters(backend);
   if (whole) {
      backend.resize(ctx.filters, matrix_layer_.n_params());
      backend.virtual_matrix(filter_layer_, params + offset_, ctx.filters.data()); // [V | b], once per batch
   }
   const FullyConnected &product = whole ? matrix_layer_ : filter_layer_;
   const float *w = whole ? ctx.filters.data() : params + offset_;
   for (std::int64_t b0 = 0; b0 < batch; b0 += tile) {
      const std::int64_t n = std::min(tile, batch - b0);
      backend.im2col(window_, x + b0 * n_in(), n, ctx.cols.data());
      // rows (n*P x filters) = cols (n*P x patch) V^T + b
      backend.linear_forward(product, w, ctx.cols.data(), n * positions, ctx.rows.data());
      backend.transpose_blocks(ctx.rows.data(), n, positions, filters(), ctx.z.data() + b0 * n_out());
   }
   backend.activation_forward(activation_, ctx.z.data(), ctx.output.data(), batch * n_out());
}

void Conv2D::backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                           LayerContext &context, float *dy, float *dx, float *grad) const
{
   auto &ctx = static_cast<Conv2DContext &>(context);
   const std::int64_t positions = window_.positions(), tile = std::min(tile_events(), batch);
   backend.activation_backward(activation_, ctx.z.data(), ctx.output.data(), dy, dy, batch * n_out());
   backend.resize(ctx.cols, tile * positions * window_.patch());
   backend.resize(ctx.rows, tile * positions * filters());
   backend.resize(ctx.d_cols, dx ? tile * positions * window_.patch() : 0);
   const bool whole = whole_filters(backend); // forward_impl left [V | b] in ctx.filters
   const FullyConnected &product = whole ? matrix_layer_ : filter_layer_;
   const float *w = whole ? ctx.filters.data() : params + offset_;
   if (whole)
      backend.resize(ctx.d_filters, product.n_params());
   float *product_grad = whole ? ctx.d_filters.data() : grad + offset_;
   backend.resize(ctx.tile_grad, batch > tile ? product.n_params() : 0);
   for (std::int64_t b0 = 0; b0 < batch; b0 += tile) {
      const std::int64_t n = std::min(tile, batch - b0);
      backend.transpose_blocks(dy + b0 * n_out(), n, filters(), positions, ctx.rows.data()); // d rows (n*P x filters)
      backend.im2col(window_, x + b0 * n_in(), n, ctx.cols.data());
      float *tile_grad = b0 == 0 ? product_grad : ctx.tile_grad.data();
      backend.linear_backward(product, w, ctx.cols.data(), ctx.rows.data(), n * positions,
                              dx ? ctx.d_cols.data() : nullptr, tile_grad);
      if (b0 > 0)
         backend.accumulate(tile_grad, product_grad, product.n_params());
      if (dx)
         backend.col2im(window_, ctx.d_cols.data(), n, dx + b0 * n_in());
   }
   if (whole) // dL/d[V | b] of the batch into the buckets, once
      backend.virtual_matrix_backward(filter_layer_, params + offset_, ctx.d_filters.data(), grad + offset_);
}

} // namespace hashednet
