// bench_api.cpp: see bench.h. The "materialized" method lives here only: it
// is the baseline and reference of the fused kernels, never used by a model.
#include "hashednet/bench.h"

#include "activation_array.h"
#include "blas.h"
#include "hash_tile.h"

#include "hashednet/activation.h"
#include "hashednet/backend.h"
#include "hashednet/common.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/fully_connected.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hashednet {
namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMaterializeRows = 16; ///< rows of V built (or scattered) per task

int thread_id()
{
#if defined(_OPENMP)
   return omp_get_thread_num();
#else
   return 0;
#endif
}

/// The original HashedNets product: V (and dV) as whole D-sized matrices.
class MaterializedLayer {
public:
   MaterializedLayer(const HashedLayout &layer, int num_threads)
      : layer_(layer),
        n_threads_(num_threads > 0 ? num_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())))
   {
   }

   void pass(const float *params, const float *x, const float *dy, std::int64_t batch, float *y, float *dx,
             float *grad)
   {
      const std::int64_t n_in = layer_.n_in, n_out = layer_.n_out;
      const float *w = params + layer_.offset;
      const float *v = layer_.hashed ? materialize(w) : w;
      blas::set_num_threads(n_threads_);
      // y (B x n_out) = x (B x n_in) V^T (n_in x n_out)
      blas::sgemm(blas::Op::N, blas::Op::T, batch, n_out, n_in, 1.0f, x, n_in, v, n_in, 0.0f, y, n_out);
      const float *b = params + layer_.bias_offset();
      for (std::int64_t e = 0; e < batch; ++e)
         for (std::int64_t i = 0; i < n_out; ++i)
            y[e * n_out + i] += b[i];
      if (dy) {
         // dx (B x n_in) = dy (B x n_out) V (n_out x n_in)
         if (dx)
            blas::sgemm(blas::Op::N, blas::Op::N, batch, n_in, n_out, 1.0f, dy, n_out, v, n_in, 0.0f, dx, n_in);
         if (layer_.hashed)
            dv_.resize(static_cast<std::size_t>(layer_.n_virtual_weights()));
         float *dv = layer_.hashed ? dv_.data() : grad + layer_.offset;
         // dV (n_out x n_in) = dy^T (n_out x B) x (B x n_in)
         blas::sgemm(blas::Op::T, blas::Op::N, n_out, n_in, batch, 1.0f, dy, n_out, x, n_in, 0.0f, dv, n_in);
         if (layer_.hashed)
            scatter(grad + layer_.offset);
         float *gb = grad + layer_.bias_offset();
         std::fill(gb, gb + n_out, 0.0f);
         for (std::int64_t e = 0; e < batch; ++e)
            for (std::int64_t i = 0; i < n_out; ++i)
               gb[i] += dy[e * n_out + i];
      }
      blas::set_num_threads(1);
   }

private:
   const float *materialize(const float *w)
   {
      v_.resize(static_cast<std::size_t>(layer_.n_virtual_weights()));
      const kernels::GenerateTileFn generate = kernels::tile_generator();
      const std::int64_t n_blocks = (layer_.n_out + kMaterializeRows - 1) / kMaterializeRows;
#pragma omp parallel for schedule(static) num_threads(n_threads_)
      for (std::int64_t rb = 0; rb < n_blocks; ++rb) {
         const std::int64_t r0 = rb * kMaterializeRows, nr = std::min(kMaterializeRows, layer_.n_out - r0);
         generate(layer_, w, r0, nr, 0, layer_.n_in, v_.data() + r0 * layer_.n_in, nullptr);
      }
      return v_.data();
   }

   /// grad[bucket] = sum of xi * dV over the bucket, hashing again row block by row block.
   void scatter(float *grad)
   {
      const kernels::GenerateTileFn generate = kernels::tile_generator();
      const std::int64_t n_blocks = (layer_.n_out + kMaterializeRows - 1) / kMaterializeRows;
      partial_.resize(n_threads_);
      int n_used = 1;
#pragma omp parallel num_threads(n_threads_)
      {
#if defined(_OPENMP)
         if (thread_id() == 0)
            n_used = omp_get_num_threads();
#endif
         std::vector<float> &mine = partial_[thread_id()];
         mine.assign(layer_.n_buckets, 0.0f);
         std::vector<std::uint32_t> slots(kMaterializeRows * layer_.n_in);
#pragma omp for schedule(static)
         for (std::int64_t rb = 0; rb < n_blocks; ++rb) {
            const std::int64_t r0 = rb * kMaterializeRows, nr = std::min(kMaterializeRows, layer_.n_out - r0);
            generate(layer_, nullptr, r0, nr, 0, layer_.n_in, nullptr, slots.data());
            kernels::scatter_tile(slots.data(), dv_.data() + r0 * layer_.n_in, nr * layer_.n_in, mine.data());
         }
      }
      for (std::int64_t k = 0; k < layer_.n_buckets; ++k) {
         float sum = 0.0f;
         for (int t = 0; t < n_used; ++t)
            sum += partial_[t][k];
         grad[k] = sum;
      }
   }

   HashedLayout layer_;
   int n_threads_;
   std::vector<float> v_, dv_;
   std::vector<std::vector<float>> partial_;
};

