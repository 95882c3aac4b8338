// batch_norm_kernels.h: launchers of the CUDA backend's BNORM kernels (batch_norm_kernels.cu),
// backend.h's batch_norm_train / batch_norm_infer / batch_norm_backward on device memory.
//
// What it is: one host function per operation, enqueuing on `stream`: per
// feature one block that sums the feature's values in double in a fixed
// order (batch_norm_phases.cuh says which, and how it differs from the
// host's), then one thread per value for xhat, y and dx (batch_norm_math.h,
// the host's formulas). Inference is one thread per value, event_conv.h's
// batch_norm_value: the host's bits. `work` is device memory of 2 x features
// doubles (the moments or the gradient sums, kept in double between the two
// kernels of a pass); nothing here allocates or synchronises.
//
// What it is not: the layer (batch_norm.h) or the backend (cuda_backend.*).
#ifndef HASHEDNET_CUDA_BATCH_NORM_KERNELS_H
#define HASHEDNET_CUDA_BATCH_NORM_KERNELS_H

#include "hashednet/batch_norm_math.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hashednet {
namespace cuda {

/// backend.h's batch_norm_train: y, xhat (batch x values), stats and running (2 x features each).
void batch_norm_train(const batch_norm_math::Geometry &g, double momentum, double epsilon,
                      std::uint64_t trained_batches, const float *slice, const float *x, float *y, float *xhat,
                      float *stats, float *running, double *work, cudaStream_t stream);

/// backend.h's batch_norm_infer: y (batch x values) with the running statistics.
void batch_norm_infer(const batch_norm_math::Geometry &g, float epsilon, const float *slice, const float *x,
                      float *y, cudaStream_t stream);

/// backend.h's batch_norm_backward: dx (when not null; it may be dy) and grad_slice (4 x features).
void batch_norm_backward(const batch_norm_math::Geometry &g, const float *slice, const float *xhat,
                         const float *stats, const float *dy, float *dx, float *grad_slice, double *work,
                         cudaStream_t stream);

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_BATCH_NORM_KERNELS_H
