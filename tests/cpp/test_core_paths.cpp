// test_core_paths.cpp: the core's training and inference paths, each run once
// from C++ so that the sanitizer build (HASHEDNET_SANITIZE) runs every kernel
// under ASan and UBSan without Python.
//
// What it is: small networks of every kind (ELEMENT and BLOCK hashing, K
// smaller than a block, hashed biases, dropout, SGD and Adam, the three
// tasks, layers wider than a tile) trained for a few epochs, with checks
// that need no reference: the training loss falls, predict_one equals
// predict, the network text reloads to bit-identical responses, and every
// instruction set of the kernels gives the scalar kernels' bits.
// What it is not: a test of the values against an independent reference
// (the Python suite does that against float64 numpy and the xxhash package).
//
// A plain program: the summary line is "N passed, M failed"; non-zero exit on failure.
#include "hashednet/bench.h"
#include "hashednet/common.h"
#include "hashednet/model.h"
#include "hashednet/options.h"
#include "check.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
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
   double compression;
   bool hashed_bias;
   HashMode mode;
   std::int64_t block;
   const char *training; ///< a TrainingStrategy phase
};

const Case kCases[] = {
   {"element-dropout-adam", 7, "TANH|33,RELU|17,LINEAR", Task::Classification, 1, 0.25, true, HashMode::Element, 16,
    "LearningRate=1e-2,BatchSize=32,MaxEpochs=3,DropConfig=0.1+0.2"},
   {"block-k-below-block", 20, "SIGMOID|9|K=3,LINEAR", Task::Classification, 1, 1.0, false, HashMode::Block, 8,
    "LearningRate=1e-2,BatchSize=16,MaxEpochs=3"},
   {"block-ragged-sgd", 29, "SOFTSIGN|30,GAUSS|11,LINEAR", Task::Multiclass, 3, 0.125, true, HashMode::Block, 7,
    "LearningRate=1e-2,Optimizer=SGD,Momentum=0.9,BatchSize=20,MaxEpochs=3"},
   {"wide-tiles-regression", 300, "SYMMRELU|270,LINEAR", Task::Regression, 2, 0.125, false, HashMode::Element, 16,
    "LearningRate=1e-3,BatchSize=64,MaxEpochs=2,WeightDecay=1e-4"},
   {"dense", 5, "TANH|8,LINEAR", Task::Regression, 1, 1.0, false, HashMode::Element, 16,
    "LearningRate=1e-2,BatchSize=1,MaxEpochs=2"},
};

NetworkSpec spec_of(const Case &c)
{
   NetworkSpec spec;
   spec.n_inputs = c.n_inputs;
   spec.n_outputs = c.n_outputs;
   spec.task = c.task;
   spec.layers = parse_layout(c.layout, c.n_inputs);
   spec.compression = c.compression;
   spec.hashed_bias = c.hashed_bias;
   spec.hash_mode = c.mode;
   spec.hash_block = c.block;
   spec.hash_seed = 99;
   return spec;
}

/// n events of random inputs with a learnable target: the sign (class) or value of x0 + x1.
void make_data(const Case &c, std::int64_t n, std::vector<float> &x, std::vector<float> &y)
{
   std::mt19937 rng(7);
   std::normal_distribution<float> normal;
   const std::int64_t n_targets = c.task == Task::Regression ? c.n_outputs : 1;
   x.resize(n * c.n_inputs);
   y.resize(n * n_targets);
   for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < c.n_inputs; ++j)
         x[i * c.n_inputs + j] = normal(rng);
      const float s = x[i * c.n_inputs] + x[i * c.n_inputs + 1];
      for (std::int64_t t = 0; t < n_targets; ++t)
         y[i * n_targets + t] = c.task == Task::Regression     ? s * float(t + 1)
                                : c.task == Task::Multiclass ? float(s > 0.5f ? 2 : s > -0.5f ? 1 : 0)
                                                             : float(s > 0);
   }
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b)
{
   return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void run_case(const Case &c)
{
   const std::string name = c.name;
   const std::int64_t n = 256, n_targets = c.task == Task::Regression ? c.n_outputs : 1;
   std::vector<float> x, y, w(n, 1.0f);
   make_data(c, n, x, y);
   Model model(spec_of(c), WeightInit::XavierNormal, 5, 1);
   const double before = model.loss(x.data(), y.data(), w.data(), n, c.n_inputs, n_targets);
   TrainingConfig config = parse_method_options(std::string("TrainingStrategy=") + c.training).training.at(0);
   config.num_threads = 1;
   config.verbosity = 0;
   model.train(x.data(), y.data(), w.data(), n, nullptr, nullptr, nullptr, 0, c.n_inputs, n_targets, config, false);
   const double after = model.loss(x.data(), y.data(), w.data(), n, c.n_inputs, n_targets);
   check(std::isfinite(after) && after < before,
         name + ": training loss should fall, " + std::to_string(before) + " -> " + std::to_string(after), __LINE__);

   std::vector<float> out(n * c.n_outputs);
   model.predict(x.data(), n, c.n_inputs, out.data());
   const std::vector<float> one = model.predict_one(x.data() + 3 * c.n_inputs, c.n_inputs);
   bool close = static_cast<std::int64_t>(one.size()) == c.n_outputs;
   for (std::int64_t k = 0; close && k < c.n_outputs; ++k) // batch 1 and 256 may sum in another order (sgemm)
      close = std::fabs(one[k] - out[3 * c.n_outputs + k]) <= 1e-6f + 1e-5f * std::fabs(one[k]);
   check(close, name + ": predict_one equals row 3 of predict (to 1e-5)", __LINE__);

   Model loaded = Model::from_text(model.to_text(), 1);
   std::vector<float> again(out.size());
   loaded.predict(x.data(), n, c.n_inputs, again.data());
   check(same_bits(out, again), name + ": the reloaded network gives bit-identical responses", __LINE__);

   std::vector<float> grad(model.n_params());
   const double loss = model.gradient(x.data(), y.data(), w.data(), 32, c.n_inputs, n_targets, grad.data());
   bool finite = std::isfinite(loss);
   for (float g : grad)
      finite = finite && std::isfinite(g);
   check(finite, name + ": loss and gradient of one batch are finite", __LINE__);
}

/// The responses of every case's fresh network with the kernels of `isa` (a new Model picks them up).
std::vector<float> responses_with(const std::string &isa)
{
   bench::set_kernel_isa(isa);
   std::vector<float> all;
   for (const Case &c : kCases) {
      std::vector<float> x, y, out;
      make_data(c, 40, x, y);
      Model model(spec_of(c), WeightInit::XavierUniform, 11, 1);
      out.resize(40 * c.n_outputs);
      model.predict(x.data(), 40, c.n_inputs, out.data());
      all.insert(all.end(), out.begin(), out.end());
   }
   return all;
}

void test_instruction_sets_agree()
{
   const std::string best = bench::kernel_isa();
   const std::vector<float> scalar = responses_with("scalar");
   for (const char *isa : {"avx2", "avx512"}) {
      if (bench::kernel_isa_available(isa))
         check(same_bits(responses_with(isa), scalar), std::string(isa) + " kernels give the scalar bits", __LINE__);
   }
   bench::set_kernel_isa(best);
}

} // namespace

int main()
{
   for (const Case &c : kCases)
      test_check::run(c.name, [&c] { run_case(c); });
   test_check::run("instruction sets", test_instruction_sets_agree);
   return test_check::report();
}
