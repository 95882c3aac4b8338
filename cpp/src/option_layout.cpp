// option_layout.cpp: the Layout option, parsed and written back.
//
// A Layout value is a ','-separated list of layers, hidden layers first and
// the output layer last. Each entry is one of
//   ACTIVATION|width[|compression]        MethodDNN style, e.g. TANH|512|1/64
//   ACTIVATION                            the last entry only, e.g. LINEAR
//   DENSE|width|ACTIVATION                MethodDL style, a plain dense layer
//   HASHED|width|ACTIVATION[|compression] MethodDL style, a hashed layer
//   CONV|nFilters|fh|fw|strideRows|strideCols|padRows|padCols|ACTIVATION[|compression]
//                                         MethodDL's convolution (filters hashed as dense layers)
//   MAXPOOL|fh|fw|strideRows|strideCols   MethodDL's max pooling
//   RESHAPE|FLAT, RESHAPE|depth|height|width[|FLAT]
//                                         MethodDL's reshape (FLAT before the first DENSE after a CONV)
//   BNORM[|momentum[|epsilon]]            MethodDL's batch normalisation (batch_norm.h; -1 and 1e-4 when left out)
// where compression is a ratio (1/8, 0.125) or a bucket count (K=4096), and
// width an integer or an expression in N, the number of input variables.
// The image shapes (InputLayout, the sizes each CNN layer makes) are checked
// when the network is built (network_image.cpp), where they are known.
#include "hashednet/options.h"

#include "hashednet/common.h"
#include "hashednet/funhash.h"
#include "options_internal.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace hashednet {

