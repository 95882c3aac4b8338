// image_kernels.cu: see image_kernels.h.
//
// Every kernel is a grid-stride loop over its output values, each computed
// by its image_gather.h function (the host tests run the same functions
// against the CPU backend); compiled with -fmad=false like backend_kernels.cu
// (the sums are plain additions, so FMA could not change them anyway).
#include "image_kernels.h"

#include "cuda_check.h"
#include "grid_stride.cuh"

#include "hashednet/image_gather.h"

namespace hashednet {
namespace cuda {

namespace {
using grid::blocks_for;
using grid::first_index;
using grid::grid_stride;
using grid::kThreads;

/// 4 blocks of 256 threads per SM (at most 64 registers): these loops are memory-bound and need
/// occupancy. Without it nvcc gives col2im 96 registers on sm_100 and newer (its loops unrolled).
constexpr int kMinBlocks = 4;

__global__ void __launch_bounds__(kThreads, kMinBlocks)
im2col_kernel(ImageWindow window, const float *x, std::int64_t n, float *cols)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride())
      cols[i] = image_gather::im2col_value(window, x, i);
}

__global__ void __launch_bounds__(kThreads, kMinBlocks)
col2im_kernel(ImageWindow window, const float *cols, std::int64_t n, float *dx)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride())
      dx[i] = image_gather::col2im_value(window, cols, i);
}

__global__ void __launch_bounds__(kThreads, kMinBlocks)
transpose_blocks_kernel(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride())
      out[i] = image_gather::transpose_value(in, rows, cols, i);
}

__global__ void __launch_bounds__(kThreads, kMinBlocks)
accumulate_kernel(const float *x, float *y, std::int64_t n)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride())
      y[i] += x[i];
}

__global__ void __launch_bounds__(kThreads, kMinBlocks)
max_pool_forward_kernel(ImageWindow window, const float *x, std::int64_t n, float *y, float *argmax)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride()) {
      std::int64_t best = 0;
      y[i] = image_gather::max_pool_value(window, x, i, best);
      argmax[i] = static_cast<float>(best);
   }
}

__global__ void __launch_bounds__(kThreads, kMinBlocks)
max_pool_backward_kernel(ImageWindow window, const float *dy, const float *argmax, std::int64_t n, float *dx)
{
   for (std::int64_t i = first_index(); i < n; i += grid_stride())
      dx[i] = image_gather::max_pool_grad_value(window, dy, argmax, i);
}
} // namespace

void im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols, cudaStream_t stream)
{
   const std::int64_t n = n_images * window.positions() * window.patch();
   if (n == 0)
      return;
   im2col_kernel<<<blocks_for(n), kThreads, 0, stream>>>(window, x, n, cols);
   HASHEDNET_CUDA_CHECK_LAUNCH("im2col_kernel");
}

void col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx, cudaStream_t stream)
{
   const std::int64_t n = n_images * window.image_size();
   if (n == 0)
      return;
   col2im_kernel<<<blocks_for(n), kThreads, 0, stream>>>(window, cols, n, dx);
   HASHEDNET_CUDA_CHECK_LAUNCH("col2im_kernel");
}

void transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out,
                      cudaStream_t stream)
{
   const std::int64_t total = n * rows * cols;
   if (total == 0)
      return;
   transpose_blocks_kernel<<<blocks_for(total), kThreads, 0, stream>>>(in, total, rows, cols, out);
   HASHEDNET_CUDA_CHECK_LAUNCH("transpose_blocks_kernel");
}

void accumulate(const float *x, float *y, std::int64_t n, cudaStream_t stream)
{
   if (n == 0)
      return;
   accumulate_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, y, n);
   HASHEDNET_CUDA_CHECK_LAUNCH("accumulate_kernel");
}

void max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y, float *argmax,
                      cudaStream_t stream)
{
   const std::int64_t n = batch * window.depth * window.positions();
   if (n == 0)
      return;
   max_pool_forward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(window, x, n, y, argmax);
   HASHEDNET_CUDA_CHECK_LAUNCH("max_pool_forward_kernel");
}

void max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax, std::int64_t batch,
                       float *dx, cudaStream_t stream)
{
   const std::int64_t n = batch * window.image_size();
   if (n == 0)
      return;
   max_pool_backward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(window, dy, argmax, n, dx);
   HASHEDNET_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

} // namespace cuda
} // namespace hashednet