/// Runs passes of one method on one layer; built once, outside any timing.
class Runner {
public:
   Runner(const HashedLayout &layer, const std::string &method, int num_threads)
      : layer_(layer, Activation::Linear), infer_(method == "infer")
   {
      if (method == "fused" || method == "infer")
         backend_ = make_backend(Architecture::Cpu, num_threads);
      else if (method == "reference")
         backend_ = make_backend(Architecture::Reference, num_threads);
      else if (method == "materialized")
         materialized_ = std::make_unique<MaterializedLayer>(layer, num_threads);
      else
         HASHEDNET_CHECK(false, "unknown method '" << method << "'; allowed: fused, reference, materialized, infer");
   }

   /// A layer whose V comes from `scheme` (layer: shape, offset 0 and bias), on the "fused" or "reference" backend.
   Runner(const HashedLayout &layer, std::unique_ptr<WeightScheme> scheme, const std::string &method, int num_threads)
      : layer_(layer, std::move(scheme), Activation::Linear)
   {
      HASHEDNET_CHECK(method == "fused" || method == "reference",
                      "unknown method '" << method << "' for a " << layer_.scheme().name()
                                         << " layer; allowed: fused, reference");
      backend_ = make_backend(method == "fused" ? Architecture::Cpu : Architecture::Reference, num_threads);
   }

   void pass(const float *params, const float *x, const float *dy, std::int64_t batch, float *y, float *dx,
             float *grad)
   {
      if (materialized_) {
         materialized_->pass(params, x, dy, batch, y, dx, grad);
         return;
      }
      if (infer_)
         backend_->linear_infer(layer_, params, x, batch, y);
      else
         backend_->linear_forward(layer_, params, x, batch, y);
      if (dy)
         backend_->linear_backward(layer_, params, x, dy, batch, dx, grad);
   }

private:
   FullyConnected layer_;
   bool infer_; ///< "infer": the forward pass as Network::predict runs it (Backend::linear_infer)
   std::unique_ptr<Backend> backend_;
   std::unique_ptr<MaterializedLayer> materialized_;
};

std::int64_t status_kib(const char *key)
{
   std::ifstream status("/proc/self/status");
   std::string line;
   const std::string prefix = std::string(key) + ":";
   while (std::getline(status, line)) {
      if (line.compare(0, prefix.size(), prefix) == 0) {
         std::istringstream fields(line.substr(prefix.size()));
         std::int64_t kib = 0;
         fields >> kib;
         return kib;
      }
   }
   return 0;
}

} // namespace

HashedLayout make_layout(std::int64_t n_in, std::int64_t n_out, std::int64_t n_buckets, std::uint32_t weight_seed,
                         std::int64_t block)
{
   HASHEDNET_CHECK(block >= 0 && block <= kMaxHashBlock,
                   "block size must be in [0, " << kMaxHashBlock << "] (0 = ELEMENT mode), got " << block);
   HASHEDNET_CHECK(n_in > 0 && n_out > 0, "layer shape must be positive, got " << n_out << " x " << n_in);
   HASHEDNET_CHECK(n_buckets > 0 && n_buckets < (std::int64_t(1) << 31),
                   "bucket count must be in [1, 2^31), got " << n_buckets);
   HashedLayout layer;
   layer.n_in = n_in;
   layer.n_out = n_out;
   layer.hashed = n_buckets < n_in * n_out;
   layer.n_buckets = layer.hashed ? n_buckets : n_in * n_out;
   layer.n_bias_buckets = n_out;
   layer.weight_seed = weight_seed;
   layer.hash_mode = block > 0 ? HashMode::Block : HashMode::Element;
   layer.block = block > 0 ? block : 1;
   return layer;
}

void layer_pass(const HashedLayout &layer, const float *params, const float *x, const float *dy, std::int64_t batch,
                float *y, float *dx, float *grad, const std::string &method, int num_threads)
{
   Runner runner(layer, method, num_threads);
   runner.pass(params, x, dy, batch, y, dx, grad);
}

/// The FRESH layer of make_fresh_layer_runner's arguments.
Runner fresh_runner(const HashedLayout &layer, int fh, int fw, double band_exponent, const std::string &method,
                    int num_threads)
{
   HashedLayout fresh = layer;
   fresh.hash_mode = HashMode::Fresh;
   fresh.hashed = true;
   return Runner(fresh,
                 make_fresh_scheme(layer.n_in, layer.n_out, fh, fw, layer.n_buckets, layer.weight_seed, band_exponent),
                 method, num_threads);
}