namespace {

const std::vector<std::string> kActivationNames{"TANH", "RELU", "SYMMRELU", "SIGMOID", "SOFTSIGN", "GAUSS", "LINEAR"};
const std::vector<Activation> kActivations{Activation::Tanh,     Activation::Relu,  Activation::SymmRelu,
                                           Activation::Sigmoid,  Activation::Softsign, Activation::Gauss,
                                           Activation::Linear};
const std::vector<std::string> kLayerTypes{"DENSE", "HASHED", "CONV", "MAXPOOL", "RESHAPE", "BNORM"};
constexpr std::int64_t kMaxImageSide = std::int64_t(1) << 24; ///< filter sides, strides, padding, shapes
const char kConvForm[] = "CONV|nFilters|fh|fw|strideRows|strideCols|padRows|padCols|ACTIVATION[|compression]";
const char kMaxPoolForm[] = "MAXPOOL|fh|fw|strideRows|strideCols";
const char kReshapeForm[] = "RESHAPE|FLAT or RESHAPE|depth|height|width";
const char kBatchNormForm[] = "BNORM, BNORM|momentum or BNORM|momentum|epsilon";
constexpr std::int64_t kMaxBuckets = std::numeric_limits<std::uint32_t>::max();

std::string activation_name(Activation activation)
{
   for (std::size_t i = 0; i < kActivations.size(); ++i)
      if (kActivations[i] == activation)
         return kActivationNames[i];
   HASHEDNET_ASSERT(false);
   return "";
}

/// The activation named `name`; `or_layer_type` adds DENSE and HASHED to the allowed list in the message.
Activation activation_of(const std::string &name, const std::string &where, bool or_layer_type)
{
   for (std::size_t i = 0; i < kActivationNames.size(); ++i)
      if (grammar::iequals(name, kActivationNames[i]))
         return kActivations[i];
   std::vector<std::string> allowed = kActivationNames;
   if (or_layer_type)
      allowed.insert(allowed.end(), kLayerTypes.begin(), kLayerTypes.end());
   HASHEDNET_CHECK(false, where << ": unknown " << (or_layer_type ? "activation or layer type '" : "activation '")
                                << name << "'" << grammar::suggestion(name, allowed)
                                << "Allowed: " << grammar::join(allowed, ", "));
   return Activation::Linear;
}

/// The width of a layer, or -1 when it uses N and N is unknown.
std::int64_t width_of(const std::string &text, std::int64_t n_inputs, const std::string &where)
{
   HASHEDNET_CHECK(!text.empty(), where << ": the width is empty");
   const std::optional<std::int64_t> width = grammar::eval_width(text, n_inputs, where);
   if (!width)
      return -1;
   HASHEDNET_CHECK(*width >= 1, where << ": width '" << text << "' must be at least 1, got " << *width
                                      << (text.find_first_of("Nn") != std::string::npos
                                             ? " with N = " + std::to_string(n_inputs)
                                             : std::string()));
   return *width;
}

/// Sets spec.compression (a ratio) or spec.buckets (K=...) from one Layout field.
void read_compression(const std::string &text, LayerSpec &spec, const std::string &where)
{
   if (grammar::upper(text).rfind("K=", 0) == 0) {
      spec.buckets = grammar::parse_integer(grammar::trim(text.substr(2)), "bucket count '" + text + "' in " + where,
                                            1, kMaxBuckets);
      return;
   }
   spec.compression = grammar::parse_compression(text, where);
}

LayerSpec dnn_entry(const std::vector<std::string> &fields, bool last, std::int64_t n_inputs,
                    const std::string &where)
{
   LayerSpec spec;
   spec.activation = activation_of(fields[0], where, true);
   HASHEDNET_CHECK(fields.size() <= 3, where << ": too many '|' fields (" << fields.size()
                                             << "); write ACTIVATION|width[|compression], "
                                                "DENSE|width|ACTIVATION or HASHED|width|ACTIVATION[|compression]");
   HASHEDNET_CHECK(fields.size() > 1 || last,
                   where << ": a hidden layer needs a width, e.g. '" << fields[0]
                         << "|64'; only the last entry (the output layer) may omit it");
   spec.width = fields.size() > 1 ? width_of(fields[1], n_inputs, where) : 0;
   if (fields.size() == 3)
      read_compression(fields[2], spec, where);
   return spec;
}

LayerSpec dl_entry(const std::vector<std::string> &fields, std::int64_t n_inputs, const std::string &where)
{
   const bool hashed = grammar::iequals(fields[0], "HASHED");
   const std::size_t most = hashed ? 4 : 3;
   HASHEDNET_CHECK(fields.size() >= 3 && fields.size() <= most,
                   where << ": " << (fields.size() > most ? "too many" : "too few") << " '|' fields ("
                         << fields.size() << "); write "
                         << (hashed ? "HASHED|width|ACTIVATION[|compression]" : "DENSE|width|ACTIVATION"));
   LayerSpec spec;
   spec.width = width_of(fields[1], n_inputs, where);
   spec.activation = activation_of(fields[2], where, false);
   spec.compression = hashed ? spec.compression : 1.0;
   if (fields.size() == 4)
      read_compression(fields[3], spec, where);
   return spec;
}

/// One integer field of a CNN entry, in [low, 2^24], named in messages.
std::int64_t image_field(const std::string &text, const char *name, std::int64_t low, const std::string &where)
{
   return grammar::parse_integer(text, std::string(name) + " in " + where, low, kMaxImageSide);
}

void check_field_count(const std::vector<std::string> &fields, std::size_t least, std::size_t most,
                       const char *form, const std::string &where)
{
   HASHEDNET_CHECK(fields.size() >= least && fields.size() <= most,
                   where << ": " << (fields.size() > most ? "too many" : "too few") << " '|' fields ("
                         << fields.size() << "); write " << form);
}

LayerSpec conv_entry(const std::vector<std::string> &fields, const std::string &where)
{
   check_field_count(fields, 9, 10, kConvForm, where);
   LayerSpec spec;
   spec.type = LayerType::Conv;
   spec.width = image_field(fields[1], "nFilters", 1, where);
   WindowSpec &w = spec.window;
   w.fh = image_field(fields[2], "filter height fh", 1, where);
   w.fw = image_field(fields[3], "filter width fw", 1, where);
   w.stride_rows = image_field(fields[4], "strideRows", 1, where);
   w.stride_cols = image_field(fields[5], "strideCols", 1, where);
   w.pad_rows = image_field(fields[6], "padRows", 0, where);
   w.pad_cols = image_field(fields[7], "padCols", 0, where);
   spec.activation = activation_of(fields[8], where, false);
   if (fields.size() == 10)
      read_compression(fields[9], spec, where);
   return spec;
}

LayerSpec max_pool_entry(const std::vector<std::string> &fields, const std::string &where)
{
   check_field_count(fields, 5, 5, kMaxPoolForm, where);
   LayerSpec spec;
   spec.type = LayerType::MaxPool;
   spec.activation = Activation::Linear;
   spec.compression = 1.0;
   spec.window.fh = image_field(fields[1], "window height fh", 1, where);
   spec.window.fw = image_field(fields[2], "window width fw", 1, where);
   spec.window.stride_rows = image_field(fields[3], "strideRows", 1, where);
   spec.window.stride_cols = image_field(fields[4], "strideCols", 1, where);
   return spec;
}

/// RESHAPE|FLAT, RESHAPE|depth|height|width, or both (MethodDL: FLAT wins).
LayerSpec reshape_entry(const std::vector<std::string> &fields, const std::string &where)
{
   LayerSpec spec;
   spec.type = LayerType::Reshape;
   spec.activation = Activation::Linear;
   spec.compression = 1.0;
   const bool flat = grammar::iequals(fields.back(), "FLAT");
   const std::size_t n_sides = fields.size() - 1 - (flat ? 1 : 0);
   HASHEDNET_CHECK((n_sides == 0 && flat) || n_sides == 3,
                   where << ": '" << grammar::join(fields, "|") << "' is not a reshape; write " << kReshapeForm);
   if (n_sides == 3 && !flat) {
      spec.shape.depth = image_field(fields[1], "depth", 1, where);
      spec.shape.height = image_field(fields[2], "height", 1, where);
      spec.shape.width = image_field(fields[3], "width", 1, where);
   }
   return spec;
}

/// BNORM[|momentum[|epsilon]]: MethodDL's fields and defaults (config.h's BatchNormSpec).
LayerSpec batch_norm_entry(const std::vector<std::string> &fields, const std::string &where)
{
   check_field_count(fields, 1, 3, kBatchNormForm, where);
   LayerSpec spec;
   spec.type = LayerType::BatchNorm;
   spec.activation = Activation::Linear;
   spec.compression = 1.0;
   const double inf = std::numeric_limits<double>::infinity();
   if (fields.size() >= 2)
      spec.bnorm.momentum = grammar::parse_real(
         fields[1], "BNORM momentum in " + where + " ([0, 1): exponential running averages; negative, e.g. -1: "
                        "the cumulative average of all training batches)", grammar::Range{-inf, true, 1.0, true});
   if (fields.size() == 3)
      spec.bnorm.epsilon = grammar::parse_real(fields[2], "BNORM epsilon (added to the variance) in " + where,
                                               grammar::Range{0.0, true, inf, false});
   return spec;
}

/// A CNN entry (CONV, MAXPOOL, RESHAPE, BNORM), or nullopt for a dense one; the recurrent kinds are Errors.
std::optional<LayerSpec> image_entry(const std::vector<std::string> &fields, const std::string &where)
{
   for (const char *unsupported : {"RNN", "LSTM", "GRU"})
      HASHEDNET_CHECK(!grammar::iequals(fields[0], unsupported),
                      where << ": MethodDL's layer type " << unsupported
                            << " is not supported by HashedDNN; allowed layer types: "
                            << grammar::join(kLayerTypes, ", ") << " (or ACTIVATION|width)");
   if (grammar::iequals(fields[0], "CONV"))
      return conv_entry(fields, where);
   if (grammar::iequals(fields[0], "MAXPOOL"))
      return max_pool_entry(fields, where);
   if (grammar::iequals(fields[0], "RESHAPE"))
      return reshape_entry(fields, where);
   if (grammar::iequals(fields[0], "BNORM"))
      return batch_norm_entry(fields, where);
   return std::nullopt;
}

LayerSpec layout_entry(const std::string &entry, bool last, std::int64_t n_inputs, const std::string &where)
{
   std::vector<std::string> fields = grammar::split(entry, '|');
   for (std::string &field : fields)
      field = grammar::trim(field);
   if (const std::optional<LayerSpec> image = image_entry(fields, where)) {
      HASHEDNET_CHECK(!last, where << ": the last entry is the output layer and must be dense, e.g. DENSE|1|LINEAR "
                                      "or LINEAR (after a CONV or MAXPOOL, flatten first: ...,RESHAPE|FLAT,"
                                      "DENSE|1|LINEAR)");
      return *image;
   }
   const bool dl_style = grammar::iequals(fields[0], "DENSE") || grammar::iequals(fields[0], "HASHED");
   LayerSpec spec = dl_style ? dl_entry(fields, n_inputs, where) : dnn_entry(fields, last, n_inputs, where);
   HASHEDNET_CHECK(!last || spec.activation == Activation::Linear,
                   where << ": the last entry is the output layer and must be LINEAR (the loss applies the "
                            "sigmoid or softmax itself); end the Layout with ',LINEAR'");
   return spec;
}

/// The Layout text of a CONV, MAXPOOL, RESHAPE or BNORM entry.
std::string format_image_entry(const LayerSpec &layer)
{
   const WindowSpec &w = layer.window;
   const auto text = [](std::initializer_list<std::int64_t> values) {
      std::string out;
      for (const std::int64_t v : values)
         out += "|" + std::to_string(v);
      return out;
   };
   switch (layer.type) {
   case LayerType::Conv: {
      std::string entry = "CONV" + text({layer.width, w.fh, w.fw, w.stride_rows, w.stride_cols, w.pad_rows,
                                         w.pad_cols}) + "|" + activation_name(layer.activation);
      if (layer.buckets > 0)
         entry += "|K=" + std::to_string(layer.buckets);
      else if (layer.compression >= 0)
         entry += "|" + grammar::format_compression(layer.compression);
      return entry;
   }
   case LayerType::MaxPool: return "MAXPOOL" + text({w.fh, w.fw, w.stride_rows, w.stride_cols});
   case LayerType::Reshape:
      return layer.shape.given() ? "RESHAPE" + text({layer.shape.depth, layer.shape.height, layer.shape.width})
                                 : "RESHAPE|FLAT";
   case LayerType::BatchNorm:
      return "BNORM|" + grammar::format_real(layer.bnorm.momentum) + "|" + grammar::format_real(layer.bnorm.epsilon);
   case LayerType::Dense: break;
   }
   HASHEDNET_ASSERT(false);
   return "";
}

} // namespace

