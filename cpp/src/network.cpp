// network.cpp: layer layout, initialisation, forward/backward and inference.
#include "hashednet/network.h"

#include "hashednet/activation.h"
#include "hashednet/hash.h"
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

Network::Network(NetworkSpec spec) : spec_(std::move(spec))
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
   HASHEDNET_CHECK(spec_.hash_mode != HashMode::Block || (spec_.hash_block >= 1 && spec_.hash_block <= 4096),
                   "HashBlock (virtual weights per hash in BLOCK mode) must be in [1, 4096], got "
                       << spec_.hash_block);
   build_layouts();
   input_offset_.assign(spec_.n_inputs, 0.0f);
   input_scale_.assign(spec_.n_inputs, 1.0f);
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

void Network::build_layouts()
{
   std::int64_t n_in = spec_.n_inputs;
   std::int64_t offset = 0;
   const int n = static_cast<int>(spec_.layers.size());
   for (int l = 0; l < n; ++l) {
      LayerSpec &layer = spec_.layers[l];
      if (l + 1 == n && layer.width == 0)
         layer.width = spec_.n_outputs;
      HASHEDNET_CHECK(layer.width > 0, "layer " << l << " has width " << layer.width
                                                << "; every hidden layer needs a positive width (e.g. TANH|64)");
      HASHEDNET_CHECK(l + 1 < n || layer.width == spec_.n_outputs,
                      "the output layer has width " << layer.width << " but the task has " << spec_.n_outputs
                                                    << " outputs; leave its width out (e.g. 'LINEAR')");
      layouts_.push_back(make_layout(l, n_in, offset));
      offset += layouts_.back().n_params();
      n_in = layer.width;
   }
   params_.assign(static_cast<std::size_t>(offset), 0.0f);
}

std::int64_t Network::n_virtual_params() const
{
   std::int64_t n = 0;
   for (const auto &layer : layouts_)
      n += layer.n_virtual_weights() + layer.n_out;
   return n;
}

void Network::set_params(const float *values, std::int64_t n)
{
   HASHEDNET_CHECK(n == n_params(), "expected " << n_params() << " parameters, got " << n);
   std::copy(values, values + n, params_.begin());
}

void Network::initialize_params(WeightInit init, std::uint64_t seed)
{
   Rng rng(seed);
   for (const auto &layer : layouts_) {
      const double fan_sum = static_cast<double>(layer.n_in + layer.n_out);
      float *w = params_.data() + layer.offset;
      for (std::int64_t k = 0; k < layer.n_buckets; ++k) {
         if (init == WeightInit::XavierNormal)
            w[k] = static_cast<float>(std::sqrt(2.0 / fan_sum) * rng.normal());
         else
            w[k] = static_cast<float>(std::sqrt(6.0 / fan_sum) * (2.0 * rng.uniform() - 1.0));
      }
      std::fill(w + layer.n_buckets, w + layer.n_params(), 0.0f);
   }
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
}

void Network::normalize(const float *x, std::int64_t batch, float *out) const
{
   const std::int64_t d = spec_.n_inputs;
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t j = 0; j < d; ++j)
         out[b * d + j] = (x[b * d + j] - input_offset_[j]) * input_scale_[j];
}

ForwardContext &Network::forward(const float *x, std::int64_t batch, Backend &backend, ForwardContext &ctx,
                                 const DropoutPlan *dropout, std::uint64_t batch_counter) const
{
   const int n = n_layers();
   ctx.batch = batch;
   ctx.x = x;
   ctx.dropped.resize(n);
   ctx.z.resize(n);
   ctx.a.resize(n);
   ctx.keep.resize(n);
   for (int l = 0; l < n; ++l) {
      const HashedLayout &layer = layouts_[l];
      const std::int64_t n_in = batch * layer.n_in;
      const double p = (dropout && l < static_cast<int>(dropout->probability.size())) ? dropout->probability[l] : 0.0;
      const float *in = l == 0 ? x : ctx.a[l - 1].data();
      if (p > 0.0) {
         const std::uint64_t seed = dropout->seed ^ (0x9E3779B97F4A7C15ull * (batch_counter * 64 + l + 1));
         ctx.keep[l].resize(n_in);
         ctx.dropped[l].resize(n_in);
         backend.dropout_forward(in, ctx.dropped[l].data(), ctx.keep[l].data(), n_in, p, seed);
         in = ctx.dropped[l].data();
      } else {
         ctx.keep[l].clear(); // no dropout here in this batch (keeps the capacity)
      }
      ctx.z[l].resize(batch * layer.n_out);
      ctx.a[l].resize(batch * layer.n_out);
      backend.linear_forward(layer, params_.data(), in, batch, ctx.z[l].data());
      backend.activation_forward(activation(l), ctx.z[l].data(), ctx.a[l].data(), batch * layer.n_out);
   }
   return ctx;
}

