// conv2d.cpp: see conv2d.h.
#include "hashednet/conv2d.h"

#include <algorithm>
#include <vector>

namespace hashednet {

namespace {
/// One thread slot's work buffers for the tile it runs.
struct TileBuffers {
   Buffer cols, rows, d_cols; ///< im2col's rows, V's products, dL/dcols
   Buffer tile_grad;          ///< a tile's dL/dparams, added into its group's (groups of several tiles)
};

/// The pre-activation z beside the output, the slots' tile buffers and the whole filters.
struct Conv2DContext final : LayerContext {
   Buffer z;
   std::vector<TileBuffers> slots; ///< one per slot of backend.for_each_item
   Buffer group_grads;             ///< backward: dL/dparams of groups 1 .. G-1 (group 0 writes the product's gradient)
   Buffer filters, d_filters;      ///< whole_filters(): [V | b] of this batch, and dL/d[V | b] over its tiles
};

/// Every slot's buffers sized for one tile: cols and d_cols of `cols` floats (d_cols only with dx), rows of
/// `rows`, tile_grad of `tile_grad`.
void size_slots(Backend &backend, Conv2DContext &ctx, std::int64_t cols, std::int64_t rows, std::int64_t d_cols,
                std::int64_t tile_grad)
{
   ctx.slots.resize(static_cast<std::size_t>(backend.item_slots()));
   for (TileBuffers &s : ctx.slots) {
      backend.resize(s.cols, cols);
      backend.resize(s.rows, rows);
      backend.resize(s.d_cols, d_cols);
      backend.resize(s.tile_grad, tile_grad);
   }
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b)
{
   return (a + b - 1) / b;
}

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

std::int64_t Conv2D::gradient_groups(std::int64_t n_tiles, std::int64_t n_params)
{
   HASHEDNET_ASSERT(n_tiles >= 1 && n_params >= 1);
   return std::max<std::int64_t>(1, std::min(n_tiles, kGroupGradientFloats / n_params));
}

/// grad null (forward): [V | b] made whole into ctx.filters when whole_filters(); otherwise (backward) the
/// matrix layer's gradient sized, [V | b] being still in ctx.filters from forward_impl.
Conv2D::TileProduct Conv2D::tile_product(Backend &backend, const float *params, float *grad,
                                         LayerContext &context) const
{
   auto &ctx = static_cast<Conv2DContext &>(context);
   if (!whole_filters(backend))
      return {filter_layer_, params + offset_, grad ? grad + offset_ : nullptr};
   if (grad == nullptr) {
      backend.resize(ctx.filters, matrix_layer_.n_params());
      backend.virtual_matrix(filter_layer_, params + offset_, ctx.filters.data()); // [V | b], once per batch
   } else {
      backend.resize(ctx.d_filters, matrix_layer_.n_params());
   }
   return {matrix_layer_, ctx.filters.data(), grad ? ctx.d_filters.data() : nullptr};
}

void Conv2D::forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                          LayerContext &context) const
{
   auto &ctx = static_cast<Conv2DContext &>(context);
   const std::int64_t positions = window_.positions(), tile = std::min(tile_events(), batch);
   backend.resize(ctx.z, batch * n_out());
   backend.resize(ctx.output, batch * n_out());
   size_slots(backend, ctx, tile * positions * window_.patch(), tile * positions * filters(), 0, 0);
   const TileProduct product = tile_product(backend, params, nullptr, ctx);
   const std::int64_t work = batch * positions * window_.patch() * filters(); // the product's multiply-adds
   backend.for_each_item(ceil_div(batch, tile), work, [&](std::int64_t t, int slot) {
      TileBuffers &s = ctx.slots[slot];
      const std::int64_t b0 = t * tile, n = std::min(tile, batch - b0);
      backend.im2col(window_, x + b0 * n_in(), n, s.cols.data());
      // rows (n*P x filters) = cols (n*P x patch) V^T + b
      backend.linear_forward(product.layer, product.w, s.cols.data(), n * positions, s.rows.data());
      backend.transpose_blocks(s.rows.data(), n, positions, filters(), ctx.z.data() + b0 * n_out());
   });
   backend.activation_forward(activation_, ctx.z.data(), ctx.output.data(), batch * n_out());
}

/// Tile t of the batch in slot `slot`'s buffers: its dx (when dx is not null) and its dL/dparams into tile_grad.
void Conv2D::backward_tile(Backend &backend, const TileProduct &product, const float *x, const float *dy,
                           std::int64_t batch, std::int64_t t, LayerContext &context, int slot, float *dx,
                           float *tile_grad) const
{
   TileBuffers &s = static_cast<Conv2DContext &>(context).slots[slot];
   const std::int64_t positions = window_.positions(), tile = std::min(tile_events(), batch);
   const std::int64_t b0 = t * tile, n = std::min(tile, batch - b0);
   backend.transpose_blocks(dy + b0 * n_out(), n, filters(), positions, s.rows.data()); // d rows (n*P x filters)
   backend.im2col(window_, x + b0 * n_in(), n, s.cols.data());
   backend.linear_backward(product.layer, product.w, s.cols.data(), s.rows.data(), n * positions,
                           dx ? s.d_cols.data() : nullptr, tile_grad);
   if (dx)
      backend.col2im(window_, s.d_cols.data(), n, dx + b0 * n_in());
}

void Conv2D::backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                           LayerContext &context, float *dy, float *dx, float *grad) const
{
   auto &ctx = static_cast<Conv2DContext &>(context);
   const std::int64_t positions = window_.positions(), tile = std::min(tile_events(), batch);
   backend.activation_backward(activation_, ctx.z.data(), ctx.output.data(), dy, dy, batch * n_out());
   const TileProduct product = tile_product(backend, params, grad, ctx);
   const std::int64_t n_params = product.layer.n_params(), n_tiles = ceil_div(batch, tile);
   const std::int64_t groups = gradient_groups(n_tiles, n_params);
   const std::int64_t cols = tile * positions * window_.patch();
   size_slots(backend, ctx, cols, tile * positions * filters(), dx ? cols : 0, groups < n_tiles ? n_params : 0);
   backend.resize(ctx.group_grads, (groups - 1) * n_params);
   const std::int64_t work = 2 * batch * positions * window_.patch() * filters(); // dx and dV
   backend.for_each_item(groups, work, [&](std::int64_t g, int slot) {
      float *group_grad = g == 0 ? product.grad : ctx.group_grads.data() + (g - 1) * n_params;
      const std::int64_t first = g * n_tiles / groups, end = (g + 1) * n_tiles / groups;
      for (std::int64_t t = first; t < end; ++t) {
         float *tile_grad = t == first ? group_grad : ctx.slots[slot].tile_grad.data();
         backward_tile(backend, product, x, dy, batch, t, ctx, slot, dx, tile_grad);
         if (t > first)
            backend.accumulate(tile_grad, group_grad, n_params);
      }
   });
   for (std::int64_t g = 1; g < groups; ++g) // in group order: the same bits for any thread count
      backend.accumulate(ctx.group_grads.data() + (g - 1) * n_params, product.grad, n_params);
   if (whole_filters(backend)) // dL/d[V | b] of the batch into the buckets, once
      backend.virtual_matrix_backward(filter_layer_, params + offset_, ctx.d_filters.data(), grad + offset_);
}

} // namespace hashednet
