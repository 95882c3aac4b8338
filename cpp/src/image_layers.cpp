// image_layers.cpp: see image_layers.h.
#include "hashednet/image_layers.h"

namespace hashednet {

namespace {
/// Where each output's maximum came from (image indices as floats).
struct MaxPoolContext final : LayerContext {
   Buffer argmax;
};
} // namespace

LayerMemory parameterless_memory(std::int64_t n_in, std::int64_t n_out, const char *kind)
{
   LayerMemory m;
   m.kind = kind;
   m.n_in = n_in;
   m.n_out = n_out;
   m.scheme = "NONE";
   return m; // no weights: virtual and real 0, compression 1
}

MaxPool2D::MaxPool2D(const ImageWindow &window, std::int64_t offset) : window_(window), offset_(offset)
{
   HASHEDNET_ASSERT(window.pad_rows == 0 && window.pad_cols == 0 && window.out_height() >= 1 &&
                    window.out_width() >= 1);
}

std::unique_ptr<LayerContext> MaxPool2D::make_context() const
{
   return std::make_unique<MaxPoolContext>();
}

void MaxPool2D::forward_impl(Backend &backend, const float *, const float *x, std::int64_t batch,
                             LayerContext &context) const
{
   auto &ctx = static_cast<MaxPoolContext &>(context);
   backend.resize(ctx.output, batch * n_out());
   backend.resize(ctx.argmax, batch * n_out());
   backend.max_pool_forward(window_, x, batch, ctx.output.data(), ctx.argmax.data());
}

void MaxPool2D::backward_impl(Backend &backend, const float *, const float *, std::int64_t batch,
                              LayerContext &context, float *dy, float *dx, float *) const
{
   auto &ctx = static_cast<MaxPoolContext &>(context);
   if (dx)
      backend.max_pool_backward(window_, dy, ctx.argmax.data(), batch, dx);
}

std::unique_ptr<LayerContext> Reshape::make_context() const
{
   return std::make_unique<LayerContext>();
}

void Reshape::forward_impl(Backend &backend, const float *, const float *x, std::int64_t batch,
                           LayerContext &context) const
{
   backend.resize(context.output, batch * n_);
   backend.copy(x, batch * n_, context.output.data());
}

void Reshape::backward_impl(Backend &backend, const float *, const float *, std::int64_t batch, LayerContext &,
                            float *dy, float *dx, float *) const
{
   if (dx)
      backend.copy(dy, batch * n_, dx);
}

} // namespace hashednet
