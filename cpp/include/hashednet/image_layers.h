// image_layers.h: the layers of a CNN without weights: MAXPOOL and RESHAPE.
//
// What it is: MaxPool2D, the maximum of each fh x fw window (strides, no
// padding, as MethodDL's MAXPOOL) of each channel of an event's image
// (image_window.h's order), output depth x out_height x out_width; and
// Reshape, the identity on an event's values (RESHAPE|FLAT, or
// RESHAPE|depth|height|width): the network's shape bookkeeping changes, the
// values and their order do not. Neither owns parameters.
//
// What it is not: a convolution (conv2d.h) or the pooling loops (backend.h).
#ifndef HASHEDNET_IMAGE_LAYERS_H
#define HASHEDNET_IMAGE_LAYERS_H

#include "hashednet/image_window.h"
#include "hashednet/layer.h"

namespace hashednet {

/// The memory row of a layer without parameters.
LayerMemory parameterless_memory(std::int64_t n_in, std::int64_t n_out, const char *kind);

class MaxPool2D final : public Layer {
public:
   /// `window`: the input image and the pooling window (its padding must be 0).
   MaxPool2D(const ImageWindow &window, std::int64_t offset);

   LayerKind kind() const override { return LayerKind::MaxPool2D; }
   std::int64_t n_in() const override { return window_.image_size(); }
   std::int64_t n_out() const override { return window_.depth * window_.positions(); }
   std::int64_t offset() const override { return offset_; }
   std::int64_t n_params() const override { return 0; }
   LayerMemory memory() const override { return parameterless_memory(n_in(), n_out(), "MAXPOOL"); }
   void initialize(float *, WeightInit, Rng &) const override {}
   std::unique_ptr<LayerContext> make_context() const override;

   const ImageWindow &window() const { return window_; }

private:
   void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                     LayerContext &context) const override;
   void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                      LayerContext &context, float *dy, float *dx, float *grad) const override;

   ImageWindow window_;
   std::int64_t offset_;
};

class Reshape final : public Layer {
public:
   /// n values per event; `shape` is what they become (not given: flat).
   Reshape(std::int64_t n, const ImageShape &shape, std::int64_t offset) : n_(n), shape_(shape), offset_(offset) {}

   LayerKind kind() const override { return LayerKind::Reshape; }
   std::int64_t n_in() const override { return n_; }
   std::int64_t n_out() const override { return n_; }
   std::int64_t offset() const override { return offset_; }
   std::int64_t n_params() const override { return 0; }
   LayerMemory memory() const override { return parameterless_memory(n_, n_, "RESHAPE"); }
   void initialize(float *, WeightInit, Rng &) const override {}
   std::unique_ptr<LayerContext> make_context() const override;

   /// The shape after the layer; not given() for RESHAPE|FLAT.
   const ImageShape &shape() const { return shape_; }

private:
   void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                     LayerContext &context) const override;
   void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                      LayerContext &context, float *dy, float *dx, float *grad) const override;

   std::int64_t n_;
   ImageShape shape_;
   std::int64_t offset_;
};

} // namespace hashednet

#endif // HASHEDNET_IMAGE_LAYERS_H
