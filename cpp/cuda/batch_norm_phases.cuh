// batch_norm_phases.cuh: BNORM's training kernels as host/device block
// programs and elementwise bodies, which the GPU runs (batch_norm_kernels.cu)
// and the CPU emulation runs thread by thread (tests/cuda/emulate_whole_ops.cpp).
//
// What it is: per feature f, one block of kThreads threads sums f's m = batch
// x spatial values in double: thread t takes the values s = t, t + kThreads,
// ... in ascending order, then the block adds the kThreads partial sums in a
// fixed tree (pairs at distance 128, 64, ..., 1). The order of the
// additions is fixed by the shapes alone, so the GPU gives the same bits on
// every run; it is not the host's order (host_batch_norm.cpp: s = 0, 1, ...
// on one thread), so the double sums differ from the host's in their last
// bits (relative error of a sum of m doubles below m 2^-53 of the sum of the
// magnitudes, either order), and what is rounded to float from them (means,
// 1 / std, xhat, y, dx, the gradients of gamma and beta) can differ by one
// float ulp where a double result lies next to a float rounding boundary.
// Everything per value is batch_norm_math.h's, the host's own formulas.
//
// `Block` is the executor, as in gemm_phases.cuh: on the GPU `threads(f)` is
// f(threadIdx.x) and `sync()` __syncthreads(); in the emulation `threads(f)`
// calls f for every thread in turn and `sync()` does nothing. No phase reads
// a shared word another thread writes in the same phase.
//
// What it is not: the launches (batch_norm_kernels.cu) or the layer (batch_norm.h).
#ifndef HASHEDNET_CUDA_BATCH_NORM_PHASES_CUH
#define HASHEDNET_CUDA_BATCH_NORM_PHASES_CUH

#include "device_ops.cuh"

#include "hashednet/batch_norm_math.h"
#include "hashednet/common.h"
#include "hashednet/event_forward.h" // event_conv.h (batch_norm_value) with the functions it declares

#include <cstdint>

