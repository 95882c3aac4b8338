// backend.cpp: the backend factory, the architecture and device names, and Backend's non-pure members.
#include "hashednet/backend.h"

#include "device_internal.h"
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

Architecture architecture_from_device(const std::string &device)
{
   if (device == "cpu")
      return Architecture::Cpu;
   if (device == "cuda")
      return Architecture::Gpu;
   HASHEDNET_CHECK(false, "unknown device '" << device << "'; allowed: 'cpu', 'cuda' (the GPU backend)");
   return Architecture::Cpu;
}

std::string device_name(Architecture architecture)
{
   return architecture == Architecture::Gpu ? "cuda" : "cpu";
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

void Backend::for_each_item(std::int64_t n_items, std::int64_t, const ItemBody &body)
{
   for (std::int64_t item = 0; item < n_items; ++item)
      body(item, 0);
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
void Backend::virtual_matrix(const FullyConnected &, const float *, float *) { no_image_kernels(*this); }
void Backend::virtual_matrix_backward(const FullyConnected &, const float *, const float *, float *)
{
   no_image_kernels(*this);
}

namespace {
[[noreturn]] void no_batch_norm_kernels(const Backend &backend)
{
   throw Error(std::string("the ") + backend.name() +
               " backend has no batch normalisation kernels (not built there); run BNORM layers with "
               "Architecture=CPU");
}
} // namespace

void Backend::batch_norm_train(const BatchNormShape &, const float *, const float *, std::int64_t, std::uint64_t,
                               float *, float *, float *, float *)
{
   no_batch_norm_kernels(*this);
}
void Backend::batch_norm_infer(const BatchNormShape &, const float *, const float *, std::int64_t, float *)
{
   no_batch_norm_kernels(*this);
}
void Backend::batch_norm_backward(const BatchNormShape &, const float *, const float *, const float *,
                                  const float *, std::int64_t, float *, float *)
{
   no_batch_norm_kernels(*this);
}

void Backend::transform_resident_inputs(const float *, std::int64_t, std::int64_t, const Buffer &, const Buffer &,
                                        Buffer &)
{
   HASHEDNET_CHECK(false, "the " << name() << " backend cannot read input data in device memory");
}

std::unique_ptr<Backend> make_backend(Architecture architecture, int num_threads, const GpuSettings &gpu)
{
   HASHEDNET_CHECK(architecture == Architecture::Gpu || gpu.is_default(),
                   "GpuProduct=" << gpu_product_name(gpu.product) << ", GpuDeterministic="
                                 << (gpu.deterministic ? "True" : "False") << " apply to Architecture=GPU only; the "
                                 << architecture_name(architecture)
                                 << " backend takes GpuProduct=AUTO, GpuDeterministic=False (its sums are "
                                    "reproducible already)");
   switch (architecture) {
   case Architecture::Cpu: return make_cpu_backend(num_threads);
   case Architecture::Reference: return make_reference_backend();
   case Architecture::Gpu: return make_gpu_backend(num_threads, gpu); // libhashednet_cuda.so, loaded now (device.h)
   }
   HASHEDNET_ASSERT(false);
   return nullptr;
}

} // namespace hashednet
