// cpu_backend.cpp: the CPU implementation of backend.h.
//
// One fused driver serves every weight scheme: fused_forward and
// fused_backward below are templates on the scheme's tile struct
// (cpu_schemes.h), which generates a tile of V (or views W) and adds a dV
// tile into the scheme's gradient; the rest is the same loops and sgemm
// calls whatever the scheme. The description below is ELEMENT's and BLOCK's.
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
#include "cpu_parallel.h"
#include "cpu_schemes.h"
#include "hash_tile.h"
#include "host_backend.h"
#include "hashednet/interrupt.h"
#include "small_batch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace hashednet {
namespace {

using cpu::for_each_piece;
using cpu::parallel_for;
using cpu::thread_id;

constexpr std::int64_t kTileRows = 256;
constexpr std::int64_t kTileCols = 256;

using cpu::ThreadScratch;
using cpu::TileRange;

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
template <class Tiles>
std::int64_t reduction_tile(std::int64_t extent, std::int64_t max_tile)
{
   return Tiles::kView ? std::max<std::int64_t>(extent, 1) : max_tile;
}

/// The tile size along the dimension that threads share: at most max_tile for
/// a generated tile (no limit for a view), smaller (a multiple of 16) so
/// that the tiles come in a multiple of the thread count and every thread gets
/// about as much. With 256-wide tiles a 512-wide layer kept at most 2 threads
/// busy, and 784 inputs on 2 threads split 512 : 272.
template <class Tiles>
std::int64_t parallel_tile(std::int64_t extent, int n_threads, std::int64_t max_tile)
{
   if (Tiles::kView)
      max_tile = std::max<std::int64_t>(extent, 1);
   if (n_threads <= 1)
      return max_tile;
   const std::int64_t per_round = max_tile * n_threads;
   const std::int64_t count = n_threads * ((extent + per_round - 1) / per_round);
   const std::int64_t size = (extent + count - 1) / count;
   return std::min(max_tile, (size + 15) / 16 * 16);
}

/// The tile V[rows, cols] as a matrix pointer and leading dimension: a view
/// of W, or generated into the thread's buffer by the scheme, keeping what
/// its add_gradient needs beside it.
template <class Tiles>
const float *v_tile(const Tiles &tiles, const float *w, TileRange rows, TileRange cols, ThreadScratch &s,
                    std::int64_t &ld)
{
   if constexpr (Tiles::kView) {
      return tiles.view(w, rows, cols, ld);
   } else {
      tiles.generate(w, rows, cols, s);
      ld = cols.size();
      return s.v_tile.data();
   }
}

class CpuBackend final : public HostBackend {
public:
   explicit CpuBackend(int num_threads)
      : tile_kernels_{kernels::tile_generator(), kernels::key_slots()}, activations_(kernels::activation_kernels()),
        small_batch_(kernels::small_batch_kernels())
   {
      blas::set_num_threads(1);
      set_num_threads(num_threads);
   }

   const char *name() const override { return "CPU"; }
   Architecture architecture() const override { return Architecture::Cpu; }
   int num_threads() const override { return n_threads_; }
   void set_num_threads(int num_threads) override
   {
      n_threads_ = resolve_threads(num_threads);
      scratch_.resize(n_threads_);
      for (auto &s : scratch_) {
         s.v_tile.resize(kTileRows * kTileCols);
         s.slot_tile.resize(kTileRows * kTileCols);
         s.dv_tile.resize(kTileRows * kTileCols);
      }
   }

