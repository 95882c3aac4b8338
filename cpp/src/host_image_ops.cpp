// host_image_ops.cpp: the image layers' data movements on host memory (HostBackend).
//
// What it is: im2col and its transpose col2im, block transposes, the
// elementwise add, and max pooling forward and backward, as plain loops over
// image_window.h's geometry, shared by the CPU and the reference backend.
// None of them multiplies: a convolution's products are linear_forward and
// linear_backward (the dense layer's machinery) on im2col's rows.
//
// What it is not: a convolution (conv2d.cpp) or a GEMM.
#include "host_backend.h"

#include <algorithm>

namespace hashednet {

void HostBackend::im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols)
{
   const std::int64_t positions = window.positions(), patch = window.patch(), size = window.image_size();
   for (std::int64_t b = 0; b < n_images; ++b) {
      const float *image = x + b * size;
      for (std::int64_t p = 0; p < positions; ++p) {
         float *row = cols + (b * positions + p) * patch;
         for (std::int64_t k = 0; k < patch; ++k) {
            const std::int64_t at = window.tap(p, k);
            row[k] = at < 0 ? 0.0f : image[at];
         }
      }
   }
}

void HostBackend::col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx)
{
   const std::int64_t positions = window.positions(), patch = window.patch(), size = window.image_size();
   std::fill(dx, dx + n_images * size, 0.0f);
   for (std::int64_t b = 0; b < n_images; ++b) {
      float *image = dx + b * size;
      for (std::int64_t p = 0; p < positions; ++p) {
         const float *row = cols + (b * positions + p) * patch;
         for (std::int64_t k = 0; k < patch; ++k) {
            const std::int64_t at = window.tap(p, k);
            if (at >= 0)
               image[at] += row[k];
         }
      }
   }
}

void HostBackend::transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out)
{
   for (std::int64_t b = 0; b < n; ++b) {
      const float *src = in + b * rows * cols;
      float *dst = out + b * rows * cols;
      for (std::int64_t r = 0; r < rows; ++r)
         for (std::int64_t c = 0; c < cols; ++c)
            dst[c * rows + r] = src[r * cols + c];
   }
}

void HostBackend::accumulate(const float *x, float *y, std::int64_t n)
{
   for (std::int64_t e = 0; e < n; ++e)
      y[e] += x[e];
}

/// Output o = (c, p) of an event: the window's taps over channel c only.
void HostBackend::max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y,
                                   float *argmax)
{
   const std::int64_t positions = window.positions(), size = window.image_size(), taps = window.fh * window.fw;
   const std::int64_t n_out = window.depth * positions;
   for (std::int64_t b = 0; b < batch; ++b)
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
}

void HostBackend::max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax,
                                    std::int64_t batch, float *dx)
{
   const std::int64_t size = window.image_size(), n_out = window.depth * window.positions();
   std::fill(dx, dx + batch * size, 0.0f);
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t o = 0; o < n_out; ++o)
         dx[b * size + static_cast<std::int64_t>(argmax[b * n_out + o])] += dy[b * n_out + o];
}

} // namespace hashednet
