// network.cpp: the layers' layout, initialisation, forward/backward and inference.
#include "hashednet/network.h"

#include "hashednet/activation.h"
#include "hashednet/batch_norm.h"
#include "hashednet/conv2d.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/hash.h"
#include "hashednet/options.h"
#include "hashednet/rng.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hashednet {

namespace {
constexpr std::int64_t kMaxBuckets = std::int64_t(1) << 31;
constexpr std::int64_t kPredictChunk = 4096; ///< events per inference batch

const char *const kActivationNames[] = {"TANH", "RELU", "SYMMRELU", "SIGMOID", "SOFTSIGN", "GAUSS", "LINEAR"};
const char *const kTaskNames[] = {"Classification", "Multiclass", "Regression"};

std::int64_t buckets_for(double compression, std::int64_t n_virtual)
{
   return std::max<std::int64_t>(1, std::llround(compression * static_cast<double>(n_virtual)));
}
} // namespace

std::string activation_name(Activation f)
{
   return kActivationNames[static_cast<int>(f)];
}

std::string task_name(Task task)
{
   return kTaskNames[static_cast<int>(task)];
}

Activation activation_from_string(const std::string &name)
{
   for (int i = 0; i < 7; ++i)
      if (name == kActivationNames[i])
         return static_cast<Activation>(i);
   HASHEDNET_CHECK(false, "unknown activation '" << name
                                                 << "'; allowed: TANH, RELU, SYMMRELU, SIGMOID, SOFTSIGN, GAUSS, LINEAR");
   return Activation::Linear;
}

Task task_from_string(const std::string &name)
{
   for (int i = 0; i < 3; ++i)
      if (name == kTaskNames[i])
         return static_cast<Task>(i);
   HASHEDNET_CHECK(false, "unknown task '" << name << "'; allowed: Classification, Multiclass, Regression");
   return Task::Classification;
}

Network::Network(NetworkSpec spec, Backend &backend) : backend_(&backend), spec_(std::move(spec))
{
   HASHEDNET_CHECK(spec_.n_inputs > 0, "number of input variables must be positive, got " << spec_.n_inputs);
   HASHEDNET_CHECK(spec_.n_outputs > 0, "number of outputs must be positive, got " << spec_.n_outputs);
   HASHEDNET_CHECK(spec_.task != Task::Multiclass || spec_.n_outputs >= 2,
                   "multiclass needs at least 2 classes, got " << spec_.n_outputs);
   HASHEDNET_CHECK(spec_.task != Task::Classification || spec_.n_outputs == 1,
                   "two-class classification has exactly 1 output, got " << spec_.n_outputs);
   HASHEDNET_CHECK(!spec_.layers.empty(), "the layout has no layers; give at least the output layer, e.g. 'LINEAR'");
   HASHEDNET_CHECK(spec_.compression > 0.0 && spec_.compression <= 1.0,
                   "compression must be in (0, 1] (e.g. 1/8 or 0.125), got " << spec_.compression);
   HASHEDNET_CHECK(spec_.hash_mode != HashMode::Block || (spec_.hash_block >= 1 && spec_.hash_block <= kMaxHashBlock),
                   "HashBlock (virtual weights per hash in BLOCK mode) must be in [1, " << kMaxHashBlock << "], got "
                       << spec_.hash_block);
   if (spec_.hash_mode == HashMode::FunHash)
      check_funhash_layout(funhash_of(FunHashLayout{1, 1, 1}, spec_.funhash));
   build_layers();
   input_offset_.assign(spec_.n_inputs, 0.0f);
   input_scale_.assign(spec_.n_inputs, 1.0f);
   offset_ = backend_->allocate(spec_.n_inputs);
   scale_ = backend_->allocate(spec_.n_inputs);
   backend_->copy_from_host(input_scale_.data(), spec_.n_inputs, scale_);
}

