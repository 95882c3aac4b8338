// network.h: a stack of layers over one flat parameter buffer.
//
// A Network is its spec, one Layer component per layer (layer.h; today all
// fully connected, fully_connected.h), ONE flat parameter buffer in its
// backend's memory (every layer's parameters are a slice of it), and an
// affine input transform x' = (x - offset) * scale. It keeps no per-batch
// state: forward() fills and returns a ForwardContext that backward()
// consumes; the caller owns the context and reuses it across batches.
// Host code reads and writes the parameters only through host_params() and
// set_params().
//
// It is not a trainer (trainer.h), a loss (loss.h) or a file format
// (serialize.h).
#ifndef HASHEDNET_NETWORK_H
#define HASHEDNET_NETWORK_H

#include "hashednet/backend.h"
#include "hashednet/buffer.h"
#include "hashednet/config.h"
#include "hashednet/fully_connected.h"
#include "hashednet/hashed_layout.h"
#include "hashednet/layer.h"
#include "hashednet/loss.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

/// Everything one forward pass leaves for the backward pass, and the buffers
/// both passes work in, all in the backend's memory. forward() fills it and
/// returns it; backward() consumes it. A caller that keeps one context and
/// passes it to every batch allocates nothing in steady state: the buffers
/// only grow. Layer 0's input is borrowed, not copied (unless dropout scales
/// it), so x must outlive the backward pass of its batch.
struct ForwardContext {
   std::int64_t batch = 0;
   const float *x = nullptr;                           ///< the transformed input of layer 0 (borrowed)
   std::vector<std::unique_ptr<LayerContext>> layers;  ///< made by each layer once
   std::vector<Buffer> dropped;                        ///< input of layer l after dropout (only when layer l has dropout)
   std::vector<Buffer> keep;                           ///< dropout scale of each layer's input (empty = none)
   Buffer delta, d_input;                              ///< backward scratch: dL/doutput of a layer, dL/dinput
   Buffer transformed;                                 ///< room for a caller's transformed input (predict)

   const Buffer &logits() const { return layers.back()->output; }
   Buffer &logits() { return layers.back()->output; }
   /// The input of layer l (batch x n_in of layer l).
   const float *input(int l) const
   {
      if (!keep[l].empty())
         return dropped[l].data();
      return l == 0 ? x : layers[l - 1]->output.data();
   }
};

/// Dropout of each layer's input during training: probability and random stream.
struct DropoutPlan {
   std::vector<double> probability; ///< per layer; missing entries are 0
   std::uint64_t seed = 0;          ///< combined with the batch counter
};

class Network {
public:
   /// Validates the spec (clear hashednet::Error on any impossible value) and
   /// lays out the parameters in `backend`'s memory, all zero; call
   /// initialize_params() next. The backend must outlive the network.
   Network(NetworkSpec spec, Backend &backend);

   Backend &backend() const { return *backend_; }
   const NetworkSpec &spec() const { return spec_; }
   std::int64_t n_inputs() const { return spec_.n_inputs; }
   std::int64_t n_outputs() const { return spec_.n_outputs; }
   int n_layers() const { return static_cast<int>(layers_.size()); }
   const Layer &layer(int l) const { return *layers_.at(l); }
   /// Layer l as a fully connected layer (an Error for another kind).
   const FullyConnected &fully_connected(int l) const;
   /// Layer l's weight layout: a fully connected layer's, or a CONV layer's filter matrix
   /// (filters x depth*fh*fw, at the layer's offset); an Error for a layer without weights.
   const HashedLayout &layout(int l) const;
   /// The fully connected layer whose V is layer l's weights: itself, or a CONV layer's filter
   /// layer, whose offset is 0 (pass it params + weight_shift(l)); an Error for a layer without weights.
   const FullyConnected &weight_layer(int l) const;
   /// Where weight_layer(l)'s parameters start: a CONV layer's offset, 0 for a dense layer.
   std::int64_t weight_shift(int l) const;
   Activation activation(int l) const { return spec_.layers.at(l).activation; }
   std::int64_t n_params() const { return params_.size(); }
   std::int64_t n_virtual_params() const;

   /// The flat parameter buffer, in the backend's memory.
   Buffer &params() { return params_; }
   const Buffer &params() const { return params_; }
   /// A host copy of the parameters, and their replacement from host values.
   std::vector<float> host_params() const;
   void set_params(const float *values, std::int64_t n);

   /// Each layer's initialize() in order, on one random stream from `seed`.
   void initialize_params(WeightInit init, std::uint64_t seed);

   const std::vector<float> &input_offset() const { return input_offset_; }
   const std::vector<float> &input_scale() const { return input_scale_; }
   void set_input_transform(const float *offset, const float *scale, std::int64_t n);

