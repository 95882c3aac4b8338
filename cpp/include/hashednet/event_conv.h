// event_conv.h: the single-event path of the CNN layers (CONV, MAXPOOL, RESHAPE, BNORM), in a fixed order.
//
// What it is: the part of event_forward.h's forward pass that convolves,
// pools and reshapes, as plain C++17 on image_window.h; event_forward.h
// includes it, Model::predict_one runs it and MakeClass embeds it verbatim
// (before event_forward.h), so the standalone class evaluates CNNs bit for
// bit as predict_one does. The fixed order of a CONV layer (filter matrix V:
// filters x depth*fh*fw, row source as a dense layer's):
//
//   for each tile of rows of V (event_forward.h's tile_rows), each event,
//   each output position p (row-major over out_height x out_width):
//      patch[k] = the input tap k reads at p (0 in the padding; image_window.h)
//      z[i * positions + p] = dot(V[i], patch) + b[i]    for the tile's rows i
//   then the activation over the layer's outputs, as a dense layer.
//
// MAXPOOL: out[c * positions + p] = the first maximal tap of channel c's
// window (compared with >, in tap order: the CPU and reference backends'
// rule). RESHAPE: a copy. BNORM (batch_norm.h): each value through
// batch_norm_value with its feature's running statistics, the formula the
// batch inference kernels share.
//
// What it is not: the batch path (conv2d.h: im2col and sgemm, equal to float
// rounding only) or a definition of the dot product (event_forward.h's).
#ifndef HASHEDNET_EVENT_CONV_H
#define HASHEDNET_EVENT_CONV_H

#include "hashednet/activation.h"
#include "hashednet/common.h"
#include "hashednet/hashed_layout.h"
#include "hashednet/image_window.h"

#include <cstdint>

namespace hashednet {
namespace event {

/// What an event::Layer is: fully connected (None), or a CNN layer.
enum class ImageKind { None, Conv, MaxPool, Reshape, BatchNorm };

// Defined in event_forward.h (after this header).
HASHEDNET_HOST_DEVICE inline float dot(const float *v, const float *a, std::int64_t n);
inline void activate_all(Activation f, float *z, std::int64_t n);
HASHEDNET_HOST_DEVICE inline std::int64_t tile_rows(std::int64_t n_in);

/// The values of one patch of `image` at output position p, into `patch` (window.patch() floats).
HASHEDNET_HOST_DEVICE inline void gather_patch(const ImageWindow &window, const float *image, std::int64_t p,
                                               float *patch)
{
   for (std::int64_t k = 0; k < window.patch(); ++k) {
      const std::int64_t at = window.tap(p, k);
      patch[k] = at < 0 ? 0.0f : image[at];
   }
}

/// A CONV layer for n_events inputs `in` into `out` (n_events x filters * positions); `tile` holds
/// tile_rows(patch) rows of V, `patch` one patch.
template <class Layer, class Rows>
void conv_forward(const Layer &layer, const float *in, std::int64_t n_events, float *tile, float *patch, float *out,
                  const Rows &rows)
{
   const HashedLayout &L = layer.layout; // filters x patch
   const ImageWindow &window = layer.window;
   const std::int64_t positions = window.positions(), n_in = window.image_size(), n_out = L.n_out * positions;
   const std::int64_t step = tile_rows(L.n_in);
   for (std::int64_t row0 = 0; row0 < L.n_out; row0 += step) {
      const std::int64_t n_rows = L.n_out - row0 < step ? L.n_out - row0 : step;
      const float *v = rows(layer, row0, n_rows, tile); // n_rows x patch
      for (std::int64_t e = 0; e < n_events; ++e)
         for (std::int64_t p = 0; p < positions; ++p) {
            gather_patch(window, in + e * n_in, p, patch);
            for (std::int64_t r = 0; r < n_rows; ++r)
               out[e * n_out + (row0 + r) * positions + p] =
                  dot(v + r * L.n_in, patch, L.n_in) + L.virtual_bias(layer.b, row0 + r);
         }
   }
   activate_all(layer.activation, out, n_events * n_out);
}

/// A MAXPOOL layer for n_events inputs `in` into `out` (n_events x depth * positions).
HASHEDNET_HOST_DEVICE inline void max_pool_forward(const ImageWindow &window, const float *in, std::int64_t n_events,
                                                   float *out)
{
   const std::int64_t positions = window.positions(), taps = window.fh * window.fw;
   const std::int64_t n_in = window.image_size(), n_out = window.depth * positions;
   for (std::int64_t e = 0; e < n_events; ++e)
      for (std::int64_t o = 0; o < n_out; ++o) {
         const std::int64_t c = o / positions, p = o % positions;
         float best = in[e * n_in + window.tap(p, c * taps)];
         for (std::int64_t k = 1; k < taps; ++k) {
            const float value = in[e * n_in + window.tap(p, c * taps + k)];
            best = value > best ? value : best;
         }
         out[e * n_out + o] = best;
      }
}

/// BNORM in inference: gamma * ((x - mean) * (1 / sqrt(var + epsilon))) + beta, in float, in this order.
HASHEDNET_HOST_DEVICE inline float batch_norm_value(float x, float gamma, float beta, float mean, float var,
                                                    float epsilon)
{
   const float inverse_std = 1.0f / sqrtf(var + epsilon);
   return gamma * ((x - mean) * inverse_std) + beta;
}

/// A BNORM layer in inference for n_events inputs `in` into `out` (both n_events x features * spatial);
/// `slice` holds gamma, beta, the running means and variances (features each).
HASHEDNET_HOST_DEVICE inline void batch_norm_forward(const float *slice, std::int64_t features, std::int64_t spatial,
                                                     float epsilon, const float *in, std::int64_t n_events,
                                                     float *out)
{
   const std::int64_t n = features * spatial;
   for (std::int64_t e = 0; e < n_events; ++e)
      for (std::int64_t k = 0; k < n; ++k) {
         const std::int64_t f = k / spatial;
         out[e * n + k] = batch_norm_value(in[e * n + k], slice[f], slice[features + f], slice[2 * features + f],
                                           slice[3 * features + f], epsilon);
      }
}

/// A CNN layer (layer.image != None) for n_events inputs `in` (n_events x n_in) into `out`.
template <class Layer, class Rows>
void image_layer_forward(const Layer &layer, const float *in, std::int64_t n_events, float *tile, float *patch,
                         float *out, const Rows &rows)
{
   if (layer.image == ImageKind::Conv) {
      conv_forward(layer, in, n_events, tile, patch, out, rows);
   } else if (layer.image == ImageKind::MaxPool) {
      max_pool_forward(layer.window, in, n_events, out);
   } else if (layer.image == ImageKind::BatchNorm) {
      batch_norm_forward(layer.w, layer.features, layer.n_values / layer.features, layer.epsilon, in, n_events, out);
   } else {
      for (std::int64_t k = 0; k < n_events * layer.n_values; ++k)
         out[k] = in[k];
   }
}

} // namespace event
} // namespace hashednet

#endif // HASHEDNET_EVENT_CONV_H
