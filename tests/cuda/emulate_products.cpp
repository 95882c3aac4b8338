// emulate_products.cpp: runs the GPU hashed products (cpp/cuda's drivers and
// block programs) on the CPU through EmulatedDevice, for the Python test
// tests/test_cuda_emulation.py, which compares the results with the float64
// numpy reference (tests/reference.py).
//
// Usage: emulate_products key=value ...  with keys
//   n_in n_out buckets seed mode=dense|element|block|funhash block hashes
//   reconstruction=identity|linear|mlp hidden activation (Activation's enum
//   value) bias_buckets bias_seed offset batch method=fused|materialize
//   deterministic=0|1 reverse=0|1 tile_rows tile_cols, and files: params
//   (offset + n_params floats), x (batch x n_in), dy (batch x n_out), out
//   (a prefix: writes <out>.y, <out>.dx, <out>.grad as raw float32; grad is
//   the whole buffer, NaN where the call must not write).
//
// What it is not: a test by itself (it prints nothing but errors) or a GPU.
#include "emulated_device.h"
#include "product_drivers.cuh"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using hashednet::cuda::Method;

std::map<std::string, std::string> parse(int argc, char **argv)
{
   std::map<std::string, std::string> args;
   for (int a = 1; a < argc; ++a) {
      const std::string s = argv[a];
      const auto eq = s.find('=');
      if (eq == std::string::npos)
         throw std::runtime_error("expected key=value, got " + s);
      args[s.substr(0, eq)] = s.substr(eq + 1);
   }
   return args;
}

struct Args {
   std::map<std::string, std::string> map;
   std::string text(const std::string &key, const std::string &fallback = "") const
   {
      const auto it = map.find(key);
      if (it != map.end())
         return it->second;
      if (fallback.empty())
         throw std::runtime_error("missing argument " + key);
      return fallback;
   }
   std::int64_t integer(const std::string &key, const std::string &fallback = "") const
   {
      return std::stoll(text(key, fallback));
   }
};

std::vector<float> read_floats(const std::string &path, std::int64_t n)
{
   std::vector<float> v(static_cast<std::size_t>(n));
   std::ifstream in(path, std::ios::binary);
   in.read(reinterpret_cast<char *>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
   if (!in)
      throw std::runtime_error("cannot read " + std::to_string(n) + " floats from " + path);
   return v;
}

void write_floats(const std::string &path, const std::vector<float> &v)
{
   std::ofstream out(path, std::ios::binary);
   out.write(reinterpret_cast<const char *>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
}

hashednet::cuda::ProductLayer make_layer(const Args &a)
{
   hashednet::cuda::ProductLayer p;
   hashednet::HashedLayout &l = p.layout;
   l.n_in = a.integer("n_in");
   l.n_out = a.integer("n_out");
   l.offset = a.integer("offset", "0");
   const std::string mode = a.text("mode");
   l.hashed = mode != "dense";
   l.weight_seed = static_cast<std::uint32_t>(a.integer("seed", "1"));
   l.hash_mode = mode == "block" ? hashednet::HashMode::Block
                 : mode == "funhash" ? hashednet::HashMode::FunHash
                                     : hashednet::HashMode::Element;
   l.block = mode == "block" ? a.integer("block") : 1;
   l.n_buckets = l.hashed ? a.integer("buckets") : l.n_in * l.n_out;
   const std::int64_t kb = a.integer("bias_buckets", "0");
   l.hashed_bias = kb > 0;
   l.n_bias_buckets = kb > 0 ? kb : l.n_out;
   l.bias_seed = static_cast<std::uint32_t>(a.integer("bias_seed", "7"));
   if (mode == "funhash") {
      hashednet::FunHashLayout &f = p.funhash;
      f.n_in = l.n_in;
      f.n_out = l.n_out;
      f.n_buckets = l.n_buckets;
      f.n_hashes = static_cast<int>(a.integer("hashes"));
      f.weight_seed = l.weight_seed;
      const std::string g = a.text("reconstruction");
      f.reconstruction = g == "mlp" ? hashednet::Reconstruction::Mlp
                         : g == "linear" ? hashednet::Reconstruction::Linear
                                         : hashednet::Reconstruction::Identity;
      f.hidden = static_cast<int>(a.integer("hidden", "0"));
      f.hidden_activation = static_cast<hashednet::Activation>(a.integer("activation", "0"));
      l.n_buckets = f.n_weight_params();
   }
   return p;
}

void run(const Args &a)
{
   const hashednet::cuda::ProductLayer layer = make_layer(a);
   const hashednet::HashedLayout &l = layer.layout;
   const std::int64_t batch = a.integer("batch");
   const Method method = a.text("method") == "fused" ? Method::Fused : Method::Materialize;
   const bool deterministic = a.integer("deterministic", "0") != 0;
   const hashednet::cuda::MaterializeTiles tiles{a.integer("tile_rows", "512"), a.integer("tile_cols", "512")};
   const std::int64_t n_total = l.offset + l.n_params();

   const std::vector<float> params = read_floats(a.text("params"), n_total);
   const std::vector<float> x = read_floats(a.text("x"), batch * l.n_in);
   const std::vector<float> dy = read_floats(a.text("dy"), batch * l.n_out);
   std::vector<float> y(static_cast<std::size_t>(batch * l.n_out), std::nanf(""));
   std::vector<float> dx(static_cast<std::size_t>(batch * l.n_in), std::nanf(""));
   std::vector<float> grad(static_cast<std::size_t>(n_total), std::nanf(""));

   const hashednet::cuda::WorkspacePlan plan = hashednet::cuda::plan_workspace(layer, batch, method, deterministic,
                                                                               tiles);
   std::vector<double> workspace(plan.total / sizeof(double) + 1, std::numeric_limits<double>::quiet_NaN());
   hashednet::cuda::EmulatedDevice device(a.integer("reverse", "0") != 0);
   hashednet::cuda::ProductDriver<hashednet::cuda::EmulatedDevice> driver(device, layer, batch, tiles,
                                                                          workspace.data(), plan);
   driver.forward(params.data(), x.data(), y.data(), method);
   driver.backward_dx(params.data(), dy.data(), dx.data(), method);
   driver.backward_dparams(params.data(), x.data(), dy.data(), grad.data(), method, deterministic);

   const std::string out = a.text("out");
   write_floats(out + ".y", y);
   write_floats(out + ".dx", dx);
   write_floats(out + ".grad", grad);
}

} // namespace

int main(int argc, char **argv)
{
   try {
      run(Args{parse(argc, argv)});
   } catch (const std::exception &e) {
      std::fprintf(stderr, "emulate_products: %s\n", e.what());
      return 1;
   }
   return 0;
}
