// host_backend.h: what the CPU and the reference backend share (internal).
//
// What it is: a Backend whose memory is host memory (a Buffer holds a
// std::vector<float>), with the data operations (input transform, batch
// gather), the loss, the output transform and the elementwise multiply
// written once as plain host loops (the arithmetic the core has always
// used). The CPU and the reference backend derive from it and add the
// layer kernels; the factories of both are declared here for make_backend.
//
// What it is not: a device backend (a GPU backend implements backend.h itself).
#ifndef HASHEDNET_SRC_HOST_BACKEND_H
#define HASHEDNET_SRC_HOST_BACKEND_H

#include "hashednet/backend.h"

#include <memory>

namespace hashednet {

class HostBackend : public Backend {
public:
   Buffer allocate(std::int64_t n) override;
   void copy_to_host(const Buffer &src, std::int64_t offset, std::int64_t n, float *dst) const override;
   void copy_from_host(const float *src, std::int64_t n, Buffer &dst, std::int64_t offset) override;
   void copy(const float *src, std::int64_t n, float *dst) override;

   void transform_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                         const Buffer &scale, Buffer &out) override;
   void transform_resident_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                  const Buffer &scale, Buffer &out) override
   {
      transform_inputs(x, batch, n, offset, scale, out); // host memory is this backend's memory
   }
   void gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n, const Buffer &offset,
                     const Buffer &scale, BatchBuffers &batch) override;

   double loss(Task task, const float *logits, const float *targets, const float *weights, std::int64_t batch,
               std::int64_t n_outputs, double norm, float *d_logits) override;
   void output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs) override;
   void multiply(float *x, const float *factor, std::int64_t n) override;

   /// The items on up to num_threads() threads (dynamic schedule: a thread that the machine's load holds
   /// back takes fewer items), the first exception of a body rethrown after the others have ended.
   int item_slots() const override { return num_threads(); }
   void for_each_item(std::int64_t n_items, std::int64_t work, const ItemBody &body) override;

   // The image layers' data movements, plain loops (host_image_ops.cpp).
   void im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols) override;
   void col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx) override;
   void transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out) override;
   void accumulate(const float *x, float *y, std::int64_t n) override;
   void max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                         float *argmax) override;
   void max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax, std::int64_t batch,
                          float *dx) override;

   // batch normalisation (host_batch_norm.cpp)
   void batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                         std::uint64_t trained_batches, float *y, float *xhat, float *stats, float *running) override;
   void batch_norm_infer(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                         float *y) override;
   void batch_norm_backward(const BatchNormShape &shape, const float *slice, const float *xhat, const float *stats,
                            const float *dy, std::int64_t batch, float *dx, float *grad_slice) override;
   /// V entry by entry from the scheme's host reference; its transpose through add_gradient_reference in double.
   bool makes_virtual_matrix() const override { return true; }
   void virtual_matrix(const FullyConnected &layer, const float *params, float *vb) override;
   void virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                float *grad) override;
};

/// The CPU backend: tiles of V generated from the hash into a cache-sized
/// buffer and multiplied with an optimised sgemm, threads over tiles.
/// num_threads 0 means all hardware threads.
std::unique_ptr<Backend> make_cpu_backend(int num_threads);

/// The reference backend: V materialised densely through the weight
/// scheme's host reference, plain loops accumulated in double, one thread.
std::unique_ptr<Backend> make_reference_backend();

/// num_threads, or all hardware threads for 0.
int resolve_threads(int num_threads);

} // namespace hashednet

#endif // HASHEDNET_SRC_HOST_BACKEND_H
