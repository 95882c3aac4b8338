// device.cpp: loading libhashednet_cuda.so and the messages of device.h.
//
// The CUDA library is opened at the first make_backend(GPU) (or
// gpu_unavailable_reason) of a process and kept open; a failure is not
// cached, so a later call reports the state of the machine then.
#include "hashednet/device.h"

#include "cuda_entry.h"
#include "device_internal.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

namespace hashednet {

namespace {
const char *const kAllowed = "; allowed here: CPU";
const char *const kRebuild = "rebuild with -DHASHEDNET_CUDA=ON (pip: pip install . -Ccmake.define.HASHEDNET_CUDA=ON) "
                             "on a machine with nvcc 13, then 'bash scripts/run.sh gpu-check'";

bool file_exists(const std::string &path)
{
   struct stat info;
   return stat(path.c_str(), &info) == 0;
}

bool driver_library_loads()
{
   void *handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
   if (handle)
      dlclose(handle);
   return handle != nullptr;
}

std::string visible_devices_note()
{
   const char *visible = std::getenv("CUDA_VISIBLE_DEVICES");
   return visible ? std::string(" (CUDA_VISIBLE_DEVICES='") + visible + "')" : std::string();
}

std::mutex library_mutex;
CudaLibrary loaded; ///< set once the library loaded and its ABI matched
} // namespace

std::string device_problem(const DeviceProbe &p)
{
   std::ostringstream s;
   s << "Architecture=GPU: ";
   const std::string cuda_error = p.error_name + ": " + p.error_text;
   if (p.error == kCudaErrorInsufficientDriver && !p.driver_library_found)
      s << "no NVIDIA driver: libcuda.so.1 not found (" << cuda_error
        << "); install the NVIDIA driver (CUDA 13 needs release 580 or newer)";
   else if (p.error == kCudaErrorInsufficientDriver)
      s << "the NVIDIA driver is older than CUDA 13 needs (" << cuda_error << "); update it to release 580 or newer";
   else if (p.error == kCudaErrorNoDevice || (p.error == kCudaSuccess && p.device_count == 0))
      s << "no CUDA device found" << visible_devices_note() << (p.error ? " (" + cuda_error + ")" : std::string());
   else if (p.error != kCudaSuccess)
      s << "CUDA could not start (" << cuda_error << ")";
   else if (p.major < kMinComputeMajor || (p.major == kMinComputeMajor && p.minor < kMinComputeMinor))
      s << "device 0 (" << p.device_name << ") has compute capability " << p.major << "." << p.minor
        << "; this build needs " << kMinComputeMajor << "." << kMinComputeMinor << " or newer (Turing and later)";
   else
      return "";
   s << kAllowed;
   return s.str();
}

std::string cuda_library_problem(const std::string &path, bool exists, const std::string &reason)
{
   std::ostringstream s;
   if (!exists)
      s << "Architecture=GPU: this build has no CUDA backend (" << path << " not found): " << kRebuild;
   else
      s << "Architecture=GPU: the CUDA backend " << path << " does not load: " << reason
        << " (its cuBLAS comes from the GPU extra: pip install 'tmva-hashednet[gpu]')";
   s << kAllowed;
   return s.str();
}

std::string cuda_library_path()
{
   if (const char *path = std::getenv("HASHEDNET_CUDA_LIBRARY"))
      return path;
   Dl_info info;
   HASHEDNET_ASSERT(dladdr(reinterpret_cast<void *>(&cuda_library_path), &info) != 0 && info.dli_fname);
   const std::string core = info.dli_fname;
   const std::size_t slash = core.rfind('/');
   return (slash == std::string::npos ? std::string() : core.substr(0, slash + 1)) + "libhashednet_cuda.so";
}

/// The loaded library, or the message of why not (then `library` is untouched).
std::string load_cuda_library(CudaLibrary &library)
{
   const std::lock_guard<std::mutex> lock(library_mutex);
   if (loaded.make_backend) {
      library = loaded;
      return "";
   }
   const std::string path = cuda_library_path();
   if (!file_exists(path))
      return cuda_library_problem(path, false, "");
   void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
   if (!handle)
      return cuda_library_problem(path, true, dlerror());
   const auto symbol = [&](const char *name) { return dlsym(handle, name); };
   auto *abi = reinterpret_cast<hashednet_cuda_abi_version_fn *>(symbol("hashednet_cuda_abi_version"));
   CudaLibrary found{reinterpret_cast<hashednet_cuda_probe_fn *>(symbol("hashednet_cuda_probe")),
                     reinterpret_cast<hashednet_cuda_make_backend_fn *>(symbol("hashednet_cuda_make_backend")),
                     reinterpret_cast<hashednet_cuda_make_optimizer_fn *>(symbol("hashednet_cuda_make_optimizer"))};
   if (!abi || !found.probe || !found.make_backend || !found.make_optimizer)
      return cuda_library_problem(path, true, "it lacks the hashednet_cuda_* entry points");
   if (abi() != kCudaAbiVersion)
      return cuda_library_problem(path, true, "it was built for another version of libhashednet.so (ABI " +
                                                  std::to_string(abi()) + ", this core " +
                                                  std::to_string(kCudaAbiVersion) + "): rebuild both");
   loaded = found;
   library = found;
   return "";
}

std::string probe_problem(const CudaLibrary &library)
{
   DeviceProbe probe;
   library.probe(&probe);
   if (probe.error == kCudaErrorInsufficientDriver)
      probe.driver_library_found = driver_library_loads();
   return device_problem(probe);
}

std::string gpu_unavailable_reason()
{
   CudaLibrary library;
   const std::string problem = load_cuda_library(library);
   return problem.empty() ? probe_problem(library) : problem;
}

const char *gpu_product_name(GpuProduct product)
{
   static const char *const names[] = {"AUTO", "FUSED", "MATERIALIZE"};
   return names[static_cast<int>(product)];
}

std::unique_ptr<Backend> make_gpu_backend(int num_threads, const GpuSettings &settings)
{
   CudaLibrary library;
   std::string problem = load_cuda_library(library);
   if (problem.empty())
      problem = probe_problem(library);
   HASHEDNET_CHECK(problem.empty(), problem);
   return std::unique_ptr<Backend>(library.make_backend(num_threads, &settings));
}

std::unique_ptr<Optimizer> make_gpu_optimizer(const std::string &name, Backend &backend, std::int64_t n_params)
{
   CudaLibrary library;
   const std::string problem = load_cuda_library(library);
   HASHEDNET_ASSERT(problem.empty()); // a GPU backend exists, so its library is loaded
   return std::unique_ptr<Optimizer>(library.make_optimizer(name.c_str(), &backend, n_params));
}

} // namespace hashednet
