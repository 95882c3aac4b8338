// cuda_backend.cu: see cuda_backend.h.
#include "cuda_backend.h"

#include "backend_kernels.h"
#include "batch_norm_kernels.h"
#include "image_kernels.h"

#include "hashednet/batch_norm.h"
#include "hashednet/fully_connected.h"

#include <cstring>

namespace hashednet {
namespace cuda {

namespace {
struct DeviceStorage final : BufferStorage {
   explicit DeviceStorage(std::int64_t n) : values(n) {}
   DeviceArray<float> values;
};

std::size_t bytes_of(std::int64_t n)
{
   return static_cast<std::size_t>(n) * sizeof(float);
}

/// n floats host -> device on `stream` (nothing for n = 0).
void upload(float *dst, const float *src, std::int64_t n, cudaStream_t stream)
{
   if (n > 0)
      HASHEDNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes_of(n), cudaMemcpyHostToDevice, stream));
}

/// The product method of the GpuProduct option: AUTO is FUSED for every layer (no rule measured on a GPU yet).
Method method_of(GpuProduct product)
{
   return product == GpuProduct::Materialize ? Method::Materialize : Method::Fused;
}
} // namespace

CudaBackend::CudaBackend(std::string description, const GpuSettings &settings)
   : description_(std::move(description)), method_(method_of(settings.product)),
     deterministic_(settings.deterministic), loss_result_(1), loss_host_(1)
{
   HASHEDNET_CUDA_CHECK(cudaGetDevice(&device_));
   // FP32 products: no TF32 tensor-core rounding, so the GPU agrees with the CPU to float rounding.
   HASHEDNET_CUBLAS_CHECK(cublasSetMathMode(cublas_.get(), CUBLAS_DEFAULT_MATH));
}

// ------------------------------------------------------------------ memory

Buffer CudaBackend::allocate(std::int64_t n)
{
   HASHEDNET_ASSERT(n >= 0);
   auto storage = std::make_unique<DeviceStorage>(n);
   float *data = storage->values.data();
   if (n > 0)
      HASHEDNET_CUDA_CHECK(cudaMemsetAsync(data, 0, bytes_of(n), compute_.get()));
   return Buffer(std::move(storage), data, n, this);
}

void CudaBackend::copy_to_host(const Buffer &src, std::int64_t offset, std::int64_t n, float *dst) const
{
   HASHEDNET_ASSERT(offset >= 0 && n >= 0 && offset + n <= src.size());
   if (n == 0)
      return;
   HASHEDNET_CUDA_CHECK(
      cudaMemcpyAsync(dst, src.data() + offset, bytes_of(n), cudaMemcpyDeviceToHost, compute_.get()));
   compute_.synchronize();
}

void CudaBackend::copy_from_host(const float *src, std::int64_t n, Buffer &dst, std::int64_t offset)
{
   HASHEDNET_ASSERT(offset >= 0 && n >= 0 && offset + n <= dst.size());
   if (n == 0)
      return;
   HASHEDNET_CUDA_CHECK(
      cudaMemcpyAsync(dst.data() + offset, src, bytes_of(n), cudaMemcpyHostToDevice, compute_.get()));
   compute_.synchronize(); // the caller may free or change src on return
}

void CudaBackend::copy(const float *src, std::int64_t n, float *dst)
{
   if (n > 0 && src != dst)
      HASHEDNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes_of(n), cudaMemcpyDeviceToDevice, compute_.get()));
}

// ------------------------------------------------------------------ data

CudaBackend::StagingSlot &CudaBackend::next_slot()
{
   StagingSlot &slot = slots_[next_slot_];
   next_slot_ = 1 - next_slot_;
   slot.uploaded.synchronize(); // its pinned memory is free again (a never-recorded event is complete)
   return slot;
}

void CudaBackend::upload_rows(const DataView &data, const std::int64_t *index, std::int64_t n, StagingSlot &slot,
                              double &weight_sum)
{
   const std::int64_t d = data.n_features, t = data.n_targets;
   ensure_size(slot.x, n * d);
   ensure_size(slot.y, n * t);
   ensure_size(slot.w, n);
   ensure_size(slot.raw_x, n * d);
   ensure_size(slot.raw_y, n * t);
   ensure_size(slot.raw_w, n);
   weight_sum = 0.0;
   for (std::int64_t b = 0; b < n; ++b) { // the host's part, overlapping the device's previous batch
      const std::int64_t e = index ? index[b] : b;
      std::memcpy(slot.x.data() + b * d, data.x + e * d, bytes_of(d));
      std::memcpy(slot.y.data() + b * t, data.y + e * t, bytes_of(t));
      slot.w.data()[b] = data.w ? data.w[e] : 1.0f;
      weight_sum += slot.w.data()[b]; // in event order, in double: the CPU backend's sum
   }
   cudaStream_t copy = copy_.get();
   slot.consumed.make_wait(copy); // raw_* may still be read by the previous transform of this slot
   upload(slot.raw_x.data(), slot.x.data(), n * d, copy);
   upload(slot.raw_y.data(), slot.y.data(), n * t, copy);
   upload(slot.raw_w.data(), slot.w.data(), n, copy);
   slot.uploaded.record(copy);
   slot.uploaded.make_wait(compute_.get());
}

