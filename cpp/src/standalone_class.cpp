// standalone_class.cpp: see standalone_class.h.
#include "hashednet/standalone_class.h"

#include "hashednet/common.h"
#include "hashednet/event_forward.h"
#include "hashednet/event_predict.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/funhash_scheme.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace hashednet {

namespace {

/// One header the generated code carries: its path and text when the core was built.
struct EmbeddedHeader {
   const char *path;
   const char *text;
};

/// CMakeLists.txt's HASHEDNET_EMBEDDED_HEADERS, each after the headers it includes.
const EmbeddedHeader kEmbeddedHeaders[] = {
#include "hashednet_embedded_headers.inc"
};

bool is_identifier(const std::string &name)
{
   if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
      return false;
   for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
         return false;
   return true;
}

/// A float literal that reads back to the same float ("%.9g" round-trips binary32).
std::string float_literal(float value)
{
   char buffer[32];
   std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value));
   std::string text(buffer);
   if (text.find_first_of(".eEn") == std::string::npos)
      text += ".";
   return text + "f";
}

void write_array(std::ostream &out, const std::string &name, const float *values, std::int64_t n)
{
   out << "static const float " << name << "[" << (n > 0 ? n : 1) << "] = {";
   for (std::int64_t k = 0; k < n; ++k)
      out << (k % 8 == 0 ? "\n   " : " ") << float_literal(values[k]) << (k + 1 < n ? "," : "");
   if (n == 0)
      out << "0.f";
   out << "\n};\n";
}

/// A C++ string literal for an arbitrary variable name.
std::string string_literal(const std::string &text)
{
   std::string out = "\"";
   for (char c : text) {
      if (c == '"' || c == '\\')
         out += '\\';
      out += c;
   }
   return out + "\"";
}

/// The path inside #include "hashednet/<path>", or "" for any other line.
std::string core_include(const std::string &line)
{
   const std::string prefix = "#include \"hashednet/";
   if (line.compare(0, prefix.size(), prefix) != 0)
      return "";
   const std::size_t close = line.find('"', prefix.size());
   return close == std::string::npos ? "" : "hashednet/" + line.substr(prefix.size(), close - prefix.size());
}

/// The embedded headers as one block of code: their text verbatim (include
/// guards kept), without the lines that include one another, checking that
/// each comes after the ones it includes.
std::string embedded_code()
{
   std::ostringstream out;
   std::vector<std::string> seen;
   for (const EmbeddedHeader &header : kEmbeddedHeaders) {
      out << "// ---- " << header.path << " ----\n";
      std::istringstream text(header.text);
      for (std::string line; std::getline(text, line);) {
         const std::string included = core_include(line);
         if (included.empty())
            out << line << "\n";
         else
            HASHEDNET_ASSERT(std::find(seen.begin(), seen.end(), included) != seen.end());
      }
      seen.push_back(header.path);
   }
   return out.str();
}

/// Before the embedded code (after every standard header it includes, so
/// that none is first read under the pragmas): the floating-point semantics
/// event_forward.h needs, whatever the compiler's flags. GCC: no contraction
/// into fused multiply-adds and no fast-math (so even -Ofast gives the bits),
/// and -fno-trapping-math as the core has it (it changes no value and lets the
/// activations' selects vectorise); Clang: precise semantics and no
/// contraction, which Clang cannot enforce under -ffp-contract=fast or
/// -ffast-math (it then ignores the pragma).
const char *const kFloatingPointPrologue = R"CODE(// Bit identity with the method needs IEEE float arithmetic in the written order
// with a * b + c rounded twice (no fused multiply-add), whatever the compiler flags.
#if defined(__clang__)
#pragma float_control(precise, on, push)
#pragma clang fp contract(off)
#if defined(__FAST_MATH__)
#pragma message("tmva-hashednet standalone class: with clang and -ffast-math (or -ffp-contract=fast) the responses equal the method's to float rounding only")
#endif
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("no-fast-math", "fp-contract=off", "no-trapping-math")
#endif
)CODE";

/// After the generated code: the flags' own floating-point semantics again.
const char *const kFloatingPointEpilogue = R"CODE(#if defined(__clang__)
#pragma float_control(pop)
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
)CODE";

