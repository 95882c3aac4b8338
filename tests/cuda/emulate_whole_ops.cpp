// emulate_whole_ops.cpp: runs the CUDA backend's BNORM kernels
// (cpp/cuda/batch_norm_phases.cuh) and its whole filter matrices
// (cpp/cuda/whole_matrix.cuh: virtual_matrix and its transpose, FRESH
// included) on the CPU, thread by thread, beside the CPU and reference
// backends (libhashednet), for tests/test_gpu_whole_ops.py, which compares them.
//
// Usage: emulate_whole_ops op=bnorm|whole key=value ... out=<prefix>
//   bnorm: features spatial batch momentum epsilon trained seed
//          writes <prefix>.{cpu,gpu}.{y,xhat,stats,running,dx,grad,infer}
//   whole: mode=element|block|funhash|fresh n_in n_out buckets seed block fh fw
//          exponent hashes bias_buckets deterministic reverse
//          writes <prefix>.{cpu,ref,gpu}.{vb,grad} (grad: the layer's slice)
// Inputs are drawn here (std::mt19937_64 from `seed`, normal values).
//
// The emulation: a block program runs its phases for thread 0 .. 255 in turn,
// shared memory first filled with the bytes 0x7F (a read of a word no phase
// wrote shows), the features (blocks) last first; elementwise bodies run
// their indices last first; the whole-matrix driver runs on
// tests/cuda/emulated_device.h's EmulatedDevice (blocks in order or reversed).
//
// What it is not: a test by itself (it prints nothing but errors) or a GPU.
#include "batch_norm_phases.cuh"
#include "emulated_device.h"
#include "whole_matrix.cuh"

#include "hashednet/backend.h"
#include "hashednet/batch_norm.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/fully_connected.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/weight_scheme.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace hashednet;
using Floats = std::vector<float>;

struct Args {
   std::map<std::string, std::string> map;
   std::string text(const std::string &key, const char *fallback = nullptr) const
   {
      const auto it = map.find(key);
      if (it != map.end())
         return it->second;
      if (!fallback)
         throw std::runtime_error("missing argument " + key);
      return fallback;
   }
   std::int64_t integer(const std::string &key, const char *fallback = nullptr) const
   {
      return std::stoll(text(key, fallback));
   }
   double real(const std::string &key, const char *fallback = nullptr) const { return std::stod(text(key, fallback)); }
};

Args parse(int argc, char **argv)
{
   Args args;
   for (int a = 1; a < argc; ++a) {
      const std::string s = argv[a];
      const auto eq = s.find('=');
      if (eq == std::string::npos)
         throw std::runtime_error("expected key=value, got " + s);
      args.map[s.substr(0, eq)] = s.substr(eq + 1);
   }
   return args;
}

Floats normal(std::mt19937_64 &rng, std::int64_t n, double mean, double sd)
{
   std::normal_distribution<float> d(static_cast<float>(mean), static_cast<float>(sd));
   Floats v(static_cast<std::size_t>(n));
   for (float &x : v)
      x = d(rng);
   return v;
}

