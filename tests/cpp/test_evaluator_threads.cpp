// test_evaluator_threads.cpp: one shared EventNetwork evaluated by many
// threads at once (evaluator.h) gives predict_one's bits for every event.
//
// What it is: for ELEMENT, BLOCK and FUNHASH networks of the three tasks,
// the responses of predict_one (one thread, one event at a time) against
// those of 1, 2 and 8 threads, each with its own Evaluator over ONE shared
// EventNetwork, each thread walking all events from a different starting
// point, compared with memcmp; plus SlotEvaluators with a Normalize
// transform against the transform computed here, its bad-input errors, one
// VarTransform chain (input_transform.h) shared by the slots of two
// SlotEvaluators in four threads, and the refusal of two threads in one slot.
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

/// A regression chain N, D, P, U (U and N take the 2 targets too) of the "funhash" case's 6 inputs, from made-up data.
std::shared_ptr<const InputTransform> made_up_chain(std::int64_t n_in, std::int64_t n_targets)
{
   const std::int64_t all = n_in + n_targets;
   InputTransformBuilder builder(n_in, n_targets);
   std::vector<float> low, scale;
   for (std::int64_t j = 0; j < all; ++j) {
      low.push_back(-4.0f + 0.5f * float(j));
      scale.push_back(0.1f + 0.01f * float(j));
   }
   builder.add_normalize(low.data(), scale.data(), all);
   std::vector<double> matrix(static_cast<std::size_t>(n_in * n_in)), means(static_cast<std::size_t>(n_in));
   for (std::int64_t k = 0; k < n_in * n_in; ++k)
      matrix[k] = (k % (n_in + 1) == 0 ? 1.0 : 0.0) + 0.01 * double(k % 7);
   builder.add_decorrelate(matrix.data(), n_in);
   for (std::int64_t j = 0; j < n_in; ++j)
      means[j] = 0.2 * double(j);
   builder.add_pca(means.data(), matrix.data(), n_in);
   std::vector<double> edges;
   std::vector<float> contents;
   std::vector<std::int64_t> bins;
   for (std::int64_t c = 0; c < all; ++c) {
      bins.push_back(5 + c);
      for (std::int64_t b = 0; b <= bins.back(); ++b)
         edges.push_back(-2.0 + 4.0 * double(b * b) / double(bins.back() * bins.back()));
      for (std::int64_t b = 1; b <= bins.back(); ++b)
         contents.push_back(float(b) / float(bins.back()));
   }
   builder.add_gauss(true, edges.data(), contents.data(), bins.data(), all);
   return builder.build();
}

/// One const chain shared by two SlotEvaluators of 2 slots each, run by 4 threads at once: each thread's
/// responses equal the chain and predict_one computed here in one thread (built with -fsanitize=thread:
/// the data-race check of the shared chain).
void test_slots_share_one_transform()
{
   const Case &c = kCases[2];
   Model model = make_model(c);
   const auto chain = made_up_chain(c.n_inputs, c.n_outputs);
   const std::int64_t n = 200;
   const std::vector<float> x = random_inputs(n, c.n_inputs);
   std::vector<float> expected(static_cast<std::size_t>(n * c.n_outputs)), v(c.n_inputs), work(c.n_inputs);
   for (std::int64_t e = 0; e < n; ++e) {
      chain->apply(x.data() + e * c.n_inputs, v.data(), work.data());
      std::vector<float> r = model.predict_one(v.data(), c.n_inputs);
      chain->inverse_targets(r.data());
      std::memcpy(expected.data() + e * c.n_outputs, r.data(), sizeof(float) * c.n_outputs);
   }
   check(chain->name() == "Norm_Deco_PCA_Uniform" && chain->transforms_targets(), "chain " + chain->name(), __LINE__);
   const auto shared = share_network(model);
   SlotEvaluators first(shared, chain, 2), second(shared, chain, 2);
   std::vector<std::vector<float>> out(4, std::vector<float>(expected.size()));
   std::vector<std::thread> threads;
   for (unsigned t = 0; t < 4; ++t)
      threads.emplace_back([&, t] { (t < 2 ? first : second).evaluate_events(t % 2, x.data(), n, out[t].data()); });
   for (auto &thread : threads)
      thread.join();
   for (unsigned t = 0; t < 4; ++t)
      check(std::memcmp(out[t].data(), expected.data(), sizeof(float) * expected.size()) == 0,
            "thread " + std::to_string(t) + " differs from the chain and predict_one", __LINE__);
   bool threw = false;
   try {
      SlotEvaluators bad(shared, made_up_chain(c.n_inputs + 1, c.n_outputs), 1);
   } catch (const Error &e) {
      threw = std::string(e.what()).find("takes 7 variables; the network has 6 inputs") != std::string::npos;
   }
   check(threw, "a chain of the wrong width was not refused", __LINE__);
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
   test_check::run("one chain, many slots", test_slots_share_one_transform);
   test_check::run("one slot, two threads", test_one_slot_two_threads_is_refused);
   return test_check::report();
}
