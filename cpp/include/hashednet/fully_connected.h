// fully_connected.h: the fully connected layer, y = f(x V^T + b).
//
// What it is: the layer kind of HashedNets. Its virtual matrix V
// (n_out x n_in) is read from its parameters by its weight scheme
// (weight_scheme.h: dense, ELEMENT or BLOCK), its bias b as its HashedLayout's
// bias fields say (dense, or hashed); f is one of TMVA's activations.
// Parameters: the scheme's (layout.n_buckets = scheme.n_params() values),
// then the bias (n_bias_buckets values). The layout also carries the shape
// and the offset.
//
// What it is not: the product kernels (each backend's linear_forward and
// linear_backward) or the hash (hash.h).
#ifndef HASHEDNET_FULLY_CONNECTED_H
#define HASHEDNET_FULLY_CONNECTED_H

#include "hashednet/hashed_layout.h"
#include "hashednet/layer.h"
#include "hashednet/weight_scheme.h"

#include <memory>

namespace hashednet {

class FullyConnected final : public Layer {
public:
   /// V as `layout` says (HashedLayoutScheme).
   FullyConnected(const HashedLayout &layout, Activation activation);
   /// V from `scheme`; layout gives the shape, offset and bias, and its
   /// n_buckets must be scheme->n_params().
   FullyConnected(const HashedLayout &layout, std::unique_ptr<WeightScheme> scheme, Activation activation);

   LayerKind kind() const override { return LayerKind::FullyConnected; }
   std::int64_t n_in() const override { return layout_.n_in; }
   std::int64_t n_out() const override { return layout_.n_out; }
   std::int64_t offset() const override { return layout_.offset; }
   std::int64_t n_params() const override { return layout_.n_params(); }
   LayerMemory memory() const override;
   void initialize(float *params, WeightInit init, Rng &rng) const override;
   std::unique_ptr<LayerContext> make_context() const override;

   const HashedLayout &layout() const { return layout_; }
   const WeightScheme &scheme() const { return *scheme_; }
   Activation activation() const { return activation_; }

   /// V[i][j] and b[i] from host parameters (`params`: the start of the flat buffer).
   float virtual_weight(const float *params, std::int64_t i, std::int64_t j) const
   {
      return scheme_->virtual_weight(params + layout_.offset, i, j);
   }
   float virtual_bias(const float *params, std::int64_t i) const
   {
      return layout_.virtual_bias(params + layout_.bias_offset(), i);
   }

private:
   void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                     LayerContext &context) const override;
   void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                      LayerContext &context, float *dy, float *dx, float *grad) const override;

   HashedLayout layout_;
   std::unique_ptr<WeightScheme> scheme_;
   Activation activation_;
};

} // namespace hashednet

#endif // HASHEDNET_FULLY_CONNECTED_H
