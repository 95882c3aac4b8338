// image_gather.h: the image layers' data movements, one output value at a time (host and device).
//
// What it is: for im2col, col2im, the block transpose and max pooling forward
// and backward (backend.h), a function that computes output value i alone
// from its inputs: a gather, so that one GPU thread per value needs no atomics
// and no order between threads. The sums (col2im, max pooling's backward) run
// over the contributions of value i in the order the CPU backend adds them
// (host_image_ops.cpp: output position by output position), from 0.0f, so
// each value is the CPU's bit for bit. image_window.h is the geometry.
// tests/test_gpu_image_ops.py runs every i of small shapes (padding, strides,
// overlapping windows) against the CPU backend, and the CUDA kernels
// (cpp/cuda/image_kernels.cu) are grid-stride loops over these functions.
//
// What it is not: the CPU backend's loops (host_image_ops.cpp, which copy runs
// of a row at a time) or a kernel.
#ifndef HASHEDNET_IMAGE_GATHER_H
#define HASHEDNET_IMAGE_GATHER_H

#include "hashednet/common.h"
#include "hashednet/image_window.h"

#include <cstdint>

namespace hashednet {
namespace image_gather {

/// The output rows (or columns) o in [first, last] of a window of `size`
/// taps, stride `stride`, padding `pad`, whose taps cover input row `y`.
struct CoverRange {
   std::int64_t first, last; ///< empty when first > last
};

HASHEDNET_HOST_DEVICE inline CoverRange covering(std::int64_t y, std::int64_t size, std::int64_t stride,
                                                 std::int64_t pad, std::int64_t n_out)
{
   // o covers y when 0 <= y + pad - o * stride < size.
   const std::int64_t low = y + pad - size + 1, high = y + pad;
   const std::int64_t first = low <= 0 ? 0 : (low + stride - 1) / stride;
   const std::int64_t last = high / stride < n_out - 1 ? high / stride : n_out - 1;
   return {first, last};
}

/// im2col's value i (i < n_images * positions * patch): tap k of position p of image b, 0 in the padding.
HASHEDNET_HOST_DEVICE inline float im2col_value(const ImageWindow &w, const float *x, std::int64_t i)
{
   const std::int64_t patch = w.patch(), per_image = w.positions() * patch;
   const std::int64_t b = i / per_image, p = i % per_image / patch, k = i % patch;
   const std::int64_t at = w.tap(p, k);
   return at < 0 ? 0.0f : x[b * w.image_size() + at];
}

/// col2im's value i (i < n_images * image_size): the sum of the patch values
/// read from pixel i of its image, position by position (the CPU's order).
HASHEDNET_HOST_DEVICE inline float col2im_value(const ImageWindow &w, const float *cols, std::int64_t i)
{
   const std::int64_t size = w.image_size(), patch = w.patch(), out_w = w.out_width();
   const std::int64_t b = i / size, pixel = i % size;
   const std::int64_t c = pixel / (w.height * w.width), y = pixel / w.width % w.height, x = pixel % w.width;
   const CoverRange rows = covering(y, w.fh, w.stride_rows, w.pad_rows, w.out_height());
   const CoverRange columns = covering(x, w.fw, w.stride_cols, w.pad_cols, out_w);
   const float *image_cols = cols + b * w.positions() * patch;
   float sum = 0.0f;
   for (std::int64_t oy = rows.first; oy <= rows.last; ++oy) {
      const std::int64_t ky = y + w.pad_rows - oy * w.stride_rows;
      for (std::int64_t ox = columns.first; ox <= columns.last; ++ox) {
         const std::int64_t kx = x + w.pad_cols - ox * w.stride_cols;
         sum += image_cols[(oy * out_w + ox) * patch + (c * w.fh + ky) * w.fw + kx];
      }
   }
   return sum;
}

/// transpose_blocks' value i (i < n * rows * cols): out block b is cols x rows.
HASHEDNET_HOST_DEVICE inline float transpose_value(const float *in, std::int64_t rows, std::int64_t cols,
                                                   std::int64_t i)
{
   const std::int64_t block = rows * cols, b = i / block, c = i % block / rows, r = i % rows;
   return in[b * block + r * cols + c];
}

/// Max pooling's output i (i < batch * depth * positions): the window's
/// maximum over its channel, and (into argmax) the image index of the first
/// maximal tap, as host_image_ops.cpp picks it. The window has no padding.
HASHEDNET_HOST_DEVICE inline float max_pool_value(const ImageWindow &w, const float *x, std::int64_t i,
                                                  std::int64_t &argmax)
{
   const std::int64_t positions = w.positions(), taps = w.fh * w.fw, n_out = w.depth * positions;
   const std::int64_t b = i / n_out, c = i % n_out / positions, p = i % positions;
   const float *image = x + b * w.image_size();
   std::int64_t best = w.tap(p, c * taps);
   for (std::int64_t k = 1; k < taps; ++k) {
      const std::int64_t at = w.tap(p, c * taps + k);
      if (image[at] > image[best])
         best = at;
   }
   argmax = best;
   return image[best];
}

/// Max pooling's dx value i (i < batch * image_size): the sum of the dy of
/// the outputs whose argmax is pixel i, output by output (the CPU's order).
HASHEDNET_HOST_DEVICE inline float max_pool_grad_value(const ImageWindow &w, const float *dy, const float *argmax,
                                                       std::int64_t i)
{
   const std::int64_t size = w.image_size(), positions = w.positions(), n_out = w.depth * positions;
   const std::int64_t b = i / size, pixel = i % size;
   const std::int64_t c = pixel / (w.height * w.width), y = pixel / w.width % w.height, x = pixel % w.width;
   const CoverRange rows = covering(y, w.fh, w.stride_rows, w.pad_rows, w.out_height());
   const CoverRange columns = covering(x, w.fw, w.stride_cols, w.pad_cols, w.out_width());
   float sum = 0.0f;
   for (std::int64_t oy = rows.first; oy <= rows.last; ++oy)
      for (std::int64_t ox = columns.first; ox <= columns.last; ++ox) {
         const std::int64_t o = b * n_out + c * positions + oy * w.out_width() + ox;
         if (static_cast<std::int64_t>(argmax[o]) == pixel)
            sum += dy[o];
      }
   return sum;
}

} // namespace image_gather
} // namespace hashednet

#endif // HASHEDNET_IMAGE_GATHER_H