namespace grammar {
std::vector<LayerSpec> layout_layers(const std::string &layout, std::int64_t n_inputs)
{
   HASHEDNET_CHECK(!trim(layout).empty(), "Layout is empty; write e.g. Layout=" << kDefaultLayout);
   const std::vector<std::string> entries = split(layout, ',');
   const auto where = [&](std::size_t i) {
      return "Layout entry '" + trim(entries[i]) + "' (entry " + std::to_string(i + 1) + " of " +
             std::to_string(entries.size()) + " in '" + layout + "')";
   };
   for (std::size_t i = 0; i < entries.size(); ++i)
      HASHEDNET_CHECK(!trim(entries[i]).empty(), where(i) << ": the entry is empty (a stray ',')");
   std::vector<LayerSpec> layers;
   for (std::size_t i = 0; i < entries.size(); ++i)
      layers.push_back(layout_entry(trim(entries[i]), i + 1 == entries.size(), n_inputs, where(i)));
   return layers;
}
} // namespace grammar

std::vector<LayerSpec> parse_layout(const std::string &layout, std::int64_t n_inputs)
{
   std::vector<LayerSpec> layers = grammar::layout_layers(layout, n_inputs);
   for (const LayerSpec &layer : layers)
      HASHEDNET_CHECK(layer.width >= 0, "Layout '" << layout
                                                   << "' uses N (the number of input variables), which is not "
                                                      "known here; pass n_inputs to resolve it");
   return layers;
}

