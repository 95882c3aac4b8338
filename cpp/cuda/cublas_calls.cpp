// cublas_calls.cpp: see cublas_calls.h.
#include "cublas_calls.h"

#include "hashednet/common.h"

#include <cublas_v2.h>

namespace hashednet {
namespace cuda {
namespace {

void check_cublas(cublasStatus_t status, const char *what)
{
   HASHEDNET_CHECK(status == CUBLAS_STATUS_SUCCESS,
                   "cuBLAS error in " << what << ": " << cublasGetStatusName(status) << " ("
                                      << cublasGetStatusString(status) << ")");
}

} // namespace

void cublas_bind(cublasHandle_t handle, cudaStream_t stream)
{
   check_cublas(cublasSetStream(handle, stream), "cublasSetStream");
   check_cublas(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST), "cublasSetPointerMode");
}

void cublas_sgemm(cublasHandle_t handle, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                  std::int64_t k, const float *a, std::int64_t lda, const float *b, std::int64_t ldb, float beta,
                  float *c, std::int64_t ldc)
{
   const float one = 1.0f;
   check_cublas(cublasSgemm(handle, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                            static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &one, a,
                            static_cast<int>(lda), b, static_cast<int>(ldb), &beta, c, static_cast<int>(ldc)),
                "cublasSgemm");
}

} // namespace cuda
} // namespace hashednet
