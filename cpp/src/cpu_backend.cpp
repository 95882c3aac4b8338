// cpu_backend.cpp: the CPU implementation of backend.h.
//
// Hashed product, without any D-sized buffer: V is cut into tiles of
// kTileRows x kTileCols. A thread generates one tile of V from the hash into
// its own buffer (hash_tile.h: AVX-512, AVX2 or scalar, chosen at run time;
// the slots, bucket | sign, are kept beside it: the gather reads them, and in
// the backward pass the scatter too, so one generated tile serves both dx and
// dV) and hands it to sgemm exactly where a dense layer would pass a block of
// its weight matrix. In BLOCK mode the tile is described by its runs (one per
// block part in a row, about 1/B of the entries) instead of slots: V is
// copied and dV added run by run. Work memory: per thread one tile of V, one
// tile of slots, one tile of dV (3 x 256 KiB), the runs (16 bytes per run),
// and, when several threads share a backward pass, one K-sized
// bucket-gradient buffer (one thread adds into the gradient itself).
//
//   forward   threads own row blocks of V  -> disjoint columns of y
//   backward  threads own column blocks    -> disjoint columns of dx; each
//             scatters its dV tiles into its own bucket buffer; the buffers
//             are summed in thread order, so results are deterministic for a
//             given thread count.
#include "activation_array.h"
#include "blas.h"
#include "hash_tile.h"

#include "hashednet/backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hashednet {
namespace {

constexpr std::int64_t kTileRows = 256;
constexpr std::int64_t kTileCols = 256;
/// Below this many multiply-adds (about 0.2 ms on one core) a layer runs on
/// one thread: a parallel region costs microseconds on idle cores and whole
/// scheduler time slices on busy ones (small HIGGS nets, single events).
constexpr std::int64_t kParallelWork = 1 << 21;
/// Elements per work item of a parallel elementwise kernel (16 KiB of floats).
constexpr std::int64_t kElementwisePiece = 4096;

struct TileRange {
   std::int64_t begin;
   std::int64_t end;
   std::int64_t size() const { return end - begin; }
};

TileRange tile(std::int64_t index, std::int64_t tile_size, std::int64_t extent)
{
   const std::int64_t begin = index * tile_size;
   return {begin, std::min(begin + tile_size, extent)};
}

std::int64_t n_tiles(std::int64_t extent, std::int64_t tile_size)
{
   return (extent + tile_size - 1) / tile_size;
}

/// The tile size along the dimension a product sums over (columns forward,
/// rows backward): a generated tile of V must fit the thread's buffer, but a
/// dense layer's "tile" is a view of W, so it takes the whole extent in one
/// sgemm. (Along the other dimension a dense layer is cut only into one block
/// per thread: 256-wide slices made sgemm pack the same inputs again for
/// every slice, 4-7% of a 4096 x 4096 layer.)
std::int64_t reduction_tile(const HashedLayout &layer, std::int64_t extent, std::int64_t max_tile)
{
   return layer.hashed ? max_tile : std::max<std::int64_t>(extent, 1);
}

/// The tile size along the dimension that threads share: at most max_tile for
/// a hashed layer (no limit for a dense one), smaller (a multiple of 16) so
/// that the tiles come in a multiple of the thread count and every thread gets
/// about as much. With 256-wide tiles a 512-wide layer kept at most 2 threads
/// busy, and 784 inputs on 2 threads split 512 : 272.
std::int64_t parallel_tile(const HashedLayout &layer, std::int64_t extent, int n_threads, std::int64_t max_tile)
{
   if (!layer.hashed)
      max_tile = std::max<std::int64_t>(extent, 1);
   if (n_threads <= 1)
      return max_tile;
   const std::int64_t per_round = max_tile * n_threads;
   const std::int64_t count = n_threads * ((extent + per_round - 1) / per_round);
   const std::int64_t size = (extent + count - 1) / count;
   return std::min(max_tile, (size + 15) / 16 * 16);
}

/// body(e) for e in [0, n) on n_threads threads (static schedule, chunks of
/// `chunk`, 0 = one block per thread). One thread runs a plain loop: even a
/// one-thread OpenMP region allocates a team and wakes futexes, microseconds
/// that a single event cannot afford.
template <class Body>
void parallel_for(int n_threads, std::int64_t n, std::int64_t chunk, Body body)
{
   if (n_threads <= 1) {
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
      return;
   }
   if (chunk > 0) {
#pragma omp parallel for schedule(static, chunk) num_threads(n_threads)
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
   } else {
#pragma omp parallel for schedule(static) num_threads(n_threads)
      for (std::int64_t e = 0; e < n; ++e)
         body(e);
   }
}

/// body(begin, count) over [0, n) in pieces of kElementwisePiece on n_threads
/// threads (see parallel_for): the elementwise kernels.
template <class Body>
void for_each_piece(int n_threads, std::int64_t n, Body body)
{
   parallel_for(n_threads, (n + kElementwisePiece - 1) / kElementwisePiece, 0, [&](std::int64_t piece) {
      const std::int64_t begin = piece * kElementwisePiece;
      body(begin, std::min(kElementwisePiece, n - begin));
   });
}

/// Per-thread work buffers of bounded size (tiles), plus the bucket-gradient buffer.
struct ThreadScratch {
   std::vector<float> v_tile;
   std::vector<std::uint32_t> slot_tile;    ///< ELEMENT mode: the tile's slots, for the scatter
   std::vector<kernels::BlockRun> runs;     ///< BLOCK mode: the tile's runs, for the copy and the scatter
   std::vector<float> dv_tile;
   std::vector<float> bucket_grad;        ///< several threads: this thread's share of the bucket gradient
   float *bucket_sum = nullptr;           ///< where scatter() adds: bucket_grad, or the gradient itself on one thread
};

class CpuBackend final : public Backend {
public:
   explicit CpuBackend(int num_threads)
      : n_threads_(num_threads > 0 ? num_threads : std::max(1u, std::thread::hardware_concurrency())),
        scratch_(n_threads_), generate_(kernels::tile_generator()), hash_keys_(kernels::key_slots()),
        activations_(kernels::activation_kernels())
   {
      blas::set_num_threads(1);
      for (auto &s : scratch_) {
         s.v_tile.resize(kTileRows * kTileCols);
         s.slot_tile.resize(kTileRows * kTileCols);
         s.dv_tile.resize(kTileRows * kTileCols);
      }
   }

