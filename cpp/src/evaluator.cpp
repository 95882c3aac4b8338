// evaluator.cpp: see evaluator.h. Compiled with -ffp-contract=off (CMakeLists.txt):
// the Normalize transform must round as TMVA's float code and numpy do.
#include "hashednet/evaluator.h"

#include "hashednet/model.h"

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
   for (std::int64_t j = 0; j < n_inputs; ++j)
      out[j] = (x[j] - low[j]) * scale[j] * 2.0f - 1.0f;
}

void NormalizeInputs::inverse_targets(float *t, std::int64_t n) const
{
   for (std::int64_t k = 0; k < n; ++k)
      t[k] = low[n_inputs + k] + (t[k] + 1.0f) / (2.0f * scale[n_inputs + k]);
}

SlotEvaluators::SlotEvaluators(std::shared_ptr<const EventNetwork> network, NormalizeInputs normalize,
                               bool inverse_targets, unsigned n_slots)
   : network_(std::move(network)), normalize_(std::move(normalize)), inverse_targets_(inverse_targets)
{
   HASHEDNET_CHECK(network_ != nullptr, "SlotEvaluators need a network, got none");
   HASHEDNET_CHECK(n_slots >= 1, "the number of slots must be >= 1, got " << n_slots);
   const std::int64_t n_in = network_->n_inputs(), n_out = network_->n_outputs();
   HASHEDNET_CHECK(normalize_.low.size() == normalize_.scale.size(), "the Normalize transform has "
                                                                         << normalize_.low.size() << " minima but "
                                                                         << normalize_.scale.size() << " scales");
   if (!normalize_.empty()) {
      const std::int64_t entries = static_cast<std::int64_t>(normalize_.low.size());
      const std::int64_t wanted = inverse_targets_ ? n_in + n_out : n_in;
      HASHEDNET_CHECK(normalize_.n_inputs == n_in && entries >= wanted,
                      "the Normalize transform covers " << normalize_.n_inputs << " inputs and " << entries
                                                        << " entries; the network has " << n_in << " inputs"
                                                        << (inverse_targets_ ? " and needs its targets too" : ""));
   }
   HASHEDNET_CHECK(!inverse_targets_ || !normalize_.empty(), "inverse_targets needs a Normalize transform");
   slots_.reserve(n_slots);
   for (unsigned s = 0; s < n_slots; ++s) {
      slots_.push_back(std::make_unique<Slot>(network_));
      slots_.back()->input.reserve(static_cast<std::size_t>(n_in) + kCacheLineFloats); // see kCacheLineFloats
      slots_.back()->input.resize(static_cast<std::size_t>(n_in));
      slots_.back()->out.reserve(static_cast<std::size_t>(n_out) + kCacheLineFloats);
      slots_.back()->out.resize(static_cast<std::size_t>(n_out));
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
   if (!normalize_.empty()) {
      normalize_.apply(x, s.input.data());
      input = s.input.data();
   }
   const float *out = s.evaluator.evaluate(input);
   if (!inverse_targets_)
      return out;
   s.out.assign(out, out + network_->n_outputs());
   normalize_.inverse_targets(s.out.data(), network_->n_outputs());
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
