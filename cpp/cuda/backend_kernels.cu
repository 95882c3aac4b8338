// backend_kernels.cu: the CUDA backend's coarse kernels (see backend_kernels.h).
//
// Every kernel is a grid-stride loop over int64 element indices calling
// the one host/device function of its element (elementwise.h,
// activation.h); compiled with -fmad=false so that the float arithmetic is
// the CPU's, bit for bit (the loss's double exp/log aside).
#include "backend_kernels.h"

#include "cuda_check.h"
#include "grid_stride.cuh"

#include "hashednet/activation.h"

namespace hashednet {
namespace cuda {

namespace {
using grid::blocks_for;
using grid::first_index;
using grid::grid_stride;
using grid::kThreads;

__global__ void transform_rows_kernel(const float *x, std::int64_t n_rows, std::int64_t n, const float *offset,
                                      const float *scale, float *out)
{
   for (std::int64_t e = first_index(); e < n_rows * n; e += grid_stride()) {
      const std::int64_t j = e % n;
      out[e] = elementwise::transform_input(x[e], offset[j], scale[j]);
   }
}

__global__ void gather_rows_kernel(const float *src, const std::int64_t *index, std::int64_t n_rows,
                                   std::int64_t width, const float *offset, const float *scale, float *out)
{
   for (std::int64_t e = first_index(); e < n_rows * width; e += grid_stride()) {
      const std::int64_t b = e / width, j = e % width;
      const float value = src[index[b] * width + j];
      out[e] = offset ? elementwise::transform_input(value, offset[j], scale[j]) : value;
   }
}

__global__ void fill_kernel(float *out, std::int64_t n, float value)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      out[e] = value;
}

__global__ void activation_forward_kernel(Activation f, const float *z, float *a, std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      a[e] = activate(f, z[e]);
}

__global__ void activation_backward_kernel(Activation f, const float *z, const float *a, const float *da, float *dz,
                                           std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      dz[e] = da[e] * activation_derivative(f, z[e], a[e]);
}

__global__ void dropout_kernel(const float *x, float *y, float *keep, std::int64_t n, elementwise::DropoutMask mask,
                               std::uint64_t seed)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride()) {
      keep[e] = elementwise::dropout_factor(seed, static_cast<std::uint64_t>(e), mask);
      y[e] = x[e] * keep[e];
   }
}

__global__ void multiply_kernel(float *x, const float *factor, std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      x[e] *= factor[e];
}

/// One block: thread t sums events t, t + kThreads, ... in order, then a fixed tree adds the partial sums.
__global__ void loss_kernel(Task task, const float *logits, const float *targets, const float *weights,
                            std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits, double *result)
{
   __shared__ double partial[kThreads];
   const std::int64_t target_width = task == Task::Regression ? n_outputs : 1;
   double sum = 0.0;
   for (std::int64_t b = threadIdx.x; b < batch; b += kThreads) {
      const double w = weights ? weights[b] : 1.0;
      sum += elementwise::event_loss(task, logits + b * n_outputs, targets + b * target_width, w, n_outputs, norm,
                                     d_logits ? d_logits + b * n_outputs : nullptr);
   }
   partial[threadIdx.x] = sum;
   __syncthreads();
   for (int half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half)
         partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
   }
   if (threadIdx.x == 0)
      *result = partial[0];
}

__global__ void sigmoid_kernel(float *logits, std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      logits[e] = elementwise::sigmoid_response(logits[e]);
}

__global__ void softmax_kernel(float *logits, std::int64_t n, std::int64_t n_outputs)
{
   for (std::int64_t b = first_index(); b < n; b += grid_stride())
      elementwise::softmax_row(logits + b * n_outputs, n_outputs);
}

__global__ void sgd_kernel(elementwise::SgdStep step, const float *grad, float *params, float *velocity,
                           std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      elementwise::sgd_update(step, grad[e], params[e], velocity[e]);
}

__global__ void adam_kernel(elementwise::AdamStep step, const float *grad, float *params, float *m, float *v,
                            std::int64_t n)
{
   for (std::int64_t e = first_index(); e < n; e += grid_stride())
      elementwise::adam_update(step, grad[e], params[e], m[e], v[e]);
}
} // namespace