/// The standard headers the embedded code includes, once each.
std::string standard_includes()
{
   std::vector<std::string> lines;
   for (const EmbeddedHeader &header : kEmbeddedHeaders) {
      std::istringstream text(header.text);
      for (std::string line; std::getline(text, line);)
         if (line.compare(0, 10, "#include <") == 0 && std::find(lines.begin(), lines.end(), line) == lines.end())
            lines.push_back(line);
   }
   std::string out;
   for (const std::string &line : lines)
      out += line + "\n";
   return out;
}

const char *hash_mode_name(HashMode mode)
{
   switch (mode) {
   case HashMode::Element: return "ELEMENT";
   case HashMode::Block: return "BLOCK";
   case HashMode::FunHash: return "FUNHASH";
   case HashMode::Fresh: return "FRESH";
   }
   return "?";
}

/// A FUNHASH layer's FunHashLayout as code filling layer.funhash (inside layer<l>()).
void write_funhash(std::ostream &out, const FunHashLayout &F)
{
   out << "   hashednet::FunHashLayout &F = layer.funhash;\n"
       << "   F.n_in = " << F.n_in << ";\n   F.n_out = " << F.n_out << ";\n   F.n_buckets = " << F.n_buckets << ";\n"
       << "   F.n_hashes = " << F.n_hashes << ";\n   F.weight_seed = " << F.weight_seed << "u;\n"
       << "   F.reconstruction = static_cast<hashednet::Reconstruction>(" << static_cast<int>(F.reconstruction)
       << "); // " << reconstruction_name(F.reconstruction) << "\n   F.hidden = " << F.hidden << ";\n"
       << "   F.hidden_activation = static_cast<hashednet::Activation>(" << static_cast<int>(F.hidden_activation)
       << "); // " << activation_name(F.hidden_activation) << "\n";
}

/// A CNN layer's fields of event::Layer (event_conv.h) as code.
void write_image_fields(std::ostream &out, const event::Layer &layer)
{
   const ImageWindow &W = layer.window;
   out << "   layer.image = static_cast<hashednet::event::ImageKind>(" << static_cast<int>(layer.image) << ");\n"
       << "   layer.n_values = " << layer.n_values << ";\n"
       << "   hashednet::ImageWindow &W = layer.window;\n"
       << "   W.depth = " << W.depth << ";\n   W.height = " << W.height << ";\n   W.width = " << W.width << ";\n"
       << "   W.fh = " << W.fh << ";\n   W.fw = " << W.fw << ";\n   W.stride_rows = " << W.stride_rows
       << ";\n   W.stride_cols = " << W.stride_cols << ";\n   W.pad_rows = " << W.pad_rows
       << ";\n   W.pad_cols = " << W.pad_cols << ";\n";
}

/// A FRESH layer's filters<l>(): its V (n_out x n_in) made once, at first
/// use, from kWeights<l> (the K buckets) by FreshLayout::generate_tile, the
/// values the core's predict_one generates row by row.
void write_fresh_filters(std::ostream &out, const FreshLayout &F, int l)
{
   out << "inline const float *filters" << l << "()\n{\n   static float v[" << F.n_out * F.n_in << "];\n"
       << "   static const bool made = [] {\n      hashednet::FreshLayout F;\n"
       << "      F.n_in = " << F.n_in << ";\n      F.n_out = " << F.n_out << ";\n"
       << "      F.fh = " << F.fh << ";\n      F.fw = " << F.fw << ";\n"
       << "      F.n_buckets = " << F.n_buckets << ";\n      F.weight_seed = " << F.weight_seed << "u;\n"
       << "      F.n_bands = " << F.n_bands << ";\n      const std::int64_t band_begin[] = {";
   for (int b = 0; b <= F.n_bands; ++b)
      out << (b ? ", " : "") << F.band_begin[b];
   out << "};\n      for (int b = 0; b <= F.n_bands; ++b)\n         F.band_begin[b] = band_begin[b];\n"
       << "      F.fill_basis();\n      F.generate_tile(kWeights" << l << ", 0, F.n_out, 0, F.n_in, v);\n"
       << "      return true;\n   }();\n   (void)made;\n   return v;\n}\n";
}

