// serialize.cpp: see serialize.h for the format.
#include "hashednet/serialize.h"

#include "hashednet/batch_norm.h"
#include "hashednet/conv2d.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/image_layers.h"
#include "hashednet/hash.h"
#include "hashednet/options.h"
#include "options_internal.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <unistd.h>

namespace hashednet {

namespace {
const char kMagic[] = "HASHEDNET "; ///< then the format: 1 (read), 2 or 3 (read and written)
const char kLayerKind[] = "FULLY_CONNECTED";
const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::uint32_t read_u32(const unsigned char *p)
{
   return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

std::uint32_t round32(std::uint32_t acc, std::uint32_t lane)
{
   return xxh32::rotl(acc + lane * xxh32::kPrime2, 13) * xxh32::kPrime1;
}

constexpr int kFormat = 2;      ///< what serialize writes for a network of fully connected layers
constexpr int kImageFormat = 3; ///< ... and for a CNN (an input_layout line, CONV, MAXPOOL, RESHAPE, BNORM layers)
const std::vector<std::string> kImageKinds{"CONV", "MAXPOOL", "RESHAPE", "BNORM"};
constexpr std::int64_t kMaxImageField = std::int64_t(1) << 24; ///< window fields and shape sides in a file

/// 1, 2 or 3 from the first line ("HASHEDNET 1" .. "HASHEDNET 3"); an Error otherwise.
int text_format(const std::string &text)
{
   const std::string first = text.substr(0, text.find('\n'));
   HASHEDNET_CHECK(first == "HASHEDNET 1" || first == "HASHEDNET 2" || first == "HASHEDNET 3",
                   "not a hashednet network: the text does not start with 'HASHEDNET 2' (or 'HASHEDNET 3' of a "
                   "CNN, or format 1's 'HASHEDNET 1'); it starts with '" << first.substr(0, 40) << "'");
   return first.back() - '0';
}

/// 3 for a network with an InputLayout or a CNN layer, else 2 (the text such networks always had).
int format_of(const Network &network)
{
   bool image = network.spec().input_shape.given();
   for (int l = 0; l < network.n_layers(); ++l)
      image = image || network.layer(l).kind() != LayerKind::FullyConnected;
   return image ? kImageFormat : kFormat;
}

std::string window_text(const ImageWindow &w, bool padding)
{
   std::ostringstream out;
   out << " " << w.fh << " " << w.fw << " " << w.stride_rows << " " << w.stride_cols;
   if (padding)
      out << " " << w.pad_rows << " " << w.pad_cols;
   return out.str();
}

/// The hash_mode line's value: ELEMENT, BLOCK <B>, FUNHASH <U> <g>, or
/// FRESH <fh>x<fw>|NONE <band exponent> (FreshSlice, FreshBandExponent).
std::string hash_mode_text(const NetworkSpec &spec)
{
   switch (spec.hash_mode) {
   case HashMode::Element: return "ELEMENT";
   case HashMode::Block: return "BLOCK " + std::to_string(spec.hash_block);
   case HashMode::FunHash:
      return "FUNHASH " + std::to_string(spec.funhash.n_hashes) + " " + format_reconstruction(spec.funhash);
   case HashMode::Fresh:
      return "FRESH " + (spec.fresh.fh > 0 ? format_fresh_slice(spec.fresh.fh, spec.fresh.fw) : std::string("NONE")) +
             " " + grammar::format_real(spec.fresh.band_exponent);
   }
   HASHEDNET_ASSERT(false);
   return "";
}

/// `text`'s whitespace-separated words joined by single spaces.
std::string grammar_words(const std::string &text)
{
   std::istringstream in(text);
   std::string word, out;
   while (in >> word)
      out += (out.empty() ? "" : " ") + word;
   return out;
}

int base64_value(char c)
{
   const char *p = std::strchr(kBase64, c);
   return (c != '\0' && p) ? static_cast<int>(p - kBase64) : -1;
}

/// Reads "key value..." lines in order, with clear errors on anything else.
class LineReader {
public:
   explicit LineReader(const std::string &text) : in_(text) {}

   std::istringstream expect(const std::string &key)
   {
      std::string line;
      HASHEDNET_CHECK(std::getline(in_, line), "network text is truncated: expected '" << key << "' at line "
                                                                                          << line_number_ + 1);
      ++line_number_;
      std::istringstream fields(line);
      std::string found;
      fields >> found;
      HASHEDNET_CHECK(found == key, "network text line " << line_number_ << ": expected '" << key << "', found '"
                                                         << line.substr(0, 40) << "'");
      return fields;
   }

private:
   std::istringstream in_;
   int line_number_ = 0;
};

template <typename T>
T read_value(std::istringstream &fields, const char *key)
{
   T value{};
   HASHEDNET_CHECK(static_cast<bool>(fields >> value), "network text: bad value for '" << key << "'");
   return value;
}

std::vector<float> read_floats(LineReader &reader, const char *key)
{
   std::istringstream fields = reader.expect(key);
   const auto n = read_value<std::int64_t>(fields, key);
   std::string encoded;
   fields >> encoded;
   return base64_decode(encoded, n, key);
}

void write_floats(std::ostringstream &out, const char *key, const std::vector<float> &values)
{
   out << key << " " << values.size() << " " << base64_encode(values) << "\n";
}

std::string checksum_hex(const std::string &body)
{
   std::ostringstream hex;
   hex << std::hex << std::setw(8) << std::setfill('0') << xxh32_bytes(body.data(), body.size(), 0);
   return hex.str();
}

/// Splits text into the part covered by the checksum and the checksum line; verifies it.
std::string verified_body(const std::string &text)
{
   const std::size_t at = text.rfind("\nchecksum ");
   HASHEDNET_CHECK(at != std::string::npos, "network text is truncated or damaged: no checksum line");
   const std::string body = text.substr(0, at + 1);
   std::istringstream tail(text.substr(at + 1));
   std::string key, stored, end;
   tail >> key >> stored >> end;
   HASHEDNET_CHECK(end == "end", "network text is truncated: missing the final 'end' line");
   HASHEDNET_CHECK(stored == checksum_hex(body), "network text is damaged: checksum " << checksum_hex(body)
                                                                                     << " does not match the stored "
                                                                                     << stored);
   return body;
}

/// FRESH's slice and band exponent from the rest of its hash_mode line.
void read_fresh_mode(std::istringstream &mode, NetworkSpec &spec)
{
   spec.hash_mode = HashMode::Fresh;
   const auto slice = read_value<std::string>(mode, "hash_mode FRESH slice");
   if (slice != "NONE")
      parse_fresh_slice(slice, "network text: hash_mode FRESH", spec.fresh.fh, spec.fresh.fw);
   spec.fresh.band_exponent = grammar::parse_real(read_value<std::string>(mode, "hash_mode FRESH band exponent"),
                                                  "network text: hash_mode FRESH band exponent",
                                                  {0.0, false, kFreshMaxBandExponent, false});
}

NetworkSpec read_spec(LineReader &reader, int format)
{
   NetworkSpec spec;
   std::istringstream hash = reader.expect("hash");
   const auto hash_name = read_value<std::string>(hash, "hash");
   HASHEDNET_CHECK(hash_name == kHashName, "network was written with hash '" << hash_name << "'; this version reads '"
                                                                             << kHashName << "'");
   std::istringstream task = reader.expect("task");
   spec.task = task_from_string(read_value<std::string>(task, "task"));
   std::istringstream inputs = reader.expect("inputs");
   spec.n_inputs = read_value<std::int64_t>(inputs, "inputs");
   if (format >= kImageFormat) {
      std::istringstream shape = reader.expect("input_layout");
      std::int64_t *sides[] = {&spec.input_shape.depth, &spec.input_shape.height, &spec.input_shape.width};
      for (std::int64_t *side : sides) {
         *side = read_value<std::int64_t>(shape, "input_layout");
         HASHEDNET_CHECK(*side >= 0 && *side <= kMaxImageField,
                         "network text: input_layout side " << *side << " is not in [0, " << kMaxImageField << "]");
      }
   }
   std::istringstream outputs = reader.expect("outputs");
   spec.n_outputs = read_value<std::int64_t>(outputs, "outputs");
   std::istringstream seed = reader.expect("hash_seed");
   spec.hash_seed = read_value<std::uint32_t>(seed, "hash_seed");
   std::istringstream mode = reader.expect("hash_mode");
   const auto mode_name = read_value<std::string>(mode, "hash_mode");
   const bool funhash = format >= 2 && mode_name == "FUNHASH";
   const bool fresh = format >= 2 && mode_name == "FRESH";
   HASHEDNET_CHECK(mode_name == "ELEMENT" || mode_name == "BLOCK" || funhash || fresh,
                   "unknown hash_mode '" << mode_name << "'; allowed: ELEMENT, BLOCK <virtual weights per hash>"
                                         << (format >= 2 ? ", or FUNHASH <U> <g>, or FRESH <fh>x<fw>|NONE <band exponent>"
                                                         : " (format 1)"));
   if (fresh)
      read_fresh_mode(mode, spec);
   if (mode_name == "BLOCK") {
      spec.hash_mode = HashMode::Block;
      spec.hash_block = read_value<std::int64_t>(mode, "hash_mode BLOCK size");
      HASHEDNET_CHECK(spec.hash_block >= 1 && spec.hash_block <= kMaxHashBlock,
                      "hash_mode BLOCK size must be in [1, " << kMaxHashBlock << "], got " << spec.hash_block);
   }
   if (funhash) {
      spec.hash_mode = HashMode::FunHash;
      const auto n_hashes = read_value<int>(mode, "hash_mode FUNHASH hashes");
      spec.funhash = parse_reconstruction(read_value<std::string>(mode, "hash_mode FUNHASH reconstruction"),
                                          "network text: hash_mode FUNHASH");
      spec.funhash.n_hashes = n_hashes;
   }
   std::istringstream bias = reader.expect("hashed_bias");
   spec.hashed_bias = read_value<int>(bias, "hashed_bias") != 0;
   std::istringstream output = reader.expect("hash_output_layer");
   spec.hash_output_layer = read_value<int>(output, "hash_output_layer") != 0;
   std::istringstream compression = reader.expect("compression");
   spec.compression = read_value<double>(compression, "compression");
   return spec;
}

const std::vector<std::string> kSchemeNames{"DENSE", "ELEMENT", "BLOCK", "FUNHASH", "FRESH"};

/// Layer l's line after "layer": format 2 writes the layer kind, the weight
/// scheme and its parameters (BLOCK: B; FUNHASH: K U g; FRESH: <fh>x<fw>
/// and the buckets of each band, K_0,K_1,...), format 1 only
/// whether it is hashed. The reader rebuilds each layer and compares this text.
std::string layer_line(const Network &network, int l, int format)
{
   const LayerKind kind = network.layer(l).kind();
   std::ostringstream out;
   if (kind == LayerKind::MaxPool2D) {
      const auto &pool = static_cast<const MaxPool2D &>(network.layer(l));
      out << l << " LINEAR " << pool.n_out() << " MAXPOOL" << window_text(pool.window(), false);
      return out.str();
   }
   if (kind == LayerKind::BatchNorm) {
      const BatchNormShape &bn = static_cast<const BatchNorm &>(network.layer(l)).shape();
      out << l << " LINEAR " << network.layer(l).n_out() << " BNORM " << grammar::format_real(bn.momentum) << " "
          << grammar::format_real(bn.epsilon) << " " << bn.features;
      return out.str();
   }
   if (kind == LayerKind::Reshape) {
      const ImageShape &shape = static_cast<const Reshape &>(network.layer(l)).shape();
      out << l << " LINEAR " << network.layer(l).n_out() << " RESHAPE " << shape.depth << " " << shape.height << " "
          << shape.width;
      return out.str();
   }
   const FullyConnected &layer = network.weight_layer(l);
   const HashedLayout &layout = layer.layout();
   out << l << " " << activation_name(network.activation(l)) << " " << layout.n_out << " ";
   if (format == 1) {
      out << int(layout.hashed) << " " << layout.n_buckets << " " << layout.n_bias_buckets;
      return out.str();
   }
   out << (kind == LayerKind::Conv2D ? "CONV" : kLayerKind) << " " << layer.scheme().name() << " "
       << layout.n_buckets << " " << layout.n_bias_buckets;
   if (layer.scheme().kind() == SchemeKind::Block)
      out << " " << layout.block;
   if (layer.scheme().kind() == SchemeKind::FunHash) {
      const FunHashLayout &funhash = funhash_layout(layer);
      out << " " << funhash.n_buckets << " " << funhash.n_hashes << " "
          << format_reconstruction(network.spec().funhash);
   }
   if (layer.scheme().kind() == SchemeKind::Fresh) {
      const FreshLayout &fresh = fresh_scheme(layer).layer();
      out << " " << format_fresh_slice(fresh.fh, fresh.fw) << " ";
      for (int b = 0; b < fresh.n_bands; ++b)
         out << (b ? "," : "") << fresh.band_buckets(b);
   }
   if (kind == LayerKind::Conv2D)
      out << window_text(static_cast<const Conv2D &>(network.layer(l)).window(), true);
   return out.str();
}

std::int64_t read_image_field(std::istringstream &fields, int l)
{
   const auto value = read_value<std::int64_t>(fields, "layer");
   HASHEDNET_CHECK(value >= 0 && value <= kMaxImageField,
                   "network text: layer " << l << " has a window or shape value " << value << " outside [0, "
                                          << kMaxImageField << "]");
   return value;
}

void read_window(std::istringstream &fields, WindowSpec &window, bool padding, int l)
{
   window.fh = read_image_field(fields, l);
   window.fw = read_image_field(fields, l);
   window.stride_rows = read_image_field(fields, l);
   window.stride_cols = read_image_field(fields, l);
   if (padding) {
      window.pad_rows = read_image_field(fields, l);
      window.pad_cols = read_image_field(fields, l);
   }
}

/// A MAXPOOL, RESHAPE or BNORM line's LayerSpec (after its kind; BNORM's feature count is
/// checked against the rebuilt layer's line).
LayerSpec read_weightless_layer(std::istringstream &fields, const std::string &kind, int l)
{
   LayerSpec layer;
   layer.activation = Activation::Linear;
   layer.compression = 1.0;
   if (kind == "BNORM") {
      layer.type = LayerType::BatchNorm;
      layer.bnorm.momentum = read_value<double>(fields, "layer");
      layer.bnorm.epsilon = read_value<double>(fields, "layer");
      return layer;
   }
   if (kind == "MAXPOOL") {
      layer.type = LayerType::MaxPool;
      read_window(fields, layer.window, false, l);
      return layer;
   }
   layer.type = LayerType::Reshape;
   layer.shape.depth = read_image_field(fields, l);
   layer.shape.height = read_image_field(fields, l);
   layer.shape.width = read_image_field(fields, l);
   return layer;
}

/// The LayerSpec of a stored layer line (after "layer <l>").
LayerSpec read_layer(std::istringstream &fields, int format, int l)
{
   LayerSpec layer;
   layer.activation = activation_from_string(read_value<std::string>(fields, "layer"));
   layer.width = read_value<std::int64_t>(fields, "layer");
   bool hashed = false;
   std::string scheme = "ELEMENT";
   std::string kind = kLayerKind;
   if (format == 1) {
      hashed = read_value<int>(fields, "layer") != 0;
   } else {
      kind = read_value<std::string>(fields, "layer");
      const bool image = format >= kImageFormat &&
                         std::find(kImageKinds.begin(), kImageKinds.end(), kind) != kImageKinds.end();
      HASHEDNET_CHECK(kind == kLayerKind || image,
                      "network text: layer " << l << " is of kind '" << kind << "'; allowed: " << kLayerKind
                                             << (format >= kImageFormat ? ", CONV, MAXPOOL, RESHAPE, BNORM" : ""));
      if (kind == "MAXPOOL" || kind == "RESHAPE" || kind == "BNORM")
         return read_weightless_layer(fields, kind, l);
      scheme = read_value<std::string>(fields, "layer");
      HASHEDNET_CHECK(std::find(kSchemeNames.begin(), kSchemeNames.end(), scheme) != kSchemeNames.end(),
                      "network text: layer " << l << " has weight scheme '" << scheme
                                             << "'; allowed: DENSE, ELEMENT, BLOCK, FUNHASH, FRESH");
      hashed = scheme != "DENSE";
   }
   const auto n_weight_params = read_value<std::int64_t>(fields, "layer");
   read_value<std::int64_t>(fields, "layer"); // bias parameters: checked against the rebuilt layer's line
   if (scheme == "BLOCK")
      read_value<std::int64_t>(fields, "layer");
   const std::int64_t buckets = scheme == "FUNHASH" ? read_value<std::int64_t>(fields, "layer") : n_weight_params;
   layer.compression = hashed ? -1.0 : 1.0;
   layer.buckets = hashed ? buckets : 0;
   if (kind == "CONV") {
      if (scheme == "FUNHASH") { // U and g: checked against the rebuilt layer's line
         read_value<int>(fields, "layer");
         read_value<std::string>(fields, "layer");
      }
      if (scheme == "FRESH") { // slice and band buckets: checked against the rebuilt layer's line
         read_value<std::string>(fields, "layer");
         read_value<std::string>(fields, "layer");
      }
      layer.type = LayerType::Conv;
      read_window(fields, layer.window, true, l);
   }
   return layer;
}

std::vector<std::string> read_layers(LineReader &reader, NetworkSpec &spec, int format)
{
   std::istringstream count = reader.expect("layers");
   const auto n = read_value<int>(count, "layers");
   HASHEDNET_CHECK(n >= 1 && n < 100000, "network text: bad layer count " << n);
   std::vector<std::string> stored;
   for (int l = 0; l < n; ++l) {
      std::istringstream fields = reader.expect("layer");
      HASHEDNET_CHECK(read_value<int>(fields, "layer") == l, "network text: layers out of order at layer " << l);
      const std::string line = fields.str();
      stored.push_back(grammar_words(line.substr(line.find("layer") + 5)));
      spec.layers.push_back(read_layer(fields, format, l));
   }
   return stored;
}
/// Checks, before the network is built, that the header asks for no more
/// memory than the data lines hold: the input transform has n_inputs values,
/// and each layer needs at least its stored buckets (or, dense, n_in x width
/// weights) plus a bias of its width when the bias is dense, all within the
/// n_params stored values. Without this a damaged header (inputs 3000000000,
/// a width of 4e12) allocates unbounded memory before any other check runs.
/// The values of a stored image shape, or -1 when a side is below 1 or the
/// product exceeds 2^24 (the network's limit; no product overflows here).
std::int64_t bounded_size(const ImageShape &shape)
{
   if (shape.depth < 1 || shape.height < 1 || shape.width < 1 || shape.depth > kMaxImageField ||
       shape.height > kMaxImageField / shape.depth || shape.width > kMaxImageField / (shape.depth * shape.height))
      return -1;
   return shape.size();
}

/// The output shape of a stored CONV or MAXPOOL layer (depth = filters for CONV) on `shape`.
ImageShape window_output(const LayerSpec &layer, const ImageShape &shape, int l)
{
   const WindowSpec &w = layer.window;
   HASHEDNET_CHECK(w.fh >= 1 && w.fw >= 1 && w.stride_rows >= 1 && w.stride_cols >= 1 &&
                      w.fh <= shape.height + 2 * w.pad_rows && w.fw <= shape.width + 2 * w.pad_cols,
                   "network text: layer " << l << "'s window does not fit its " << shape.depth << "|" << shape.height
                                          << "|" << shape.width << " input");
   return ImageShape{layer.type == LayerType::Conv ? layer.width : shape.depth,
                     (shape.height + 2 * w.pad_rows - w.fh) / w.stride_rows + 1,
                     (shape.width + 2 * w.pad_cols - w.fw) / w.stride_cols + 1};
}

/// Layer l's weight matrix (columns x width) as stored, and its input shape
/// advanced to its output: a dense layer's columns are n_in, a CONV layer's
/// depth*fh*fw; MAXPOOL and RESHAPE have none (width 0).
void stored_layer_shape(const NetworkSpec &spec, std::size_t l, ImageShape &shape, std::int64_t &n_in,
                        std::int64_t &columns, std::int64_t &width)
{
   const LayerSpec &layer = spec.layers[l];
   columns = n_in;
   width = l + 1 == spec.layers.size() && layer.width == 0 ? spec.n_outputs : layer.width;
   if (layer.type == LayerType::Dense) {
      shape = ImageShape{};
      n_in = width;
      return;
   }
   const int at = static_cast<int>(l);
   if (layer.type == LayerType::BatchNorm) { // the shape of its input, and no weight matrix
      width = 0;
      return;
   }
   if (layer.type == LayerType::Reshape) {
      shape = layer.shape;
      HASHEDNET_CHECK(!shape.given() || bounded_size(shape) == n_in, "network text: layer " << l
                                                                        << " reshapes to the wrong size");
      width = 0;
      return;
   }
   HASHEDNET_CHECK(shape.given() && bounded_size(shape) > 0, "network text: layer " << l << " needs an image input");
   columns = shape.depth * layer.window.fh * layer.window.fw;
   HASHEDNET_CHECK(layer.window.fh <= kMaxImageField / layer.window.fw &&
                      columns / shape.depth == layer.window.fh * layer.window.fw && columns <= kMaxImageField,
                   "network text: layer " << l << "'s patch is larger than 2^24");
   shape = window_output(layer, shape, at);
   n_in = bounded_size(shape);
   HASHEDNET_CHECK(n_in > 0, "network text: layer " << l << "'s output is empty or larger than 2^24");
   if (layer.type == LayerType::MaxPool)
      width = 0;
}

/// Checks, before the network is built, that the header asks for no more
/// memory than the data lines hold: the input transform has n_inputs values,
/// and each layer needs at least its stored buckets (or, dense, n_in x width
/// weights; a CONV layer's filters x depth*fh*fw) plus a bias of its width
/// when the bias is dense, all within the n_params stored values. Without
/// this a damaged header (inputs 3000000000, a width of 4e12) allocates
/// unbounded memory before any other check runs.
void check_sizes_before_building(const NetworkSpec &spec, std::size_t n_offset, std::size_t n_scale,
                                 std::size_t n_params)
{
   HASHEDNET_CHECK(spec.n_inputs >= 0 && static_cast<std::size_t>(spec.n_inputs) == n_offset &&
                      n_offset == n_scale,
                   "network text: input transform has the wrong size (inputs " << spec.n_inputs << ", input_offset "
                                                                               << n_offset << ", input_scale " << n_scale
                                                                               << ")");
   HASHEDNET_CHECK(!spec.input_shape.given() || bounded_size(spec.input_shape) == spec.n_inputs,
                   "network text: input_layout does not hold the " << spec.n_inputs << " inputs");
   const auto limit = static_cast<std::int64_t>(n_params);
   std::int64_t needed = 0, n_in = spec.n_inputs;
   ImageShape shape = spec.input_shape.given() ? spec.input_shape : ImageShape{1, 1, spec.n_inputs};
   for (std::size_t l = 0; l < spec.layers.size(); ++l) {
      const LayerSpec &layer = spec.layers[l];
      std::int64_t columns = 0, width = 0;
      stored_layer_shape(spec, l, shape, n_in, columns, width);
      if (layer.type == LayerType::MaxPool || layer.type == LayerType::Reshape || layer.type == LayerType::BatchNorm)
         continue;
      const bool hashed = layer.buckets > 0;
      const bool fits = width >= 1 && (hashed ? layer.buckets <= limit : columns <= limit / width) &&
                        (hashed && spec.hashed_bias ? true : width <= limit);
      HASHEDNET_CHECK(fits, "network text: layer " << l << " (width " << width << ", " << layer.buckets
                                                   << " buckets) does not fit the " << n_params
                                                   << " stored parameters");
      needed += (hashed ? layer.buckets : columns * width) + (hashed && spec.hashed_bias ? 1 : width);
      HASHEDNET_CHECK(needed <= limit, "network text: the layers need more than the " << n_params
                                                                                       << " stored parameters");
   }
}
} // namespace

std::uint32_t xxh32_bytes(const void *data, std::size_t length, std::uint32_t seed)
{
   using namespace xxh32;
   const auto *p = static_cast<const unsigned char *>(data);
   const unsigned char *const end = p + length;
   std::uint32_t h;
   if (length >= 16) {
      std::uint32_t v1 = seed + kPrime1 + kPrime2, v2 = seed + kPrime2, v3 = seed, v4 = seed - kPrime1;
      for (; p + 16 <= end; p += 16) {
         v1 = round32(v1, read_u32(p));
         v2 = round32(v2, read_u32(p + 4));
         v3 = round32(v3, read_u32(p + 8));
         v4 = round32(v4, read_u32(p + 12));
      }
      h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
   } else {
      h = seed + kPrime5;
   }
   h += static_cast<std::uint32_t>(length);
   for (; p + 4 <= end; p += 4)
      h = rotl(h + read_u32(p) * kPrime3, 17) * kPrime4;
   for (; p < end; ++p)
      h = rotl(h + (*p) * kPrime5, 11) * kPrime1;
   return avalanche(h);
}

std::string base64_encode(const std::vector<float> &values)
{
   std::string bytes(values.size() * 4, '\0');
   for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, &values[i], 4);
      for (int b = 0; b < 4; ++b)
         bytes[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
   }
   std::string out;
   out.reserve((bytes.size() + 2) / 3 * 4);
   for (std::size_t i = 0; i < bytes.size(); i += 3) {
      const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
      std::uint32_t chunk = 0;
      for (std::size_t k = 0; k < 3; ++k)
         chunk = chunk << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
      for (std::size_t k = 0; k < 4; ++k)
         out += k <= n ? kBase64[(chunk >> (18 - 6 * k)) & 0x3F] : '=';
   }
   return out;
}

std::vector<float> base64_decode(const std::string &text, std::int64_t expected_count, const char *what)
{
   // (every float takes more than one character: a count above text.size() is damage, and checking it
   // first keeps the size arithmetic below from overflowing)
   HASHEDNET_CHECK(expected_count >= 0 && expected_count <= static_cast<std::int64_t>(text.size()) &&
                      text.size() == static_cast<std::size_t>((expected_count * 4 + 2) / 3 * 4),
                   "network text: '" << what << "' should hold " << expected_count << " floats but its data has "
                                     << text.size() << " characters (truncated or damaged)");
   std::string bytes;
   for (std::size_t i = 0; i < text.size(); i += 4) {
      std::uint32_t chunk = 0;
      int n_pad = 0;
      for (std::size_t k = 0; k < 4; ++k) {
         const int v = text[i + k] == '=' ? (++n_pad, 0) : base64_value(text[i + k]);
         HASHEDNET_CHECK(v >= 0, "network text: '" << what << "' has a character that is not base64");
         chunk = chunk << 6 | static_cast<std::uint32_t>(v);
      }
      for (int k = 0; k < 3 - n_pad; ++k)
         bytes += static_cast<char>((chunk >> (16 - 8 * k)) & 0xFF);
   }
   std::vector<float> values(static_cast<std::size_t>(expected_count));
   for (std::size_t i = 0; i < values.size(); ++i) {
      const std::uint32_t bits = read_u32(reinterpret_cast<const unsigned char *>(bytes.data()) + 4 * i);
      std::memcpy(&values[i], &bits, 4);
   }
   return values;
}

std::string serialize(const Network &network)
{
   const NetworkSpec &spec = network.spec();
   const int format = format_of(network);
   std::ostringstream out;
   out << kMagic << format << "\n"
       << "hash " << kHashName << "\n"
       << "task " << task_name(spec.task) << "\n"
       << "inputs " << spec.n_inputs << "\n";
   if (format >= kImageFormat)
      out << "input_layout " << spec.input_shape.depth << " " << spec.input_shape.height << " "
          << spec.input_shape.width << "\n";
   out << "outputs " << spec.n_outputs << "\n"
       << "hash_seed " << spec.hash_seed << "\n"
       << "hash_mode " << hash_mode_text(spec) << "\n"
       << "hashed_bias " << int(spec.hashed_bias) << "\n"
       << "hash_output_layer " << int(spec.hash_output_layer) << "\n"
       << "compression " << std::setprecision(17) << spec.compression << "\n"
       << "layers " << network.n_layers() << "\n";
   for (int l = 0; l < network.n_layers(); ++l)
      out << "layer " << layer_line(network, l, format) << "\n";
   write_floats(out, "input_offset", network.input_offset());
   write_floats(out, "input_scale", network.input_scale());
   write_floats(out, "params", network.host_params());
   const std::string body = out.str();
   return body + "checksum " + checksum_hex(body) + "\nend\n";
}

Network deserialize(const std::string &text, Backend &backend)
{
   const int format = text_format(text);
   LineReader reader(verified_body(text));
   reader.expect("HASHEDNET");
   NetworkSpec spec = read_spec(reader, format);
   const std::vector<std::string> stored = read_layers(reader, spec, format);
   const std::vector<float> offset = read_floats(reader, "input_offset");
   const std::vector<float> scale = read_floats(reader, "input_scale");
   const std::vector<float> params = read_floats(reader, "params");
   check_sizes_before_building(spec, offset.size(), scale.size(), params.size());
   Network network(spec, backend);
   for (int l = 0; l < network.n_layers(); ++l)
      HASHEDNET_CHECK(layer_line(network, l, format) == stored[l],
                      "network text: layer " << l << " does not rebuild to its stored line '" << stored[l]
                                             << "' (rebuilt: '" << layer_line(network, l, format) << "')");
   network.set_input_transform(offset.data(), scale.data(), spec.n_inputs);
   network.set_params(params.data(), static_cast<std::int64_t>(params.size()));
   return network;
}

namespace {
/// "'<path>': <the OS's reason>" for a failed write of `path` (errno as the failing call left it).
std::string os_reason(const std::string &path, int error)
{
   return "'" + path + "': " + std::strerror(error);
}
} // namespace

void write_file_atomically(const std::string &path, const std::string &content)
{
   HASHEDNET_CHECK(!path.empty(), "cannot write a file with an empty path: give a file name, e.g. 'network.txt'");
   HASHEDNET_CHECK(path.back() != '/', "cannot write to '" << path << "': it names a folder; give a file name");
   const std::string temporary = path + ".tmp." + std::to_string(::getpid());
   {
      errno = 0;
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      HASHEDNET_CHECK(out.good(), "cannot write " << os_reason(path, errno ? errno : EIO)
                                                  << " (creating a file in its folder failed)");
      out << content;
      out.flush();
      const int error = errno;
      out.close();
      if (!out.good()) {
         std::remove(temporary.c_str());
         HASHEDNET_CHECK(false, "writing " << os_reason(path, error ? error : EIO) << " failed (disk full?)");
      }
   }
   if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      const int error = errno;
      std::remove(temporary.c_str());
      HASHEDNET_CHECK(false, "cannot write " << os_reason(path, error));
   }
}

void save_network(const Network &network, const std::string &path)
{
   write_file_atomically(path, serialize(network));
}

std::string read_network_file(const std::string &path)
{
   std::ifstream in(path, std::ios::binary);
   HASHEDNET_CHECK(in.good(), "cannot open network file '" << path << "'");
   std::ostringstream content;
   content << in.rdbuf();
   return content.str();
}

Network load_network(const std::string &path, Backend &backend)
{
   return deserialize(read_network_file(path), backend);
}

} // namespace hashednet