void CudaBackend::transform_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                   const Buffer &scale, Buffer &out)
{
   resize(out, batch * n);
   StagingSlot &slot = next_slot();
   const float ones = 1.0f; // y is a dummy: predict has no targets
   const DataView rows{x, &ones, nullptr, batch, n, 0};
   double weight_sum = 0.0;
   upload_rows(rows, nullptr, batch, slot, weight_sum);
   transform_rows(slot.raw_x.data(), batch, n, offset.data(), scale.data(), out.data(), compute_.get());
   slot.consumed.record(compute_.get());
}

void CudaBackend::transform_resident_inputs(const float *x, std::int64_t batch, std::int64_t n,
                                            const Buffer &offset, const Buffer &scale, Buffer &out)
{
   check_resident(x, "input x");
   resize(out, batch * n);
   transform_rows(x, batch, n, offset.data(), scale.data(), out.data(), compute_.get());
}

void CudaBackend::gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n,
                               const Buffer &offset, const Buffer &scale, BatchBuffers &batch)
{
   const std::int64_t d = data.n_features, t = data.n_targets;
   resize(batch.x, n * d);
   resize(batch.y, n * t);
   resize(batch.w, n);
   batch.size = n;
   StagingSlot &slot = next_slot();
   if (data.resident)
      return gather_resident(data, index, n, offset, scale, batch, slot);
   upload_rows(data, index, n, slot, batch.weight_sum);
   cudaStream_t stream = compute_.get();
   transform_rows(slot.raw_x.data(), n, d, offset.data(), scale.data(), batch.x.data(), stream);
   copy(slot.raw_y.data(), n * t, batch.y.data());
   copy(slot.raw_w.data(), n, batch.w.data());
   slot.consumed.record(stream);
}

void CudaBackend::gather_resident(const DataView &data, const std::int64_t *index, std::int64_t n,
                                  const Buffer &offset, const Buffer &scale, BatchBuffers &batch, StagingSlot &slot)
{
   check_resident(data.x, "x");
   check_resident(data.y, "y");
   if (data.w)
      check_resident(data.w, "weights");
   cudaStream_t stream = compute_.get();
   ensure_size(slot.index, n);
   ensure_size(slot.device_index, n);
   if (n > 0) {
      std::memcpy(slot.index.data(), index, static_cast<std::size_t>(n) * sizeof(std::int64_t));
      HASHEDNET_CUDA_CHECK(cudaMemcpyAsync(slot.device_index.data(), slot.index.data(),
                                           static_cast<std::size_t>(n) * sizeof(std::int64_t),
                                           cudaMemcpyHostToDevice, stream));
   }
   slot.uploaded.record(stream);
   const std::int64_t *device_index = slot.device_index.data();
   gather_rows(data.x, device_index, n, data.n_features, offset.data(), scale.data(), batch.x.data(), stream);
   gather_rows(data.y, device_index, n, data.n_targets, nullptr, nullptr, batch.y.data(), stream);
   if (data.w)
      gather_rows(data.w, device_index, n, 1, nullptr, nullptr, batch.w.data(), stream);
   else
      fill(batch.w.data(), n, 1.0f, stream);
   // weight_sum in event order, in double, as the CPU sums it: n floats back to the host
   ensure_size(slot.w, n);
   if (n > 0)
      HASHEDNET_CUDA_CHECK(cudaMemcpyAsync(slot.w.data(), batch.w.data(), bytes_of(n), cudaMemcpyDeviceToHost, stream));
   compute_.synchronize();
   batch.weight_sum = 0.0;
   for (std::int64_t b = 0; b < n; ++b)
      batch.weight_sum += slot.w.data()[b];
}

void CudaBackend::check_resident(const void *p, const char *what) const
{
   cudaPointerAttributes attributes;
   HASHEDNET_CUDA_CHECK(cudaPointerGetAttributes(&attributes, p));
   const bool on_device = attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
   HASHEDNET_CHECK(on_device && attributes.device == device_,
                   what << " is not in the memory of CUDA device " << device_ << " (the network's): pass a CuPy array "
                        << "on that device, or a numpy array");
}

// ------------------------------------------------------------------ loss and output

double CudaBackend::loss(Task task, const float *logits, const float *targets, const float *weights,
                         std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits)
{
   return loss_sum(task, logits, targets, weights, batch, n_outputs, norm, d_logits, loss_result_.data(),
                   loss_host_.data(), compute_.get());
}

