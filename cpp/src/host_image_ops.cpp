// host_image_ops.cpp: the image layers' data movements on host memory (HostBackend).
//
// What it is: im2col and its transpose col2im, block transposes, the
// elementwise add, and max pooling forward and backward, as plain loops over
// image_window.h's geometry, shared by the CPU and the reference backend.
// None of them multiplies: a convolution's products are linear_forward and
// linear_backward (the dense layer's machinery) on im2col's rows.
//
// Threads: each loop runs over the events (blocks) of its call on the
// backend's num_threads() (cpu_parallel.h; the reference backend has one),
// every event's output written by one thread from that event's input alone,
// in the same order whatever the thread count: the results are bit-identical
// for any number of threads.
//
// What it is not: a convolution (conv2d.cpp) or a GEMM.
#include "cpu_parallel.h"
#include "host_backend.h"

#include "hashednet/fully_connected.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace hashednet {

namespace {
/// A value moved (short runs of loads and stores) counted as this many
/// multiply-adds against cpu::kParallelWork: im2col's copy of a value took
/// about as long as the 32 multiply-adds the conv benchmark's GEMM makes of
/// it (perf), so two 113 K-value events of that layer are worth two threads.
constexpr std::int64_t kMoveWork = 32;

/// body(e) for each event e of n, on as many threads as moving `values_per_event` values each is worth
/// (at most one per event).
template <class Body>
void for_each_event(int n_threads, std::int64_t n, std::int64_t values_per_event, Body body)
{
   const int threads = cpu::threads_for(n * values_per_event * kMoveWork, n_threads);
   cpu::parallel_for(static_cast<int>(std::min<std::int64_t>(threads, n)), n, 1, body);
}

/// body(dst_offset, src_row, x0) for every run of fw taps (one filter row of one channel at one output
/// position): the run's first column in the patch matrix of one image (row p, column (c*fh + ky)*fw),
/// the input row it reads (its index times width, or -1 in the padding) and its first input column x0
/// (taps x0 .. x0 + fw - 1, those outside [0, width) in the padding). image_window.h's tap() is the
/// definition; this is its loop form, a row of the image at a time.
template <class Body>
void for_each_run(const ImageWindow &w, Body body)
{
   const std::int64_t out_w = w.out_width(), out_h = w.out_height(), patch = w.patch();
   for (std::int64_t oy = 0; oy < out_h; ++oy)
      for (std::int64_t c = 0; c < w.depth; ++c)
         for (std::int64_t ky = 0; ky < w.fh; ++ky) {
            const std::int64_t y = oy * w.stride_rows - w.pad_rows + ky;
            const std::int64_t row = y >= 0 && y < w.height ? (c * w.height + y) * w.width : -1;
            for (std::int64_t ox = 0; ox < out_w; ++ox)
               body((oy * out_w + ox) * patch + (c * w.fh + ky) * w.fw, row, ox * w.stride_cols - w.pad_cols);
         }
}

/// One image's patch matrix (im2col's rows for one event), the runs of for_each_run in its order. FW > 0
/// is the filter width as a constant: the runs inside the image are then fixed-size copies that the
/// compiler inlines (a library memmove call per run of 3 taps took more time than the convolution's
/// GEMM, perf); FW = 0 takes any width. Output columns ox in [inside_begin, inside_end) read a run
/// wholly inside the row; the ones before and after it take the padding's zeros tap by tap.
template <int FW>
void image_patches(const ImageWindow &w, const float *image, float *out)
{
   const std::int64_t fw = FW > 0 ? FW : w.fw, out_w = w.out_width(), patch = w.patch();
   const std::int64_t sx = w.stride_cols, pad = w.pad_cols, width = w.width;
   const std::int64_t last = width - fw + pad; // x0 + fw <= width  <=>  ox * sx <= last
   const std::int64_t inside_begin = std::min(out_w, (pad + sx - 1) / sx);
   const std::int64_t inside_end = std::max(inside_begin, last < 0 ? 0 : std::min(out_w, last / sx + 1));
   const auto edge_run = [&](const float *row, std::int64_t ox, float *dst) {
      const std::int64_t x0 = ox * sx - pad;
      for (std::int64_t kx = 0; kx < fw; ++kx)
         dst[kx] = x0 + kx >= 0 && x0 + kx < width ? row[x0 + kx] : 0.0f;
   };
   for (std::int64_t oy = 0; oy < w.out_height(); ++oy)
      for (std::int64_t c = 0; c < w.depth; ++c)
         for (std::int64_t ky = 0; ky < w.fh; ++ky) {
            const std::int64_t y = oy * w.stride_rows - w.pad_rows + ky;
            float *dst = out + oy * out_w * patch + (c * w.fh + ky) * fw;
            if (y < 0 || y >= w.height) {
               for (std::int64_t ox = 0; ox < out_w; ++ox)
                  std::fill(dst + ox * patch, dst + ox * patch + fw, 0.0f);
               continue;
            }
            const float *row = image + (c * w.height + y) * width;
            for (std::int64_t ox = 0; ox < inside_begin; ++ox)
               edge_run(row, ox, dst + ox * patch);
            for (std::int64_t ox = inside_begin; ox < inside_end; ++ox) {
               if constexpr (FW > 0)
                  std::memcpy(dst + ox * patch, row + ox * sx - pad, FW * sizeof(float));
               else
                  std::copy(row + ox * sx - pad, row + ox * sx - pad + fw, dst + ox * patch);
            }
            for (std::int64_t ox = inside_end; ox < out_w; ++ox)
               edge_run(row, ox, dst + ox * patch);
         }
}
} // namespace