   void linear_forward(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                       float *y) override
   {
      cpu::with_scheme_tiles(layer, tile_kernels_, [&](const auto &tiles) {
         fused_forward(tiles, layer.layout(), params, x, batch, y);
      });
   }
   void linear_infer(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                     float *y) override;
   void linear_backward(const FullyConnected &layer, const float *params, const float *x, const float *dy,
                        std::int64_t batch, float *dx, float *grad) override
   {
      cpu::with_scheme_tiles(layer, tile_kernels_, [&](const auto &tiles) {
         fused_backward(tiles, layer.layout(), params, x, dy, batch, dx, grad);
      });
   }
   void virtual_matrix(const FullyConnected &layer, const float *params, float *vb) override
   {
      cpu::with_scheme_tiles(layer, tile_kernels_, [&](const auto &tiles) {
         whole_matrix(tiles, layer.layout(), params, vb);
      });
   }
   void virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                float *grad) override
   {
      cpu::with_scheme_tiles(layer, tile_kernels_, [&](const auto &tiles) {
         whole_matrix_backward(tiles, layer.layout(), params, dvb, grad);
      });
   }
   void activation_forward(Activation f, const float *z, float *a, std::int64_t n) override;
   void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                            std::int64_t n) override;
   void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                        std::uint64_t seed) override;

private:
   int threads_for(std::int64_t work) const { return cpu::threads_for(work, n_threads_); }
   kernels::SmallBatchFn small_batch_kernel(const FullyConnected &layer, std::int64_t batch) const;

   template <class Tiles>
   void fused_forward(const Tiles &tiles, const HashedLayout &layer, const float *params, const float *x,
                      std::int64_t batch, float *y);
   template <class Tiles>
   void fused_backward(const Tiles &tiles, const HashedLayout &layer, const float *params, const float *x,
                       const float *dy, std::int64_t batch, float *dx, float *grad);
   template <class Tiles>
   void backward_column_block(const Tiles &tiles, const HashedLayout &layer, const float *w, const float *x,
                              const float *dy, std::int64_t batch, float *dx, float *grad, TileRange cols,
                              ThreadScratch &s);
   template <class Tiles>
   void whole_matrix(const Tiles &tiles, const HashedLayout &layer, const float *params, float *vb);
   template <class Tiles>
   void whole_matrix_backward(const Tiles &tiles, const HashedLayout &layer, const float *params, const float *dvb,
                              float *grad);
   void add_bias(const HashedLayout &layer, const float *params, std::int64_t batch, float *y);
   void bias_gradient(const HashedLayout &layer, const float *dy, std::int64_t batch, float *grad);
   void reduce_param_grads(const HashedLayout &layer, int n_used, float *grad);

   int n_threads_ = 1;
   std::vector<ThreadScratch> scratch_;
   cpu::TileKernels tile_kernels_;
   kernels::ActivationKernels activations_;
   kernels::SmallBatchKernels small_batch_;
};

void CpuBackend::add_bias(const HashedLayout &layer, const float *params, std::int64_t batch, float *y)
{
   const float *wb = params + layer.bias_offset();
   std::vector<float> &bias = scratch_[thread_id()].bias; // per thread: for_each_item runs layers side by side
   bias.resize(layer.n_out);
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      bias[i] = layer.virtual_bias(wb, i);
   for (std::int64_t b = 0; b < batch; ++b) {
      float *row = y + b * layer.n_out;
      for (std::int64_t i = 0; i < layer.n_out; ++i)
         row[i] += bias[i];
   }
}

