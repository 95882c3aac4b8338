// model.cpp: see model.h.
#include "hashednet/model.h"

#include "blas.h"
#include "hashednet/hash.h"
#include "hashednet/loss.h"
#include "hashednet/serialize.h"

#include <iostream>

namespace hashednet {

Model::Model(const NetworkSpec &spec, WeightInit init, std::uint64_t seed, int num_threads)
   : network_(spec), backend_(make_cpu_backend(num_threads))
{
   network_.initialize_params(init, seed);
}

Model::Model(Network network, int num_threads) : network_(std::move(network)), backend_(make_cpu_backend(num_threads))
{
}

Model Model::from_text(const std::string &text, int num_threads)
{
   return Model(deserialize(text), num_threads);
}

Model Model::from_file(const std::string &path, int num_threads)
{
   return Model(load_network(path), num_threads);
}

std::string Model::to_text() const
{
   return serialize(network_);
}

void Model::save(const std::string &path) const
{
   save_network(network_, path);
}

void Model::set_num_threads(int num_threads)
{
   HASHEDNET_CHECK(num_threads >= 0, "number of threads must be >= 0 (0 = all cores), got " << num_threads);
   backend_ = make_cpu_backend(num_threads);
}

void Model::set_input_transform(const float *offset, const float *scale, std::int64_t n)
{
   network_.set_input_transform(offset, scale, n);
}

void Model::check_features(std::int64_t n_features) const
{
   HASHEDNET_CHECK(n_features == network_.n_inputs(), "the data has " << n_features
                                                                      << " variables per event, the network expects "
                                                                      << network_.n_inputs());
}

TrainingHistory Model::train(const float *x, const float *y, const float *w, std::int64_t n,
                             const float *x_validation, const float *y_validation, const float *w_validation,
                             std::int64_t n_validation, std::int64_t n_features, std::int64_t n_targets,
                             const TrainingConfig &config, bool verbose)
{
   const DataView training{x, y, w, n, n_features, n_targets};
   const DataView validation{x_validation, y_validation, w_validation, n_validation, n_features, n_targets};
   return hashednet::train(network_, training, validation, config, *backend_, verbose ? &std::cout : nullptr);
}

double Model::train_chunk(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                          std::int64_t n_targets, const TrainingConfig &config)
{
   const DataView chunk{x, y, w, n, n_features, n_targets};
   return hashednet::train_chunk(network_, chunk, config, *backend_, streaming_);
}

void Model::predict(const float *x, std::int64_t n, std::int64_t n_features, float *out)
{
   check_features(n_features);
   HASHEDNET_CHECK(n >= 0, "number of events must be >= 0, got " << n);
   network_.predict(x, n, out, *backend_, context_);
}

const std::vector<float> &Model::predict_one(const float *x, std::int64_t n_features)
{
   check_features(n_features);
   one_event_.resize(network_.n_outputs());
   predict_events(network_, x, 1, one_event_.data(), event_);
   return one_event_;
}

double Model::loss(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                   std::int64_t n_targets)
{
   const DataView data{x, y, w, n, n_features, n_targets};
   check_data(network_, data, "data");
   return evaluate_loss(network_, data, *backend_);
}

double Model::gradient(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                       std::int64_t n_targets, float *grad)
{
   const DataView data{x, y, w, n, n_features, n_targets};
   check_data(network_, data, "data");
   context_.normalized.resize(n * n_features);
   network_.normalize(x, n, context_.normalized.data());
   ForwardContext &ctx = network_.forward(context_.normalized.data(), n, *backend_, context_);
   double weight_sum = 0.0;
   for (std::int64_t e = 0; e < n; ++e)
      weight_sum += w ? w[e] : 1.0;
   const double norm = weight_norm(weight_sum, n);
   d_logits_.resize(ctx.logits().size());
   const double loss = loss_and_gradient(network_.spec().task, ctx.logits().data(), y, w, n, network_.n_outputs(),
                                         norm, d_logits_.data());
   network_.backward(ctx, d_logits_.data(), *backend_, grad);
   return loss / norm;
}

void Model::get_params(float *out, std::int64_t n) const
{
   HASHEDNET_CHECK(n == network_.n_params(), "expected room for " << network_.n_params() << " parameters, got " << n);
   std::copy(network_.params().begin(), network_.params().end(), out);
}

std::string hash_definition()
{
   return kHashName;
}

std::string blas_name()
{
   return blas::name();
}

} // namespace hashednet