void HostBackend::im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols)
{
   const std::int64_t size = window.image_size(), per_image = window.positions() * window.patch();
   for_each_event(num_threads(), n_images, per_image, [&](std::int64_t b) {
      const float *image = x + b * size;
      float *out = cols + b * per_image;
      switch (window.fw) {
      case 1: image_patches<1>(window, image, out); return;
      case 2: image_patches<2>(window, image, out); return;
      case 3: image_patches<3>(window, image, out); return;
      case 4: image_patches<4>(window, image, out); return;
      case 5: image_patches<5>(window, image, out); return;
      case 7: image_patches<7>(window, image, out); return;
      default: image_patches<0>(window, image, out); return;
      }
   });
}

/// The runs in im2col's order; each pixel's sum is taken in that order (position-major, deterministic).
void HostBackend::col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx)
{
   const std::int64_t fw = window.fw, width = window.width, size = window.image_size();
   const std::int64_t per_image = window.positions() * window.patch();
   for_each_event(num_threads(), n_images, per_image, [&](std::int64_t b) {
      float *image = dx + b * size;
      const float *in = cols + b * per_image;
      std::fill(image, image + size, 0.0f);
      for_each_run(window, [&](std::int64_t at, std::int64_t row, std::int64_t x0) {
         if (row < 0)
            return;
         for (std::int64_t kx = 0; kx < fw; ++kx)
            if (x0 + kx >= 0 && x0 + kx < width)
               image[row + x0 + kx] += in[at + kx];
      });
   });
}

void HostBackend::transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out)
{
   for_each_event(num_threads(), n, rows * cols, [&](std::int64_t b) {
      const float *src = in + b * rows * cols;
      float *dst = out + b * rows * cols;
      for (std::int64_t r = 0; r < rows; ++r)
         for (std::int64_t c = 0; c < cols; ++c)
            dst[c * rows + r] = src[r * cols + c];
   });
}

void HostBackend::accumulate(const float *x, float *y, std::int64_t n)
{
   cpu::for_each_piece(cpu::threads_for(n * kMoveWork, num_threads()), n, [&](std::int64_t begin, std::int64_t count) {
      for (std::int64_t e = begin; e < begin + count; ++e)
         y[e] += x[e];
   });
}

/// Output o = (c, p) of an event: the window's taps over channel c only.
void HostBackend::max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                                   float *argmax)
{
   const std::int64_t positions = window.positions(), size = window.image_size(), taps = window.fh * window.fw;
   const std::int64_t n_out = window.depth * positions;
   for_each_event(num_threads(), batch, n_out * taps, [&](std::int64_t b) {
      for (std::int64_t o = 0; o < n_out; ++o) {
         const std::int64_t c = o / positions, p = o % positions;
         std::int64_t best = window.tap(p, c * taps);
         for (std::int64_t k = 1; k < taps; ++k) {
            const std::int64_t at = window.tap(p, c * taps + k);
            if (x[b * size + at] > x[b * size + best])
               best = at;
         }
         y[b * n_out + o] = x[b * size + best];
         argmax[b * n_out + o] = static_cast<float>(best);
      }
   });
}

void HostBackend::max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax,
                                    std::int64_t batch, float *dx)
{
   const std::int64_t size = window.image_size(), n_out = window.depth * window.positions();
   for_each_event(num_threads(), batch, size, [&](std::int64_t b) {
      std::fill(dx + b * size, dx + (b + 1) * size, 0.0f);
      for (std::int64_t o = 0; o < n_out; ++o)
         dx[b * size + static_cast<std::int64_t>(argmax[b * n_out + o])] += dy[b * n_out + o];
   });
}

void HostBackend::virtual_matrix(const FullyConnected &layer, const float *params, float *vb)
{
   const std::int64_t n_in = layer.n_in(), n_out = layer.n_out();
   for (std::int64_t i = 0; i < n_out; ++i)
      for (std::int64_t j = 0; j < n_in; ++j)
         vb[i * n_in + j] = layer.virtual_weight(params, i, j);
   for (std::int64_t i = 0; i < n_out; ++i)
      vb[n_out * n_in + i] = layer.virtual_bias(params, i);
}

void HostBackend::virtual_matrix_backward(const FullyConnected &layer, const float *params, const float *dvb,
                                          float *grad)
{
   const HashedLayout &layout = layer.layout();
   const std::int64_t n_weights = layout.n_virtual_weights();
   const std::vector<double> dv(dvb, dvb + n_weights);
   std::vector<double> g(static_cast<std::size_t>(layout.n_params()), 0.0);
   layer.scheme().add_gradient_reference(params + layout.offset, dv.data(), g.data());
   layout.add_bias_gradient(dvb + n_weights, g.data() + layout.n_buckets);
   for (std::int64_t k = 0; k < layout.n_params(); ++k)
      grad[layout.offset + k] = static_cast<float>(g[k]);
}

} // namespace hashednet