   const char *name() const override { return "CPU"; }

   void linear_forward(const HashedLayout &layer, const float *params, const float *x, std::int64_t batch,
                       float *y) override;
   void linear_backward(const HashedLayout &layer, const float *params, const float *x, const float *dy,
                        std::int64_t batch, float *dx, float *grad) override;
   void activation_forward(Activation f, const float *z, float *a, std::int64_t n) override;
   void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                            std::int64_t n) override;
   void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                        std::uint64_t seed) override;
   void sgd_step(float *params, const float *grad, float *velocity, std::int64_t n, double learning_rate,
                 double momentum, double weight_decay) override;
   void adam_step(float *params, const float *grad, float *m, float *v, std::int64_t n, double learning_rate,
                  double weight_decay, AdamState &state) override;

private:
   int threads_for(std::int64_t work) const { return work >= kParallelWork ? n_threads_ : 1; }
   int thread_id() const
   {
#if defined(_OPENMP)
      return omp_get_thread_num();
#else
      return 0;
#endif
   }

   /// The tile V[rows, cols] as a matrix pointer and leading dimension: a view
   /// of W for a dense layer, or generated into the thread's buffer, keeping
   /// what scatter() needs beside it (the slots, or the runs in BLOCK mode).
   const float *v_tile(const HashedLayout &layer, const float *w, TileRange rows, TileRange cols,
                       ThreadScratch &s, std::int64_t &ld) const;
   /// Only what scatter() needs of a hashed tile (when no V is wanted).
   void scatter_plan(const HashedLayout &layer, TileRange rows, TileRange cols, ThreadScratch &s) const;
   /// The thread's bucket gradient += xi * dV over the tile in s.dv_tile.
   void scatter(const HashedLayout &layer, TileRange rows, TileRange cols, ThreadScratch &s) const;
   void add_bias(const HashedLayout &layer, const float *params, std::int64_t batch, float *y);
   void bias_gradient(const HashedLayout &layer, const float *dy, std::int64_t batch, float *grad);
   void backward_column_block(const HashedLayout &layer, const float *w, const float *x, const float *dy,
                              std::int64_t batch, float *dx, float *grad, TileRange cols, ThreadScratch &s);
   void reduce_bucket_grads(const HashedLayout &layer, int n_used, float *grad);

   int n_threads_;
   std::vector<ThreadScratch> scratch_;
   kernels::GenerateTileFn generate_;
   kernels::KeySlotsFn hash_keys_;
   kernels::ActivationKernels activations_;
   std::vector<float> bias_buffer_; ///< n_out values, reused across calls
};