/// The one fused forward driver: threads own row blocks of V; each generates
/// a tile of V (or views W) and multiplies it into its columns of y.
template <class Tiles>
void CpuBackend::fused_forward(const Tiles &tiles, const HashedLayout &layer, const float *params, const float *x,
                               std::int64_t batch, float *y)
{
   const float *w = params + layer.offset;
   const int n_threads = threads_for(batch * layer.n_virtual_weights());
   const std::int64_t tile_rows = parallel_tile<Tiles>(layer.n_out, n_threads, kTileRows);
   const std::int64_t row_blocks = n_tiles(layer.n_out, tile_rows);
   const std::int64_t tile_cols = reduction_tile<Tiles>(layer.n_in, kTileCols);
   const std::int64_t col_blocks = n_tiles(layer.n_in, tile_cols);
   parallel_for(n_threads, row_blocks, 1, [&](std::int64_t rb) {
      ThreadScratch &s = scratch_[thread_id()];
      const TileRange rows = tile(rb, tile_rows, layer.n_out);
      for (std::int64_t cb = 0; cb < col_blocks; ++cb) {
         if (interrupt_pending())
            return; // Ctrl-C under a SigintGuard: y is abandoned, the trainer stops before using it
         const TileRange cols = tile(cb, tile_cols, layer.n_in);
         std::int64_t ld = 0;
         const float *v = v_tile(tiles, w, rows, cols, s, ld);
         // y[:, rows] (B x tr) (+)= x[:, cols] (B x tc) * V[rows, cols]^T (tc x tr)
         blas::sgemm(blas::Op::N, blas::Op::T, batch, rows.size(), cols.size(), 1.0f, x + cols.begin, layer.n_in, v,
                     ld, cb == 0 ? 0.0f : 1.0f, y + rows.begin, layer.n_out);
      }
   });
   add_bias(layer, params, batch, y);
}

/// V made whole tile by tile (the forward pass's tiles, one thread: V is a
/// convolution's small filter matrix), then the virtual biases.
template <class Tiles>
void CpuBackend::whole_matrix(const Tiles &tiles, const HashedLayout &layer, const float *params, float *vb)
{
   const float *w = params + layer.offset;
   ThreadScratch &s = scratch_[thread_id()];
   for (std::int64_t rb = 0; rb < n_tiles(layer.n_out, kTileRows); ++rb)
      for (std::int64_t cb = 0; cb < n_tiles(layer.n_in, kTileCols); ++cb) {
         const TileRange rows = tile(rb, kTileRows, layer.n_out), cols = tile(cb, kTileCols, layer.n_in);
         std::int64_t ld = 0;
         const float *v = v_tile(tiles, w, rows, cols, s, ld);
         for (std::int64_t r = 0; r < rows.size(); ++r)
            std::copy(v + r * ld, v + r * ld + cols.size(), vb + (rows.begin + r) * layer.n_in + cols.begin);
      }
   const float *wb = params + layer.bias_offset();
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      vb[layer.n_virtual_weights() + i] = layer.virtual_bias(wb, i);
}

/// dV (the first n_out x n_in values of dvb) into the scheme's gradient tile
/// by tile (a dense layer's is dV itself), then db through the bias hash.
template <class Tiles>
void CpuBackend::whole_matrix_backward(const Tiles &tiles, const HashedLayout &layer, const float *params,
                                       const float *dvb, float *grad)
{
   const float *w = params + layer.offset;
   float *g = grad + layer.offset;
   ThreadScratch &s = scratch_[thread_id()];
   if (!Tiles::kView)
      std::fill(g, g + layer.n_buckets, 0.0f);
   for (std::int64_t rb = 0; rb < n_tiles(layer.n_out, kTileRows); ++rb)
      for (std::int64_t cb = 0; cb < n_tiles(layer.n_in, kTileCols); ++cb) {
         const TileRange rows = tile(rb, kTileRows, layer.n_out), cols = tile(cb, kTileCols, layer.n_in);
         const std::int64_t ld = Tiles::kView ? layer.n_in : cols.size();
         float *dv = Tiles::kView ? g + rows.begin * layer.n_in + cols.begin : s.dv_tile.data();
         for (std::int64_t r = 0; r < rows.size(); ++r) {
            const float *from = dvb + (rows.begin + r) * layer.n_in + cols.begin;
            std::copy(from, from + cols.size(), dv + r * ld);
         }
         if constexpr (!Tiles::kView) {
            tiles.plan(w, rows, cols, s);
            tiles.add_gradient(w, rows, cols, s, g);
         }
      }
   float *gb = grad + layer.bias_offset();
   std::fill(gb, gb + layer.n_bias_buckets, 0.0f);
   layer.add_bias_gradient(dvb + layer.n_virtual_weights(), gb);
}

