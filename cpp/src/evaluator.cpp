// evaluator.cpp: see evaluator.h. Compiled with -ffp-contract=off (CMakeLists.txt):
// the Normalize transform must round as TMVA's float code and numpy do (input_transform_steps.h).
#include "hashednet/evaluator.h"

#include "hashednet/input_transform_steps.h"
#include "hashednet/model.h"

#include <algorithm>

namespace hashednet {

EventNetwork::EventNetwork(const Network &network)
{
   HASHEDNET_ASSERT(network.params().owner() != nullptr &&
                    network.params().owner()->architecture() != Architecture::Gpu);
   const float *params = network.params().data();
   params_.assign(params, params + network.n_params());
   build(network);
}

EventNetwork::EventNetwork(const Model &model)
{
   params_.resize(static_cast<std::size_t>(model.n_params()));
   model.get_params(params_.data(), model.n_params());
   build(model.network());
}

void EventNetwork::build(const Network &network)
{
   offset_ = network.input_offset();
   scale_ = network.input_scale();
   net_ = event_view(network, params_.data(), offset_.data(), scale_.data(), layers_);
}

std::int64_t EventNetwork::shared_bytes() const
{
   const std::size_t floats = params_.size() + offset_.size() + scale_.size();
   return static_cast<std::int64_t>(floats * sizeof(float) + layers_.size() * sizeof(event::Layer) + sizeof(*this));
}

std::shared_ptr<const EventNetwork> share_network(const Model &model)
{
   return std::make_shared<const EventNetwork>(model);
}

Evaluator::Evaluator(std::shared_ptr<const EventNetwork> network) : network_(std::move(network))
{
   HASHEDNET_CHECK(network_ != nullptr, "an Evaluator needs a network, got none");
   const auto n_out = static_cast<std::size_t>(network_->n_outputs());
   out_.reserve(n_out + kCacheLineFloats); // no cache line shared with another thread's buffers
   out_.resize(n_out);
   forward_events(network_->net(), nullptr, 0, out_.data(), scratch_); // the row source, made before the first event
   const auto n_scratch = static_cast<std::size_t>(event::scratch_floats(network_->net(), 1));
   scratch_.floats.reserve(n_scratch + kCacheLineFloats);
   scratch_.floats.resize(n_scratch);
}

const float *Evaluator::evaluate(const float *x)
{
   forward_events(network_->net(), x, 1, out_.data(), scratch_);
   return out_.data();
}

void Evaluator::evaluate(const float *x, std::int64_t n, float *out)
{
   HASHEDNET_CHECK(n >= 0, "number of events must be >= 0, got " << n);
   const std::int64_t n_in = n_inputs(), n_out = n_outputs();
   for (std::int64_t e = 0; e < n; ++e)
      forward_events(network_->net(), x + e * n_in, 1, out + e * n_out, scratch_);
}

std::int64_t Evaluator::scratch_bytes() const
{
   const std::size_t floats = scratch_.floats.capacity() + out_.capacity();
   return static_cast<std::int64_t>(floats * sizeof(float) + sizeof(*this));
}

void NormalizeInputs::apply(const float *x, float *out) const
{
   std::copy(x, x + n_inputs, out);
   var_transform::normalize(low.data(), scale.data(), static_cast<int>(n_inputs), out);
}

void NormalizeInputs::inverse_targets(float *t, std::int64_t n) const
{
   var_transform::normalize_inverse(low.data() + n_inputs, scale.data() + n_inputs, static_cast<int>(n), t);
}

namespace {
/// The Normalize transform as a chain of one step (empty: none), over the inputs and, with
/// `targets` > 0, the targets after them.
std::shared_ptr<const InputTransform> normalize_chain(const NormalizeInputs &normalize, std::int64_t targets)
{
   if (normalize.empty())
      return nullptr;
   InputTransformBuilder builder(normalize.n_inputs, targets);
   builder.add_normalize(normalize.low.data(), normalize.scale.data(), normalize.n_inputs + targets);
   return builder.build();
}
} // namespace

SlotEvaluators::SlotEvaluators(std::shared_ptr<const EventNetwork> network, NormalizeInputs normalize,
                               bool inverse_targets, unsigned n_slots)
   : network_(std::move(network)), inverse_targets_(inverse_targets)
{
   HASHEDNET_CHECK(network_ != nullptr, "SlotEvaluators need a network, got none");
   const std::int64_t n_in = network_->n_inputs(), n_out = network_->n_outputs();
   HASHEDNET_CHECK(normalize.low.size() == normalize.scale.size(), "the Normalize transform has "
                                                                       << normalize.low.size() << " minima but "
                                                                       << normalize.scale.size() << " scales");
   if (!normalize.empty()) {
      const std::int64_t entries = static_cast<std::int64_t>(normalize.low.size());
      const std::int64_t wanted = inverse_targets_ ? n_in + n_out : n_in;
      HASHEDNET_CHECK(normalize.n_inputs == n_in && entries >= wanted,
                      "the Normalize transform covers " << normalize.n_inputs << " inputs and " << entries
                                                        << " entries; the network has " << n_in << " inputs"
                                                        << (inverse_targets_ ? " and needs its targets too" : ""));
   }
   HASHEDNET_CHECK(!inverse_targets_ || !normalize.empty(), "inverse_targets needs a Normalize transform");
   transform_ = normalize_chain(normalize, inverse_targets_ ? n_out : 0);
   make_slots(n_slots);
}

SlotEvaluators::SlotEvaluators(std::shared_ptr<const EventNetwork> network,
                               std::shared_ptr<const InputTransform> transform, unsigned n_slots)
   : network_(std::move(network)), transform_(std::move(transform))
{
   HASHEDNET_CHECK(network_ != nullptr, "SlotEvaluators need a network, got none");
   if (transform_ != nullptr && transform_->empty())
      transform_ = nullptr;
   if (transform_ != nullptr) {
      HASHEDNET_CHECK(transform_->n_variables() == network_->n_inputs(),
                      "the input transformation " << transform_->name() << " takes " << transform_->n_variables()
                                                  << " variables; the network has " << network_->n_inputs()
                                                  << " inputs");
      inverse_targets_ = transform_->transforms_targets();
      HASHEDNET_CHECK(!inverse_targets_ || transform_->n_targets() == network_->n_outputs(),
                      "the input transformation " << transform_->name() << " maps " << transform_->n_targets()
                                                  << " targets; the network has " << network_->n_outputs()
                                                  << " outputs");
   }
   make_slots(n_slots);
}

void SlotEvaluators::make_slots(unsigned n_slots)
{
   HASHEDNET_CHECK(n_slots >= 1, "the number of slots must be >= 1, got " << n_slots);
   const auto n_in = static_cast<std::size_t>(network_->n_inputs());
   const auto n_out = static_cast<std::size_t>(network_->n_outputs());
   const auto n_work = transform_ != nullptr ? static_cast<std::size_t>(transform_->work_floats()) : 0;
   slots_.reserve(n_slots);
   for (unsigned s = 0; s < n_slots; ++s) {
      slots_.push_back(std::make_unique<Slot>(network_));
      Slot &slot = *slots_.back();
      slot.input.reserve(n_in + kCacheLineFloats); // see kCacheLineFloats
      slot.input.resize(n_in);
      slot.work.reserve(n_work + kCacheLineFloats);
      slot.work.resize(n_work);
      slot.out.reserve(n_out + kCacheLineFloats);
      slot.out.resize(n_out);
   }
}

namespace {
/// Marks a slot as entered for the scope; refuses a second thread in it.
class SlotEntry {
public:
   SlotEntry(std::atomic<bool> &busy, unsigned slot) : busy_(busy)
   {
      HASHEDNET_CHECK(!busy_.exchange(true, std::memory_order_acquire),
                      "slot " << slot << " is in use by another thread: each thread needs its own slot (RDataFrame's "
                              "rdfslot_; on Dask, one task per worker process: threads_per_worker=1)");
   }
   ~SlotEntry() { busy_.store(false, std::memory_order_release); }
   SlotEntry(const SlotEntry &) = delete;
   SlotEntry &operator=(const SlotEntry &) = delete;

private:
   std::atomic<bool> &busy_;
};
} // namespace

const float *SlotEvaluators::evaluate(unsigned slot, const float *x)
{
   HASHEDNET_CHECK(slot < slots_.size(), "slot " << slot << " is out of range: there are " << slots_.size()
                                                  << " slots (made for a smaller thread pool?)");
   Slot &s = *slots_[slot];
   const SlotEntry entry(s.busy, slot);
   return evaluate_in(s, x);
}

const float *SlotEvaluators::evaluate_in(Slot &s, const float *x)
{
   const float *input = x;
   if (transform_ != nullptr) {
      transform_->apply(x, s.input.data(), s.work.data());
      input = s.input.data();
   }
   const float *out = s.evaluator.evaluate(input);
   if (!inverse_targets_)
      return out;
   s.out.assign(out, out + network_->n_outputs());
   transform_->inverse_targets(s.out.data());
   return s.out.data();
}

void SlotEvaluators::evaluate_events(unsigned slot, const float *x, std::int64_t n, float *out)
{
   HASHEDNET_CHECK(n >= 0, "number of events must be >= 0, got " << n);
   const std::int64_t n_in = n_inputs(), n_out = n_outputs();
   for (std::int64_t e = 0; e < n; ++e) {
      const float *r = evaluate(slot, x + e * n_in);
      for (std::int64_t k = 0; k < n_out; ++k)
         out[e * n_out + k] = r[k];
   }
}

} // namespace hashednet
