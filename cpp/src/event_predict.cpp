// event_predict.cpp: see event_predict.h.
#include "hashednet/event_predict.h"

#include "funhash_tile.h"
#include "hash_tile.h"

#include "hashednet/freshnets_scheme.h"
#include "hashednet/funhash_scheme.h"

namespace hashednet {

/// Rows of V from the CPU's tile generators: the values of event::ReferenceRows
/// (each entry is xi * w[bucket], exact; a FUNHASH entry is funhash.h's
/// reconstruct of the exact z_u, as FunHashLayout::virtual_weight computes it),
/// hashed 8 or 16 at a time.
struct EventRows {
   kernels::GenerateTileFn generate = kernels::tile_generator();
   kernels::KeySlotsFn hash_keys = kernels::key_slots();

   const float *operator()(const event::Layer &layer, std::int64_t row0, std::int64_t n_rows, float *tile) const
   {
      const HashedLayout &L = layer.layout;
      if (!L.hashed)
         return layer.w + row0 * L.n_in;
      if (layer.is_fresh())
         fresh_generate_tile(layer.fresh, layer.w, row0, n_rows, 0, L.n_in, tile);
      else if (layer.is_funhash())
         kernels::funhash_generate_tile(layer.funhash, layer.w, row0, n_rows, 0, L.n_in, tile, nullptr, hash_keys);
      else if (L.hash_mode == HashMode::Block)
         kernels::generate_tile_block(L, layer.w, row0, n_rows, 0, L.n_in, tile, nullptr, hash_keys);
      else
         generate(L, layer.w, row0, n_rows, 0, L.n_in, tile, nullptr);
      return tile;
   }
};

namespace {
event::Net view(const Network &network, std::vector<event::Layer> &layers)
{
   layers.resize(network.n_layers());
   // The event path reads the parameters where they are: host memory (the CPU and reference backends).
   HASHEDNET_ASSERT(network.params().owner() != nullptr &&
                    network.params().owner()->architecture() != Architecture::Gpu);
   const float *params = network.params().data();
   for (int l = 0; l < network.n_layers(); ++l) {
      const HashedLayout &layout = network.layout(l);
      layers[l] = {layout, network.activation(l), params + layout.offset, params + layout.bias_offset(), {}, {}};
      if (layers[l].is_funhash())
         layers[l].funhash = funhash_layout(network.fully_connected(l));
      if (layers[l].is_fresh())
         layers[l].fresh = fresh_scheme(network.fully_connected(l)).layer();
   }
   event::Net net;
   net.task = network.spec().task;
   net.n_inputs = network.n_inputs();
   net.n_outputs = network.n_outputs();
   net.layers = layers.data();
   net.n_layers = network.n_layers();
   net.input_offset = network.input_offset().data();
   net.input_scale = network.input_scale().data();
   return net;
}
} // namespace

void predict_events(const Network &network, const float *x, std::int64_t n, float *out, EventScratch &scratch)
{
   HASHEDNET_ASSERT(n >= 0);
   const event::Net net = view(network, scratch.layers);
   scratch.floats.resize(event::scratch_floats(net, n));
   if (!scratch.rows)
      scratch.rows = std::make_shared<const EventRows>();
   event::forward(net, x, n, scratch.floats.data(), out, *scratch.rows);
}

} // namespace hashednet