/// The scheme's small-batch kernel (small_batch.h) for a batch of at most
/// kSmallBatch events, else null (the tile path). FUNHASH keeps the tile path
/// (its V needs g's reconstruction of U hashed values per entry: a kernel of
/// its own, not written), as do FRESH (V a whole DCT slice at a time) and
/// ELEMENT layers whose buckets exceed kSmallBatchElementBuckets.
kernels::SmallBatchFn CpuBackend::small_batch_kernel(const FullyConnected &layer, std::int64_t batch) const
{
   if (batch > kernels::kSmallBatch)
      return nullptr;
   switch (layer.scheme().kind()) {
   case SchemeKind::Dense: return batch == 1 ? kernels::small_dense_sgemv : small_batch_.dense;
   case SchemeKind::Element:
      return layer.layout().n_buckets <= kernels::kSmallBatchElementBuckets ? small_batch_.element : nullptr;
   case SchemeKind::Block: return small_batch_.block;
   case SchemeKind::FunHash:
   case SchemeKind::Fresh: return nullptr;
   }
   return nullptr;
}

/// Inference: small batches by the scheme's small-batch kernel, threads
/// owning blocks of rows (disjoint columns of y); otherwise fused_forward.
void CpuBackend::linear_infer(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                              float *y)
{
   const kernels::SmallBatchFn kernel = small_batch_kernel(layer, batch);
   if (kernel == nullptr) {
      linear_forward(layer, params, x, batch, y);
      return;
   }
   const HashedLayout &L = layer.layout();
   const int n_threads = threads_for(batch * L.n_virtual_weights());
   const std::int64_t rows = parallel_tile<cpu::ElementTiles>(L.n_out, n_threads, kTileRows);
   parallel_for(n_threads, n_tiles(L.n_out, rows), 1, [&](std::int64_t rb) {
      const TileRange r = tile(rb, rows, L.n_out);
      kernel(L, params + L.offset, x, batch, r.begin, r.end, y); // y[:, r] (B x |r|) = x (B x n_in) V[r, :]^T
   });
   add_bias(L, params, batch, y);
}

template <class Tiles>
void CpuBackend::backward_column_block(const Tiles &tiles, const HashedLayout &layer, const float *w, const float *x,
                                       const float *dy, std::int64_t batch, float *dx, float *grad, TileRange cols,
                                       ThreadScratch &s)
{
   const std::int64_t tile_rows = reduction_tile<Tiles>(layer.n_out, kTileRows);
   const std::int64_t row_blocks = n_tiles(layer.n_out, tile_rows);
   for (std::int64_t rb = 0; rb < row_blocks; ++rb) {
      if (interrupt_pending())
         return; // Ctrl-C under a SigintGuard: dx and grad are abandoned, the trainer stops before the step
      const TileRange rows = tile(rb, tile_rows, layer.n_out);
      std::int64_t ld = 0;
      if (dx != nullptr) {
         const float *v = v_tile(tiles, w, rows, cols, s, ld);
         // dx[:, cols] (B x tc) (+)= dy[:, rows] (B x tr) * V[rows, cols] (tr x tc)
         blas::sgemm(blas::Op::N, blas::Op::N, batch, cols.size(), rows.size(), 1.0f, dy + rows.begin, layer.n_out,
                     v, ld, rb == 0 ? 0.0f : 1.0f, dx + cols.begin, layer.n_in);
      } else if constexpr (!Tiles::kView) {
         tiles.plan(w, rows, cols, s); // no dx: no V, only what add_gradient below needs
      }
      if constexpr (Tiles::kView) {
         // dW[rows, cols] = dy[:, rows]^T (tr x B) * x[:, cols] (B x tc), written in place
         float *g = grad + layer.offset + rows.begin * layer.n_in + cols.begin;
         blas::sgemm(blas::Op::T, blas::Op::N, rows.size(), cols.size(), batch, 1.0f, dy + rows.begin, layer.n_out,
                     x + cols.begin, layer.n_in, 0.0f, g, layer.n_in);
      } else {
         // dV[rows, cols] (tr x tc) = dy[:, rows]^T (tr x B) * x[:, cols] (B x tc)
         blas::sgemm(blas::Op::T, blas::Op::N, rows.size(), cols.size(), batch, 1.0f, dy + rows.begin, layer.n_out,
                     x + cols.begin, layer.n_in, 0.0f, s.dv_tile.data(), cols.size());
         tiles.add_gradient(w, rows, cols, s, s.param_sum); // e.g. grad of bucket h(i,j) += xi(i,j) * dV[i][j]
      }
   }
}

