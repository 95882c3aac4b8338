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

namespace {
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
} // namespace

void HostBackend::im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols)
{
   const std::int64_t fw = window.fw, width = window.width, size = window.image_size();
   const std::int64_t per_image = window.positions() * window.patch();
   for (std::int64_t b = 0; b < n_images; ++b) {
      const float *image = x + b * size;
      float *out = cols + b * per_image;
      for_each_run(window, [&](std::int64_t at, std::int64_t row, std::int64_t x0) {
         float *dst = out + at;
         if (row < 0) {
            std::fill(dst, dst + fw, 0.0f);
         } else if (x0 >= 0 && x0 + fw <= width) {
            std::copy(image + row + x0, image + row + x0 + fw, dst);
         } else {
            for (std::int64_t kx = 0; kx < fw; ++kx)
               dst[kx] = x0 + kx >= 0 && x0 + kx < width ? image[row + x0 + kx] : 0.0f;
         }
      });
   }
}

/// The runs in im2col's order; each pixel's sum is taken in that order (position-major, deterministic).
void HostBackend::col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx)
{
   const std::int64_t fw = window.fw, width = window.width, size = window.image_size();
   const std::int64_t per_image = window.positions() * window.patch();
   std::fill(dx, dx + n_images * size, 0.0f);
   for (std::int64_t b = 0; b < n_images; ++b) {
      float *image = dx + b * size;
      const float *in = cols + b * per_image;
      for_each_run(window, [&](std::int64_t at, std::int64_t row, std::int64_t x0) {
         if (row < 0)
            return;
         for (std::int64_t kx = 0; kx < fw; ++kx)
            if (x0 + kx >= 0 && x0 + kx < width)
               image[row + x0 + kx] += in[at + kx];
      });
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
