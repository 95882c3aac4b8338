// grid_stride.cuh: the launch shape of the CUDA backend's elementwise kernels (backend_kernels.cu,
// image_kernels.cu): 256-thread blocks, at most 4096 of them, each kernel a grid-stride loop over
// int64 indices.
//
// What it is not: the hashed products' launch shapes (gemm_phases.cuh, product_drivers.cuh).
#ifndef HASHEDNET_CUDA_GRID_STRIDE_CUH
#define HASHEDNET_CUDA_GRID_STRIDE_CUH

#include <algorithm>
#include <cstdint>

namespace hashednet {
namespace cuda {
namespace grid {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096; ///< enough to fill any current GPU; the loops stride past it

/// Blocks for n elements (at least 1).
inline unsigned blocks_for(std::int64_t n)
{
   return static_cast<unsigned>(std::max<std::int64_t>(1, std::min(kMaxBlocks, (n + kThreads - 1) / kThreads)));
}

__device__ inline std::int64_t first_index()
{
   return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ inline std::int64_t grid_stride()
{
   return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

} // namespace grid
} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_GRID_STRIDE_CUH