void transform_rows(const float *x, std::int64_t n_rows, std::int64_t n, const float *offset, const float *scale,
                    float *out, cudaStream_t stream)
{
   if (n_rows * n == 0)
      return;
   transform_rows_kernel<<<blocks_for(n_rows * n), kThreads, 0, stream>>>(x, n_rows, n, offset, scale, out);
   HASHEDNET_CUDA_CHECK_LAUNCH("transform_rows_kernel");
}

void gather_rows(const float *src, const std::int64_t *index, std::int64_t n_rows, std::int64_t width,
                 const float *offset, const float *scale, float *out, cudaStream_t stream)
{
   if (n_rows * width == 0)
      return;
   gather_rows_kernel<<<blocks_for(n_rows * width), kThreads, 0, stream>>>(src, index, n_rows, width, offset, scale,
                                                                             out);
   HASHEDNET_CUDA_CHECK_LAUNCH("gather_rows_kernel");
}

void fill(float *out, std::int64_t n, float value, cudaStream_t stream)
{
   if (n == 0)
      return;
   fill_kernel<<<blocks_for(n), kThreads, 0, stream>>>(out, n, value);
   HASHEDNET_CUDA_CHECK_LAUNCH("fill_kernel");
}

void activation_forward(Activation f, const float *z, float *a, std::int64_t n, cudaStream_t stream)
{
   if (n == 0)
      return;
   activation_forward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(f, z, a, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("activation_forward_kernel");
}

void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz, std::int64_t n,
                         cudaStream_t stream)
{
   if (n == 0)
      return;
   activation_backward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(f, z, a, da, dz, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("activation_backward_kernel");
}

void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, elementwise::DropoutMask mask,
                     std::uint64_t seed, cudaStream_t stream)
{
   if (n == 0)
      return;
   dropout_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, y, keep, n, mask, seed);
   HASHEDNET_CUDA_CHECK_LAUNCH("dropout_kernel");
}

void multiply(float *x, const float *factor, std::int64_t n, cudaStream_t stream)
{
   if (n == 0)
      return;
   multiply_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, factor, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("multiply_kernel");
}

double loss_sum(Task task, const float *logits, const float *targets, const float *weights, std::int64_t batch,
                std::int64_t n_outputs, double norm, float *d_logits, double *result, double *host_result,
                cudaStream_t stream)
{
   if (batch == 0)
      return 0.0;
   loss_kernel<<<1, kThreads, 0, stream>>>(task, logits, targets, weights, batch, n_outputs, norm, d_logits, result);
   HASHEDNET_CUDA_CHECK_LAUNCH("loss_kernel");
   HASHEDNET_CUDA_CHECK(cudaMemcpyAsync(host_result, result, sizeof(double), cudaMemcpyDeviceToHost, stream));
   HASHEDNET_CUDA_CHECK(cudaStreamSynchronize(stream));
   return *host_result;
}

void output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs, cudaStream_t stream)
{
   if (task == Task::Regression || n * n_outputs == 0)
      return;
   if (task == Task::Classification)
      sigmoid_kernel<<<blocks_for(n * n_outputs), kThreads, 0, stream>>>(logits, n * n_outputs);
   else
      softmax_kernel<<<blocks_for(n), kThreads, 0, stream>>>(logits, n, n_outputs);
   HASHEDNET_CUDA_CHECK_LAUNCH("output_transform");
}

void sgd_step(elementwise::SgdStep step, const float *grad, float *params, float *velocity, std::int64_t n,
              cudaStream_t stream)
{
   if (n == 0)
      return;
   sgd_kernel<<<blocks_for(n), kThreads, 0, stream>>>(step, grad, params, velocity, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("sgd_kernel");
}

void adam_step(elementwise::AdamStep step, const float *grad, float *params, float *m, float *v, std::int64_t n,
               cudaStream_t stream)
{
   if (n == 0)
      return;
   adam_kernel<<<blocks_for(n), kThreads, 0, stream>>>(step, grad, params, m, v, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("adam_kernel");
}

} // namespace cuda
} // namespace hashednet
