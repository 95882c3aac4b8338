// host_batch_norm.cpp: BNORM's kernels on host memory (HostBackend), for the CPU and the reference backend.
//
// What it is: batch_norm_train, batch_norm_infer and batch_norm_backward as
// plain loops, one feature at a time. A feature's sums run in double, in
// event order then position order, on one thread; threads take whole
// features, so the results are the same bits on any thread count.
//
// The per-value formulas (index, xhat, y, dx, running statistics) are
// batch_norm_math.h's, which the CUDA backend's kernels share.
//
// What it is not: the layer (batch_norm.h) or the single-event path
// (event_conv.h, whose batch_norm_value batch_norm_infer calls).
#include "host_backend.h"

#include "cpu_parallel.h"

#include "hashednet/batch_norm.h"
#include "hashednet/batch_norm_math.h"
#include "hashednet/event_conv.h"

namespace hashednet {

namespace {
/// body(f) for each feature, on the backend's threads when the batch is large enough.
template <class Body>
void for_each_feature(const Backend &backend, const BatchNormShape &shape, std::int64_t batch, Body body)
{
   cpu::parallel_for(cpu::threads_for(batch * shape.n_values() * 8, backend.num_threads()), shape.features, 1, body);
}

/// The batch's geometry (batch_norm_math.h: Geometry::at is where value s of feature f sits).
inline batch_norm_math::Geometry geometry(const BatchNormShape &shape, std::int64_t batch)
{
   return {shape.features, shape.spatial, batch};
}
} // namespace

void HostBackend::batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x,
                                   std::int64_t batch, std::uint64_t trained_batches, float *y, float *xhat,
                                   float *stats, float *running)
{
   namespace bn = batch_norm_math;
   const bn::Geometry g = geometry(shape, batch);
   const std::int64_t F = shape.features, m = g.m();
   for_each_feature(*this, shape, batch, [&](std::int64_t f) {
      double sum = 0.0;
      for (std::int64_t s = 0; s < m; ++s)
         sum += x[g.at(f, s)];
      const double mean = sum / static_cast<double>(m);
      double squares = 0.0;
      for (std::int64_t s = 0; s < m; ++s) {
         const double d = x[g.at(f, s)] - mean;
         squares += d * d;
      }
      const double variance = squares / static_cast<double>(m);
      const double inverse_std = bn::inverse_std(variance, shape.epsilon);
      const float gamma = slice[f], beta = slice[F + f];
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = g.at(f, s);
         xhat[k] = bn::normalized(x[k], mean, inverse_std);
         y[k] = bn::scale_shift(gamma, xhat[k], beta);
      }
      stats[f] = static_cast<float>(mean);
      stats[F + f] = static_cast<float>(inverse_std);
      running[f] = static_cast<float>(bn::running_update(slice[2 * F + f], mean, shape.momentum, trained_batches));
      running[F + f] = static_cast<float>(bn::running_update(
         slice[3 * F + f], bn::unbiased_variance(variance, m, shape.epsilon), shape.momentum, trained_batches));
   });
}

void HostBackend::batch_norm_infer(const BatchNormShape &shape, const float *slice, const float *x,
                                   std::int64_t batch, float *y)
{
   event::batch_norm_forward(slice, shape.features, shape.spatial, static_cast<float>(shape.epsilon), x, batch, y);
}

/// dx = gamma / sqrt(var + epsilon) / m * (m dy - sum dy - xhat sum(dy xhat)), the sums per feature in double.
void HostBackend::batch_norm_backward(const BatchNormShape &shape, const float *slice, const float *xhat,
                                      const float *stats, const float *dy, std::int64_t batch, float *dx,
                                      float *grad_slice)
{
   namespace bn = batch_norm_math;
   const bn::Geometry g = geometry(shape, batch);
   const std::int64_t F = shape.features, m = g.m();
   for_each_feature(*this, shape, batch, [&](std::int64_t f) {
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = g.at(f, s);
         sum_dy += dy[k];
         sum_dy_xhat += static_cast<double>(dy[k]) * xhat[k];
      }
      grad_slice[f] = static_cast<float>(sum_dy_xhat);
      grad_slice[F + f] = static_cast<float>(sum_dy);
      grad_slice[2 * F + f] = 0.0f;
      grad_slice[3 * F + f] = 0.0f;
      if (!dx)
         return;
      const double scale = bn::input_gradient_scale(slice[f], stats[F + f], m);
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = g.at(f, s);
         dx[k] = bn::input_gradient(scale, m, dy[k], xhat[k], sum_dy, sum_dy_xhat);
      }
   });
}

} // namespace hashednet
