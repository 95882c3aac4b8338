// batch_norm_math.h: BNORM's arithmetic per value and per feature, for host and device.
//
// What it is: the one definition of what the training kernels compute from
// a feature's statistics (host_batch_norm.cpp, and the CUDA backend's
// cpp/cuda/batch_norm_kernels.cu): where value s of feature f sits in the
// batch, xhat, y, 1 / sqrt(var + epsilon), dx, and TMVA's running
// statistics, as HOST_DEVICE functions. Each is written in the order the
// host loops have always used, in double where they were (so the host's
// bits are unchanged); the device compiles them with -fmad=false.
//
// What it is not: the sums over a feature (the host takes them in event
// order then position order on one thread; the device in a fixed tree over
// a block, cpp/cuda/batch_norm_phases.cuh), the layer (batch_norm.h), or the
// inference formula (event_conv.h's batch_norm_value, in float).
#ifndef HASHEDNET_BATCH_NORM_MATH_H
#define HASHEDNET_BATCH_NORM_MATH_H

#include "hashednet/common.h"

#include <cmath>
#include <cstdint>

namespace hashednet {
namespace batch_norm_math {

/// A BNORM layer's batch as the kernels index it: batch x (features x spatial) values, row-major.
struct Geometry {
   std::int64_t features = 0;
   std::int64_t spatial = 1; ///< values of a feature per event
   std::int64_t batch = 0;

   HASHEDNET_HOST_DEVICE std::int64_t n_values() const { return features * spatial; } ///< per event
   HASHEDNET_HOST_DEVICE std::int64_t m() const { return batch * spatial; }           ///< values per feature
   /// Index of value s (of m) of feature f: event s / spatial, position s % spatial.
   HASHEDNET_HOST_DEVICE std::int64_t at(std::int64_t f, std::int64_t s) const
   {
      return (s / spatial) * n_values() + f * spatial + s % spatial;
   }
   /// The feature of value k of the batch.
   HASHEDNET_HOST_DEVICE std::int64_t feature_of(std::int64_t k) const { return k % n_values() / spatial; }
};

/// 1 / sqrt(var + epsilon), in double.
HASHEDNET_HOST_DEVICE inline double inverse_std(double variance, double epsilon)
{
   return 1.0 / std::sqrt(variance + epsilon);
}

/// xhat = (x - mean) * inverse_std, in double, rounded to float.
HASHEDNET_HOST_DEVICE inline float normalized(float x, double mean, double inverse_std)
{
   return static_cast<float>((x - mean) * inverse_std);
}

/// y = gamma xhat + beta, in float.
HASHEDNET_HOST_DEVICE inline float scale_shift(float gamma, float xhat, float beta)
{
   return gamma * xhat + beta;
}

/// gamma / sqrt(var + epsilon) / m of the input gradient (inverse_std as the context keeps it, in float).
HASHEDNET_HOST_DEVICE inline double input_gradient_scale(float gamma, float inverse_std, std::int64_t m)
{
   return static_cast<double>(gamma) * inverse_std / static_cast<double>(m);
}

/// dx = scale (m dy - sum dy - xhat sum(dy xhat)), in double, rounded to float.
HASHEDNET_HOST_DEVICE inline float input_gradient(double scale, std::int64_t m, float dy, float xhat, double sum_dy,
                                                  double sum_dy_xhat)
{
   return static_cast<float>(scale * (static_cast<double>(m) * dy - sum_dy - xhat * sum_dy_xhat));
}

/// TMVA's running statistic after a training batch (batch_norm.h's running_update says the rule).
HASHEDNET_HOST_DEVICE inline double running_update(double running, double batch, double momentum,
                                                   std::uint64_t trained_batches)
{
   if (trained_batches == 0)
      return batch;
   const double t = static_cast<double>(trained_batches);
   const double decay = momentum >= 0.0 ? momentum : t / (t + 1.0);
   return decay * running + (1.0 - decay) * batch;
}

/// TMVA's running variance: the batch variance times m / (m - 1 + epsilon).
HASHEDNET_HOST_DEVICE inline double unbiased_variance(double biased, std::int64_t m, double epsilon)
{
   return biased * static_cast<double>(m) / (static_cast<double>(m - 1) + epsilon);
}

} // namespace batch_norm_math
} // namespace hashednet

#endif // HASHEDNET_BATCH_NORM_MATH_H
