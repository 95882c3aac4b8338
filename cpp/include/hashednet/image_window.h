// image_window.h: the geometry of a window sliding over an image (convolution, max pooling).
//
// What it is: one plain struct, for host and device, that says how a
// fh x fw window with strides and zero padding walks over an image of
// depth x height x width, and where each of its taps reads. An event's image
// is stored depth-major, then rows, then columns (MethodDL's and PyTorch's
// order): pixel (c, y, x) is value c * height * width + y * width + x. A
// patch (the window at one output position, all channels) is ordered the
// same way: column c * fh * fw + ky * fw + kx, so each fh x fw slice of a
// filter is a contiguous run of fh * fw columns of the filter matrix.
//
// What it is not: a layer (conv2d.h, max_pool2d.h) or a kernel (backend.h).
#ifndef HASHEDNET_IMAGE_WINDOW_H
#define HASHEDNET_IMAGE_WINDOW_H

#include "hashednet/common.h"

#include <cstdint>

namespace hashednet {

struct ImageWindow {
   std::int64_t depth = 1, height = 1, width = 1; ///< the input image
   std::int64_t fh = 1, fw = 1;                   ///< window (filter) rows and columns
   std::int64_t stride_rows = 1, stride_cols = 1;
   std::int64_t pad_rows = 0, pad_cols = 0;       ///< zeros added above and below, left and right

   HASHEDNET_HOST_DEVICE std::int64_t out_height() const { return (height + 2 * pad_rows - fh) / stride_rows + 1; }
   HASHEDNET_HOST_DEVICE std::int64_t out_width() const { return (width + 2 * pad_cols - fw) / stride_cols + 1; }
   /// Output positions per channel.
   HASHEDNET_HOST_DEVICE std::int64_t positions() const { return out_height() * out_width(); }
   /// Values of one patch: depth * fh * fw.
   HASHEDNET_HOST_DEVICE std::int64_t patch() const { return depth * fh * fw; }
   HASHEDNET_HOST_DEVICE std::int64_t image_size() const { return depth * height * width; }

   /// The input value tap `k` of a patch (k < patch()) reads at output
   /// position p (p < positions()): its index in the image, or -1 in the padding.
   HASHEDNET_HOST_DEVICE std::int64_t tap(std::int64_t p, std::int64_t k) const
   {
      const std::int64_t c = k / (fh * fw), ky = k / fw % fh, kx = k % fw;
      const std::int64_t y = p / out_width() * stride_rows - pad_rows + ky;
      const std::int64_t x = p % out_width() * stride_cols - pad_cols + kx;
      if (y < 0 || y >= height || x < 0 || x >= width)
         return -1;
      return (c * height + y) * width + x;
   }
};

} // namespace hashednet

#endif // HASHEDNET_IMAGE_WINDOW_H