HashedLayout Network::make_layout(int l, std::int64_t n_in, std::int64_t offset) const
{
   const LayerSpec &layer = spec_.layers[l];
   const bool is_output = l + 1 == static_cast<int>(spec_.layers.size());
   HashedLayout out;
   out.n_in = n_in;
   out.n_out = layer.width;
   HASHEDNET_CHECK(out.n_out <= std::numeric_limits<std::int64_t>::max() / out.n_in,
                   "layer " << l << ": " << out.n_in << " x " << out.n_out
                            << " virtual weights exceed the limit of 2^63; use narrower layers");
   const std::int64_t n_virtual = out.n_in * out.n_out;
   double compression = layer.compression;
   if (compression < 0.0)
      compression = (is_output && !spec_.hash_output_layer) ? 1.0 : spec_.compression;
   HASHEDNET_CHECK(compression > 0.0 && compression <= 1.0,
                   "layer " << l << ": compression must be in (0, 1], got " << compression);
   HASHEDNET_CHECK(layer.buckets >= 0 && layer.buckets <= n_virtual,
                   "layer " << l << ": bucket count must be in [1, " << n_virtual << "] (its virtual weights), got "
                            << layer.buckets);
   out.hashed = layer.buckets > 0 || compression < 1.0;
   out.n_buckets = layer.buckets > 0 ? layer.buckets : (out.hashed ? buckets_for(compression, n_virtual) : n_virtual);
   if (out.hashed && spec_.hash_mode == HashMode::FunHash)
      out.n_buckets = funhash_weight_params(l, layer.buckets, out.n_buckets);
   HASHEDNET_CHECK(out.n_buckets < kMaxBuckets, "layer " << l << ": " << out.n_buckets
                                                         << " buckets exceed the limit of 2^31");
   out.hashed_bias = out.hashed && spec_.hashed_bias;
   const double bias_compression = static_cast<double>(out.n_buckets) / static_cast<double>(n_virtual);
   out.n_bias_buckets = out.hashed_bias ? buckets_for(bias_compression, out.n_out) : out.n_out;
   out.weight_seed = weight_seed(spec_.hash_seed, static_cast<std::uint32_t>(l));
   out.bias_seed = bias_seed(spec_.hash_seed, static_cast<std::uint32_t>(l));
   out.offset = offset;
   out.hash_mode = spec_.hash_mode;
   out.block = spec_.hash_mode == HashMode::Block ? spec_.hash_block : 1;
   return out;
}

/// A FUNHASH layer's buckets and g together: with a compression, the count
/// a HashedNets layer would have (g's parameters are taken from the
/// buckets, so both have the same real parameters); with K=... given, K
/// buckets plus g.
std::int64_t Network::funhash_weight_params(int l, std::int64_t buckets_given, std::int64_t n_real) const
{
   const std::int64_t n_alpha = funhash_of(FunHashLayout{}, spec_.funhash).n_alpha();
   if (buckets_given > 0)
      return buckets_given + n_alpha;
   HASHEDNET_CHECK(n_real - n_alpha >= 1, "layer " << l << ": a FUNHASH layer at this compression has " << n_real
                                                   << " real parameters, but its reconstruction "
                                                   << format_reconstruction(spec_.funhash) << " alone takes "
                                                   << n_alpha << "; use a larger compression or a smaller g");
   return n_real;
}

/// The layer's weight scheme: its layout's, or FUNHASH's or FRESH's for a
/// hashed layer in that mode. FRESH slices a CONV layer's filter matrix by its
/// kernel (slice_fh x slice_fw), a fully connected layer's by FreshSlice.
std::unique_ptr<WeightScheme> Network::make_scheme(const HashedLayout &layout, int slice_fh, int slice_fw) const
{
   if (layout.hashed && layout.hash_mode == HashMode::Fresh) {
      const int fh = slice_fh > 0 ? slice_fh : spec_.fresh.fh, fw = slice_fw > 0 ? slice_fw : spec_.fresh.fw;
      HASHEDNET_CHECK(fh > 0 && fw > 0,
                      "HashMode=FRESH: a hashed fully connected layer (" << layout.n_out << " x " << layout.n_in
                          << ") in a network without CONV layers needs FreshSlice=<height>x<width> (its inputs "
                             "taken as slices of that shape)");
      return make_fresh_scheme(layout.n_in, layout.n_out, fh, fw, layout.n_buckets, layout.weight_seed,
                               spec_.fresh.band_exponent);
   }
   if (!layout.hashed || spec_.hash_mode != HashMode::FunHash)
      return std::make_unique<HashedLayoutScheme>(layout);
   FunHashLayout layer;
   layer.n_in = layout.n_in;
   layer.n_out = layout.n_out;
   layer.weight_seed = layout.weight_seed;
   layer = funhash_of(layer, spec_.funhash);
   layer.n_buckets = layout.n_buckets - layer.n_alpha();
   return std::make_unique<FunHashScheme>(layer);
}

