// backend.h: the memory and the coarse operations a network needs, and nothing else.
//
// What it is: the one seam between the network/trainer and a device. A
// backend allocates Buffers in its memory, copies to and from the host, and
// runs coarse operations on pointers into its memory; it is free to fuse
// inside each one. Every matrix is row-major and contiguous: a batch of B
// events of n features is B x n. Pointers to parameters and gradients point
// at the start of the flat buffers; a layer finds its slice through its
// offset. Host data (the caller's event arrays) enter only through
// transform_inputs and gather_batch.
//
// Backends (make_backend): CPU (fused hashed GEMM, threads), Reference (for
// tests: every V materialised through the weight scheme's host reference,
// plain loops, one thread), GPU (cpp/cuda/cuda_backend.*, in
// libhashednet_cuda.so, loaded by make_backend: device.h).
//
// What it is not: a layer, a loss definition (loss.h), an optimizer (optimizer.h).
#ifndef HASHEDNET_BACKEND_H
#define HASHEDNET_BACKEND_H

#include "hashednet/buffer.h"
#include "hashednet/config.h"
#include "hashednet/device.h"
#include "hashednet/image_window.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hashednet {

class FullyConnected;
struct BatchNormShape;

/// Where a network runs. Reference is for tests (see above); Gpu exists in
/// builds with CUDA only (issue 10).
enum class Architecture { Cpu, Reference, Gpu };

/// The Architecture of an Architecture option value: CPU and STANDARD (MethodDNN's old name) -> Cpu,
/// GPU -> Gpu, REFERENCE -> Reference; anything else is an Error naming the allowed values.
Architecture architecture_from_string(const std::string &name);
std::string architecture_name(Architecture architecture);
/// The Architecture of a Python `device`: "cpu" -> Cpu, "cuda" -> Gpu; anything else is an Error naming both.
Architecture architecture_from_device(const std::string &device);
/// "cuda" for Gpu, else "cpu" (the reference backend runs on the CPU).
std::string device_name(Architecture architecture);

/// Borrowed, row-major event data in host memory. y holds one value per
/// event (class label 0/1, or class index) or n_targets values (regression);
/// w may be null (all 1).
struct DataView {
   const float *x = nullptr;
   const float *y = nullptr;
   const float *w = nullptr;
   std::int64_t n = 0;
   std::int64_t n_features = 0;
   std::int64_t n_targets = 1;
   /// x, y, w point into the backend's memory instead (a CuPy array for the
   /// GPU backend; for a host backend the same as host memory): no host code
   /// may read them (the caller has checked them on the device).
   bool resident = false;
};

/// One mini-batch in backend memory: transformed inputs, targets, weights.
struct BatchBuffers {
   Buffer x, y, w;
   std::int64_t size = 0;
   double weight_sum = 0.0; ///< sum of the batch's weights, in event order, in double
};

class Backend {
public:
   virtual ~Backend() = default;
   virtual const char *name() const = 0;
   virtual Architecture architecture() const = 0;
   /// Threads the backend's kernels use (>= 1).
   virtual int num_threads() const = 0;
   /// 0 means all hardware threads.
   virtual void set_num_threads(int num_threads) = 0;

   // ---------------------------------------------------------------- memory
   /// n floats, all zero.
   virtual Buffer allocate(std::int64_t n) = 0;
   /// buffer.size() = n; reallocates (the values are then lost) only when n > capacity().
   void resize(Buffer &buffer, std::int64_t n);
   /// dst[0, n) = src[offset, offset + n)
   virtual void copy_to_host(const Buffer &src, std::int64_t offset, std::int64_t n, float *dst) const = 0;
   /// dst[offset, offset + n) = src[0, n)
   virtual void copy_from_host(const float *src, std::int64_t n, Buffer &dst, std::int64_t offset = 0) = 0;
   /// dst[0, n) = src[0, n), both in this backend's memory.
   virtual void copy(const float *src, std::int64_t n, float *dst) = 0;

