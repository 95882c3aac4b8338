// evaluator.h: one trained network shared by any number of threads, each
// evaluating events through its own small scratch.
//
// What it is: EventNetwork, a const snapshot of a network as event_forward.h
// sees it (layouts, activations, a host copy of the parameters and of the
// input transform), made once and shared read-only (std::shared_ptr<const
// EventNetwork>); and Evaluator, the cheap per-thread (per-slot) object that
// holds a reference to it and its own buffers. Any number of Evaluators run on
// one EventNetwork concurrently with no lock: nothing shared is written after
// construction. Each event's response is event_forward.h's fixed order with the
// rows of Model::predict_one, so it equals predict_one and the standalone class
// bit for bit, whichever thread computes it and however many events are passed
// together. SlotEvaluators adds, for a framework's slots (RDataFrame's
// rdfslot_), one Evaluator per slot and a TMVA weight file's input
// transformation (any VarTransform chain: input_transform.h).
//
// What it is not: the batch path (Model::predict, sgemm; equal to float
// rounding only), and not thread-safe per Evaluator: one Evaluator belongs to
// one thread at a time. An EventNetwork does not follow later training of the
// Model it was taken from; take a new one.
#ifndef HASHEDNET_EVALUATOR_H
#define HASHEDNET_EVALUATOR_H

#include "hashednet/event_predict.h"
#include "hashednet/input_transform.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hashednet {

class Model;

/// Floats in a cache line (64 bytes). Each per-thread buffer is given this much
/// spare capacity after its last value, so the values two threads write never
/// share a cache line, whatever order the allocator placed the buffers in.
constexpr std::size_t kCacheLineFloats = 64 / sizeof(float);

/// A const, shareable copy of a network for event-by-event evaluation.
class EventNetwork {
public:
   /// A snapshot of `network`'s parameters (host memory: the CPU and reference backends).
   explicit EventNetwork(const Network &network);
   /// A snapshot of the model's network (any backend: the parameters are copied to the host).
   explicit EventNetwork(const Model &model);
   EventNetwork(const EventNetwork &) = delete;
   EventNetwork &operator=(const EventNetwork &) = delete;

   const event::Net &net() const { return net_; }
   std::int64_t n_inputs() const { return net_.n_inputs; }
   std::int64_t n_outputs() const { return net_.n_outputs; }
   Task task() const { return net_.task; }
   /// Bytes this snapshot holds (parameters, input transform, layer table): the memory all threads share.
   std::int64_t shared_bytes() const;

private:
   void build(const Network &network);

   std::vector<float> params_;
   std::vector<float> offset_, scale_;
   std::vector<event::Layer> layers_;
   event::Net net_;
};

/// A new shared snapshot of the model's network (what Readers in many threads share).
std::shared_ptr<const EventNetwork> share_network(const Model &model);

/// One thread's evaluator of a shared EventNetwork: its buffers are its own.
class Evaluator {
public:
   explicit Evaluator(std::shared_ptr<const EventNetwork> network);

   /// The n_outputs() responses of one raw event x (n_inputs() values); valid until the next call.
   const float *evaluate(const float *x);
   /// Responses of n events x (n x n_inputs) into out (n x n_outputs), one event at a time.
   void evaluate(const float *x, std::int64_t n, float *out);

   const EventNetwork &network() const { return *network_; }
   std::int64_t n_inputs() const { return network_->n_inputs(); }
   std::int64_t n_outputs() const { return network_->n_outputs(); }
   /// Bytes of this evaluator's own buffers (what each extra thread costs).
   std::int64_t scratch_bytes() const;

private:
   std::shared_ptr<const EventNetwork> network_;
   EventScratch scratch_;
   std::vector<float> out_;
};

/// TMVA's Normalize transform of a weight file (docs/tmva_file_layout.md §4),
/// in float as VariableNormalizeTransform: x' = (x - low) * scale * 2 - 1 on
/// the inputs, and for regression targets t = low + (t' + 1) / (2 * scale).
/// Empty: no transformation. SlotEvaluators turns it into a one-step
/// InputTransform (input_transform.h), which takes any VarTransform chain.
struct NormalizeInputs {
   std::vector<float> low;          ///< the inputs' minima, then (regression) the targets'
   std::vector<float> scale;        ///< float(1 / (max - min)), the same order
   std::int64_t n_inputs = 0;       ///< how many leading entries are inputs

   bool empty() const { return low.empty(); }
   void apply(const float *x, float *out) const;         ///< n_inputs values
   void inverse_targets(float *t, std::int64_t n) const; ///< the n target entries after the inputs, in place
};

/// One Evaluator per slot of a framework (RDataFrame's rdfslot_), over one
/// shared network, with the weight file's input transform.
class SlotEvaluators {
public:
   /// n_slots >= 1; `normalize` empty or with n_inputs() inputs (and, for
   /// regression, n_outputs() targets when `inverse_targets`).
   SlotEvaluators(std::shared_ptr<const EventNetwork> network, NormalizeInputs normalize, bool inverse_targets,
                  unsigned n_slots);
   /// n_slots >= 1; `transform` null (none) or a chain of n_inputs() variables; when it maps targets
   /// (transforms_targets()), of n_outputs() targets, whose responses it maps back.
   SlotEvaluators(std::shared_ptr<const EventNetwork> network, std::shared_ptr<const InputTransform> transform,
                  unsigned n_slots);

   /// The responses of one raw event in slot `slot` (< n_slots()); valid until that slot's next call.
   /// A slot entered by a second thread while a first is in it is an Error (not a data race).
   const float *evaluate(unsigned slot, const float *x);
   /// The same for n events x (n x n_inputs) into out (n x n_outputs), one at a time in slot `slot`.
   void evaluate_events(unsigned slot, const float *x, std::int64_t n, float *out);
   unsigned n_slots() const { return static_cast<unsigned>(slots_.size()); }
   std::int64_t n_inputs() const { return network_->n_inputs(); }
   std::int64_t n_outputs() const { return network_->n_outputs(); }
   /// The input transformation applied (null: none).
   const std::shared_ptr<const InputTransform> &transform() const { return transform_; }

private:
   struct Slot {
      explicit Slot(std::shared_ptr<const EventNetwork> network) : evaluator(std::move(network)) {}
      std::atomic<bool> busy{false}; ///< a thread is in this slot
      Evaluator evaluator;
      std::vector<float> input;
      std::vector<float> work; ///< the transform's scratch
      std::vector<float> out;
      char padding[64]; ///< keeps neighbouring slots' hot fields off one cache line
   };
   const float *evaluate_in(Slot &slot, const float *x);
   void make_slots(unsigned n_slots);

   std::shared_ptr<const EventNetwork> network_;
   std::shared_ptr<const InputTransform> transform_;
   bool inverse_targets_ = false;
   std::vector<std::unique_ptr<Slot>> slots_;
};

} // namespace hashednet

#endif // HASHEDNET_EVALUATOR_H
