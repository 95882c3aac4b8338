// fully_connected.cpp: see fully_connected.h.
#include "hashednet/fully_connected.h"

#include "hashednet/funhash_scheme.h"

#include <algorithm>

namespace hashednet {

namespace {
/// The pre-activation z beside the output a = f(z).
struct FullyConnectedContext final : LayerContext {
   Buffer z;
};
} // namespace

FullyConnected::FullyConnected(const HashedLayout &layout, Activation activation)
   : FullyConnected(layout, std::make_unique<HashedLayoutScheme>(layout), activation)
{
}

FullyConnected::FullyConnected(const HashedLayout &layout, std::unique_ptr<WeightScheme> scheme,
                               Activation activation)
   : layout_(layout), scheme_(std::move(scheme)), activation_(activation)
{
   HASHEDNET_ASSERT(scheme_ && scheme_->n_params() == layout_.n_buckets);
}

LayerMemory FullyConnected::memory() const
{
   LayerMemory m;
   m.n_in = layout_.n_in;
   m.n_out = layout_.n_out;
   m.hashed = layout_.hashed;
   m.virtual_weights = layout_.n_virtual_weights() + layout_.n_out;
   m.real_params = layout_.n_params();
   m.scheme = scheme_->name();
   if (scheme_->kind() == SchemeKind::FunHash)
      m.reconstruction_params = funhash_layout(*this).n_alpha();
   m.bytes = m.real_params * static_cast<std::int64_t>(sizeof(float));
   m.compression = static_cast<double>(m.real_params) / static_cast<double>(m.virtual_weights);
   return m;
}

/// The scheme's initial values, then the bias: zero.
void FullyConnected::initialize(float *params, WeightInit init, Rng &rng) const
{
   scheme_->initialize(params, init, rng, layout_.n_in, layout_.n_out);
   std::fill(params + layout_.n_buckets, params + layout_.n_params(), 0.0f);
}

std::unique_ptr<LayerContext> FullyConnected::make_context() const
{
   return std::make_unique<FullyConnectedContext>();
}

void FullyConnected::forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                                  LayerContext &context) const
{
   auto &ctx = static_cast<FullyConnectedContext &>(context);
   backend.resize(ctx.z, batch * layout_.n_out);
   backend.resize(ctx.output, batch * layout_.n_out);
   if (ctx.inference)
      backend.linear_infer(*this, params, x, batch, ctx.z.data());
   else
      backend.linear_forward(*this, params, x, batch, ctx.z.data());
   backend.activation_forward(activation_, ctx.z.data(), ctx.output.data(), batch * layout_.n_out);
}

void FullyConnected::backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                                   LayerContext &context, float *dy, float *dx, float *grad) const
{
   auto &ctx = static_cast<FullyConnectedContext &>(context);
   backend.activation_backward(activation_, ctx.z.data(), ctx.output.data(), dy, dy, batch * layout_.n_out);
   backend.linear_backward(*this, params, x, dy, batch, dx, grad);
}

} // namespace hashednet
