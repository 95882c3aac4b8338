// host_batch_norm.cpp: BNORM's kernels on host memory (HostBackend), for the CPU and the reference backend.
//
// What it is: batch_norm_train, batch_norm_infer and batch_norm_backward as
// plain loops, one feature at a time. A feature's sums run in double, in
// event order then position order, on one thread; threads take whole
// features, so the results are the same bits on any thread count.
//
// What it is not: the layer (batch_norm.h) or the single-event path
// (event_conv.h, whose batch_norm_value batch_norm_infer calls).
#include "host_backend.h"

#include "cpu_parallel.h"

#include "hashednet/batch_norm.h"
#include "hashednet/event_conv.h"

#include <cmath>

namespace hashednet {

namespace {
/// body(f) for each feature, on the backend's threads when the batch is large enough.
template <class Body>
void for_each_feature(const Backend &backend, const BatchNormShape &shape, std::int64_t batch, Body body)
{
   cpu::parallel_for(cpu::threads_for(batch * shape.n_values() * 8, backend.num_threads()), shape.features, 1, body);
}

/// The index of value s (of batch * spatial) of feature f: event s / spatial, position s % spatial.
inline std::int64_t at(const BatchNormShape &shape, std::int64_t f, std::int64_t s)
{
   return (s / shape.spatial) * shape.n_values() + f * shape.spatial + s % shape.spatial;
}
} // namespace

void HostBackend::batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x,
                                   std::int64_t batch, std::uint64_t trained_batches, float *y, float *xhat,
                                   float *stats, float *running)
{
   const std::int64_t F = shape.features, m = batch * shape.spatial;
   for_each_feature(*this, shape, batch, [&](std::int64_t f) {
      double sum = 0.0;
      for (std::int64_t s = 0; s < m; ++s)
         sum += x[at(shape, f, s)];
      const double mean = sum / static_cast<double>(m);
      double squares = 0.0;
      for (std::int64_t s = 0; s < m; ++s) {
         const double d = x[at(shape, f, s)] - mean;
         squares += d * d;
      }
      const double variance = squares / static_cast<double>(m);
      const double inverse_std = 1.0 / std::sqrt(variance + shape.epsilon);
      const float gamma = slice[f], beta = slice[F + f];
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = at(shape, f, s);
         xhat[k] = static_cast<float>((x[k] - mean) * inverse_std);
         y[k] = gamma * xhat[k] + beta;
      }
      stats[f] = static_cast<float>(mean);
      stats[F + f] = static_cast<float>(inverse_std);
      running[f] = static_cast<float>(running_update(slice[2 * F + f], mean, shape.momentum, trained_batches));
      running[F + f] = static_cast<float>(running_update(
         slice[3 * F + f], unbiased_variance(variance, m, shape.epsilon), shape.momentum, trained_batches));
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
   const std::int64_t F = shape.features, m = batch * shape.spatial;
   for_each_feature(*this, shape, batch, [&](std::int64_t f) {
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = at(shape, f, s);
         sum_dy += dy[k];
         sum_dy_xhat += static_cast<double>(dy[k]) * xhat[k];
      }
      grad_slice[f] = static_cast<float>(sum_dy_xhat);
      grad_slice[F + f] = static_cast<float>(sum_dy);
      grad_slice[2 * F + f] = 0.0f;
      grad_slice[3 * F + f] = 0.0f;
      if (!dx)
         return;
      const double scale = static_cast<double>(slice[f]) * stats[F + f] / static_cast<double>(m);
      for (std::int64_t s = 0; s < m; ++s) {
         const std::int64_t k = at(shape, f, s);
         dx[k] = static_cast<float>(scale * (static_cast<double>(m) * dy[k] - sum_dy - xhat[k] * sum_dy_xhat));
      }
   });
}

} // namespace hashednet