/// Layer l as code that fills an event::Layer field by field (a renamed field
/// fails to compile rather than shift silently).
void write_layer(std::ostream &out, const Network &network, int l)
{
   const event::Layer shape = event_layer(network, l, nullptr);
   if (shape.image == event::ImageKind::BatchNorm) {
      out << "inline hashednet::event::Layer layer" << l << "()\n{\n   hashednet::event::Layer layer;\n"
          << "   layer.image = static_cast<hashednet::event::ImageKind>(" << static_cast<int>(shape.image)
          << "); // BNORM\n   layer.n_values = " << shape.n_values << ";\n   layer.features = " << shape.features
          << ";\n   layer.epsilon = " << float_literal(shape.epsilon) << ";\n   layer.w = kBatchNorm" << l
          << ";\n   return layer;\n}\n";
      return;
   }
   if (shape.image == event::ImageKind::MaxPool || shape.image == event::ImageKind::Reshape) {
      out << "inline hashednet::event::Layer layer" << l << "()\n{\n   hashednet::event::Layer layer;\n";
      write_image_fields(out, shape);
      out << "   return layer;\n}\n";
      return;
   }
   const HashedLayout &L = network.layout(l);
   out << "inline hashednet::event::Layer layer" << l << "()\n{\n   hashednet::event::Layer layer;\n"
       << "   hashednet::HashedLayout &L = layer.layout;\n"
       << "   L.n_in = " << L.n_in << ";\n   L.n_out = " << L.n_out << ";\n"
       << "   L.hashed = " << (L.hashed ? "true" : "false") << ";\n   L.n_buckets = " << L.n_buckets << ";\n"
       << "   L.hashed_bias = " << (L.hashed_bias ? "true" : "false") << ";\n"
       << "   L.n_bias_buckets = " << L.n_bias_buckets << ";\n"
       << "   L.weight_seed = " << L.weight_seed << "u;\n   L.bias_seed = " << L.bias_seed << "u;\n"
       << "   L.hash_mode = static_cast<hashednet::HashMode>(" << static_cast<int>(L.hash_mode) << "); // "
       << hash_mode_name(L.hash_mode) << "\n   L.block = " << L.block << ";\n";
   if (L.hashed && L.hash_mode == HashMode::FunHash)
      write_funhash(out, funhash_layout(network.weight_layer(l)));
   if (shape.image == event::ImageKind::Conv)
      write_image_fields(out, shape);
   const bool fresh = L.hashed && L.hash_mode == HashMode::Fresh;
   if (fresh) // the filters made at load: a dense V (the bias keeps its own hashing)
      out << "   L.hashed = false;\n   L.n_buckets = " << L.n_out * L.n_in << ";\n";
   out << "   layer.activation = static_cast<hashednet::Activation>(" << static_cast<int>(network.activation(l))
       << "); // " << activation_name(network.activation(l)) << "\n"
       << "   layer.w = " << (fresh ? "filters" : "kWeights") << l << (fresh ? "()" : "") << ";\n   layer.b = kBias"
       << l << ";\n   return layer;\n}\n";
}