const float *CpuBackend::v_tile(const HashedLayout &layer, const float *w, TileRange rows, TileRange cols,
                                ThreadScratch &s, std::int64_t &ld) const
{
   if (!layer.hashed) {
      ld = layer.n_in;
      return w + rows.begin * layer.n_in + cols.begin;
   }
   ld = cols.size();
   if (layer.hash_mode == HashMode::Block) {
      kernels::block_runs(layer, rows.begin, rows.size(), cols.begin, cols.size(), s.runs, hash_keys_);
      kernels::copy_runs(w, static_cast<std::uint32_t>(layer.n_buckets), s.runs.data(), s.runs.size(),
                         s.v_tile.data());
   } else {
      generate_(layer, w, rows.begin, rows.size(), cols.begin, cols.size(), s.v_tile.data(), s.slot_tile.data());
   }
   return s.v_tile.data();
}

void CpuBackend::scatter_plan(const HashedLayout &layer, TileRange rows, TileRange cols, ThreadScratch &s) const
{
   if (layer.hash_mode == HashMode::Block)
      kernels::block_runs(layer, rows.begin, rows.size(), cols.begin, cols.size(), s.runs, hash_keys_);
   else
      generate_(layer, nullptr, rows.begin, rows.size(), cols.begin, cols.size(), nullptr, s.slot_tile.data());
}

void CpuBackend::scatter(const HashedLayout &layer, TileRange rows, TileRange cols, ThreadScratch &s) const
{
   if (layer.hash_mode == HashMode::Block)
      kernels::scatter_runs(s.runs.data(), s.runs.size(), static_cast<std::uint32_t>(layer.n_buckets),
                            s.dv_tile.data(), s.bucket_sum);
   else
      kernels::scatter_tile(s.slot_tile.data(), s.dv_tile.data(), rows.size() * cols.size(), s.bucket_sum);
}

void CpuBackend::add_bias(const HashedLayout &layer, const float *params, std::int64_t batch, float *y)
{
   const float *wb = params + layer.bias_offset();
   std::vector<float> &bias = bias_buffer_;
   bias.resize(layer.n_out);
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      bias[i] = layer.virtual_bias(wb, i);
   for (std::int64_t b = 0; b < batch; ++b) {
      float *row = y + b * layer.n_out;
      for (std::int64_t i = 0; i < layer.n_out; ++i)
         row[i] += bias[i];
   }
}

void CpuBackend::linear_forward(const HashedLayout &layer, const float *params, const float *x, std::int64_t batch,
                                float *y)
{
   const float *w = params + layer.offset;
   const int n_threads = threads_for(batch * layer.n_virtual_weights());
   const std::int64_t tile_rows = parallel_tile(layer, layer.n_out, n_threads, kTileRows);
   const std::int64_t row_blocks = n_tiles(layer.n_out, tile_rows);
   const std::int64_t tile_cols = reduction_tile(layer, layer.n_in, kTileCols);
   const std::int64_t col_blocks = n_tiles(layer.n_in, tile_cols);
   parallel_for(n_threads, row_blocks, 1, [&](std::int64_t rb) {
      ThreadScratch &s = scratch_[thread_id()];
      const TileRange rows = tile(rb, tile_rows, layer.n_out);
      for (std::int64_t cb = 0; cb < col_blocks; ++cb) {
         const TileRange cols = tile(cb, tile_cols, layer.n_in);
         std::int64_t ld = 0;
         const float *v = v_tile(layer, w, rows, cols, s, ld);
         // y[:, rows] (B x tr) (+)= x[:, cols] (B x tc) * V[rows, cols]^T (tc x tr)
         blas::sgemm(blas::Op::N, blas::Op::T, batch, rows.size(), cols.size(), 1.0f, x + cols.begin, layer.n_in, v,
                     ld, cb == 0 ? 0.0f : 1.0f, y + rows.begin, layer.n_out);
      }
   });
   add_bias(layer, params, batch, y);
}