namespace {
bool has_conv_layer(const NetworkSpec &spec)
{
   for (const LayerSpec &layer : spec.layers)
      if (layer.type == LayerType::Conv)
         return true;
   return false;
}
} // namespace

void Network::build_layers()
{
   std::int64_t n_in = spec_.n_inputs;
   std::int64_t offset = 0;
   const ImageShape &given = spec_.input_shape;
   HASHEDNET_CHECK(!given.given() || (given.depth >= 1 && given.height >= 1 && given.width >= 1 &&
                                      given.size() == spec_.n_inputs),
                   "InputLayout " << given.depth << "|" << given.height << "|" << given.width << " (depth|height|width) "
                                  << "has " << given.size() << " values, but the events have " << spec_.n_inputs
                                  << " input variables; their product must equal the number of input variables");
   ImageShape shape = input_shape(spec_);
   bool flat = true; // the values may go into a dense layer: not after CONV or MAXPOOL without RESHAPE
   const int n = static_cast<int>(spec_.layers.size());
   for (int l = 0; l < n; ++l) {
      LayerSpec &layer = spec_.layers[l];
      if (layer.type != LayerType::Dense) {
         HASHEDNET_CHECK(l + 1 < n, "the last Layout entry is the output layer and must be dense (e.g. "
                                    "DENSE|1|LINEAR or LINEAR), not " << layer_type_name(layer.type));
         layers_.push_back(make_image_layer(l, shape, flat, offset));
         offset += layers_.back()->n_params();
         n_in = layers_.back()->n_out();
         continue;
      }
      HASHEDNET_CHECK(flat, "layer " << l << " is dense but its input is the image of a CONV or MAXPOOL layer; "
                                     "flatten it first with a RESHAPE|FLAT entry before the DENSE entry");
      if (l + 1 == n && layer.width == 0)
         layer.width = spec_.n_outputs;
      HASHEDNET_CHECK(layer.width > 0, "layer " << l << " has width " << layer.width
                                                << "; every hidden layer needs a positive width (e.g. TANH|64)");
      HASHEDNET_CHECK(l + 1 < n || layer.width == spec_.n_outputs,
                      "the output layer has width " << layer.width << " but the task has " << spec_.n_outputs
                                                    << " outputs; leave its width out (e.g. 'LINEAR')");
      HashedLayout layout = make_layout(l, n_in, offset);
      if (layout.hash_mode == HashMode::Fresh && spec_.fresh.fh == 0 && has_conv_layer(spec_))
         layout.hash_mode = HashMode::Element; // FreshNets' dense layers are HashedNets' (docs/freshnets.md)
      layers_.push_back(std::make_unique<FullyConnected>(layout, make_scheme(layout), layer.activation));
      offset += layers_.back()->n_params();
      n_in = layer.width;
      shape = ImageShape{}; // a vector: CONV or MAXPOOL need RESHAPE|depth|height|width first
   }
   params_ = backend_->allocate(offset);
}

const FullyConnected &Network::fully_connected(int l) const
{
   const Layer &layer = this->layer(l);
   HASHEDNET_CHECK(layer.kind() == LayerKind::FullyConnected,
                   "layer " << l << " is not a fully connected layer"
                            << (layer.kind() == LayerKind::Conv2D ? " (a CONV layer)" : " (it has no weights)"));
   return static_cast<const FullyConnected &>(layer);
}

const HashedLayout &Network::layout(int l) const
{
   if (layer(l).kind() == LayerKind::Conv2D)
      return static_cast<const Conv2D &>(layer(l)).layout();
   return fully_connected(l).layout();
}

const FullyConnected &Network::weight_layer(int l) const
{
   if (layer(l).kind() != LayerKind::Conv2D)
      return fully_connected(l);
   return static_cast<const Conv2D &>(layer(l)).filter_layer();
}

std::int64_t Network::weight_shift(int l) const
{
   return layer(l).kind() == LayerKind::Conv2D ? layer(l).offset() : 0;
}

std::int64_t Network::n_virtual_params() const
{
   std::int64_t n = 0;
   for (const auto &layer : layers_)
      n += layer->memory().virtual_weights;
   return n;
}

