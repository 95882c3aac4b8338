// test_evaluator_threads.cpp: one shared EventNetwork evaluated by many
// threads at once (evaluator.h) gives predict_one's bits for every event.
//
// What it is: for ELEMENT, BLOCK and FUNHASH networks of the three tasks,
// the responses of predict_one (one thread, one event at a time) against
// those of 1, 2 and 8 threads, each with its own Evaluator over ONE shared
// EventNetwork, each thread walking all events from a different starting
// point, compared with memcmp; plus SlotEvaluators with a Normalize
// transform against the transform computed here, its bad-input errors, and
// the refusal of two threads in one slot.
// What it is not: a test of the values against an independent reference
// (tests/test_event_forward.py compares predict_one with float64 numpy).
// Built plainly it runs threads; built with -fsanitize=thread it is the
// data-race check of the shared network.
#include "hashednet/evaluator.h"
#include "hashednet/model.h"
#include "hashednet/options.h"
#include "check.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

using namespace hashednet;
using test_check::check;

namespace {

struct Case {
   const char *name;
   std::int64_t n_inputs;
   const char *layout;
   Task task;
   std::int64_t n_outputs;
   HashMode mode;
};

const Case kCases[] = {
   {"element", 9, "TANH|40,RELU|300,LINEAR", Task::Classification, 1, HashMode::Element},
   {"block", 13, "SOFTSIGN|64,GAUSS|17,LINEAR", Task::Multiclass, 4, HashMode::Block},
   {"funhash", 6, "SIGMOID|20,LINEAR", Task::Regression, 2, HashMode::FunHash},
};

Model make_model(const Case &c)
{
   NetworkSpec spec;
   spec.n_inputs = c.n_inputs;
   spec.n_outputs = c.n_outputs;
   spec.task = c.task;
   spec.layers = parse_layout(c.layout, c.n_inputs);
   spec.compression = 0.125;
   spec.hashed_bias = true;
   spec.hash_mode = c.mode;
   spec.hash_block = 8;
   spec.hash_seed = 5;
   Model model(spec, WeightInit::XavierUniform, 11, 1);
   std::vector<float> offset(c.n_inputs), scale(c.n_inputs);
   for (std::int64_t j = 0; j < c.n_inputs; ++j) {
      offset[j] = 0.1f * float(j);
      scale[j] = 1.0f + 0.05f * float(j);
   }
   model.set_input_transform(offset.data(), scale.data(), c.n_inputs);
   return model;
}

std::vector<float> random_inputs(std::int64_t n, std::int64_t n_inputs)
{
   std::mt19937 rng(3);
   std::normal_distribution<float> normal(0.0f, 2.0f);
   std::vector<float> x(static_cast<std::size_t>(n * n_inputs));
   for (float &v : x)
      v = normal(rng);
   return x;
}

/// Every thread evaluates all n events into its own output, starting at a different event.
std::vector<std::vector<float>> in_threads(const std::shared_ptr<const EventNetwork> &shared, const float *x,
                                           std::int64_t n, int n_threads)
{
   const std::int64_t n_in = shared->n_inputs(), n_out = shared->n_outputs();
   std::vector<std::vector<float>> out(n_threads, std::vector<float>(static_cast<std::size_t>(n * n_out)));
   std::vector<std::thread> threads;
   for (int t = 0; t < n_threads; ++t)
      threads.emplace_back([&, t] {
         Evaluator evaluator(shared);
         for (std::int64_t k = 0; k < n; ++k) {
            const std::int64_t e = (k + t * 37) % n;
            const float *r = evaluator.evaluate(x + e * n_in);
            std::memcpy(out[t].data() + e * n_out, r, sizeof(float) * n_out);
         }
      });
   for (auto &thread : threads)
      thread.join();
   return out;
}

void test_threads_equal_predict_one(const Case &c)
{
   Model model = make_model(c);
   const std::int64_t n = 300, n_out = c.n_outputs;
   const std::vector<float> x = random_inputs(n, c.n_inputs);
   std::vector<float> one(static_cast<std::size_t>(n * n_out));
   for (std::int64_t e = 0; e < n; ++e) {
      const std::vector<float> &r = model.predict_one(x.data() + e * c.n_inputs, c.n_inputs);
      std::memcpy(one.data() + e * n_out, r.data(), sizeof(float) * n_out);
   }
   const auto shared = share_network(model);
   for (int n_threads : {1, 2, 8}) {
      for (const auto &out : in_threads(shared, x.data(), n, n_threads))
         check(std::memcmp(out.data(), one.data(), sizeof(float) * one.size()) == 0,
               std::string(c.name) + ": " + std::to_string(n_threads) + " threads differ from predict_one", __LINE__);
   }
   std::vector<float> batch(one.size());
   Evaluator(shared).evaluate(x.data(), n, batch.data());
   check(std::memcmp(batch.data(), one.data(), sizeof(float) * one.size()) == 0,
         std::string(c.name) + ": Evaluator::evaluate(x, n) differs from predict_one", __LINE__);
}

void test_snapshot_ignores_later_training()
{
   Model model = make_model(kCases[0]);
   const auto shared = share_network(model);
   const std::vector<float> x = random_inputs(1, kCases[0].n_inputs);
   const float before = Evaluator(shared).evaluate(x.data())[0];
   std::vector<float> params(static_cast<std::size_t>(model.n_params()), 0.5f);
   model.set_params(params.data(), model.n_params());
   check(Evaluator(shared).evaluate(x.data())[0] == before, "a snapshot changed with the model's parameters",
         __LINE__);
   check(Evaluator(share_network(model)).evaluate(x.data())[0] == model.predict_one(x.data(), x.size())[0],
         "a new snapshot differs from predict_one after set_params", __LINE__);
}

void test_slots_apply_normalize()
{
   const Case &c = kCases[2]; // regression, 2 targets
   Model model = make_model(c);
   NormalizeInputs normalize;
   normalize.n_inputs = c.n_inputs;
   for (std::int64_t j = 0; j < c.n_inputs + c.n_outputs; ++j) {
      normalize.low.push_back(-1.5f + 0.25f * float(j));
      normalize.scale.push_back(0.3f + 0.01f * float(j));
   }
   SlotEvaluators slots(share_network(model), normalize, true, 3);
   const std::vector<float> x = random_inputs(1, c.n_inputs);
   std::vector<float> transformed(x.size());
   for (std::int64_t j = 0; j < c.n_inputs; ++j)
      transformed[j] = (x[j] - normalize.low[j]) * normalize.scale[j] * 2.0f - 1.0f;
   const std::vector<float> raw = model.predict_one(transformed.data(), c.n_inputs);
   for (unsigned s = 0; s < 3; ++s) {
      const float *out = slots.evaluate(s, x.data());
      for (std::int64_t k = 0; k < c.n_outputs; ++k) {
         const float low = normalize.low[c.n_inputs + k], scale = normalize.scale[c.n_inputs + k];
         check(out[k] == low + (raw[k] + 1.0f) / (2.0f * scale), "slot " + std::to_string(s) + " target "
                                                                     + std::to_string(k) + " differs", __LINE__);
      }
   }
   bool threw = false;
   try {
      slots.evaluate(3, x.data());
   } catch (const Error &e) {
      threw = std::string(e.what()).find("slot 3 is out of range: there are 3 slots") != std::string::npos;
   }
   check(threw, "slot 3 of 3 was not refused with a message naming the slots", __LINE__);
   threw = false;
   try {
      NormalizeInputs short_transform = normalize;
      short_transform.n_inputs = 2;
      SlotEvaluators bad(share_network(model), short_transform, false, 1);
   } catch (const Error &e) {
      threw = std::string(e.what()).find("covers 2 inputs") != std::string::npos;
   }
   check(threw, "a Normalize transform of the wrong size was not refused", __LINE__);
}

/// Two threads in one slot: refused with an Error (nearly certain to overlap in 2 x 20000 events, even when
/// the threads are time-sliced on one core: a thread preempted inside a slot keeps it marked).
void test_one_slot_two_threads_is_refused()
{
   Model model = make_model(kCases[0]);
   SlotEvaluators slots(share_network(model), NormalizeInputs(), false, 1);
   const std::vector<float> x = random_inputs(1, kCases[0].n_inputs);
   std::atomic<int> refused{0};
   std::vector<std::thread> threads;
   for (int t = 0; t < 2; ++t)
      threads.emplace_back([&] {
         for (int e = 0; e < 20000 && refused == 0; ++e) {
            try {
               slots.evaluate(0, x.data());
            } catch (const Error &error) {
               if (std::string(error.what()).find("slot 0 is in use by another thread") != std::string::npos)
                  ++refused;
            }
         }
      });
   for (auto &thread : threads)
      thread.join();
   check(refused > 0, "two threads in one slot were not refused", __LINE__);
}

} // namespace

int main()
{
   for (const Case &c : kCases)
      test_check::run(c.name, [&] { test_threads_equal_predict_one(c); });
   test_check::run("snapshot", test_snapshot_ignores_later_training);
   test_check::run("slots", test_slots_apply_normalize);
   test_check::run("one slot, two threads", test_one_slot_two_threads_is_refused);
   return test_check::report();
}