void CpuBackend::backward_column_block(const HashedLayout &layer, const float *w, const float *x, const float *dy,
                                       std::int64_t batch, float *dx, float *grad, TileRange cols, ThreadScratch &s)
{
   const std::int64_t tile_rows = reduction_tile(layer, layer.n_out, kTileRows);
   const std::int64_t row_blocks = n_tiles(layer.n_out, tile_rows);
   for (std::int64_t rb = 0; rb < row_blocks; ++rb) {
      const TileRange rows = tile(rb, tile_rows, layer.n_out);
      std::int64_t ld = 0;
      if (dx != nullptr) {
         const float *v = v_tile(layer, w, rows, cols, s, ld);
         // dx[:, cols] (B x tc) (+)= dy[:, rows] (B x tr) * V[rows, cols] (tr x tc)
         blas::sgemm(blas::Op::N, blas::Op::N, batch, cols.size(), rows.size(), 1.0f, dy + rows.begin, layer.n_out,
                     v, ld, rb == 0 ? 0.0f : 1.0f, dx + cols.begin, layer.n_in);
      } else if (layer.hashed) {
         scatter_plan(layer, rows, cols, s); // no dx: no V, only what the scatter below needs
      }
      if (!layer.hashed) {
         // dW[rows, cols] = dy[:, rows]^T (tr x B) * x[:, cols] (B x tc), written in place
         float *g = grad + layer.offset + rows.begin * layer.n_in + cols.begin;
         blas::sgemm(blas::Op::T, blas::Op::N, rows.size(), cols.size(), batch, 1.0f, dy + rows.begin, layer.n_out,
                     x + cols.begin, layer.n_in, 0.0f, g, layer.n_in);
         continue;
      }
      blas::sgemm(blas::Op::T, blas::Op::N, rows.size(), cols.size(), batch, 1.0f, dy + rows.begin, layer.n_out,
                  x + cols.begin, layer.n_in, 0.0f, s.dv_tile.data(), cols.size());
      // grad of bucket h(i,j) += xi(i,j) * dV[i][j]
      scatter(layer, rows, cols, s);
   }
}

void CpuBackend::reduce_bucket_grads(const HashedLayout &layer, int n_used, float *grad)
{
   float *g = grad + layer.offset;
   const std::int64_t k = layer.n_buckets;
   parallel_for(threads_for(k * n_used * 64), k, 0, [&](std::int64_t b) {
      float sum = 0.0f;
      for (int t = 0; t < n_used; ++t)
         sum += scratch_[t].bucket_grad[b];
      g[b] = sum;
   });
}

void CpuBackend::linear_backward(const HashedLayout &layer, const float *params, const float *x, const float *dy,
                                 std::int64_t batch, float *dx, float *grad)
{
   const float *w = params + layer.offset;
   const int n_threads = threads_for(batch * layer.n_virtual_weights());
   const std::int64_t tile_cols = parallel_tile(layer, layer.n_in, n_threads, kTileCols);
   const std::int64_t col_blocks = n_tiles(layer.n_in, tile_cols);
   int n_used = 1;
   if (n_threads == 1) { // no OpenMP region at all (see parallel_for), no bucket buffer: dV goes straight into grad
      ThreadScratch &s = scratch_[0];
      if (layer.hashed) {
         s.bucket_sum = grad + layer.offset;
         std::fill(s.bucket_sum, s.bucket_sum + layer.n_buckets, 0.0f);
      }
      for (std::int64_t cb = 0; cb < col_blocks; ++cb)
         backward_column_block(layer, w, x, dy, batch, dx, grad, tile(cb, tile_cols, layer.n_in), s);
   } else {
#pragma omp parallel num_threads(n_threads)
      {
         ThreadScratch &s = scratch_[thread_id()];
#if defined(_OPENMP)
         if (thread_id() == 0)
            n_used = omp_get_num_threads();
#endif
         if (layer.hashed) {
            s.bucket_grad.assign(layer.n_buckets, 0.0f); // each thread zeroes (and first touches) its own
            s.bucket_sum = s.bucket_grad.data();
         }
#pragma omp for schedule(static, 1)
         for (std::int64_t cb = 0; cb < col_blocks; ++cb) {
            const TileRange cols = tile(cb, tile_cols, layer.n_in);
            backward_column_block(layer, w, x, dy, batch, dx, grad, cols, s);
         }
      }
   }
   if (layer.hashed && n_threads > 1)
      reduce_bucket_grads(layer, n_used, grad);
   bias_gradient(layer, dy, batch, grad);
}