/// The network's tables and the event::Net over them.
void write_network(std::ostream &out, const Network &network)
{
   write_array(out, "kInputOffset", network.input_offset().data(), network.n_inputs());
   write_array(out, "kInputScale", network.input_scale().data(), network.n_inputs());
   const std::vector<float> host = network.host_params(); // an explicit copy, whatever the backend
   const float *params = host.data();
   for (int l = 0; l < network.n_layers(); ++l) {
      const LayerKind kind = network.layer(l).kind();
      if (kind == LayerKind::BatchNorm) {
         const Layer &bn = network.layer(l);
         out << "\n// layer " << l << ": BNORM, " << bn.n_out() << " values; gamma, beta, running means, running "
             << "variances (" << bn.n_params() / 4 << " features each)\n";
         write_array(out, "kBatchNorm" + std::to_string(l), params + bn.offset(), bn.n_params());
         write_layer(out, network, l);
         continue;
      }
      if (kind == LayerKind::MaxPool2D || kind == LayerKind::Reshape) {
         out << "\n// layer " << l << ": " << (kind == LayerKind::MaxPool2D ? "MAXPOOL" : "RESHAPE") << ", "
             << network.layer(l).n_in() << " -> " << network.layer(l).n_out() << " values, no weights\n";
         write_layer(out, network, l);
         continue;
      }
      const HashedLayout &layer = network.layout(l);
      out << "\n// layer " << l << ": " << (kind == LayerKind::Conv2D ? "CONV, filters " : "")
          << activation_name(network.activation(l)) << ", " << layer.n_out << " x " << layer.n_in;
      if (layer.hashed && layer.hash_mode == HashMode::FunHash) {
         const FunHashLayout &F = funhash_layout(network.weight_layer(l));
         out << ", FUNHASH: " << F.n_buckets << " buckets, then g's " << F.n_alpha() << " parameters (alpha)\n";
      } else if (layer.hashed && layer.hash_mode == HashMode::Fresh) {
         const FreshLayout &F = fresh_scheme(network.weight_layer(l)).layer();
         out << ", FRESH: " << F.n_buckets << " buckets of DCT coefficients, " << F.fh << "x" << F.fw
             << " slices; the filters are made once, at first use\n";
      } else {
         out << (layer.hashed ? ", hashed into " : ", dense, ") << layer.n_buckets
             << (layer.hashed ? " buckets" : " weights") << "\n";
      }
      write_array(out, "kWeights" + std::to_string(l), params + layer.offset, layer.n_buckets);
      write_array(out, "kBias" + std::to_string(l), params + layer.bias_offset(), layer.n_bias_buckets);
      if (layer.hashed && layer.hash_mode == HashMode::Fresh)
         write_fresh_filters(out, fresh_scheme(network.weight_layer(l)).layer(), l);
      write_layer(out, network, l);
   }
   out << "\ninline const hashednet::event::Net &network()\n{\n"
       << "   static const hashednet::event::Layer layers[kLayers] = {";
   for (int l = 0; l < network.n_layers(); ++l)
      out << (l ? ", " : "") << "layer" << l << "()";
   out << "};\n   static const hashednet::event::Net net = [] {\n      hashednet::event::Net n;\n"
       << "      n.task = static_cast<hashednet::Task>(" << static_cast<int>(network.spec().task) << "); // "
       << task_name(network.spec().task) << "\n"
       << "      n.n_inputs = kInputs;\n      n.n_outputs = kOutputs;\n      n.layers = layers;\n"
       << "      n.n_layers = kLayers;\n      n.input_offset = kInputOffset;\n      n.input_scale = kInputScale;\n"
       << "      return n;\n   }();\n   return net;\n}\n";
}

/// evaluate(): one event through event::forward, as Model::predict_one.
const char *const kEvaluateCode = R"CODE(
/// Responses of one event: x (kInputs raw values) -> out (kOutputs values).
inline void evaluate(const double *x, double *out)
{
   float input[kInputs], response[kOutputs], scratch[kScratch];
   for (int j = 0; j < kInputs; ++j)
      input[j] = static_cast<float>(x[j]);
   hashednet::event::forward(network(), input, 1, scratch, response);
   for (int k = 0; k < kOutputs; ++k)
      out[k] = response[k];
}
)CODE";

/// Floats of scratch event::forward needs for one event of `network`.
std::int64_t event_scratch_floats(const Network &network)
{
   std::vector<event::Layer> layers(network.n_layers());
   for (int l = 0; l < network.n_layers(); ++l)
      layers[l] = event_layer(network, l, nullptr);
   event::Net net;
   net.n_inputs = network.n_inputs();
   net.layers = layers.data();
   net.n_layers = network.n_layers();
   return event::scratch_floats(net, 1);
}

} // namespace

std::string standalone_hash_source()
{
   for (const EmbeddedHeader &header : kEmbeddedHeaders)
      if (std::string(header.path) == "hashednet/hash.h")
         return header.text;
   HASHEDNET_ASSERT(false);
   return "";
}

std::vector<std::string> standalone_embedded_headers()
{
   std::vector<std::string> paths;
   for (const EmbeddedHeader &header : kEmbeddedHeaders)
      paths.push_back(header.path);
   return paths;
}

std::string standalone_network_code(const Network &network, const std::string &ns)
{
   HASHEDNET_CHECK(is_identifier(ns), "standalone class: namespace name '" << ns << "' is not a C++ identifier");
   std::ostringstream out;
   out << standard_includes() << "\n";
   out << "// ==== the core's headers (hash definition " << kHashName << "), copied verbatim ====\n";
   out << kFloatingPointPrologue << embedded_code();
   out << "// ==== end of the core's headers ====\n\n";

   const NetworkSpec &spec = network.spec();
   out << "namespace " << ns << " {\n\n";
   out << "// " << task_name(spec.task) << " network: " << network.n_inputs() << " inputs, " << network.n_outputs()
       << " outputs, " << network.n_params() << " real parameters for " << network.n_virtual_params()
       << " virtual weights; hash seed " << spec.hash_seed << "\n";
   out << "constexpr int kInputs = " << network.n_inputs() << ";\n";
   out << "constexpr int kOutputs = " << network.n_outputs() << ";\n";
   out << "constexpr int kLayers = " << network.n_layers() << ";\n";
   out << "constexpr int kScratch = " << event_scratch_floats(network) << "; // hashednet::event::scratch_floats\n\n";
   write_network(out, network);
   out << kEvaluateCode;
   out << "\n} // namespace " << ns << "\n" << kFloatingPointEpilogue;
   return out.str();
}

