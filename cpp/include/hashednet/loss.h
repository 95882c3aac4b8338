// loss.h: the loss of each task, on logits, with event weights.
//
//   Classification  sigmoid cross-entropy  l = log(1 + e^z) - y z,  y in {0, 1}
//   Multiclass      softmax cross-entropy  l = logsumexp(z) - z[y], y a class index
//   Regression      squared error          l = 1/2 sum_k (z_k - y_k)^2
//
// The batch loss is sum_b w_b l_b / weight_norm(...); d_logits is its gradient.
// Targets are n x 1 (class label or index) or n x n_targets (regression).
// These are the host implementations: the host backends call them, and a
// device backend must reproduce them (Backend::loss, Backend::output_transform).
#ifndef HASHEDNET_LOSS_H
#define HASHEDNET_LOSS_H

#include "hashednet/config.h"

#include <cstdint>

namespace hashednet {

/// What a weighted sum of losses is divided by: the sum of the event weights,
/// or the number of events when that sum is not positive (negative weights).
inline double weight_norm(double weight_sum, std::int64_t n_events)
{
   return weight_sum > 0.0 ? weight_sum : static_cast<double>(n_events);
}

/// Returns sum_b w_b l_b (not normalised) and, when d_logits is not null,
/// writes w_b / norm * dl_b/dz.
double loss_and_gradient(Task task, const float *logits, const float *targets, const float *weights,
                         std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits);

/// The task's response from logits, in place (n x n_outputs): sigmoid
/// (Classification), softmax (Multiclass) or identity (Regression).
void apply_output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs);

} // namespace hashednet

#endif // HASHEDNET_LOSS_H