void CudaBackend::output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs)
{
   cuda::output_transform(task, logits, n, n_outputs, compute_.get());
}

// ------------------------------------------------------------------ layers

Workspace CudaBackend::workspace(const ProductLayer &layer, std::int64_t batch)
{
   const std::size_t bytes = workspace_bytes(layer, batch, method_, deterministic_);
   ensure_size(workspace_, static_cast<std::int64_t>(bytes)); // grows to the largest layer, then stays
   return {workspace_.data(), static_cast<std::size_t>(workspace_.size())};
}

void CudaBackend::linear_forward(const FullyConnected &layer, const float *params, const float *x,
                                 std::int64_t batch, float *y)
{
   const ProductLayer product = product_layer(layer);
   hashed_forward(product, params, x, batch, y, method_, launch(), workspace(product, batch));
}

void CudaBackend::linear_backward(const FullyConnected &layer, const float *params, const float *x,
                                  const float *dy, std::int64_t batch, float *dx, float *grad)
{
   const ProductLayer product = product_layer(layer);
   const Workspace work = workspace(product, batch);
   if (dx)
      hashed_backward_dx(product, params, dy, batch, dx, method_, launch(), work);
   hashed_backward_dparams(product, params, x, dy, batch, grad, method_, deterministic_, launch(), work);
}

void CudaBackend::activation_forward(Activation f, const float *z, float *a, std::int64_t n)
{
   cuda::activation_forward(f, z, a, n, compute_.get());
}

void CudaBackend::activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                                      std::int64_t n)
{
   cuda::activation_backward(f, z, a, da, dz, n, compute_.get());
}

void CudaBackend::dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                                  std::uint64_t seed)
{
   cuda::dropout_forward(x, y, keep, n, elementwise::dropout_mask(p), seed, compute_.get());
}

void CudaBackend::multiply(float *x, const float *factor, std::int64_t n)
{
   cuda::multiply(x, factor, n, compute_.get());
}

// ------------------------------------------------------------------ image layers

void CudaBackend::im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols)
{
   cuda::im2col(window, x, n_images, cols, compute_.get());
}

void CudaBackend::col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx)
{
   cuda::col2im(window, cols, n_images, dx, compute_.get());
}

void CudaBackend::transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out)
{
   cuda::transpose_blocks(in, n, rows, cols, out, compute_.get());
}

void CudaBackend::accumulate(const float *x, float *y, std::int64_t n)
{
   cuda::accumulate(x, y, n, compute_.get());
}

void CudaBackend::max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                                   float *argmax)
{
   cuda::max_pool_forward(window, x, batch, y, argmax, compute_.get());
}

void CudaBackend::max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax,
                                    std::int64_t batch, float *dx)
{
   cuda::max_pool_backward(window, dy, argmax, batch, dx, compute_.get());
}

void CudaBackend::virtual_matrix(const FullyConnected &layer, const float *params, float *vb)
{
   cuda::virtual_matrix(product_layer(layer), params, vb, launch());
}

void CudaBackend::virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                          float *grad)
{
   const ProductLayer product = product_layer(layer);
   const std::size_t bytes = virtual_matrix_workspace_bytes(product, deterministic_);
   ensure_size(workspace_, static_cast<std::int64_t>(bytes));
   const Workspace work{workspace_.data(), static_cast<std::size_t>(workspace_.size())};
   cuda::virtual_matrix_backward(product, params, dvb, grad, deterministic_, launch(), work);
}

// ------------------------------------------------------------------ batch normalisation

namespace {
batch_norm_math::Geometry geometry(const BatchNormShape &shape, std::int64_t batch)
{
   return {shape.features, shape.spatial, batch};
}
} // namespace

void CudaBackend::batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x,
                                   std::int64_t batch, std::uint64_t trained_batches, float *y, float *xhat,
                                   float *stats, float *running)
{
   ensure_size(batch_norm_work_, 2 * shape.features);
   cuda::batch_norm_train(geometry(shape, batch), shape.momentum, shape.epsilon, trained_batches, slice, x, y, xhat,
                          stats, running, batch_norm_work_.data(), compute_.get());
}

void CudaBackend::batch_norm_infer(const BatchNormShape &shape, const float *slice, const float *x,
                                   std::int64_t batch, float *y)
{
   cuda::batch_norm_infer(geometry(shape, batch), static_cast<float>(shape.epsilon), slice, x, y, compute_.get());
}

void CudaBackend::batch_norm_backward(const BatchNormShape &shape, const float *slice, const float *xhat,
                                      const float *stats, const float *dy, std::int64_t batch, float *dx,
                                      float *grad_slice)
{
   ensure_size(batch_norm_work_, 2 * shape.features);
   cuda::batch_norm_backward(geometry(shape, batch), slice, xhat, stats, dy, dx, grad_slice,
                             batch_norm_work_.data(), compute_.get());
}

} // namespace cuda
} // namespace hashednet