std::string format_reconstruction(const FunHashSpec &spec)
{
   switch (spec.reconstruction) {
   case Reconstruction::Identity: return "IDENTITY";
   case Reconstruction::Linear: return "LINEAR";
   case Reconstruction::Mlp:
      return "MLP|" + std::to_string(spec.hidden) + "|" + activation_name(spec.hidden_activation);
   }
   HASHEDNET_ASSERT(false);
   return "";
}

FunHashSpec parse_reconstruction(const std::string &text, const std::string &where)
{
   std::vector<std::string> fields = grammar::split(text, '|');
   for (std::string &field : fields)
      field = grammar::trim(field);
   const std::string forms = "allowed: LINEAR, IDENTITY (HashFunctions=1), or MLP|H|ACTIVATION with H hidden units in "
                             "[1, " + std::to_string(kFunHashMaxHidden) + "] (e.g. MLP|4|TANH)";
   const std::vector<std::string> kinds{"IDENTITY", "LINEAR", "MLP"};
   std::string kind;
   for (const std::string &name : kinds)
      kind = grammar::iequals(fields[0], name) ? name : kind;
   HASHEDNET_CHECK(!kind.empty(), where << ": unknown reconstruction '" << text << "'"
                                        << grammar::suggestion(fields[0], kinds) << forms);
   FunHashSpec spec;
   spec.hidden = 0;
   if (kind != "MLP") {
      HASHEDNET_CHECK(fields.size() == 1, where << ": '" << text << "': " << kind << " takes no '|' fields; " << forms);
      spec.reconstruction = kind == "LINEAR" ? Reconstruction::Linear : Reconstruction::Identity;
      return spec;
   }
   HASHEDNET_CHECK(fields.size() == 3, where << ": '" << text << "': MLP needs its hidden units and activation; "
                                             << forms);
   spec.reconstruction = Reconstruction::Mlp;
   spec.hidden =
      static_cast<int>(grammar::parse_integer(fields[1], where + ": MLP hidden units", 1, kFunHashMaxHidden));
   spec.hidden_activation = activation_of(fields[2], where, false);
   return spec;
}

