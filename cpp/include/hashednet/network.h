// network.h: a stack of hashed (or dense) fully connected layers.
//
// A Network is its spec, one HashedLayout per layer and ONE flat parameter
// buffer (every layer's buckets and biases are slices of it), plus an affine
// input normalisation x' = (x - offset) * scale. It keeps no per-batch state:
// forward() fills and returns a ForwardContext that backward() consumes; the
// caller owns the context and reuses it across batches.
//
// It is not a trainer (trainer.h), a loss (loss.h) or a file format
// (serialize.h).
#ifndef HASHEDNET_NETWORK_H
#define HASHEDNET_NETWORK_H

#include "hashednet/backend.h"
#include "hashednet/config.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hashednet {

/// Everything one forward pass leaves for the backward pass, and the buffers
/// both passes work in. forward() fills it and returns it; backward()
/// consumes it. A caller that keeps one context and passes it to every batch
/// allocates nothing in steady state: the buffers only grow. Layer 0's input
/// is borrowed, not copied (unless dropout scales it), so x must outlive the
/// backward pass of its batch.
struct ForwardContext {
   std::int64_t batch = 0;
   const float *x = nullptr;                ///< the normalised input of layer 0 (borrowed)
   std::vector<std::vector<float>> dropped; ///< input of layer l after dropout (only when layer l has dropout)
   std::vector<std::vector<float>> z;       ///< pre-activation of each layer
   std::vector<std::vector<float>> a;       ///< output of each layer; a.back() are the logits
   std::vector<std::vector<float>> keep;    ///< dropout scale of each layer's input (empty = none)
   std::vector<float> delta, d_input;       ///< backward scratch: dL/dz of a layer, dL/dinput
   std::vector<float> normalized;           ///< room for a caller's normalised input (predict)

   const std::vector<float> &logits() const { return a.back(); }
   /// The input layer l multiplied (batch x n_in of layer l).
   const float *input(int l) const
   {
      if (!keep[l].empty())
         return dropped[l].data();
      return l == 0 ? x : a[l - 1].data();
   }
};

/// Dropout of each layer's input during training: probability and random stream.
struct DropoutPlan {
   std::vector<double> probability; ///< per layer; missing entries are 0
   std::uint64_t seed = 0;          ///< combined with the batch counter
};

struct LayerMemory {
   std::int64_t n_in = 0, n_out = 0;
   bool hashed = false;
   std::int64_t virtual_weights = 0; ///< n_in * n_out + n_out
   std::int64_t real_params = 0;     ///< buckets + bias parameters
   std::int64_t bytes = 0;           ///< real_params * sizeof(float)
   double compression = 1.0;         ///< real_params / virtual_weights
};

class Network {
public:
   /// Validates the spec (clear hashednet::Error on any impossible value) and
   /// lays out the parameters, all zero; call initialize_params() next.
   explicit Network(NetworkSpec spec);

   const NetworkSpec &spec() const { return spec_; }
   std::int64_t n_inputs() const { return spec_.n_inputs; }
   std::int64_t n_outputs() const { return spec_.n_outputs; }
   int n_layers() const { return static_cast<int>(layouts_.size()); }
   const HashedLayout &layout(int l) const { return layouts_.at(l); }
   Activation activation(int l) const { return spec_.layers.at(l).activation; }
   std::int64_t n_params() const { return static_cast<std::int64_t>(params_.size()); }
   std::int64_t n_virtual_params() const;

   std::vector<float> &params() { return params_; }
   const std::vector<float> &params() const { return params_; }
   void set_params(const float *values, std::int64_t n);

   /// Xavier/Glorot over each layer's (virtual) fan-in and fan-out; biases zero.
   void initialize_params(WeightInit init, std::uint64_t seed);

   const std::vector<float> &input_offset() const { return input_offset_; }
   const std::vector<float> &input_scale() const { return input_scale_; }
   void set_input_transform(const float *offset, const float *scale, std::int64_t n);

   /// x' = (x - offset) * scale for `batch` events, into `out`.
   void normalize(const float *x, std::int64_t batch, float *out) const;

   /// Logits of a batch of already normalised inputs, into `context` (whose
   /// buffers are reused; see ForwardContext), which is returned. `dropout`
   /// null in inference.
   ForwardContext &forward(const float *x_normalized, std::int64_t batch, Backend &backend, ForwardContext &context,
                           const DropoutPlan *dropout = nullptr, std::uint64_t batch_counter = 0) const;
   /// The same with a fresh context (allocates; for one-off calls).
   ForwardContext forward(const float *x_normalized, std::int64_t batch, Backend &backend) const;

   /// Writes dL/dparams into grad (size n_params()) from dL/dlogits. Uses the
   /// context's scratch buffers, so the context is not const.
   void backward(ForwardContext &context, const float *d_logits, Backend &backend, float *grad) const;

   /// The response of n raw events into out (n x n_outputs): sigmoid, softmax
   /// or identity of the logits according to the task. With a kept `context`
   /// nothing is allocated in steady state.
   void predict(const float *x, std::int64_t n, float *out, Backend &backend, ForwardContext &context) const;
   void predict(const float *x, std::int64_t n, float *out, Backend &backend) const;

   /// The dense matrix V of layer l (n_out x n_in), for tests and references only.
   std::vector<float> materialize_weights(int l) const;
   std::vector<float> materialize_bias(int l) const;

   std::vector<LayerMemory> memory_report() const;

   /// Importance of each input: sum over the first layer's rows of V[i][j]^2,
   /// computed by streaming over the hash (no matrix is built).
   std::vector<double> input_importance() const;

private:
   void build_layouts();
   HashedLayout make_layout(int l, std::int64_t n_in, std::int64_t offset) const;

   NetworkSpec spec_;
   std::vector<HashedLayout> layouts_;
   std::vector<float> params_;
   std::vector<float> input_offset_;
   std::vector<float> input_scale_;
};

/// Applies the task's output transform to logits in place (n x n_outputs).
void apply_output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs);

std::string activation_name(Activation f);
std::string task_name(Task task);
Activation activation_from_string(const std::string &name);
Task task_from_string(const std::string &name);

} // namespace hashednet

#endif // HASHEDNET_NETWORK_H
