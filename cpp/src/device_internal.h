// device_internal.h: the CUDA library as the core holds it (internal; see device.h).
#ifndef HASHEDNET_SRC_DEVICE_INTERNAL_H
#define HASHEDNET_SRC_DEVICE_INTERNAL_H

#include "cuda_entry.h"

#include <memory>
#include <string>

namespace hashednet {

/// The entry points of a loaded libhashednet_cuda.so.
struct CudaLibrary {
   hashednet_cuda_probe_fn *probe = nullptr;
   hashednet_cuda_make_backend_fn *make_backend = nullptr;
   hashednet_cuda_make_optimizer_fn *make_optimizer = nullptr;
};

/// Loads the library once per process (kept open); returns "" or the message of why it cannot be used.
std::string load_cuda_library(CudaLibrary &library);

/// The CUDA backend on device 0; an Error with device.h's message when the library or the device is missing.
std::unique_ptr<Backend> make_gpu_backend(int num_threads, const GpuSettings &settings);

/// The CUDA library's optimizer `name` over n_params parameters of a GPU `backend`.
std::unique_ptr<Optimizer> make_gpu_optimizer(const std::string &name, Backend &backend, std::int64_t n_params);

} // namespace hashednet

#endif // HASHEDNET_SRC_DEVICE_INTERNAL_H
