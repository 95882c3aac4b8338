// cublas_check.h: HASHEDNET_CUBLAS_CHECK, cuda_check.h's macro for cuBLAS
// calls (apart, so that the coarse kernels compile without cuBLAS's headers).
#ifndef HASHEDNET_CUBLAS_CHECK_H
#define HASHEDNET_CUBLAS_CHECK_H

#include "cuda_check.h"

#include <cublas_v2.h>

#include <string>

namespace hashednet {
namespace cuda {

inline void check_cublas(cublasStatus_t status, const char *call, const char *file, int line)
{
   if (status != CUBLAS_STATUS_SUCCESS)
      throw Error(std::string("cuBLAS error ") + cublasGetStatusName(status) + " (" + cublasGetStatusString(status) +
                  ") in " + call + detail::where(file, line));
}

} // namespace cuda
} // namespace hashednet

/// HASHEDNET_CUBLAS_CHECK(cublasCreate(&handle)): throws hashednet::Error unless CUBLAS_STATUS_SUCCESS.
#define HASHEDNET_CUBLAS_CHECK(call) ::hashednet::cuda::check_cublas((call), #call, __FILE__, __LINE__)

#endif // HASHEDNET_CUBLAS_CHECK_H
