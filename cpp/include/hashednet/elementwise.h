// elementwise.h: the per-element arithmetic of the coarse operations, written
// once for host and device.
//
// What it is: each function here is what one element (or one event's row) of
// a coarse Backend operation computes: the input transform, the dropout
// factor of the counter-based mask (rng.h), one SGD and one Adam update
// (optimizer.h's formulas), one event's loss and d_logits (loss.h's formulas)
// and one row's output transform. The host code (host_optimizers.cpp,
// loss.cpp) and the CUDA kernels (cpp/cuda/backend_kernels.cu) call the same
// functions, so the CPU backend is the GPU kernels' reference, and the tests
// run these functions on the host (tests/test_gpu_emulation.py).
//
// Floating point: the expressions are written in the order the CPU has
// always evaluated them; the CUDA library is compiled with -fmad=false, so
// the float updates (transform, dropout, SGD, Adam) give the same bits on a
// device. The loss uses double exp/log: a device's differ from glibc's in the
// last bit at most.
//
// What it is not: the loops over elements (each backend's), the reductions
// (the loss's sum over events), or the activations (activation.h).
#ifndef HASHEDNET_ELEMENTWISE_H
#define HASHEDNET_ELEMENTWISE_H

#include "hashednet/common.h"
#include "hashednet/config.h"
#include "hashednet/rng.h"

#include <cmath>
#include <cstdint>

namespace hashednet {
namespace elementwise {

/// (x - offset) * scale: one transformed input.
HASHEDNET_HOST_DEVICE inline float transform_input(float x, float offset, float scale)
{
   return (x - offset) * scale;
}

/// The constants of one dropout mask of probability p.
struct DropoutMask {
   double threshold; ///< element e is dropped when (splitmix64_at(seed, e) >> 11) < threshold, i.e. uniform() < p
   float kept;       ///< the factor of a kept element, 1 / (1 - p)
};

inline DropoutMask dropout_mask(double p)
{
   return {p * 0x1.0p53, static_cast<float>(1.0 / (1.0 - p))};
}

/// keep[e] of the mask of `seed`: 0 (dropped) or mask.kept (activation_array.inc's dropout, bit for bit).
HASHEDNET_HOST_DEVICE inline float dropout_factor(std::uint64_t seed, std::uint64_t e, DropoutMask mask)
{
   const auto bits = static_cast<std::int64_t>(splitmix64_at(seed, e) >> 11);
   return static_cast<double>(bits) < mask.threshold ? 0.0f : mask.kept;
}

/// SGD with momentum on one parameter: velocity = mu v + g + wd p; p -= lr velocity.
struct SgdStep {
   float lr, mu, wd;
};

HASHEDNET_HOST_DEVICE inline void sgd_update(SgdStep s, float g, float &p, float &velocity)
{
   velocity = s.mu * velocity + g + s.wd * p;
   p -= s.lr * velocity;
}

/// Adam on one parameter, with the bias correction folded into step_size and eps (adam_step).
struct AdamStep {
   float step_size, b1, b2, eps, wd;
};

/// The constants of Adam's update number `step` (from 1).
inline AdamStep adam_step(double learning_rate, double weight_decay, std::int64_t step)
{
   constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-7;
   const double correction1 = 1.0 - std::pow(kBeta1, static_cast<double>(step));
   const double correction2 = 1.0 - std::pow(kBeta2, static_cast<double>(step));
   return {static_cast<float>(learning_rate * std::sqrt(correction2) / correction1), static_cast<float>(kBeta1),
           static_cast<float>(kBeta2), static_cast<float>(kEpsilon * std::sqrt(correction2)),
           static_cast<float>(weight_decay)};
}

HASHEDNET_HOST_DEVICE inline void adam_update(AdamStep s, float g, float &p, float &m, float &v)
{
   const float ge = g + s.wd * p;
   m = s.b1 * m + (1.0f - s.b1) * ge;
   v = s.b2 * v + (1.0f - s.b2) * ge * ge;
   p -= s.step_size * m / (sqrtf(v) + s.eps);
}

/// Sigmoid cross-entropy log(1 + e^z) - y z of one logit; *dz = sigmoid(z) - y when dz is not null.
HASHEDNET_HOST_DEVICE inline double sigmoid_cross_entropy(float z, float y, float *dz)
{
   const double zd = z;
   if (dz)
      *dz = static_cast<float>(1.0 / (1.0 + exp(-zd)) - y);
   // log(1 + e^z) - y z, stable for large |z|
   return (zd < 0.0 ? 0.0 : zd) + log1p(exp(-fabs(zd))) - y * zd;
}

/// Softmax cross-entropy logsumexp(z) - z[label] of one row of n logits; dz (n, or null) = softmax(z) - onehot.
HASHEDNET_HOST_DEVICE inline double softmax_cross_entropy(const float *z, float label, std::int64_t n, float *dz)
{
   const auto target = static_cast<std::int64_t>(label);
   float top_f = z[0];
   for (std::int64_t k = 1; k < n; ++k)
      top_f = z[k] > top_f ? z[k] : top_f;
   const double top = top_f;
   double sum = 0.0;
   for (std::int64_t k = 0; k < n; ++k)
      sum += exp(z[k] - top);
   if (dz)
      for (std::int64_t k = 0; k < n; ++k)
         dz[k] = static_cast<float>(exp(z[k] - top) / sum - (k == target ? 1.0 : 0.0));
   return log(sum) + top - z[target];
}

/// Half the squared error of one row of n outputs against n targets; dz (or null) = z - y.
HASHEDNET_HOST_DEVICE inline double squared_error(const float *z, const float *y, std::int64_t n, float *dz)
{
   double loss = 0.0;
   for (std::int64_t k = 0; k < n; ++k) {
      const double diff = static_cast<double>(z[k]) - y[k];
      if (dz)
         dz[k] = static_cast<float>(diff);
      loss += 0.5 * diff * diff;
   }
   return loss;
}

/// One event's weighted loss w l (not normalised); dz (n_outputs, or null) = w / norm * dl/dz.
/// y points at the event's targets (1 value, or n_outputs for regression).
HASHEDNET_HOST_DEVICE inline double event_loss(Task task, const float *z, const float *y, double w,
                                              std::int64_t n_outputs, double norm, float *dz)
{
   double loss = 0.0;
   switch (task) {
   case Task::Classification: loss = sigmoid_cross_entropy(z[0], y[0], dz); break;
   case Task::Multiclass: loss = softmax_cross_entropy(z, y[0], n_outputs, dz); break;
   case Task::Regression: loss = squared_error(z, y, n_outputs, dz); break;
   }
   if (dz)
      for (std::int64_t k = 0; k < n_outputs; ++k)
         dz[k] = static_cast<float>(dz[k] * w / norm);
   return w * loss;
}

/// The response of one logit of a two-class network: sigmoid, in float.
HASHEDNET_HOST_DEVICE inline float sigmoid_response(float z)
{
   return 1.0f / (1.0f + expf(-z));
}

/// Softmax of one row of n logits, in place, in float.
HASHEDNET_HOST_DEVICE inline void softmax_row(float *row, std::int64_t n)
{
   float top = row[0];
   for (std::int64_t k = 1; k < n; ++k)
      top = row[k] > top ? row[k] : top;
   float sum = 0.0f;
   for (std::int64_t k = 0; k < n; ++k)
      sum += (row[k] = expf(row[k] - top));
   for (std::int64_t k = 0; k < n; ++k)
      row[k] /= sum;
}

} // namespace elementwise
} // namespace hashednet

#endif // HASHEDNET_ELEMENTWISE_H