ForwardContext Network::forward(const float *x, std::int64_t batch, Backend &backend) const
{
   ForwardContext ctx;
   forward(x, batch, backend, ctx);
   return ctx;
}

void Network::backward(ForwardContext &ctx, const float *d_logits, Backend &backend, float *grad) const
{
   const int n = n_layers();
   std::vector<float> &delta = ctx.delta;
   std::vector<float> &d_input = ctx.d_input;
   delta.assign(d_logits, d_logits + ctx.batch * layouts_.back().n_out);
   for (int l = n - 1; l >= 0; --l) {
      const HashedLayout &layer = layouts_[l];
      backend.activation_backward(activation(l), ctx.z[l].data(), ctx.a[l].data(), delta.data(), delta.data(),
                                  ctx.batch * layer.n_out);
      d_input.resize(l > 0 ? ctx.batch * layer.n_in : 0);
      backend.linear_backward(layer, params_.data(), ctx.input(l), delta.data(), ctx.batch,
                              l > 0 ? d_input.data() : nullptr, grad);
      if (l == 0)
         break;
      if (!ctx.keep[l].empty())
         for (std::size_t e = 0; e < d_input.size(); ++e)
            d_input[e] *= ctx.keep[l][e];
      delta.swap(d_input);
   }
}

void apply_output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs)
{
   if (task == Task::Regression)
      return;
   if (task == Task::Classification) {
      for (std::int64_t e = 0; e < n * n_outputs; ++e)
         logits[e] = 1.0f / (1.0f + std::exp(-logits[e]));
      return;
   }
   for (std::int64_t b = 0; b < n; ++b) {
      float *row = logits + b * n_outputs;
      const float top = *std::max_element(row, row + n_outputs);
      float sum = 0.0f;
      for (std::int64_t k = 0; k < n_outputs; ++k)
         sum += (row[k] = std::exp(row[k] - top));
      for (std::int64_t k = 0; k < n_outputs; ++k)
         row[k] /= sum;
   }
}

void Network::predict(const float *x, std::int64_t n, float *out, Backend &backend, ForwardContext &ctx) const
{
   for (std::int64_t start = 0; start < n; start += kPredictChunk) {
      const std::int64_t batch = std::min(kPredictChunk, n - start);
      ctx.normalized.resize(batch * spec_.n_inputs);
      normalize(x + start * spec_.n_inputs, batch, ctx.normalized.data());
      forward(ctx.normalized.data(), batch, backend, ctx);
      float *dst = out + start * spec_.n_outputs;
      std::copy(ctx.logits().begin(), ctx.logits().end(), dst);
      apply_output_transform(spec_.task, dst, batch, spec_.n_outputs);
   }
}

void Network::predict(const float *x, std::int64_t n, float *out, Backend &backend) const
{
   ForwardContext ctx;
   predict(x, n, out, backend, ctx);
}

std::vector<float> Network::materialize_weights(int l) const
{
   const HashedLayout &layer = layouts_.at(l);
   std::vector<float> v(layer.n_virtual_weights());
   const float *w = params_.data() + layer.offset;
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      for (std::int64_t j = 0; j < layer.n_in; ++j)
         v[i * layer.n_in + j] = layer.virtual_weight(w, i, j);
   return v;
}

std::vector<float> Network::materialize_bias(int l) const
{
   const HashedLayout &layer = layouts_.at(l);
   std::vector<float> b(layer.n_out);
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      b[i] = layer.virtual_bias(params_.data() + layer.bias_offset(), i);
   return b;
}

std::vector<LayerMemory> Network::memory_report() const
{
   std::vector<LayerMemory> rows;
   for (const auto &layer : layouts_) {
      LayerMemory m;
      m.n_in = layer.n_in;
      m.n_out = layer.n_out;
      m.hashed = layer.hashed;
      m.virtual_weights = layer.n_virtual_weights() + layer.n_out;
      m.real_params = layer.n_params();
      m.bytes = m.real_params * static_cast<std::int64_t>(sizeof(float));
      m.compression = static_cast<double>(m.real_params) / static_cast<double>(m.virtual_weights);
      rows.push_back(m);
   }
   return rows;
}

std::vector<double> Network::input_importance() const
{
   const HashedLayout &layer = layouts_.front();
   const float *w = params_.data() + layer.offset;
   std::vector<double> importance(layer.n_in, 0.0);
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      for (std::int64_t j = 0; j < layer.n_in; ++j) {
         const double v = layer.virtual_weight(w, i, j);
         importance[j] += v * v;
      }
   return importance;
}

} // namespace hashednet