ImageShape parse_image_layout(const std::string &text, const std::string &what)
{
   std::vector<std::string> fields = grammar::split(text, '|');
   HASHEDNET_CHECK(fields.size() == 3, what << ": '" << text
                                            << "' is not three '|'-separated integers; write depth|height|width, "
                                               "e.g. 1|28|28 (0|0|0 = none)");
   std::int64_t sides[3];
   for (int k = 0; k < 3; ++k)
      sides[k] = grammar::parse_integer(grammar::trim(fields[k]), "'" + text + "' of " + what, 0, kMaxImageSide);
   if (sides[0] == 0 && sides[1] == 0 && sides[2] == 0)
      return ImageShape{};
   return ImageShape{std::max<std::int64_t>(sides[0], 1), std::max<std::int64_t>(sides[1], 1),
                     std::max<std::int64_t>(sides[2], 1)};
}

std::string format_image_layout(const ImageShape &shape)
{
   return std::to_string(shape.depth) + "|" + std::to_string(shape.height) + "|" + std::to_string(shape.width);
}

std::string format_layout(const std::vector<LayerSpec> &layers)
{
   HASHEDNET_CHECK(!layers.empty(), "format_layout: a network needs at least the output layer");
   std::vector<std::string> entries;
   for (std::size_t i = 0; i < layers.size(); ++i) {
      const LayerSpec &layer = layers[i];
      if (layer.type != LayerType::Dense) {
         entries.push_back(format_image_entry(layer));
         continue;
      }
      const bool last = i + 1 == layers.size();
      const bool own_compression = layer.buckets > 0 || layer.compression >= 0;
      HASHEDNET_CHECK(layer.width > 0 || (last && layer.width == 0 && !own_compression),
                      "format_layout: layer " << i << " has width " << layer.width
                                              << "; only the last layer may have width 0 (as many as the outputs),"
                                                 " and then no compression of its own");
      std::string entry = activation_name(layer.activation);
      if (layer.width > 0)
         entry += "|" + std::to_string(layer.width);
      if (layer.buckets > 0)
         entry += "|K=" + std::to_string(layer.buckets);
      else if (layer.compression >= 0)
         entry += "|" + grammar::format_compression(layer.compression);
      entries.push_back(entry);
   }
   return grammar::join(entries, ",");
}

} // namespace hashednet
