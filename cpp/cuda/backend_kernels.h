// backend_kernels.h: launchers of the CUDA backend's coarse kernels
// (backend_kernels.cu): everything a network needs on the device besides
// the hashed products (hashed_product.h) and the optimizers (cuda_optimizers.cu).
//
// What it is: one host function per operation, enqueuing a grid-stride
// kernel on `stream` with int64 indices; each element computes what the
// shared host/device headers say (elementwise.h, activation.h), so the CPU
// backend is the reference. Nothing here synchronises or allocates, except
// loss_sum, which returns the loss to the host (one 8-byte copy and a stream
// synchronisation per call).
//
// What it is not: device memory management (cuda_backend.cu).
#ifndef HASHEDNET_CUDA_BACKEND_KERNELS_H
#define HASHEDNET_CUDA_BACKEND_KERNELS_H

#include "hashednet/config.h"
#include "hashednet/elementwise.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hashednet {
namespace cuda {

/// out[b][j] = (x[b][j] - offset[j]) * scale[j] for rows b < n_rows of width n (all device memory).
void transform_rows(const float *x, std::int64_t n_rows, std::int64_t n, const float *offset, const float *scale,
                    float *out, cudaStream_t stream);

/// out[b][j] = (src[index[b]][j] - offset[j]) * scale[j]; offset/scale null: a plain gather of rows.
void gather_rows(const float *src, const std::int64_t *index, std::int64_t n_rows, std::int64_t width,
                 const float *offset, const float *scale, float *out, cudaStream_t stream);

/// out[0, n) = value.
void fill(float *out, std::int64_t n, float value, cudaStream_t stream);

void activation_forward(Activation f, const float *z, float *a, std::int64_t n, cudaStream_t stream);
void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz, std::int64_t n,
                         cudaStream_t stream);

/// keep[e] = elementwise::dropout_factor(seed, e, mask); y[e] = x[e] * keep[e] (y may be x).
void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, elementwise::DropoutMask mask,
                     std::uint64_t seed, cudaStream_t stream);

/// x[e] *= factor[e].
void multiply(float *x, const float *factor, std::int64_t n, cudaStream_t stream);

/// sum_b w_b l_b over the batch (weights null: 1), with d_logits (or null) as
/// elementwise::event_loss writes them; the sum is in a fixed order (one
/// block, a fixed tree), so it is the same on every run. `result` is a
/// device double, `host_result` a pinned one.
double loss_sum(Task task, const float *logits, const float *targets, const float *weights, std::int64_t batch,
                std::int64_t n_outputs, double norm, float *d_logits, double *result, double *host_result,
                cudaStream_t stream);

/// The task's response in place: sigmoid per logit, softmax per row, or nothing.
void output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs, cudaStream_t stream);

/// One SGD / Adam update of n parameters (elementwise.h).
void sgd_step(elementwise::SgdStep step, const float *grad, float *params, float *velocity, std::int64_t n,
              cudaStream_t stream);
void adam_step(elementwise::AdamStep step, const float *grad, float *params, float *m, float *v, std::int64_t n,
               cudaStream_t stream);

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_BACKEND_KERNELS_H