void write(const std::string &path, const Floats &v)
{
   std::ofstream out(path, std::ios::binary);
   out.write(reinterpret_cast<const char *>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
   if (!out)
      throw std::runtime_error("cannot write " + path);
}

/// Runs a block program over features F - 1 .. 0 with its threads one after the other.
struct HostThreads {
   template <class F>
   void threads(F f)
   {
      for (int t = 0; t < cuda::batch_norm::kThreads; ++t)
         f(t);
   }
   void sync() {}
};

template <class Program>
void each_feature(std::int64_t features, Program program)
{
   HostThreads block;
   auto shared = std::make_unique<cuda::batch_norm::Shared>();
   for (std::int64_t f = features - 1; f >= 0; --f) {
      std::memset(static_cast<void *>(shared.get()), 0x7F, sizeof(cuda::batch_norm::Shared));
      program(block, *shared, f);
   }
}

template <class Body>
void each_value(std::int64_t n, const Body &body)
{
   for (std::int64_t k = n - 1; k >= 0; --k)
      body(k);
}

// ---------------------------------------------------------------- BNORM

struct BatchNormOutputs {
   Floats y, xhat, stats, running, dx, grad, infer;
   BatchNormOutputs(std::int64_t n, std::int64_t features)
      : y(n, NAN), xhat(n, NAN), stats(2 * features, NAN), running(2 * features, NAN), dx(n, NAN),
        grad(4 * features, NAN), infer(n, NAN)
   {
   }
   void write_all(const std::string &prefix) const
   {
      write(prefix + ".y", y);
      write(prefix + ".xhat", xhat);
      write(prefix + ".stats", stats);
      write(prefix + ".running", running);
      write(prefix + ".dx", dx);
      write(prefix + ".grad", grad);
      write(prefix + ".infer", infer);
   }
};

void emulate_batch_norm(const batch_norm_math::Geometry &g, const BatchNormShape &shape, std::uint64_t trained,
                        const Floats &slice, const Floats &x, const Floats &dy, BatchNormOutputs &out)
{
   namespace bn = cuda::batch_norm;
   std::vector<double> work(2 * g.features, std::numeric_limits<double>::quiet_NaN());
   const bn::StatisticsProblem stats{g, slice.data(), x.data(), shape.momentum, shape.epsilon, trained,
                                     work.data(), out.stats.data(), out.running.data()};
   each_feature(g.features, [&](HostThreads &blk, bn::Shared &sh, std::int64_t f) { statistics_block(blk, stats, sh, f); });
   const std::int64_t n = g.batch * g.n_values();
   each_value(n, bn::Normalize{g, slice.data(), x.data(), work.data(), out.xhat.data(), out.y.data()});
   std::fill(work.begin(), work.end(), std::numeric_limits<double>::quiet_NaN());
   const bn::GradientSumsProblem sums{g, dy.data(), out.xhat.data(), work.data(), out.grad.data()};
   each_feature(g.features, [&](HostThreads &blk, bn::Shared &sh, std::int64_t f) { gradient_sums_block(blk, sums, sh, f); });
   each_value(n, bn::InputGradient{g, slice.data(), out.stats.data(), dy.data(), out.xhat.data(), work.data(),
                                   out.dx.data()});
   each_value(n, bn::Infer{g, static_cast<float>(shape.epsilon), slice.data(), x.data(), out.infer.data()});
}

void run_batch_norm(const Args &a)
{
   BatchNormShape shape;
   shape.features = a.integer("features");
   shape.spatial = a.integer("spatial");
   shape.momentum = a.real("momentum");
   shape.epsilon = a.real("epsilon");
   const std::int64_t batch = a.integer("batch"), n = batch * shape.n_values(), F = shape.features;
   const std::uint64_t trained = static_cast<std::uint64_t>(a.integer("trained"));
   std::mt19937_64 rng(static_cast<std::uint64_t>(a.integer("seed")));
   Floats slice = normal(rng, 4 * F, 0.5, 0.3); // gamma, beta, running means, running variances (> 0)
   for (std::int64_t f = 0; f < F; ++f)
      slice[3 * F + f] = 0.5f + std::fabs(slice[3 * F + f]);
   const Floats x = normal(rng, n, 3.0, 2.0), dy = normal(rng, n, 0.0, 1.0);

   BatchNormOutputs cpu(n, F), gpu(n, F);
   auto backend = make_backend(Architecture::Cpu, 1);
   backend->batch_norm_train(shape, slice.data(), x.data(), batch, trained, cpu.y.data(), cpu.xhat.data(),
                             cpu.stats.data(), cpu.running.data());
   backend->batch_norm_backward(shape, slice.data(), cpu.xhat.data(), cpu.stats.data(), dy.data(), batch,
                                cpu.dx.data(), cpu.grad.data());
   backend->batch_norm_infer(shape, slice.data(), x.data(), batch, cpu.infer.data());
   emulate_batch_norm({F, shape.spatial, batch}, shape, trained, slice, x, dy, gpu);
   const std::string out = a.text("out");
   cpu.write_all(out + ".cpu");
   gpu.write_all(out + ".gpu");
}

// ---------------------------------------------------------------- whole filter matrices

/// The layer of the arguments: its layout, scheme and the ProductLayer the GPU code sees.
struct WholeLayer {
   HashedLayout layout;
   std::unique_ptr<FullyConnected> layer;
   cuda::ProductLayer product;
};

WholeLayer make_layer(const Args &a)
{
   WholeLayer w;
   HashedLayout &l = w.layout;
   const std::string mode = a.text("mode");
   l.n_in = a.integer("n_in");
   l.n_out = a.integer("n_out");
   l.hashed = true;
   l.weight_seed = static_cast<std::uint32_t>(a.integer("seed"));
   l.n_buckets = a.integer("buckets");
   const std::int64_t kb = a.integer("bias_buckets", "0");
   l.hashed_bias = kb > 0;
   l.n_bias_buckets = kb > 0 ? kb : l.n_out;
   l.bias_seed = 77;
   l.offset = 5; // not the buffer's start: the test checks nothing outside the slice is written
   std::unique_ptr<WeightScheme> scheme;
   if (mode == "fresh") {
      l.hash_mode = HashMode::Fresh;
      scheme = make_fresh_scheme(l.n_in, l.n_out, static_cast<int>(a.integer("fh")), static_cast<int>(a.integer("fw")),
                                 l.n_buckets, l.weight_seed, a.real("exponent", "1"));
   } else if (mode == "funhash") {
      l.hash_mode = HashMode::FunHash;
      FunHashLayout f;
      f.n_in = l.n_in;
      f.n_out = l.n_out;
      f.n_buckets = l.n_buckets;
      f.weight_seed = l.weight_seed;
      f.n_hashes = static_cast<int>(a.integer("hashes"));
      f.reconstruction = Reconstruction::Linear;
      l.n_buckets = f.n_weight_params();
      scheme = std::make_unique<FunHashScheme>(f);
   } else {
      l.hash_mode = mode == "block" ? HashMode::Block : HashMode::Element;
      l.block = mode == "block" ? a.integer("block") : 1;
      scheme = std::make_unique<HashedLayoutScheme>(l);
   }
   w.layer = std::make_unique<FullyConnected>(l, std::move(scheme), Activation::Linear);
   w.product.layout = l;
   if (mode == "funhash")
      w.product.funhash = static_cast<const FunHashScheme &>(w.layer->scheme()).layer();
   if (mode == "fresh")
      w.product.fresh = fresh_scheme(*w.layer).layer();
   return w;
}

void run_whole(const Args &a)
{
   const WholeLayer w = make_layer(a);
   const HashedLayout &l = w.layout;
   const std::int64_t n_total = l.offset + l.n_params() + 3, n_vb = l.n_virtual_weights() + l.n_out;
   const bool deterministic = a.integer("deterministic", "0") != 0;
   std::mt19937_64 rng(static_cast<std::uint64_t>(a.integer("seed")) + 1);
   const Floats params = normal(rng, n_total, 0.0, 1.0), dvb = normal(rng, n_vb, 0.0, 1.0);
   const std::string out = a.text("out");
   const char *names[] = {"cpu", "ref"};
   const Architecture archs[] = {Architecture::Cpu, Architecture::Reference};
   for (int b = 0; b < 2; ++b) {
      auto backend = make_backend(archs[b], 1);
      Floats vb(n_vb, NAN), grad(n_total, NAN);
      backend->virtual_matrix(*w.layer, params.data(), vb.data());
      backend->virtual_matrix_backward(*w.layer, params.data(), dvb.data(), grad.data());
      write(out + "." + names[b] + ".vb", vb);
      write(out + "." + names[b] + ".grad", grad);
   }
   const cuda::WorkspacePlan plan = cuda::plan_whole_workspace(w.product, deterministic);
   std::vector<double> workspace(plan.total / sizeof(double) + 1, std::numeric_limits<double>::quiet_NaN());
   cuda::EmulatedDevice device(a.integer("reverse", "0") != 0);
   cuda::WholeMatrixDriver<cuda::EmulatedDevice> driver(device, w.product, workspace.data(), plan);
   Floats vb(n_vb, NAN), grad(n_total, NAN);
   driver.make(params.data(), vb.data());
   driver.backward(params.data(), dvb.data(), grad.data(), deterministic);
   write(out + ".gpu.vb", vb);
   write(out + ".gpu.grad", grad);
}

} // namespace

int main(int argc, char **argv)
{
   try {
      const Args args = parse(argc, argv);
      const std::string op = args.text("op");
      if (op == "bnorm")
         run_batch_norm(args);
      else if (op == "whole")
         run_whole(args);
      else
         throw std::runtime_error("op must be bnorm or whole, got " + op);
   } catch (const std::exception &e) {
      std::fprintf(stderr, "emulate_whole_ops: %s\n", e.what());
      return 1;
   }
   return 0;
}