std::vector<float> Network::host_params() const
{
   std::vector<float> values(static_cast<std::size_t>(n_params()));
   backend_->copy_to_host(params_, 0, n_params(), values.data());
   return values;
}

void Network::set_params(const float *values, std::int64_t n)
{
   HASHEDNET_CHECK(n == n_params(), "expected " << n_params() << " parameters, got " << n);
   backend_->copy_from_host(values, n, params_);
}

void Network::initialize_params(WeightInit init, std::uint64_t seed)
{
   Rng rng(seed);
   std::vector<float> values(static_cast<std::size_t>(n_params()), 0.0f);
   for (const auto &layer : layers_)
      layer->initialize(values.data() + layer->offset(), init, rng);
   set_params(values.data(), n_params());
}

void Network::set_input_transform(const float *offset, const float *scale, std::int64_t n)
{
   HASHEDNET_CHECK(n == spec_.n_inputs, "input transform has " << n << " entries, the network has " << spec_.n_inputs
                                                                << " inputs");
   for (std::int64_t j = 0; j < n; ++j)
      HASHEDNET_CHECK(std::isfinite(offset[j]) && std::isfinite(scale[j]) && scale[j] != 0.0f,
                      "input transform of variable " << j << " is not finite and non-zero (offset " << offset[j]
                                                     << ", scale " << scale[j] << ")");
   input_offset_.assign(offset, offset + n);
   input_scale_.assign(scale, scale + n);
   backend_->copy_from_host(offset, n, offset_);
   backend_->copy_from_host(scale, n, scale_);
}

void Network::transform_inputs(const float *x, std::int64_t batch, Buffer &out) const
{
   backend_->transform_inputs(x, batch, spec_.n_inputs, offset_, scale_, out);
}

void Network::gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n,
                           BatchBuffers &batch) const
{
   backend_->gather_batch(data, index, n, offset_, scale_, batch);
}

ForwardContext &Network::forward(const float *x, std::int64_t batch, ForwardContext &ctx, const DropoutPlan *dropout,
                                 std::uint64_t batch_counter) const
{
   return forward_pass(x, batch, ctx, dropout, batch_counter, false, false);
}

ForwardContext &Network::evaluate(const float *x, std::int64_t batch, ForwardContext &ctx) const
{
   return forward_pass(x, batch, ctx, nullptr, 0, false, true);
}

void Network::commit_running_statistics(const ForwardContext &ctx)
{
   for (int l = 0; l < n_layers(); ++l)
      if (layers_[l]->kind() == LayerKind::BatchNorm)
         static_cast<const BatchNorm &>(*layers_[l]).commit_running_statistics(*backend_, params_.data(),
                                                                               *ctx.layers[l]);
}

ForwardContext &Network::forward_pass(const float *x, std::int64_t batch, ForwardContext &ctx,
                                      const DropoutPlan *dropout, std::uint64_t batch_counter, bool inference,
                                      bool running_statistics) const
{
   Backend &backend = *backend_;
   const int n = n_layers();
   if (static_cast<int>(ctx.layers.size()) != n) {
      ctx.layers.clear();
      for (const auto &layer : layers_)
         ctx.layers.push_back(layer->make_context());
      ctx.dropped.resize(n);
      ctx.keep.resize(n);
   }
   ctx.batch = batch;
   ctx.x = x;
   for (int l = 0; l < n; ++l) {
      const Layer &layer = *layers_[l];
      const std::int64_t n_in = batch * layer.n_in();
      const double p = (dropout && l < static_cast<int>(dropout->probability.size())) ? dropout->probability[l] : 0.0;
      const float *in = l == 0 ? x : ctx.layers[l - 1]->output.data();
      if (p > 0.0) {
         const std::uint64_t seed = dropout->seed ^ (0x9E3779B97F4A7C15ull * (batch_counter * 64 + l + 1));
         backend.resize(ctx.keep[l], n_in);
         backend.resize(ctx.dropped[l], n_in);
         backend.dropout_forward(in, ctx.dropped[l].data(), ctx.keep[l].data(), n_in, p, seed);
         in = ctx.dropped[l].data();
      } else {
         backend.resize(ctx.keep[l], 0); // no dropout here in this batch (keeps the capacity)
      }
      ctx.layers[l]->inference = inference;
      ctx.layers[l]->running_statistics = running_statistics;
      ctx.layers[l]->trained_batches = batch_counter;
      layer.forward(backend, params_.data(), in, batch, *ctx.layers[l]);
   }
   return ctx;
}

