// cuda_entry.cu: the C entry points of libhashednet_cuda.so (cpp/src/cuda_entry.h):
// the device probe, the backend and optimizer factories.
//
// The probe asks the CUDA runtime (linked statically, so the only run-time
// dependency is the driver's libcuda.so.1) for the device count and device
// 0's properties, and reports the first error as a number: the core turns it
// into the user's message (device.h), where it is tested without a GPU.
#include "cuda_backend.h"
#include "cuda_optimizers.h"

#include "../src/cuda_entry.h"

#include <sstream>

static_assert(hashednet::kCudaSuccess == cudaSuccess, "device.h's copy of cudaSuccess");
static_assert(hashednet::kCudaErrorInsufficientDriver == cudaErrorInsufficientDriver,
              "device.h's copy of cudaErrorInsufficientDriver");
static_assert(hashednet::kCudaErrorNoDevice == cudaErrorNoDevice, "device.h's copy of cudaErrorNoDevice");

namespace {
void record_error(cudaError_t error, hashednet::DeviceProbe &probe)
{
   probe.error = static_cast<int>(error);
   probe.error_name = cudaGetErrorName(error);
   probe.error_text = cudaGetErrorString(error);
}

std::string description(const hashednet::DeviceProbe &probe)
{
   std::ostringstream s;
   s << "GPU (" << probe.device_name << ", sm_" << probe.major << probe.minor << ")";
   return s.str();
}
} // namespace

extern "C" int hashednet_cuda_abi_version()
{
   return hashednet::kCudaAbiVersion;
}

extern "C" void hashednet_cuda_probe(hashednet::DeviceProbe *probe)
{
   *probe = hashednet::DeviceProbe();
   const cudaError_t count_error = cudaGetDeviceCount(&probe->device_count);
   if (count_error != cudaSuccess) {
      record_error(count_error, *probe);
      return;
   }
   if (probe->device_count == 0)
      return;
   cudaDeviceProp properties;
   const cudaError_t error = cudaGetDeviceProperties(&properties, 0);
   if (error != cudaSuccess) {
      record_error(error, *probe);
      return;
   }
   probe->device_name = properties.name;
   probe->major = properties.major;
   probe->minor = properties.minor;
}

extern "C" hashednet::Backend *hashednet_cuda_make_backend(int, const hashednet::GpuSettings *settings)
{
   hashednet::DeviceProbe probe;
   hashednet_cuda_probe(&probe);
   const std::string problem = hashednet::device_problem(probe);
   HASHEDNET_CHECK(problem.empty(), problem);
   HASHEDNET_CUDA_CHECK(cudaSetDevice(0));
   auto backend = std::make_unique<hashednet::cuda::CudaBackend>(description(probe), *settings);
   return backend.release(); // owned by the caller
}

extern "C" hashednet::Optimizer *hashednet_cuda_make_optimizer(const char *name, hashednet::Backend *backend,
                                                               std::int64_t n)
{
   return hashednet::cuda::make_cuda_optimizer(name, *backend, n).release(); // owned by the caller
}