   // ---------------------------------------------------------------- data
   /// out (resized to batch x n) = (x - offset) * scale for `batch` host events x (batch x n).
   virtual void transform_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                 const Buffer &scale, Buffer &out) = 0;
   /// transform_inputs for x in this backend's memory (e.g. CuPy data on the
   /// GPU). Host backends: transform_inputs; the default is an Error.
   virtual void transform_resident_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                          const Buffer &scale, Buffer &out);
   /// Events index[0, n) (a host array) of `data` (host, or data.resident) into `batch`: inputs transformed as
   /// by transform_inputs, targets, weights (1 where data.w is null), and
   /// their weight_sum.
   virtual void gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n, const Buffer &offset,
                             const Buffer &scale, BatchBuffers &batch) = 0;

   // ---------------------------------------------------------------- loss and output
   /// loss.h's loss_and_gradient on backend pointers (weights may be null: all 1).
   virtual double loss(Task task, const float *logits, const float *targets, const float *weights,
                       std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits) = 0;
   /// The task's response from logits, in place (n x n_outputs): sigmoid, softmax or identity.
   virtual void output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs) = 0;

   // ---------------------------------------------------------------- layers
   // The kernels of each layer kind (fully_connected.h: linear_*), with V
   // from the layer's weight scheme (weight_scheme.h); a backend chooses its
   // kernels per scheme.

   /// y (B x n_out) = x (B x n_in) V^T + b
   virtual void linear_forward(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                               float *y) = 0;

   /// The same y in inference, when no backward pass of the batch follows
   /// (Network::predict). A backend may take other kernels here (the CPU's
   /// small-batch kernels) whose summation order differs from linear_forward's:
   /// the results agree to float rounding. Training always calls
   /// linear_forward, so its results do not depend on this. By default linear_forward.
   virtual void linear_infer(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                             float *y)
   {
      linear_forward(layer, params, x, batch, y);
   }

   /// From dy (B x n_out): dx (B x n_in) = dy V when dx is not null, and the
   /// layer's slice of `grad` is overwritten with dL/dparams (scheme and bias).
   virtual void linear_backward(const FullyConnected &layer, const float *params, const float *x, const float *dy,
                                std::int64_t batch, float *dx, float *grad) = 0;

   /// a = f(z) elementwise over n values.
   virtual void activation_forward(Activation f, const float *z, float *a, std::int64_t n) = 0;

   /// dz = da * f'(z) elementwise; dz may alias da.
   virtual void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                                    std::int64_t n) = 0;

   /// Inverted dropout: keep[e] = 0 with probability p, else 1 / (1 - p), and
   /// y = x * keep over n values (y may be x). The mask is SplitMix64's
   /// numbers 0 .. n-1 of `seed` (rng.h: e is dropped when Rng(seed)'s number
   /// e, as uniform(), is below p), whatever the backend or thread count.
   virtual void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                                std::uint64_t seed) = 0;

   /// x *= factor elementwise over n values (dropout's backward pass).
   virtual void multiply(float *x, const float *factor, std::int64_t n) = 0;

   // ---------------------------------------------------------------- independent items
   /// body(item, slot) once for each item in [0, n_items), for items that write disjoint outputs and
   /// only their slot's work buffers (a convolution's tiles of events). `work` is the multiply-adds of
   /// all items: a host backend runs the items on its threads when that is worth it (cpu_parallel.h),
   /// each item wholly on one thread, and every operation the body calls then runs on that thread alone
   /// (the same kernels, so the same bits, as on one thread). `slot` < item_slots() names the running
   /// thread's buffers. The items may run in any order. By default: in order, on slot 0 (a device
   /// backend keeps its own threading inside each operation).
   using ItemBody = std::function<void(std::int64_t item, int slot)>;
   virtual int item_slots() const { return 1; }
   virtual void for_each_item(std::int64_t n_items, std::int64_t work, const ItemBody &body);

   // ---------------------------------------------------------------- image layers
   // The data movements of the convolution and pooling layers (conv2d.h,
   // max_pool2d.h); a convolution's products are linear_forward and
   // linear_backward on its filter matrix. Host backends implement them
   // once (host_backend.cpp); the defaults here throw an Error naming the
   // backend, so a backend without them still builds and runs dense networks.

   /// cols (n_images * positions x patch) from images x (n_images x
   /// image_size): row p of image b is the patch of output position p
   /// (image_window.h's order; 0 in the padding).
   virtual void im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols);

   /// dx (n_images x image_size, overwritten) = im2col's transpose applied
   /// to cols: every patch value added back into the pixel it was read from.
   virtual void col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx);

   /// out = each of the n row-major rows x cols blocks of `in` transposed
   /// (out block k is cols x rows).
   virtual void transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out);

   /// y += x elementwise over n values.
   virtual void accumulate(const float *x, float *y, std::int64_t n);

   /// y (batch x depth * positions) = the maximum over each window of x
   /// (batch x image_size; no padding); `argmax` gets, per output, the
   /// image index of the first maximal tap (as a float, exact below 2^24).
   virtual void max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                                 float *argmax);

   /// dx (batch x image_size, overwritten) = each dy added at its argmax.
   virtual void max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax, std::int64_t batch,
                                  float *dx);

   // ---------------------------------------------------------------- batch normalisation
   // BNORM (batch_norm.h). `slice` is the layer's parameters: gamma, beta,
   // running means, running variances (shape.features each); value k of an
   // event belongs to feature k / shape.spatial. Host backends implement them
   // once (host_batch_norm.cpp); the defaults throw an Error naming the backend.

   /// Training: per feature, the batch's mean and biased variance over its batch * spatial values, xhat =
   /// (x - mean) / sqrt(var + epsilon) into `xhat`, y = gamma xhat + beta; `stats` (2 x features) gets the
   /// means, then 1 / sqrt(var + epsilon); `running` (2 x features) the running means and variances after
   /// this batch (batch_norm.h's running_update), the slice itself is not changed.
   virtual void batch_norm_train(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                                 std::uint64_t trained_batches, float *y, float *xhat, float *stats, float *running);

   /// Inference: y = event_conv.h's batch_norm_value with the running statistics, per value.
   virtual void batch_norm_infer(const BatchNormShape &shape, const float *slice, const float *x, std::int64_t batch,
                                 float *y);

   /// From dy (batch x values) of a training pass (its xhat and stats): dx when not null, and grad_slice
   /// (4 x features) overwritten with dL/dgamma, dL/dbeta and 0 for the running statistics.
   virtual void batch_norm_backward(const BatchNormShape &shape, const float *slice, const float *xhat,
                                    const float *stats, const float *dy, std::int64_t batch, float *dx,
                                    float *grad_slice);

   /// Whether virtual_matrix and virtual_matrix_backward are built here (the
   /// host backends); elsewhere a convolution keeps its tiled filter product.
   virtual bool makes_virtual_matrix() const { return false; }

   /// vb = the layer's virtual matrix V (n_out x n_in, row-major) made
   /// whole, then its n_out virtual biases (params: as linear_forward's). A
   /// convolution makes its small filter matrix so once per batch (conv2d.h).
   virtual void virtual_matrix(const FullyConnected &layer, const float *params, float *vb);

   /// virtual_matrix's transpose: the layer's slice of grad (scheme and bias)
   /// overwritten with dL/dparams from dvb = dL/dV (n_out x n_in), then dL/db (n_out).
   virtual void virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                        float *grad);
};

/// The backend of `architecture` with num_threads threads (0 = all hardware
/// threads). Architecture::Gpu loads libhashednet_cuda.so; without it, a
/// driver or a device it is an Error saying which (device.h). `gpu` is the
/// GPU backend's settings; for another architecture anything but the
/// default is an Error (the options refuse it first: options.cpp).
std::unique_ptr<Backend> make_backend(Architecture architecture, int num_threads = 0,
                                      const GpuSettings &gpu = GpuSettings());

} // namespace hashednet

#endif // HASHEDNET_BACKEND_H