void CpuBackend::reduce_param_grads(const HashedLayout &layer, int n_used, float *grad)
{
   float *g = grad + layer.offset;
   const std::int64_t k = layer.n_buckets;
   parallel_for(threads_for(k * n_used * 64), k, 0, [&](std::int64_t b) {
      float sum = 0.0f;
      for (int t = 0; t < n_used; ++t)
         sum += scratch_[t].param_grad[b];
      g[b] = sum;
   });
}

/// The one fused backward driver: threads own column blocks of V (disjoint
/// columns of dx); each adds its dV tiles into its own share of the scheme's
/// gradient, and the shares are summed in thread order.
template <class Tiles>
void CpuBackend::fused_backward(const Tiles &tiles, const HashedLayout &layer, const float *params, const float *x,
                                const float *dy, std::int64_t batch, float *dx, float *grad)
{
   const float *w = params + layer.offset;
   const int n_threads = threads_for(batch * layer.n_virtual_weights());
   const std::int64_t tile_cols = parallel_tile<Tiles>(layer.n_in, n_threads, kTileCols);
   const std::int64_t col_blocks = n_tiles(layer.n_in, tile_cols);
   int n_used = 1;
   if (n_threads == 1) { // no OpenMP region at all (see parallel_for), no share buffer: dV goes straight into grad
      ThreadScratch &s = scratch_[thread_id()]; // the caller's: 0, or its thread in for_each_item
      if (!Tiles::kView) {
         s.param_sum = grad + layer.offset;
         std::fill(s.param_sum, s.param_sum + layer.n_buckets, 0.0f);
      }
      for (std::int64_t cb = 0; cb < col_blocks; ++cb)
         backward_column_block(tiles, layer, w, x, dy, batch, dx, grad, tile(cb, tile_cols, layer.n_in), s);
   } else {
#pragma omp parallel num_threads(n_threads)
      {
         ThreadScratch &s = scratch_[thread_id()];
#if defined(_OPENMP)
         if (thread_id() == 0)
            n_used = omp_get_num_threads();
#endif
         if (!Tiles::kView) {
            s.param_grad.assign(layer.n_buckets, 0.0f); // each thread zeroes (and first touches) its own
            s.param_sum = s.param_grad.data();
         }
#pragma omp for schedule(static, 1)
         for (std::int64_t cb = 0; cb < col_blocks; ++cb) {
            const TileRange cols = tile(cb, tile_cols, layer.n_in);
            backward_column_block(tiles, layer, w, x, dy, batch, dx, grad, cols, s);
         }
      }
   }
   if (!Tiles::kView && n_threads > 1)
      reduce_param_grads(layer, n_used, grad);
   bias_gradient(layer, dy, batch, grad);
}

void CpuBackend::bias_gradient(const HashedLayout &layer, const float *dy, std::int64_t batch, float *grad)
{
   float *gb = grad + layer.bias_offset();
   std::fill(gb, gb + layer.n_bias_buckets, 0.0f);
   std::vector<float> &column_sum = scratch_[thread_id()].bias;
   column_sum.assign(layer.n_out, 0.0f);
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t i = 0; i < layer.n_out; ++i)
         column_sum[i] += dy[b * layer.n_out + i];
   layer.add_bias_gradient(column_sum.data(), gb);
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

} // namespace

std::unique_ptr<Backend> make_cpu_backend(int num_threads)
{
   return std::make_unique<CpuBackend>(num_threads);
}

} // namespace hashednet