std::string standalone_class_source(const Network &network, const std::string &class_name,
                                    const std::vector<std::string> &input_names)
{
   HASHEDNET_CHECK(is_identifier(class_name), "standalone class: class name '" << class_name
                                                                                << "' is not a C++ identifier");
   HASHEDNET_CHECK(static_cast<std::int64_t>(input_names.size()) == network.n_inputs(),
                   "standalone class: " << input_names.size() << " input names given, the network has "
                                        << network.n_inputs() << " inputs");
   const std::string ns = class_name + "_hashednet";
   std::ostringstream out;
   out << "// " << class_name << ": standalone response of a HashedDNN network (tmva-hashednet).\n"
       << "// Generated by hashednet::standalone_class_source; plain C++17, no ROOT needed.\n"
       << "// Usage:\n"
       << "//   " << class_name << " mva({\"var1\", ...});   // names checked against the training variables\n"
       << "//   double r = mva.GetMvaValue(values);             // first response\n"
       << "//   std::vector<double> all = mva.GetResponse(values);\n"
       << "// Inputs are the values the network was trained on (after any TMVA VarTransform).\n"
       << "#ifndef " << class_name << "_hashednet_class_h\n#define " << class_name << "_hashednet_class_h\n\n"
       << "#include <iostream>\n#include <stdexcept>\n#include <string>\n#include <vector>\n";
   out << standalone_network_code(network, ns);
   out << "\nclass " << class_name << " {\npublic:\n";
   out << "   explicit " << class_name << "(const std::vector<std::string> &inputVars)\n   {\n";
   out << "      static const char *const kNames[] = {";
   for (std::size_t j = 0; j < input_names.size(); ++j)
      out << (j ? ", " : "") << string_literal(input_names[j]);
   out << "};\n";
   out << "      if (inputVars.size() != static_cast<std::size_t>(" << ns << "::kInputs)) {\n"
       << "         std::cout << \"Problem in class \\\"" << class_name
       << "\\\": mismatch in number of input values: \" << inputVars.size() << \" != \" << " << ns
       << "::kInputs << std::endl;\n"
       << "         fStatusIsClean = false;\n         return;\n      }\n"
       << "      for (std::size_t j = 0; j < inputVars.size(); ++j)\n"
       << "         if (inputVars[j] != kNames[j]) {\n"
       << "            std::cout << \"Problem in class \\\"" << class_name
       << "\\\": mismatch in input variable names for variable [\" << j << \"]: \" << inputVars[j] << \" != \" << "
          "kNames[j] << std::endl;\n"
       << "            fStatusIsClean = false;\n         }\n   }\n\n";
   out << "   bool IsStatusClean() const { return fStatusIsClean; }\n";
   out << "   static constexpr int NumInputs() { return " << ns << "::kInputs; }\n";
   out << "   static constexpr int NumOutputs() { return " << ns << "::kOutputs; }\n\n";
   out << "   /// All responses: P(first class); class probabilities; regression targets.\n";
   out << "   std::vector<double> GetResponse(const std::vector<double> &inputValues) const\n   {\n"
       << "      if (!fStatusIsClean)\n"
       << "         throw std::runtime_error(\"" << class_name
       << ": cannot return a response because the status is dirty (wrong input variables)\");\n"
       << "      if (inputValues.size() != static_cast<std::size_t>(" << ns << "::kInputs))\n"
       << "         throw std::invalid_argument(\"" << class_name << ": expected \" + std::to_string(" << ns
       << "::kInputs) + \" input values, got \" + std::to_string(inputValues.size()));\n"
       << "      std::vector<double> out(" << ns << "::kOutputs);\n"
       << "      " << ns << "::evaluate(inputValues.data(), out.data());\n"
       << "      return out;\n   }\n\n";
   out << "   double GetMvaValue(const std::vector<double> &inputValues) const { return GetResponse(inputValues)[0]; }\n\n";
   out << "private:\n   bool fStatusIsClean = true;\n};\n\n#endif\n";
   return out.str();
}

} // namespace hashednet
