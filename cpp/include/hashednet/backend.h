// backend.h: the coarse operations a network needs, and nothing else.
//
// The network and the trainer only call these; a backend (CPU now, CUDA
// later) implements them and is free to fuse inside each one. All matrices
// are row-major and contiguous: a batch of B events of n features is B x n.
// Pointers to parameters and gradients point at the start of the flat
// buffers; a layer finds its slice through HashedLayout::offset.
#ifndef HASHEDNET_BACKEND_H
#define HASHEDNET_BACKEND_H

#include "hashednet/config.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <memory>

namespace hashednet {

struct AdamState {
   double beta1 = 0.9;
   double beta2 = 0.999;
   double epsilon = 1e-7;
   std::int64_t step = 0; ///< number of updates done so far
};

class Backend {
public:
   virtual ~Backend() = default;
   virtual const char *name() const = 0;

   /// y (B x n_out) = x (B x n_in) V^T + b
   virtual void linear_forward(const HashedLayout &layer, const float *params, const float *x, std::int64_t batch,
                               float *y) = 0;

   /// From dy (B x n_out): dx (B x n_in) = dy V when dx is not null, and the
   /// layer's slice of `grad` is overwritten with dL/dw (buckets and bias).
   virtual void linear_backward(const HashedLayout &layer, const float *params, const float *x, const float *dy,
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

   /// params -= lr * (velocity = momentum * velocity + grad + wd * params)
   virtual void sgd_step(float *params, const float *grad, float *velocity, std::int64_t n, double learning_rate,
                         double momentum, double weight_decay) = 0;

   /// Adam (Kingma & Ba) with L2 weight decay added to the gradient; advances state.step.
   virtual void adam_step(float *params, const float *grad, float *m, float *v, std::int64_t n,
                          double learning_rate, double weight_decay, AdamState &state) = 0;
};

/// The CPU backend: tiles of V generated from the hash into a cache-sized
/// buffer and multiplied with an optimised sgemm, threads over tiles.
/// num_threads 0 means all hardware threads.
std::unique_ptr<Backend> make_cpu_backend(int num_threads = 0);

} // namespace hashednet

#endif // HASHEDNET_BACKEND_H
