// image_kernels.h: launchers of the CUDA backend's image-layer kernels (image_kernels.cu):
// the data movements of CONV and MAXPOOL layers (backend.h's image-layer virtuals).
//
// What it is: one host function per operation, enqueuing a grid-stride
// kernel on `stream` with one thread per output value, which computes that
// value alone by image_gather.h (a gather: no atomics, each sum in the CPU
// backend's order, so the results are the CPU's bit for bit). All pointers
// are device memory; nothing here synchronises or allocates.
//
// What it is not: the convolution's products (the hashed products of
// hashed_product.h on the filter matrix, called by Conv2D through
// linear_forward / linear_backward) or the layers (conv2d.cpp, image_layers.cpp).
#ifndef HASHEDNET_CUDA_IMAGE_KERNELS_H
#define HASHEDNET_CUDA_IMAGE_KERNELS_H

#include "hashednet/image_window.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hashednet {
namespace cuda {

/// cols (n_images * positions x patch) = the patches of images x (n_images x image_size).
void im2col(const ImageWindow &window, const float *x, std::int64_t n_images, float *cols, cudaStream_t stream);
/// dx (n_images x image_size, overwritten) = im2col's transpose applied to cols.
void col2im(const ImageWindow &window, const float *cols, std::int64_t n_images, float *dx, cudaStream_t stream);
/// out block k (cols x rows) = in block k (rows x cols) transposed, for k < n.
void transpose_blocks(const float *in, std::int64_t n, std::int64_t rows, std::int64_t cols, float *out,
                      cudaStream_t stream);
/// y += x over n values.
void accumulate(const float *x, float *y, std::int64_t n, cudaStream_t stream);
/// y, argmax (batch x depth * positions): each window's maximum and the image index of its first maximal tap.
void max_pool_forward(const ImageWindow &window, const float *x, std::int64_t batch, float *y, float *argmax,
                      cudaStream_t stream);
/// dx (batch x image_size, overwritten) = each dy added at its argmax.
void max_pool_backward(const ImageWindow &window, const float *dy, const float *argmax, std::int64_t batch,
                       float *dx, cudaStream_t stream);

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_IMAGE_KERNELS_H