void fresh_layer_pass(const HashedLayout &layer, int fh, int fw, double band_exponent, const float *params,
                      const float *x, const float *dy, std::int64_t batch, float *y, float *dx, float *grad,
                      const std::string &method, int num_threads)
{
   fresh_runner(layer, fh, fw, band_exponent, method, num_threads).pass(params, x, dy, batch, y, dx, grad);
}

std::vector<double> time_fresh_layer(const HashedLayout &layer, int fh, int fw, double band_exponent,
                                     const float *params, const float *x, const float *dy, std::int64_t batch, float *y,
                                     float *dx, float *grad, int num_threads, int repetitions)
{
   HASHEDNET_CHECK(repetitions >= 1, "repetitions must be at least 1, got " << repetitions);
   Runner runner = fresh_runner(layer, fh, fw, band_exponent, "fused", num_threads);
   runner.pass(params, x, dy, batch, y, dx, grad); // warm-up
   std::vector<double> seconds;
   for (int r = 0; r < repetitions; ++r) {
      const auto start = Clock::now();
      runner.pass(params, x, dy, batch, y, dx, grad);
      seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
   }
   return seconds;
}

std::vector<double> time_layer(const HashedLayout &layer, const float *params, const float *x, const float *dy,
                               std::int64_t batch, float *y, float *dx, float *grad, const std::string &method,
                               int num_threads, int repetitions)
{
   HASHEDNET_CHECK(repetitions >= 1, "repetitions must be at least 1, got " << repetitions);
   Runner runner(layer, method, num_threads);
   runner.pass(params, x, dy, batch, y, dx, grad); // warm-up: buffers, pages, thread pool
   std::vector<double> seconds;
   for (int r = 0; r < repetitions; ++r) {
      const auto start = Clock::now();
      runner.pass(params, x, dy, batch, y, dx, grad);
      seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
   }
   return seconds;
}

std::vector<double> time_tile(const HashedLayout &layer, const float *w, std::int64_t n_rows, std::int64_t n_cols,
                              const std::string &isa, int repetitions)
{
   const kernels::GenerateTileFn generate = kernels::tile_generator(isa);
   std::vector<float> v(n_rows * n_cols);
   std::vector<std::uint32_t> slots(n_rows * n_cols);
   std::vector<double> seconds;
   for (int r = 0; r <= repetitions; ++r) {
      const auto start = Clock::now();
      generate(layer, w, 0, n_rows, 0, n_cols, v.data(), slots.data());
      if (r > 0)
         seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
   }
   return seconds;
}

void generate_tile(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                   std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots, const std::string &isa)
{
   HASHEDNET_CHECK(layer.hashed, "tiles are generated for hashed layers only");
   HASHEDNET_CHECK(row0 >= 0 && n_rows >= 0 && row0 + n_rows <= layer.n_out && col0 >= 0 && n_cols >= 0 &&
                      col0 + n_cols <= layer.n_in,
                   "tile [" << row0 << "+" << n_rows << ", " << col0 << "+" << n_cols << "] is outside the "
                            << layer.n_out << " x " << layer.n_in << " layer");
   kernels::tile_generator(isa)(layer, w, row0, n_rows, col0, n_cols, v, slots);
}

void key_slots(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
               std::uint32_t *slots, const std::string &isa)
{
   HASHEDNET_CHECK(n_buckets >= 1 && n_buckets <= kernels::kBucketMask + 1u,
                   "n_buckets must be in [1, 2^31], got " << n_buckets);
   kernels::key_slots(isa)(key0, seed, n_buckets, n, slots);
}

void activation_forward(Activation f, const float *z, float *a, std::int64_t n, const std::string &isa)
{
   kernels::activation_kernels(isa).forward(f, z, a, n);
}

void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz, std::int64_t n,
                         const std::string &isa)
{
   kernels::activation_kernels(isa).backward(f, z, a, da, dz, n);
}

void dropout(const float *x, float *y, float *keep, std::int64_t n, double p, std::uint64_t seed,
             std::uint64_t first, const std::string &isa)
{
   HASHEDNET_CHECK(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1), got " << p);
   kernels::activation_kernels(isa).dropout(x, y, keep, n, seed, first, p);
}

float activate_scalar(Activation f, float z)
{
   return activate(f, z);
}

float activation_derivative_scalar(Activation f, float z, float a)
{
   return activation_derivative(f, z, a);
}

std::string kernel_isa()
{
   return kernels::default_isa();
}

bool kernel_isa_available(const std::string &isa)
{
   return kernels::isa_available(isa);
}

void set_kernel_isa(const std::string &isa)
{
   kernels::set_default_isa(isa);
}

std::int64_t resident_bytes()
{
   return status_kib("VmRSS") * 1024;
}

std::int64_t peak_resident_bytes()
{
   return status_kib("VmHWM") * 1024;
}

bool reset_peak_resident()
{
   std::ofstream clear("/proc/self/clear_refs");
   clear << "5";
   clear.close();
   return static_cast<bool>(clear);
}

} // namespace bench
} // namespace hashednet
