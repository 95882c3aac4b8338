// cuda_check.h: every CUDA runtime call of the CUDA library goes through one
// of these macros, which turn a failure into a hashednet::Error naming the
// call, the error and the file:line (cuBLAS calls: cublas_check.h).
//
// What it is not: device detection (cuda_entry.cu's probe reports the first
// failures as numbers for the messages of device.h) or a retry policy.
#ifndef HASHEDNET_CUDA_CHECK_H
#define HASHEDNET_CUDA_CHECK_H

#include "hashednet/common.h"

#include <cuda_runtime_api.h>

#include <string>

namespace hashednet {
namespace cuda {

inline void check_cuda(cudaError_t status, const char *call, const char *file, int line)
{
   if (status != cudaSuccess)
      throw Error(std::string("CUDA error ") + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                  ") in " + call + detail::where(file, line));
}

} // namespace cuda
} // namespace hashednet

/// HASHEDNET_CUDA_CHECK(cudaMalloc(&p, bytes)): throws hashednet::Error unless the call returns cudaSuccess.
#define HASHEDNET_CUDA_CHECK(call) ::hashednet::cuda::check_cuda((call), #call, __FILE__, __LINE__)
/// After a kernel launch: the launch's own error (bad configuration), not the kernel's (that surfaces at a sync).
#define HASHEDNET_CUDA_CHECK_LAUNCH(what) ::hashednet::cuda::check_cuda(cudaGetLastError(), what, __FILE__, __LINE__)

#endif // HASHEDNET_CUDA_CHECK_H
