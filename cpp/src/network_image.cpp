// network_image.cpp: the CNN layers of a Network (CONV, MAXPOOL, RESHAPE, BNORM) and their shape checks.
//
// What it is: Network::make_image_layer, which turns one CONV, MAXPOOL or
// RESHAPE LayerSpec and the shape of its input into a layer (conv2d.h,
// image_layers.h), with an Error naming the layer, the shapes and what is
// allowed when they do not fit (a kernel larger than the padded input, a
// reshape of the wrong size, CONV on values that are not an image).
//
// What it is not: the dense layers' construction (network.cpp) or the Layout
// grammar (option_layout.cpp).
#include "hashednet/batch_norm.h"
#include "hashednet/conv2d.h"
#include "hashednet/image_layers.h"
#include "hashednet/network.h"

#include <sstream>

namespace hashednet {

namespace {
/// Image sides and windows larger than this are refused (argmax and the event path use 32-bit-safe sizes).
constexpr std::int64_t kMaxImageValues = std::int64_t(1) << 24;

std::string shape_text(const ImageShape &shape)
{
   std::ostringstream out;
   out << shape.depth << "|" << shape.height << "|" << shape.width;
   return out.str();
}

ImageWindow window_of(const LayerSpec &layer, const ImageShape &shape, int l)
{
   const WindowSpec &w = layer.window;
   const char *name = layer_type_name(layer.type);
   ImageWindow window;
   window.depth = shape.depth;
   window.height = shape.height;
   window.width = shape.width;
   window.fh = w.fh;
   window.fw = w.fw;
   window.stride_rows = w.stride_rows;
   window.stride_cols = w.stride_cols;
   window.pad_rows = w.pad_rows;
   window.pad_cols = w.pad_cols;
   HASHEDNET_CHECK(w.fh >= 1 && w.fw >= 1 && w.stride_rows >= 1 && w.stride_cols >= 1 && w.pad_rows >= 0 &&
                      w.pad_cols >= 0,
                   "layer " << l << " (" << name << "): filter " << w.fh << "x" << w.fw << ", strides " << w.stride_rows
                            << "|" << w.stride_cols << " and padding " << w.pad_rows << "|" << w.pad_cols
                            << ": filter sides and strides must be at least 1, padding at least 0");
   HASHEDNET_CHECK(w.fh <= shape.height + 2 * w.pad_rows && w.fw <= shape.width + 2 * w.pad_cols,
                   "layer " << l << " (" << name << "): the " << w.fh << "x" << w.fw << " window is larger than its "
                            << shape.height << "x" << shape.width << " input (depth|height|width "
                            << shape_text(shape) << ") with padding " << w.pad_rows << "|" << w.pad_cols
                            << "; use a window of at most the (padded) input's height and width");
   return window;
}
} // namespace

ImageShape input_shape(const NetworkSpec &spec)
{
   if (spec.input_shape.given())
      return spec.input_shape;
   return ImageShape{1, 1, spec.n_inputs};
}

const char *layer_type_name(LayerType type)
{
   switch (type) {
   case LayerType::Dense: return "DENSE";
   case LayerType::Conv: return "CONV";
   case LayerType::MaxPool: return "MAXPOOL";
   case LayerType::Reshape: return "RESHAPE";
   case LayerType::BatchNorm: return "BNORM";
   }
   return "?";
}

std::unique_ptr<Layer> Network::make_image_layer(int l, ImageShape &shape, bool &flat, std::int64_t offset) const
{
   const LayerSpec &layer = spec_.layers[l];
   const std::int64_t n_in = shape.given() ? shape.size() : layers_.back()->n_out();
   if (layer.type == LayerType::Reshape) {
      HASHEDNET_CHECK(!layer.shape.given() || layer.shape.size() == n_in,
                      "layer " << l << " (RESHAPE|" << shape_text(layer.shape) << ") has " << layer.shape.size()
                               << " values but its input has " << n_in << "; use RESHAPE|FLAT or a depth|height|width"
                               << " whose product is " << n_in);
      shape = layer.shape;
      flat = true;
      return std::make_unique<Reshape>(n_in, layer.shape, offset);
   }
   if (layer.type == LayerType::BatchNorm)
      return make_batch_norm(l, shape, flat, n_in, offset);
   const char *name = layer_type_name(layer.type);
   HASHEDNET_CHECK(shape.given(), "layer " << l << " (" << name << ") needs an image, but its input is the "
                                           << n_in << " outputs of a dense layer; give them a shape first with "
                                              "RESHAPE|depth|height|width");
   HASHEDNET_CHECK(shape.size() <= kMaxImageValues, "layer " << l << " (" << name << "): an input of "
                                                             << shape.size() << " values exceeds the limit of 2^24");
   const ImageWindow window = window_of(layer, shape, l);
   flat = false;
   if (layer.type == LayerType::MaxPool) {
      shape = ImageShape{window.depth, window.out_height(), window.out_width()};
      return std::make_unique<MaxPool2D>(window, offset);
   }
   HASHEDNET_ASSERT(layer.type == LayerType::Conv);
   HASHEDNET_CHECK(layer.width >= 1, "layer " << l << " (CONV) has " << layer.width
                                              << " filters; give at least 1 (CONV|nFilters|fh|fw|...)");
   const HashedLayout layout = make_layout(l, window.patch(), offset);
   shape = ImageShape{layer.width, window.out_height(), window.out_width()};
   HASHEDNET_CHECK(shape.size() <= kMaxImageValues, "layer " << l << " (CONV): an output of " << shape.size()
                                                             << " values exceeds the limit of 2^24");
   return std::make_unique<Conv2D>(window, layout,
                                   make_scheme(layout, static_cast<int>(window.fh), static_cast<int>(window.fw)),
                                   layer.activation);
}

/// BNORM normalises per channel an image that a CONV or MAXPOOL made (not flat), else per value
/// (TDeepNet::AddBatchNormLayer's rule); its output keeps the shape of its input.
std::unique_ptr<Layer> Network::make_batch_norm(int l, const ImageShape &shape, bool flat, std::int64_t n_in,
                                                std::int64_t offset) const
{
   const BatchNormSpec &spec = spec_.layers[l].bnorm;
   check_batch_norm(spec, "layer " + std::to_string(l));
   BatchNormShape bn;
   bn.features = flat ? n_in : shape.depth;
   bn.spatial = flat ? 1 : shape.height * shape.width;
   bn.momentum = spec.momentum;
   bn.epsilon = spec.epsilon;
   HASHEDNET_ASSERT(bn.n_values() == n_in);
   return std::make_unique<BatchNorm>(bn, offset);
}

std::vector<double> Network::image_input_importance() const
{
   const bool conv_first = layer(0).kind() == LayerKind::Conv2D;
   std::vector<double> importance(static_cast<std::size_t>(n_inputs()), conv_first ? 0.0 : 1.0);
   if (!conv_first)
      return importance;
   const auto &conv = static_cast<const Conv2D &>(layer(0));
   const ImageWindow &window = conv.window();
   const std::vector<float> params = host_params();
   const float *w = params.data() + conv.offset();
   for (std::int64_t i = 0; i < conv.filters(); ++i)
      for (std::int64_t k = 0; k < window.patch(); ++k) {
         const double v = conv.filter_layer().virtual_weight(w, i, k);
         for (std::int64_t p = 0; p < window.positions(); ++p) {
            const std::int64_t at = window.tap(p, k);
            if (at >= 0)
               importance[static_cast<std::size_t>(at)] += v * v;
         }
      }
   return importance;
}

} // namespace hashednet