void CpuBackend::bias_gradient(const HashedLayout &layer, const float *dy, std::int64_t batch, float *grad)
{
   float *gb = grad + layer.bias_offset();
   std::fill(gb, gb + layer.n_bias_buckets, 0.0f);
   std::vector<float> &column_sum = bias_buffer_;
   column_sum.assign(layer.n_out, 0.0f);
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t i = 0; i < layer.n_out; ++i)
         column_sum[i] += dy[b * layer.n_out + i];
   for (std::int64_t i = 0; i < layer.n_out; ++i) {
      std::int64_t k;
      float sign;
      layer.locate_bias(i, k, sign);
      gb[k] += sign * column_sum[i];
   }
}

void CpuBackend::activation_forward(Activation f, const float *z, float *a, std::int64_t n)
{
   for_each_piece(threads_for(n * 16), n, [&](std::int64_t begin, std::int64_t count) {
      activations_.forward(f, z + begin, a + begin, count);
   });
}

void CpuBackend::activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                                     std::int64_t n)
{
   for_each_piece(threads_for(n * 16), n, [&](std::int64_t begin, std::int64_t count) {
      activations_.backward(f, z + begin, a + begin, da + begin, dz + begin, count);
   });
}

void CpuBackend::dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                                 std::uint64_t seed)
{
   for_each_piece(threads_for(n * 16), n, [&](std::int64_t begin, std::int64_t count) {
      activations_.dropout(x + begin, y + begin, keep + begin, count, seed, static_cast<std::uint64_t>(begin), p);
   });
}

void CpuBackend::sgd_step(float *params, const float *grad, float *velocity, std::int64_t n, double learning_rate,
                          double momentum, double weight_decay)
{
   const float lr = static_cast<float>(learning_rate);
   const float mu = static_cast<float>(momentum);
   const float wd = static_cast<float>(weight_decay);
   parallel_for(threads_for(n * 16), n, 0, [&](std::int64_t e) {
      velocity[e] = mu * velocity[e] + grad[e] + wd * params[e];
      params[e] -= lr * velocity[e];
   });
}

void CpuBackend::adam_step(float *params, const float *grad, float *m, float *v, std::int64_t n,
                           double learning_rate, double weight_decay, AdamState &state)
{
   state.step += 1;
   const double correction1 = 1.0 - std::pow(state.beta1, static_cast<double>(state.step));
   const double correction2 = 1.0 - std::pow(state.beta2, static_cast<double>(state.step));
   const float step_size = static_cast<float>(learning_rate * std::sqrt(correction2) / correction1);
   const float b1 = static_cast<float>(state.beta1);
   const float b2 = static_cast<float>(state.beta2);
   const float eps = static_cast<float>(state.epsilon * std::sqrt(correction2));
   const float wd = static_cast<float>(weight_decay);
   parallel_for(threads_for(n * 16), n, 0, [&](std::int64_t e) {
      const float g = grad[e] + wd * params[e];
      m[e] = b1 * m[e] + (1.0f - b1) * g;
      v[e] = b2 * v[e] + (1.0f - b2) * g * g;
      params[e] -= step_size * m[e] / (std::sqrt(v[e]) + eps);
   });
}

} // namespace

std::unique_ptr<Backend> make_cpu_backend(int num_threads)
{
   return std::make_unique<CpuBackend>(num_threads);
}

} // namespace hashednet
