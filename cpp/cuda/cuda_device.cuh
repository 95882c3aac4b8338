// cuda_device.cuh: the Device of product_drivers.cuh on a CUDA stream and a
// cuBLAS handle, and the thin __global__ wrappers it launches (internal to
// libhashednet_cuda.so; included by hashed_product.cu and whole_matrix.cu, so
// each instantiates the kernels it uses).
//
// What it is not: the block programs (gemm_phases.cuh), the drivers
// (product_drivers.cuh, whole_matrix.cuh) or the public API (hashed_product.h).
#ifndef HASHEDNET_CUDA_CUDA_DEVICE_CUH
#define HASHEDNET_CUDA_CUDA_DEVICE_CUH

#include "cublas_calls.h"
#include "gemm_phases.cuh"
#include "hashed_product.h"

#include "hashednet/common.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace hashednet {
namespace cuda {

/// An Error naming the problem unless the layer's shape, offset and hash
/// fit the kernels (hashed_product.cu; every entry point calls it).
void check_layer(const ProductLayer &layer);

namespace {

void check_cuda(cudaError_t status, const char *what)
{
   HASHEDNET_CHECK(status == cudaSuccess, "CUDA error in " << what << ": " << cudaGetErrorName(status) << " ("
                                                           << cudaGetErrorString(status) << ")");
}

/// The executor of a block program on the GPU: this thread, its registers, __syncthreads.
class CudaBlock {
public:
   __device__ std::int64_t tile_m() const { return blockIdx.y; }
   __device__ std::int64_t tile_n() const { return blockIdx.x; }
   template <class F>
   __device__ void threads(F f)
   {
      f(static_cast<int>(threadIdx.x));
   }
   __device__ void sync() { __syncthreads(); }
   __device__ ThreadAcc &acc(int) { return acc_; }

private:
   ThreadAcc acc_;
};

template <class Problem>
__global__ void __launch_bounds__(kThreads) fused_gemm_kernel(const Problem p)
{
   __shared__ GemmShared<typename Problem::Epilogue> shared;
   CudaBlock block;
   gemm_block(block, p, shared);
}

template <class Problem>
__global__ void __launch_bounds__(kThreads) scatter_tile_kernel(const Problem p)
{
   __shared__ GemmShared<typename Problem::Epilogue> shared;
   CudaBlock block;
   scatter_block(block, p, shared);
}

template <class F>
__global__ void __launch_bounds__(kThreads) for_each_kernel(const F f, std::int64_t n)
{
   const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
   for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride)
      f(e);
}

/// Grid rows (blockIdx.y) at most: CUDA's limit.
constexpr std::int64_t kMaxGridRows = 65535;

/// The Device of product_drivers.cuh on a CUDA stream and a cuBLAS handle.
class CudaDevice {
public:
   explicit CudaDevice(const Launch &launch) : launch_(launch) {}

   template <class Problem>
   void gemm(const Problem &p, std::int64_t tiles_m, std::int64_t tiles_n)
   {
      if (tiles_m == 0 || tiles_n == 0)
         return;
      HASHEDNET_ASSERT(tiles_m <= kMaxGridRows && tiles_n <= std::numeric_limits<int>::max());
      fused_gemm_kernel<<<dim3(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m)), kThreads, 0,
                          launch_.stream>>>(p);
      check_cuda(cudaGetLastError(), "launching the fused GEMM kernel");
   }
   template <class Problem>
   void scatter(const Problem &p, std::int64_t tiles_m, std::int64_t tiles_n)
   {
      if (tiles_m == 0 || tiles_n == 0)
         return;
      scatter_tile_kernel<<<dim3(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m)), kThreads, 0,
                            launch_.stream>>>(p);
      check_cuda(cudaGetLastError(), "launching the dV scatter kernel");
   }
   template <class F>
   void for_each(std::int64_t n, const F &f)
   {
      if (n == 0)
         return;
      const std::int64_t blocks = std::min<std::int64_t>((n + kThreads - 1) / kThreads, 1 << 16);
      for_each_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, launch_.stream>>>(f, n);
      check_cuda(cudaGetLastError(), "launching an elementwise kernel");
   }
   void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float *a,
              std::int64_t lda, const float *b, std::int64_t ldb, float beta, float *c, std::int64_t ldc)
   {
      cublas_sgemm(launch_.cublas, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
   }
   void zero(void *p, std::size_t bytes)
   {
      if (bytes > 0)
         check_cuda(cudaMemsetAsync(p, 0, bytes, launch_.stream), "cudaMemsetAsync");
   }

private:
   Launch launch_;
};

} // namespace
} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_CUDA_DEVICE_CUH
