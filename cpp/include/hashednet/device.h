// device.h: whether Architecture=GPU can run here, and the messages that say why not.
//
// What it is: the core's side of the CUDA backend. The CPU library does not
// link CUDA: make_backend(Architecture::Gpu) loads libhashednet_cuda.so
// (dlopen) and asks it for a backend; that library probes the device with
// the CUDA runtime and reports what it found as a DeviceProbe of plain
// numbers, which device_problem turns into the message of the Error. The
// message functions are pure, so every path is tested on a machine without
// a GPU by handing them the error codes (tests/test_device_errors.py).
//
// GpuSettings: the options that choose how the GPU backend computes
// (GpuProduct, GpuDeterministic), handed to it when it is made.
//
// What it is not: the backend (cpp/cuda/cuda_backend.*) or a device selector
// (the backend runs on device 0 of CUDA_VISIBLE_DEVICES).
#ifndef HASHEDNET_DEVICE_H
#define HASHEDNET_DEVICE_H

#include <string>

namespace hashednet {

/// cudaError_t values the messages distinguish (driver_types.h; the CUDA library static_asserts them).
constexpr int kCudaSuccess = 0;
constexpr int kCudaErrorInsufficientDriver = 35;
constexpr int kCudaErrorNoDevice = 100;
/// The oldest compute capability nvcc 13 compiles for (Turing, sm_75).
constexpr int kMinComputeMajor = 7;
constexpr int kMinComputeMinor = 5;

/// How the GPU backend multiplies by a hashed layer's V (option GpuProduct):
/// Auto lets the backend choose (today FUSED for every layer: docs/cuda_backend.md),
/// Fused generates V's tiles in shared memory, Materialize writes a tile of V
/// to device memory and calls cuBLAS. DENSE layers use cuBLAS on W in every case.
enum class GpuProduct { Auto, Fused, Materialize };

/// The options of the GPU backend. The default (Auto, atomic sums) is the only
/// value other backends take: make_backend refuses any other for them.
struct GpuSettings {
   GpuProduct product = GpuProduct::Auto; ///< GpuProduct
   bool deterministic = false;            ///< GpuDeterministic: fixed-point bucket gradients, same bits every run
   bool is_default() const { return product == GpuProduct::Auto && !deterministic; }
};

/// GpuProduct's option values, in the enum's order: AUTO, FUSED, MATERIALIZE.
const char *gpu_product_name(GpuProduct product);

/// What the CUDA library found: the first failing runtime call's error, or
/// device 0's name and compute capability.
struct DeviceProbe {
   int error = kCudaSuccess;        ///< cudaError_t of cudaGetDeviceCount / cudaGetDeviceProperties
   std::string error_name;          ///< cudaGetErrorName(error)
   std::string error_text;          ///< cudaGetErrorString(error)
   bool driver_library_found = true; ///< libcuda.so.1 can be loaded (checked when error != 0)
   int device_count = 0;
   std::string device_name;         ///< of device 0
   int major = 0, minor = 0;        ///< compute capability of device 0
};

/// Empty when `probe` found a usable device; else the message of the Error
/// make_backend(GPU) throws (driver missing or too old, no device, compute
/// capability below 7.5, another CUDA error), each ending in "allowed here: CPU".
std::string device_problem(const DeviceProbe &probe);

/// The message when the CUDA library at `path` cannot be used: it does not
/// exist (this build has no CUDA backend), or dlopen/dlsym failed with `reason`.
std::string cuda_library_problem(const std::string &path, bool exists, const std::string &reason);

/// libhashednet_cuda.so's path: $HASHEDNET_CUDA_LIBRARY when set, else the
/// folder of libhashednet.so.
std::string cuda_library_path();

/// Empty when Architecture=GPU can run here, else the reason, as the Error
/// of make_backend(GPU) says it. Loads the CUDA library and probes the device.
std::string gpu_unavailable_reason();

} // namespace hashednet

#endif // HASHEDNET_DEVICE_H
