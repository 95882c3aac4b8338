// event_predict.h: the core's entry to event_forward.h for a Network.
//
// What it is: Model::predict_one's path. It views a Network as an event::Net
// and runs event::forward with the rows of V made by the CPU's vectorised tile
// generator (the same values as event::ReferenceRows: V is exact), so its
// responses are the standalone class's bit for bit.
//
// What it is not: thread-safe on one scratch (each thread needs its own), or
// the batch path (Network::predict, sgemm; equal to float rounding only).
#ifndef HASHEDNET_EVENT_PREDICT_H
#define HASHEDNET_EVENT_PREDICT_H

#include "hashednet/event_forward.h"
#include "hashednet/network.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace hashednet {

/// The buffers of predict_events: they grow on the first calls, then nothing is allocated.
struct EventRows; ///< the row source (event_predict.cpp): kernels chosen on first use (cpu_isa.h)
struct EventScratch {
   std::vector<event::Layer> layers;
   std::vector<float> floats;
   std::shared_ptr<const EventRows> rows;
};

/// Layer l of `network` as event_forward.h sees it, its weights read from
/// `params` (host memory, the whole flat buffer; null: w and b stay null).
event::Layer event_layer(const Network &network, int l, const float *params);

/// Responses of n raw events x (n x n_inputs) into out (n x n_outputs), in
/// event_forward.h's fixed order; each event's result is the same for any n.
void predict_events(const Network &network, const float *x, std::int64_t n, float *out, EventScratch &scratch);

/// The same for an event::Net whose parameters live elsewhere (evaluator.h's
/// snapshot); scratch.layers is not used.
void forward_events(const event::Net &net, const float *x, std::int64_t n, float *out, EventScratch &scratch);

/// `network` as event_forward.h sees it, reading its parameters from `params`
/// (n_params floats, host memory) and its input transform from the two arrays
/// (n_inputs each); `layers` receives the layer table the result points into.
event::Net event_view(const Network &network, const float *params, const float *input_offset,
                      const float *input_scale, std::vector<event::Layer> &layers);

} // namespace hashednet

#endif // HASHEDNET_EVENT_PREDICT_H