   /// out (backend memory) = (x - offset) * scale for `batch` host events x.
   void transform_inputs(const float *x, std::int64_t batch, Buffer &out) const;
   /// Events index[0, n) of host data, transformed, into `batch` (backend memory).
   void gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n, BatchBuffers &batch) const;

   /// Logits of a batch of already transformed inputs x (backend memory),
   /// into `context` (whose buffers are reused; see ForwardContext), which is
   /// returned. `dropout` null in inference.
   ForwardContext &forward(const float *x, std::int64_t batch, ForwardContext &context,
                           const DropoutPlan *dropout = nullptr, std::uint64_t batch_counter = 0) const;

   /// forward() with every BNORM layer on its running statistics (no dropout): the validation loss
   /// during training. The same kernels as forward(), so a network without BNORM gets forward()'s bits.
   ForwardContext &evaluate(const float *x, std::int64_t batch, ForwardContext &context) const;

   /// After a training batch's forward() (and the optimizer's step): the running statistics of every
   /// BNORM layer that the batch computed into `context` written into the parameters (batch_norm.h).
   void commit_running_statistics(const ForwardContext &context);

   /// Writes dL/dparams into grad (backend memory, n_params()) from dL/dlogits
   /// (backend memory). Uses the context's scratch buffers, so the context is not const.
   void backward(ForwardContext &context, const float *d_logits, float *grad) const;

   /// The response of n raw host events into host `out` (n x n_outputs):
   /// sigmoid, softmax or identity of the logits according to the task. With
   /// a kept `context` nothing is allocated in steady state.
   void predict(const float *x, std::int64_t n, float *out, ForwardContext &context) const;
   /// predict with x and out in the backend's memory (DataView::resident; e.g. CuPy arrays on the GPU).
   void predict_resident(const float *x, std::int64_t n, float *out, ForwardContext &context) const;

   /// The dense matrix V of layer l (n_out x n_in), for tests and references only.
   std::vector<float> materialize_weights(int l) const;
   std::vector<float> materialize_bias(int l) const;

   std::vector<LayerMemory> memory_report() const;

   /// Importance of each input: sum over the first layer's rows of V[i][j]^2,
   /// computed by streaming over the hash (no matrix is built). A first CONV
   /// layer: the sum of V[i][k]^2 over the filters and every tap k that reads
   /// the pixel; a first MAXPOOL or RESHAPE: 1 for every input.
   std::vector<double> input_importance() const;

private:
   void build_layers();
   /// forward(); `inference`: no backward pass follows (predict), so the
   /// backend may take its inference kernels (Backend::linear_infer).
   /// `running_statistics`: BNORM layers normalise with their running statistics (predict, evaluate).
   ForwardContext &forward_pass(const float *x, std::int64_t batch, ForwardContext &context,
                                const DropoutPlan *dropout, std::uint64_t batch_counter, bool inference,
                                bool running_statistics) const;
   HashedLayout make_layout(int l, std::int64_t n_in, std::int64_t offset) const;
   std::int64_t funhash_weight_params(int l, std::int64_t buckets_given, std::int64_t n_real) const;
   std::unique_ptr<WeightScheme> make_scheme(const HashedLayout &layout, int slice_fh = 0, int slice_fw = 0) const;
   /// Layer l, a CONV, MAXPOOL or RESHAPE entry, on values of `shape` (not
   /// given: a vector); updates shape and `flat` (may a dense layer follow?) to its output (network_image.cpp).
   std::unique_ptr<Layer> make_image_layer(int l, ImageShape &shape, bool &flat, std::int64_t offset) const;
   std::vector<double> image_input_importance() const; ///< input_importance() of a CNN (network_image.cpp)
   /// Layer l, a BNORM entry, on n_in values of `shape` (`flat`: not a CONV's or MAXPOOL's image).
   std::unique_ptr<Layer> make_batch_norm(int l, const ImageShape &shape, bool flat, std::int64_t n_in,
                                          std::int64_t offset) const;

   Backend *backend_;
   NetworkSpec spec_;
   std::vector<std::unique_ptr<Layer>> layers_;
   Buffer params_;
   std::vector<float> input_offset_, input_scale_; ///< host copies (I/O, standalone class)
   Buffer offset_, scale_;                         ///< the same in backend memory (kernels)
};

/// The events of `spec` as images: its InputLayout, or 1 x 1 x n_inputs (MethodDL's default).
ImageShape input_shape(const NetworkSpec &spec);
/// DENSE, CONV, MAXPOOL, RESHAPE or BNORM.
const char *layer_type_name(LayerType type);

std::string activation_name(Activation f);
std::string task_name(Task task);
Activation activation_from_string(const std::string &name);
Task task_from_string(const std::string &name);

} // namespace hashednet

#endif // HASHEDNET_NETWORK_H