namespace hashednet {
namespace cuda {
namespace batch_norm {

using batch_norm_math::Geometry;

constexpr int kThreads = 256; ///< threads of a feature's block (a power of two: the tree halves it)

/// A block's shared memory: two rows of partial sums, and the mean once known.
struct Shared {
   double a[kThreads];
   double b[kThreads];
   double mean;
};

/// Thread t's share of feature f: the sums of term_a(k) and term_b(k) over
/// the indices k of its values s = t, t + kThreads, ... < m, in ascending s, in double.
template <class TermA, class TermB>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void strided_sums(const Geometry &g, std::int64_t f, int t, TermA term_a,
                                                         TermB term_b, double &sum_a, double &sum_b)
{
   sum_a = 0.0;
   sum_b = 0.0;
   for (std::int64_t s = t; s < g.m(); s += kThreads) {
      const std::int64_t k = g.at(f, s);
      sum_a += term_a(k);
      sum_b += term_b(k);
   }
}

/// The fixed tree over the block: afterwards a[0] (and b[0]) hold the sums of all kThreads partials.
template <class Block>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void tree_sum(Block &blk, Shared &sh)
{
   for (int half = kThreads / 2; half > 0; half /= 2) {
      blk.threads([&](int t) {
         if (t < half) {
            sh.a[t] += sh.a[t + half];
            sh.b[t] += sh.b[t + half];
         }
      });
      blk.sync();
   }
}

/// Training statistics of the batch (backend.h's batch_norm_train without the per-value part).
struct StatisticsProblem {
   Geometry g;
   const float *slice; ///< gamma, beta, running means, running variances (features each)
   const float *x;
   double momentum, epsilon;
   std::uint64_t trained_batches;
   double *moments; ///< 2 x features: mean, then 1 / sqrt(var + epsilon), in double (for Normalize)
   float *stats;    ///< 2 x features: the same rounded to float (the layer's context)
   float *running;  ///< 2 x features: the running means and variances after this batch
};

/// Feature f's mean, variance, 1 / std and running statistics (one block).
template <class Block>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void statistics_block(Block &blk, const StatisticsProblem &p, Shared &sh,
                                                             std::int64_t f)
{
   namespace bn = batch_norm_math;
   const Geometry &g = p.g;
   const std::int64_t F = g.features, m = g.m();
   const auto zero = [](std::int64_t) { return 0.0; };
   blk.threads([&](int t) {
      strided_sums(g, f, t, [&](std::int64_t k) { return static_cast<double>(p.x[k]); }, zero, sh.a[t], sh.b[t]);
   });
   blk.sync();
   tree_sum(blk, sh);
   blk.threads([&](int t) {
      if (t == 0)
         sh.mean = sh.a[0] / static_cast<double>(m);
   });
   blk.sync();
   blk.threads([&](int t) {
      const double mean = sh.mean;
      const auto square = [&](std::int64_t k) {
         const double d = p.x[k] - mean;
         return d * d;
      };
      strided_sums(g, f, t, square, zero, sh.a[t], sh.b[t]);
   });
   blk.sync();
   tree_sum(blk, sh);
   blk.threads([&](int t) {
      if (t != 0)
         return;
      const double mean = sh.mean, variance = sh.a[0] / static_cast<double>(m);
      const double inverse_std = bn::inverse_std(variance, p.epsilon);
      p.moments[f] = mean;
      p.moments[F + f] = inverse_std;
      p.stats[f] = static_cast<float>(mean);
      p.stats[F + f] = static_cast<float>(inverse_std);
      p.running[f] = static_cast<float>(bn::running_update(p.slice[2 * F + f], mean, p.momentum, p.trained_batches));
      p.running[F + f] = static_cast<float>(bn::running_update(
         p.slice[3 * F + f], bn::unbiased_variance(variance, m, p.epsilon), p.momentum, p.trained_batches));
   });
   blk.sync(); // the next feature of this block reuses the shared memory
}

/// The backward pass's sums per feature: sum dy and sum dy xhat, and the gradients of gamma and beta.
struct GradientSumsProblem {
   Geometry g;
   const float *dy, *xhat;
   double *sums;      ///< 2 x features: sum dy, then sum dy xhat (for InputGradient)
   float *grad_slice; ///< 4 x features: dL/dgamma, dL/dbeta, 0, 0
};

template <class Block>
HASHEDNET_HOST_DEVICE HASHEDNET_INLINE void gradient_sums_block(Block &blk, const GradientSumsProblem &p, Shared &sh,
                                                                std::int64_t f)
{
   const std::int64_t F = p.g.features;
   blk.threads([&](int t) {
      strided_sums(
         p.g, f, t, [&](std::int64_t k) { return static_cast<double>(p.dy[k]); },
         [&](std::int64_t k) { return static_cast<double>(p.dy[k]) * p.xhat[k]; }, sh.a[t], sh.b[t]);
   });
   blk.sync();
   tree_sum(blk, sh);
   blk.threads([&](int t) {
      if (t != 0)
         return;
      const double sum_dy = sh.a[0], sum_dy_xhat = sh.b[0];
      p.sums[f] = sum_dy;
      p.sums[F + f] = sum_dy_xhat;
      p.grad_slice[f] = static_cast<float>(sum_dy_xhat);
      p.grad_slice[F + f] = static_cast<float>(sum_dy);
      p.grad_slice[2 * F + f] = 0.0f;
      p.grad_slice[3 * F + f] = 0.0f;
   });
   blk.sync();
}

// ---------------------------------------------------------------- elementwise bodies (one value k each)

/// xhat[k] and y[k] from the feature's moments (after statistics_block).
struct Normalize {
   Geometry g;
   const float *slice, *x;
   const double *moments;
   float *xhat, *y;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t k) const
   {
      const std::int64_t f = g.feature_of(k), F = g.features;
      const float xh = batch_norm_math::normalized(x[k], moments[f], moments[F + f]);
      xhat[k] = xh;
      y[k] = batch_norm_math::scale_shift(slice[f], xh, slice[F + f]);
   }
};

/// dx[k] from the feature's sums (after gradient_sums_block); dx may be dy.
struct InputGradient {
   Geometry g;
   const float *slice, *stats, *dy, *xhat;
   const double *sums;
   float *dx;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t k) const
   {
      const std::int64_t f = g.feature_of(k), F = g.features;
      const double scale = batch_norm_math::input_gradient_scale(slice[f], stats[F + f], g.m());
      dx[k] = batch_norm_math::input_gradient(scale, g.m(), dy[k], xhat[k], sums[f], sums[F + f]);
   }
};

/// Inference: event_conv.h's batch_norm_value with the running statistics (the host's formula, in float).
struct Infer {
   Geometry g;
   float epsilon;
   const float *slice, *x;
   float *y;
   HASHEDNET_HOST_DEVICE void operator()(std::int64_t k) const
   {
      const std::int64_t f = g.feature_of(k), F = g.features;
      y[k] = event::batch_norm_value(x[k], slice[f], slice[F + f], slice[2 * F + f], slice[3 * F + f], epsilon);
   }
};

} // namespace batch_norm
} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_BATCH_NORM_PHASES_CUH
