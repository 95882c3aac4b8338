// batch_norm.cpp: see batch_norm.h.
#include "hashednet/batch_norm.h"

#include "hashednet/batch_norm_math.h"

#include <cmath>
#include <limits>

namespace hashednet {

namespace {
/// A training pass leaves xhat, the batch's statistics and the new running ones; inference leaves nothing.
struct BatchNormContext final : LayerContext {
   Buffer xhat;    ///< batch x n_values: (x - mean) / sqrt(var + epsilon)
   Buffer stats;   ///< 2 x features: the batch means, then 1 / sqrt(var + epsilon)
   Buffer running; ///< 2 x features: the running means and variances after this batch
   bool trained = false; ///< the last forward pass used the batch's statistics
};
} // namespace

void check_batch_norm(const BatchNormSpec &spec, const std::string &where)
{
   HASHEDNET_CHECK(std::isfinite(spec.momentum) && spec.momentum < 1.0,
                   where << ": BNORM momentum " << spec.momentum
                         << " is not allowed; use a value in [0, 1) for exponential running averages (running = "
                            "momentum * running + (1 - momentum) * batch) or a negative one, e.g. -1 (the default), "
                            "for the cumulative average of all training batches");
   const double smallest = std::numeric_limits<float>::min(), largest = std::numeric_limits<float>::max();
   HASHEDNET_CHECK(spec.epsilon >= smallest && spec.epsilon <= largest, // a normal float (the inference path's)
                   where << ": BNORM epsilon " << spec.epsilon
                         << " is not allowed; it is added to the variance and must be a number > 0 that a float "
                            "holds, in [" << smallest << ", " << largest << "] (default " << BatchNormSpec().epsilon
                         << ")");
}

double running_update(double running, double batch, double momentum, std::uint64_t trained_batches)
{
   return batch_norm_math::running_update(running, batch, momentum, trained_batches);
}

double unbiased_variance(double biased, std::int64_t m, double epsilon)
{
   return batch_norm_math::unbiased_variance(biased, m, epsilon);
}

BatchNorm::BatchNorm(const BatchNormShape &shape, std::int64_t offset) : shape_(shape), offset_(offset)
{
   HASHEDNET_ASSERT(shape.features >= 1 && shape.spatial >= 1 && shape.momentum < 1.0 && shape.epsilon > 0.0);
}

LayerMemory BatchNorm::memory() const
{
   LayerMemory m;
   m.kind = "BNORM";
   m.n_in = n_in();
   m.n_out = n_out();
   m.scheme = "DENSE";
   m.virtual_weights = n_params(); // gamma, beta and the running statistics, none shared
   m.real_params = n_params();
   m.bytes = n_params() * static_cast<std::int64_t>(sizeof(float));
   return m;
}

void BatchNorm::initialize(float *params, WeightInit, Rng &) const
{
   const std::int64_t f = shape_.features;
   for (std::int64_t k = 0; k < f; ++k) {
      params[k] = 1.0f;         // gamma
      params[f + k] = 0.0f;     // beta
      params[2 * f + k] = 0.0f; // running mean
      params[3 * f + k] = 1.0f; // running variance
   }
}

std::unique_ptr<LayerContext> BatchNorm::make_context() const
{
   return std::make_unique<BatchNormContext>();
}

void BatchNorm::forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                             LayerContext &context) const
{
   auto &ctx = static_cast<BatchNormContext &>(context);
   backend.resize(ctx.output, batch * n_out());
   ctx.trained = !ctx.running_statistics;
   if (!ctx.trained) {
      backend.batch_norm_infer(shape_, params + offset_, x, batch, ctx.output.data());
      return;
   }
   backend.resize(ctx.xhat, batch * n_out());
   backend.resize(ctx.stats, 2 * shape_.features);
   backend.resize(ctx.running, 2 * shape_.features);
   backend.batch_norm_train(shape_, params + offset_, x, batch, ctx.trained_batches, ctx.output.data(),
                            ctx.xhat.data(), ctx.stats.data(), ctx.running.data());
}

void BatchNorm::backward_impl(Backend &backend, const float *params, const float *, std::int64_t batch,
                              LayerContext &context, float *dy, float *dx, float *grad) const
{
   auto &ctx = static_cast<BatchNormContext &>(context);
   HASHEDNET_ASSERT(ctx.trained); // backward follows a training pass (batch statistics) only
   backend.batch_norm_backward(shape_, params + offset_, ctx.xhat.data(), ctx.stats.data(), dy, batch, dx,
                               grad + offset_);
}

void BatchNorm::commit_running_statistics(Backend &backend, float *params, const LayerContext &context) const
{
   const auto &ctx = static_cast<const BatchNormContext &>(context);
   HASHEDNET_ASSERT(ctx.trained && ctx.running.size() == 2 * shape_.features);
   backend.copy(ctx.running.data(), 2 * shape_.features, params + offset_ + 2 * shape_.features);
}

} // namespace hashednet
