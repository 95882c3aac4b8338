// event_predict.cpp: see event_predict.h.
#include "hashednet/event_predict.h"

#include "activation_array.h"
#include "event_kernels.h"
#include "funhash_tile.h"
#include "hash_tile.h"

#include "hashednet/batch_norm.h"
#include "hashednet/conv2d.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/image_layers.h"

namespace hashednet {

/// Rows of V from the CPU's tile generators: the values of event::ReferenceRows
/// (each entry is xi * w[bucket], exact; a FUNHASH entry is funhash.h's
/// reconstruct of the exact z_u, as FunHashLayout::virtual_weight computes it),
/// hashed 8 or 16 at a time. Dense, ELEMENT and BLOCK layers (B a multiple of
/// 8) run whole in the vector kernels of event_kernels.h where the CPU has
/// them, with the vector activations (activation_array.h, activate()'s bits).
struct EventRows {
   kernels::GenerateTileFn generate = kernels::tile_generator();
   kernels::KeySlotsFn hash_keys = kernels::key_slots();
   kernels::EventKernels vector = kernels::event_kernels();
   kernels::ActivationForwardFn activation = kernels::activation_kernels().forward;

   /// event_forward.h's hook: a layer's activate(V a + b) by the vector kernels, or false.
   bool layer(const event::Layer &layer, const float *in, std::int64_t n_events, float *out) const
   {
      const HashedLayout &L = layer.layout;
      const bool element = L.hashed && L.hash_mode == HashMode::Element;
      const bool block = L.hashed && L.hash_mode == HashMode::Block && L.block % 8 == 0;
      if (!vector.available() || !(!L.hashed || element || block))
         return false;
      for (std::int64_t e = 0; e < n_events; ++e) {
         const float *a = in + e * L.n_in;
         float *z = out + e * L.n_out;
         if (block)
            vector.block(L, layer.w, a, z);
         else if (element)
            vector.element(L, layer.w, a, z);
         else
            vector.dot_rows(layer.w, L.n_out, L.n_in, L.n_in, a, z);
         for (std::int64_t i = 0; i < L.n_out; ++i)
            z[i] = z[i] + L.virtual_bias(layer.b, i);
      }
      activation(layer.activation, out, out, n_events * L.n_out);
      return true;
   }

   const float *operator()(const event::Layer &layer, std::int64_t row0, std::int64_t n_rows, float *tile) const
   {
      const HashedLayout &L = layer.layout;
      if (!L.hashed)
         return layer.w + row0 * L.n_in;
      if (layer.is_fresh())
         fresh_generate_tile(layer.fresh, layer.w, row0, n_rows, 0, L.n_in, tile);
      else if (layer.is_funhash())
         kernels::funhash_generate_tile(layer.funhash, layer.w, row0, n_rows, 0, L.n_in, tile, nullptr, hash_keys);
      else
         generate(L, layer.w, row0, n_rows, 0, L.n_in, tile, nullptr);
      return tile;
   }

   /// BLOCK: the block keys' slots, 8 or 16 hashed at a time.
   void block_slots(const event::Layer &layer, std::uint64_t key0, std::int64_t n, std::uint32_t *slots) const
   {
      hash_keys(key0, layer.layout.weight_seed, static_cast<std::uint32_t>(layer.layout.n_buckets), n, slots);
   }
};

namespace {
/// Layer l of the network into `layer`, in place: every field that is read for its kind; a FUNHASH layer's
/// funhash and a FRESH layer's fresh (2.3 kB) are written only for those kinds, where alone they are read
/// (event_forward.h), so that remaking the view of each event (predict_one) copies no 2.6 kB per layer.
void fill_event_layer(event::Layer &layer, const Network &network, int l, const float *params)
{
   layer.image = event::ImageKind::None;
   layer.window = ImageWindow();
   layer.features = 0;
   layer.epsilon = 0.0f;
   layer.layout = HashedLayout();
   layer.activation = Activation::Linear;
   layer.w = nullptr;
   layer.b = nullptr;
   const Layer &core = network.layer(l);
   layer.n_values = core.n_out();
   if (core.kind() == LayerKind::BatchNorm) {
      const BatchNormShape &bn = static_cast<const BatchNorm &>(core).shape();
      layer.image = event::ImageKind::BatchNorm;
      layer.features = bn.features;
      layer.epsilon = static_cast<float>(bn.epsilon);
      if (params)
         layer.w = params + core.offset();
      return;
   }
   if (core.kind() == LayerKind::MaxPool2D || core.kind() == LayerKind::Reshape) {
      layer.image = core.kind() == LayerKind::MaxPool2D ? event::ImageKind::MaxPool : event::ImageKind::Reshape;
      if (core.kind() == LayerKind::MaxPool2D)
         layer.window = static_cast<const MaxPool2D &>(core).window();
      return;
   }
   if (core.kind() == LayerKind::Conv2D) {
      layer.image = event::ImageKind::Conv;
      layer.window = static_cast<const Conv2D &>(core).window();
   }
   layer.layout = network.layout(l);
   layer.activation = network.activation(l);
   if (params) {
      layer.w = params + layer.layout.offset;
      layer.b = params + layer.layout.bias_offset();
   }
   if (layer.is_funhash())
      layer.funhash = funhash_layout(network.weight_layer(l));
   if (layer.is_fresh())
      layer.fresh = fresh_scheme(network.weight_layer(l)).layer();
}
} // namespace

event::Layer event_layer(const Network &network, int l, const float *params)
{
   event::Layer layer;
   fill_event_layer(layer, network, l, params);
   return layer;
}

namespace {
event::Net view(const Network &network, std::vector<event::Layer> &layers)
{
   // The event path reads the parameters where they are: host memory (the CPU and reference backends).
   HASHEDNET_ASSERT(network.params().owner() != nullptr &&
                    network.params().owner()->architecture() != Architecture::Gpu);
   return event_view(network, network.params().data(), network.input_offset().data(), network.input_scale().data(),
                     layers);
}
} // namespace

event::Net event_view(const Network &network, const float *params, const float *input_offset,
                      const float *input_scale, std::vector<event::Layer> &layers)
{
   layers.resize(network.n_layers());
   for (int l = 0; l < network.n_layers(); ++l)
      fill_event_layer(layers[l], network, l, params);
   event::Net net;
   net.task = network.spec().task;
   net.n_inputs = network.n_inputs();
   net.n_outputs = network.n_outputs();
   net.layers = layers.data();
   net.n_layers = network.n_layers();
   net.input_offset = input_offset;
   net.input_scale = input_scale;
   return net;
}

void predict_events(const Network &network, const float *x, std::int64_t n, float *out, EventScratch &scratch)
{
   forward_events(view(network, scratch.layers), x, n, out, scratch);
}

void forward_events(const event::Net &net, const float *x, std::int64_t n, float *out, EventScratch &scratch)
{
   HASHEDNET_ASSERT(n >= 0);
   scratch.floats.resize(event::scratch_floats(net, n));
   if (!scratch.rows)
      scratch.rows = std::make_shared<const EventRows>();
   event::forward(net, x, n, scratch.floats.data(), out, *scratch.rows);
}

} // namespace hashednet
