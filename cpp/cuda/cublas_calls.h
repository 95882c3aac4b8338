// cublas_calls.h: the hashed products' cuBLAS calls, checked (internal).
//
// What it is: the only place of hashednet_cuda that includes cuBLAS's own
// headers (cublas_calls.cpp, compiled by the host compiler), so that the
// kernels' translation unit, hashed_product.cu, compiles without them (the
// ptxas test compiles it with nvcc alone).
#ifndef HASHEDNET_CUDA_CUBLAS_CALLS_H
#define HASHEDNET_CUDA_CUBLAS_CALLS_H

#include "hashed_product.h"

#include <cstdint>

namespace hashednet {
namespace cuda {

/// Sets the handle's stream and the host pointer mode of alpha and beta.
void cublas_bind(cublasHandle_t handle, cudaStream_t stream);

/// Column-major C (m x n) = op(A) op(B) + beta C (cublasSgemm, alpha = 1);
/// sizes must be below 2^31. A failure is an Error naming cuBLAS's status.
void cublas_sgemm(cublasHandle_t handle, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                  std::int64_t k, const float *a, std::int64_t lda, const float *b, std::int64_t ldb, float beta,
                  float *c, std::int64_t ldc);

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_CUBLAS_CALLS_H
