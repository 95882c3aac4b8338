// layer.h: what every kind of layer implements.
//
// What it is: the interface of one layer of a Network (tiny-cuda-nn's
// shape). A layer owns the slice [offset(), offset() + n_params()) of the
// network's one flat parameter buffer; it draws its initial values, runs
// forward on a batch (filling a context it made once) and backward from
// that context, through the coarse operations of a Backend. A layer keeps
// no per-batch state: the context holds it, and the caller keeps one
// context per layer across batches, so steady-state training allocates
// nothing.
//
// Adding a layer kind: a class deriving from Layer (one header and one
// source file), a value of LayerKind, its backend operations (one per
// backend: backend.h and each backend's file), and its construction in
// network.cpp.
//
// What it is not: the activation of the network's input (dropout lives in
// Network) or an optimizer.
#ifndef HASHEDNET_LAYER_H
#define HASHEDNET_LAYER_H

#include "hashednet/backend.h"
#include "hashednet/buffer.h"
#include "hashednet/config.h"
#include "hashednet/rng.h"

#include <cstdint>
#include <memory>
#include <string>

namespace hashednet {

enum class LayerKind {
   FullyConnected, ///< y = f(x V^T + b), V from a weight scheme (dense, ELEMENT, BLOCK, FUNHASH, FRESH)
   Conv2D,         ///< y = f(V * x + b) per filter, V (filters x depth*fh*fw) from a weight scheme (conv2d.h)
   MaxPool2D,      ///< the maximum over each window of each channel (max_pool2d.h)
   Reshape,        ///< y = x: the same values seen as another shape (reshape.h)
   BatchNorm       ///< y = gamma (x - mean) / sqrt(var + epsilon) + beta per feature (batch_norm.h)
};

/// What one forward pass of a layer leaves for its backward pass. `output`
/// is the layer's output (batch x n_out); kinds add what else they need.
struct LayerContext {
   virtual ~LayerContext() = default;
   Buffer output;
   bool inference = false; ///< set by Network::predict: no backward pass follows this forward pass
   /// BNORM: normalise with the running statistics (predict, validation), not the batch's (training).
   bool running_statistics = false;
   std::uint64_t trained_batches = 0; ///< BNORM in training: training batches before this one (its update's weight)
};

/// A layer's size in memory.
struct LayerMemory {
   std::int64_t n_in = 0, n_out = 0;
   bool hashed = false;
   std::int64_t virtual_weights = 0; ///< n_in * n_out + n_out (CONV: filters * depth*fh*fw + filters)
   std::int64_t real_params = 0;     ///< buckets + bias parameters (+ g's, FUNHASH)
   std::int64_t reconstruction_params = 0; ///< FUNHASH: g's parameters (|alpha|, part of real_params); else 0
   std::string scheme;               ///< the weight scheme: DENSE, ELEMENT, BLOCK, FUNHASH or FRESH; NONE without weights
   std::int64_t bytes = 0;           ///< real_params * sizeof(float)
   double compression = 1.0;         ///< real_params / virtual_weights (1 without weights)
   std::string kind = "DENSE";       ///< the Layout entry's type: DENSE, CONV, MAXPOOL, RESHAPE or BNORM
};

class Layer {
public:
   virtual ~Layer() = default;
   virtual LayerKind kind() const = 0;
   /// Features per event going in and coming out.
   virtual std::int64_t n_in() const = 0;
   virtual std::int64_t n_out() const = 0;
   /// First parameter of this layer in the flat buffer, and how many it owns.
   virtual std::int64_t offset() const = 0;
   virtual std::int64_t n_params() const = 0;
   virtual LayerMemory memory() const = 0;

   /// Draws the layer's initial parameters into `params` (host memory, the
   /// layer's slice only), taking numbers from `rng` in a fixed order.
   virtual void initialize(float *params, WeightInit init, Rng &rng) const = 0;

   /// A context for forward(); made once and reused for every batch.
   virtual std::unique_ptr<LayerContext> make_context() const = 0;

   /// context.output (resized to batch x n_out) from x (batch x n_in); params
   /// is the start of the flat buffer; everything is in backend memory.
   void forward(Backend &backend, const float *params, const float *x, std::int64_t batch,
                LayerContext &context) const
   {
      HASHEDNET_ASSERT(batch >= 0 && x != nullptr && params != nullptr);
      forward_impl(backend, params, x, batch, context);
   }

   /// From dy = dL/doutput (batch x n_out; the layer may overwrite it): dx =
   /// dL/dx (batch x n_in) when dx is not null, and the layer's slice of
   /// `grad` (the start of the flat gradient) overwritten with dL/dparams.
   /// x and context are those of the forward pass of the same batch.
   void backward(Backend &backend, const float *params, const float *x, std::int64_t batch, LayerContext &context,
                 float *dy, float *dx, float *grad) const
   {
      HASHEDNET_ASSERT(context.output.size() == batch * n_out() && dy != nullptr && grad != nullptr);
      backward_impl(backend, params, x, batch, context, dy, dx, grad);
   }

private:
   virtual void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                             LayerContext &context) const = 0;
   virtual void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                              LayerContext &context, float *dy, float *dx, float *grad) const = 0;
};

} // namespace hashednet

#endif // HASHEDNET_LAYER_H
