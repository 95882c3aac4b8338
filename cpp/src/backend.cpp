// backend.cpp: the backend factory, the architecture names and Backend::resize.
#include "hashednet/backend.h"

#include "host_backend.h"

namespace hashednet {

namespace {
const char *const kArchitectureNames[] = {"CPU", "REFERENCE", "GPU"};
} // namespace

Architecture architecture_from_string(const std::string &name)
{
   if (name == "CPU" || name == "STANDARD")
      return Architecture::Cpu;
   if (name == "REFERENCE")
      return Architecture::Reference;
   if (name == "GPU")
      return Architecture::Gpu;
   HASHEDNET_CHECK(false, "unknown architecture '" << name << "'; allowed: CPU, STANDARD (= CPU), GPU, REFERENCE");
   return Architecture::Cpu;
}

std::string architecture_name(Architecture architecture)
{
   return kArchitectureNames[static_cast<int>(architecture)];
}

void Backend::resize(Buffer &buffer, std::int64_t n)
{
   if (n > buffer.capacity())
      buffer = allocate(n);
   buffer.set_size(n);
}

namespace {
[[noreturn]] void no_image_kernels(const Backend &backend)
{
   throw Error(std::string("the ") + backend.name() +
               " backend has no convolution or pooling kernels yet; run CONV and MAXPOOL layers with "
               "Architecture=CPU");
}
} // namespace

void Backend::im2col(const ImageWindow &, const float *, std::int64_t, float *) { no_image_kernels(*this); }
void Backend::col2im(const ImageWindow &, const float *, std::int64_t, float *) { no_image_kernels(*this); }
void Backend::transpose_blocks(const float *, std::int64_t, std::int64_t, std::int64_t, float *)
{
   no_image_kernels(*this);
}
void Backend::accumulate(const float *, float *, std::int64_t) { no_image_kernels(*this); }
void Backend::max_pool_forward(const ImageWindow &, const float *, std::int64_t, float *, float *)
{
   no_image_kernels(*this);
}
void Backend::max_pool_backward(const ImageWindow &, const float *, const float *, std::int64_t, float *)
{
   no_image_kernels(*this);
}

std::unique_ptr<Backend> make_backend(Architecture architecture, int num_threads)
{
   switch (architecture) {
   case Architecture::Cpu: return make_cpu_backend(num_threads);
   case Architecture::Reference: return make_reference_backend();
   case Architecture::Gpu: break;
   }
   HASHEDNET_CHECK(false, "Architecture=GPU: this build has no CUDA backend; allowed here: CPU");
   return nullptr;
}

} // namespace hashednet
