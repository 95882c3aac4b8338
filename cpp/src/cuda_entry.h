// cuda_entry.h: the C entry points of libhashednet_cuda.so (internal).
//
// What it is: the whole interface between the CPU library and the CUDA
// library, resolved with dlsym by device.cpp and defined by
// cpp/cuda/cuda_entry.cu. The objects cross as C++ objects (both libraries
// are built by the same CMake project with the same host compiler and
// libstdc++); kCudaAbiVersion is checked first, so a stale CUDA library next
// to a newer core is an Error, not a crash.
//
// What it is not: public API (Python and TMVA reach the GPU through make_backend).
#ifndef HASHEDNET_SRC_CUDA_ENTRY_H
#define HASHEDNET_SRC_CUDA_ENTRY_H

#include "hashednet/backend.h"
#include "hashednet/device.h"
#include "hashednet/optimizer.h"

#include <cstdint>

namespace hashednet {
/// Bumped whenever a signature below, Backend, Optimizer or DeviceProbe changes.
constexpr int kCudaAbiVersion = 2; ///< 2: make_backend takes the GpuSettings
} // namespace hashednet

extern "C" {
using hashednet_cuda_abi_version_fn = int();
/// Fills `probe` for device 0; never throws.
using hashednet_cuda_probe_fn = void(hashednet::DeviceProbe *probe);
/// A new CUDA backend on device 0 with `settings` (the caller owns it); throws hashednet::Error.
using hashednet_cuda_make_backend_fn = hashednet::Backend *(int num_threads, const hashednet::GpuSettings *settings);
/// A new optimizer `name` (SGD or ADAM) over n parameters in `backend`'s memory; throws hashednet::Error.
using hashednet_cuda_make_optimizer_fn = hashednet::Optimizer *(const char *name, hashednet::Backend *backend,
                                                                std::int64_t n);

hashednet_cuda_abi_version_fn hashednet_cuda_abi_version;
hashednet_cuda_probe_fn hashednet_cuda_probe;
hashednet_cuda_make_backend_fn hashednet_cuda_make_backend;
hashednet_cuda_make_optimizer_fn hashednet_cuda_make_optimizer;
}

#endif // HASHEDNET_SRC_CUDA_ENTRY_H