void Network::backward(ForwardContext &ctx, const float *d_logits, float *grad) const
{
   Backend &backend = *backend_;
   const int n = n_layers();
   const std::int64_t n_logits = ctx.batch * layers_.back()->n_out();
   backend.resize(ctx.delta, n_logits);
   backend.copy(d_logits, n_logits, ctx.delta.data());
   for (int l = n - 1; l >= 0; --l) {
      const Layer &layer = *layers_[l];
      backend.resize(ctx.d_input, l > 0 ? ctx.batch * layer.n_in() : 0);
      layer.backward(backend, params_.data(), ctx.input(l), ctx.batch, *ctx.layers[l], ctx.delta.data(),
                     l > 0 ? ctx.d_input.data() : nullptr, grad);
      if (l == 0)
         break;
      if (!ctx.keep[l].empty())
         backend.multiply(ctx.d_input.data(), ctx.keep[l].data(), ctx.d_input.size());
      std::swap(ctx.delta, ctx.d_input);
   }
}

void Network::predict(const float *x, std::int64_t n, float *out, ForwardContext &ctx) const
{
   for (std::int64_t start = 0; start < n; start += kPredictChunk) {
      const std::int64_t batch = std::min(kPredictChunk, n - start);
      transform_inputs(x + start * spec_.n_inputs, batch, ctx.transformed);
      forward_pass(ctx.transformed.data(), batch, ctx, nullptr, 0, true, true);
      Buffer &logits = ctx.logits();
      backend_->output_transform(spec_.task, logits.data(), batch, spec_.n_outputs);
      backend_->copy_to_host(logits, 0, batch * spec_.n_outputs, out + start * spec_.n_outputs);
   }
}

void Network::predict_resident(const float *x, std::int64_t n, float *out, ForwardContext &ctx) const
{
   for (std::int64_t start = 0; start < n; start += kPredictChunk) {
      const std::int64_t batch = std::min(kPredictChunk, n - start);
      backend_->transform_resident_inputs(x + start * spec_.n_inputs, batch, spec_.n_inputs, offset_, scale_,
                                          ctx.transformed);
      forward_pass(ctx.transformed.data(), batch, ctx, nullptr, 0, false, true);
      Buffer &logits = ctx.logits();
      backend_->output_transform(spec_.task, logits.data(), batch, spec_.n_outputs);
      backend_->copy(logits.data(), batch * spec_.n_outputs, out + start * spec_.n_outputs);
   }
}

std::vector<float> Network::materialize_weights(int l) const
{
   const std::int64_t shift = weight_shift(l);
   const FullyConnected &layer = weight_layer(l);
   const std::vector<float> params = host_params();
   std::vector<float> v(layer.n_out() * layer.n_in());
   for (std::int64_t i = 0; i < layer.n_out(); ++i)
      for (std::int64_t j = 0; j < layer.n_in(); ++j)
         v[i * layer.n_in() + j] = layer.virtual_weight(params.data() + shift, i, j);
   return v;
}

std::vector<float> Network::materialize_bias(int l) const
{
   const std::int64_t shift = weight_shift(l);
   const FullyConnected &layer = weight_layer(l);
   const std::vector<float> params = host_params();
   std::vector<float> b(layer.n_out());
   for (std::int64_t i = 0; i < layer.n_out(); ++i)
      b[i] = layer.virtual_bias(params.data() + shift, i);
   return b;
}

std::vector<LayerMemory> Network::memory_report() const
{
   std::vector<LayerMemory> rows;
   for (const auto &layer : layers_)
      rows.push_back(layer->memory());
   return rows;
}

std::vector<double> Network::input_importance() const
{
   if (layer(0).kind() != LayerKind::FullyConnected)
      return image_input_importance();
   const FullyConnected &layer = fully_connected(0);
   const std::vector<float> params = host_params();
   std::vector<double> importance(layer.n_in(), 0.0);
   for (std::int64_t i = 0; i < layer.n_out(); ++i)
      for (std::int64_t j = 0; j < layer.n_in(); ++j) {
         const double v = layer.virtual_weight(params.data(), i, j);
         importance[j] += v * v;
      }
   return importance;
}

} // namespace hashednet
