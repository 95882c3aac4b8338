// cuda_backend.h: the CUDA implementation of backend.h (internal to libhashednet_cuda.so).
//
// What it is: a Backend whose Buffers are device memory on device 0 and
// whose operations are enqueued on one compute stream: the hashed products
// through hashed_product.h (cudak's kernels: FUSED by default, MATERIALIZE
// + cuBLAS on request), the coarse operations through backend_kernels.h.
// Nothing synchronises the host except what returns data to it: copy_to_host,
// copy_from_host (the caller may free its source on return), loss (its value)
// and gather_batch's wait for a free staging slot.
//
// Events in, overlapped with compute: gather_batch copies the batch's raw
// rows on the host into one of two page-locked staging slots, sends them on
// a separate copy stream, and the compute stream waits for that copy (an
// event) before transforming them into the batch. While the device still
// runs batch k's backward pass and optimizer step (queued after the loss),
// the host gathers batch k + 1 into the other slot and its upload runs on the
// copy engine. A slot is reused only after its previous upload finished and
// the transform that read it ran (two events per slot).
//
// Memory: the buffers the network asks for, two staging slots of one batch,
// one workspace that grows to the largest workspace_bytes of the products
// (tile-sized), and nothing of size n_in x n_out.
//
// Settings, given at construction (device.h's GpuSettings, from the options
// GpuProduct and GpuDeterministic): the products' method and whether bucket
// gradients are summed in fixed point (the same bits every run).
//
// What it is not: device detection (cuda_entry.cu), the optimizers
// (cuda_optimizers.cu) or the kernels of the products (hashed_product.*).
#ifndef HASHEDNET_CUDA_BACKEND_H
#define HASHEDNET_CUDA_BACKEND_H

#include "cuda_resources.h"
#include "hashed_product.h"

#include "hashednet/backend.h"

#include <string>

namespace hashednet {
namespace cuda {

class CudaBackend final : public Backend {
public:
   /// On the current device (cuda_entry.cu selects device 0); `description` is name()'s text.
   CudaBackend(std::string description, const GpuSettings &settings);

   const char *name() const override { return description_.c_str(); }
   Architecture architecture() const override { return Architecture::Gpu; }
   int num_threads() const override { return 1; } ///< one host thread drives the device
   void set_num_threads(int) override {}        ///< NumThreads is a CPU setting: nothing to change here

   Buffer allocate(std::int64_t n) override;
   void copy_to_host(const Buffer &src, std::int64_t offset, std::int64_t n, float *dst) const override;
   void copy_from_host(const float *src, std::int64_t n, Buffer &dst, std::int64_t offset) override;
   void copy(const float *src, std::int64_t n, float *dst) override;

   void transform_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                         const Buffer &scale, Buffer &out) override;
   void transform_resident_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                  const Buffer &scale, Buffer &out) override;
   void gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n, const Buffer &offset,
                     const Buffer &scale, BatchBuffers &batch) override;

   double loss(Task task, const float *logits, const float *targets, const float *weights, std::int64_t batch,
               std::int64_t n_outputs, double norm, float *d_logits) override;
   void output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs) override;

   void linear_forward(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                       float *y) override;
   void linear_backward(const FullyConnected &layer, const float *params, const float *x, const float *dy,
                        std::int64_t batch, float *dx, float *grad) override;
   void activation_forward(Activation f, const float *z, float *a, std::int64_t n) override;
   void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                            std::int64_t n) override;
   void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                        std::uint64_t seed) override;
   void multiply(float *x, const float *factor, std::int64_t n) override;

   // CONV and MAXPOOL layers' data movements (image_kernels.h; the products are linear_*).
   void im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols) override;
   void col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx) override;
   void transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out) override;
   void accumulate(const float *x, float *y, std::int64_t n) override;
   void max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                         float *argmax) override;
   void max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax, std::int64_t batch,
                          float *dx) override;

   // BNORM (batch_norm_kernels.h: per-feature sums in double in a fixed order, per-value math the host's).
   void batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                         std::uint64_t trained_batches, float *y, float *xhat, float *stats, float *running) override;
   void batch_norm_infer(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                         float *y) override;
   void batch_norm_backward(const BatchNormShape &shape, const float *slice, const float *xhat, const float *stats,
                            const float *dy, std::int64_t batch, float *dx, float *grad_slice) override;

   // A convolution's filter matrix made whole once per batch (hashed_product.h's virtual_matrix: every
   // hashed scheme, FRESH included), as the host backends do.
   bool makes_virtual_matrix() const override { return true; }
   void virtual_matrix(const FullyConnected &layer, const float *params, float *vb) override;
   void virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                float *grad) override;

   /// The compute stream (the optimizers enqueue on it).
   cudaStream_t stream() const { return compute_.get(); }

private:
   /// One batch's raw rows on their way to the device (see the top of this file).
   struct StagingSlot {
      PinnedArray<float> x, y, w;
      PinnedArray<std::int64_t> index;
      DeviceArray<float> raw_x, raw_y, raw_w;
      DeviceArray<std::int64_t> device_index;
      Event uploaded; ///< copy stream: the slot's pinned memory has been sent
      Event consumed; ///< compute stream: the transform has read raw_*
   };

   StagingSlot &next_slot();
   void upload_rows(const DataView &data, const std::int64_t *index, std::int64_t n, StagingSlot &slot,
                    double &weight_sum);
   void gather_resident(const DataView &data, const std::int64_t *index, std::int64_t n, const Buffer &offset,
                        const Buffer &scale, BatchBuffers &batch, StagingSlot &slot);
   /// An Error unless p (of `what`) is device memory of this backend's device (a resident array).
   void check_resident(const void *p, const char *what) const;
   Workspace workspace(const ProductLayer &layer, std::int64_t batch);
   Launch launch() const { return {compute_.get(), cublas_.get()}; }

   std::string description_;
   int device_ = 0;
   Method method_ = Method::Fused;
   bool deterministic_ = false;
   Stream compute_, copy_;
   CublasHandle cublas_;
   StagingSlot slots_[2];
   int next_slot_ = 0;
   DeviceArray<unsigned char> workspace_;
   DeviceArray<double> batch_norm_work_; ///< 2 x features doubles: a BNORM pass's moments or gradient sums
   DeviceArray<double> loss_result_;
   PinnedArray<double> loss_host_;
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_BACKEND_H
