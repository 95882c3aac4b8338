// batch_norm_kernels.cu: see batch_norm_kernels.h.
//
// The block programs and bodies are batch_norm_phases.cuh's (the CPU
// emulation runs the same functions); compiled with -fmad=false like
// backend_kernels.cu, so every multiply and add rounds as the host's do.
#include "batch_norm_kernels.h"

#include "batch_norm_phases.cuh"
#include "cuda_check.h"
#include "grid_stride.cuh"

#include <algorithm>

namespace hashednet {
namespace cuda {

namespace {
using grid::blocks_for;
using grid::first_index;
using grid::grid_stride;

/// The executor of a block program: this thread, __syncthreads.
struct CudaThreads {
   template <class F>
   __device__ void threads(F f)
   {
      f(static_cast<int>(threadIdx.x));
   }
   __device__ void sync() { __syncthreads(); }
};

static_assert(batch_norm::kThreads == grid::kThreads, "one launch shape for every BNORM kernel");

/// Blocks of the per-feature kernels: one per feature, at most 65536 (the kernels loop over the rest).
unsigned feature_blocks(std::int64_t features)
{
   return static_cast<unsigned>(std::min<std::int64_t>(features, 65536));
}

__global__ void __launch_bounds__(batch_norm::kThreads) statistics_kernel(const batch_norm::StatisticsProblem p)
{
   __shared__ batch_norm::Shared shared;
   CudaThreads block;
   for (std::int64_t f = blockIdx.x; f < p.g.features; f += gridDim.x)
      batch_norm::statistics_block(block, p, shared, f);
}

__global__ void __launch_bounds__(batch_norm::kThreads) gradient_sums_kernel(const batch_norm::GradientSumsProblem p)
{
   __shared__ batch_norm::Shared shared;
   CudaThreads block;
   for (std::int64_t f = blockIdx.x; f < p.g.features; f += gridDim.x)
      batch_norm::gradient_sums_block(block, p, shared, f);
}

/// 4 blocks of 256 threads per SM (at most 64 registers), as the other elementwise kernels.
template <class Body>
__global__ void __launch_bounds__(grid::kThreads, 4) values_kernel(const Body body, std::int64_t n)
{
   for (std::int64_t k = first_index(); k < n; k += grid_stride())
      body(k);
}

template <class Body>
void for_each_value(const Body &body, std::int64_t n, cudaStream_t stream, const char *what)
{
   values_kernel<<<blocks_for(n), grid::kThreads, 0, stream>>>(body, n);
   HASHEDNET_CUDA_CHECK_LAUNCH(what);
}
} // namespace

void batch_norm_train(const batch_norm_math::Geometry &g, double momentum, double epsilon,
                      std::uint64_t trained_batches, const float *slice, const float *x, float *y, float *xhat,
                      float *stats, float *running, double *work, cudaStream_t stream)
{
   if (g.features == 0 || g.m() == 0)
      return;
   const batch_norm::StatisticsProblem p{g, slice, x, momentum, epsilon, trained_batches, work, stats, running};
   statistics_kernel<<<feature_blocks(g.features), batch_norm::kThreads, 0, stream>>>(p);
   HASHEDNET_CUDA_CHECK_LAUNCH("batch_norm statistics_kernel");
   for_each_value(batch_norm::Normalize{g, slice, x, work, xhat, y}, g.batch * g.n_values(), stream,
                  "batch_norm normalize kernel");
}

void batch_norm_infer(const batch_norm_math::Geometry &g, float epsilon, const float *slice, const float *x,
                      float *y, cudaStream_t stream)
{
   const std::int64_t n = g.batch * g.n_values();
   if (n == 0)
      return;
   for_each_value(batch_norm::Infer{g, epsilon, slice, x, y}, n, stream, "batch_norm inference kernel");
}

void batch_norm_backward(const batch_norm_math::Geometry &g, const float *slice, const float *xhat,
                         const float *stats, const float *dy, float *dx, float *grad_slice, double *work,
                         cudaStream_t stream)
{
   if (g.features == 0 || g.m() == 0)
      return;
   const batch_norm::GradientSumsProblem p{g, dy, xhat, work, grad_slice};
   gradient_sums_kernel<<<feature_blocks(g.features), batch_norm::kThreads, 0, stream>>>(p);
   HASHEDNET_CUDA_CHECK_LAUNCH("batch_norm gradient_sums_kernel");
   if (dx)
      for_each_value(batch_norm::InputGradient{g, slice, stats, dy, xhat, work, dx}, g.batch * g.n_values(), stream,
                     "batch_norm input-gradient kernel");
}

} // namespace cuda
} // namespace hashednet
