// model.cpp: see model.h.
#include "hashednet/model.h"

#include "blas.h"
#include "hashednet/hash.h"
#include "hashednet/interrupt.h"
#include "hashednet/loss.h"
#include "hashednet/options.h"
#include "hashednet/serialize.h"

#include <iostream>

namespace hashednet {

namespace {
/// Runs one training phase on its own thread count and restores the model's afterwards.
class PhaseThreads {
public:
   PhaseThreads(Backend &backend, int model_threads, int phase_threads)
      : backend_(backend), model_threads_(model_threads), changed_(phase_threads != model_threads)
   {
      if (changed_)
         backend_.set_num_threads(phase_threads);
   }
   ~PhaseThreads()
   {
      if (changed_)
         backend_.set_num_threads(model_threads_);
   }
   PhaseThreads(const PhaseThreads &) = delete;
   PhaseThreads &operator=(const PhaseThreads &) = delete;

private:
   Backend &backend_;
   int model_threads_;
   bool changed_;
};

/// The thread count of a user's request, refused above the hardware's (each thread preallocates its buffers).
int checked(int num_threads)
{
   check_thread_count(num_threads, "NumThreads");
   return num_threads;
}

} // namespace

Model::Model(const NetworkSpec &spec, WeightInit init, std::uint64_t seed, int num_threads, Architecture architecture,
             const GpuSettings &gpu)
   : backend_(make_backend(architecture, checked(num_threads), gpu)), num_threads_(num_threads),
     network_(spec, *backend_)
{
   network_.initialize_params(init, seed);
}

Model::Model(std::unique_ptr<Backend> backend, int num_threads, const std::string &text)
   : backend_(std::move(backend)), num_threads_(num_threads), network_(deserialize(text, *backend_))
{
}

Model Model::from_text(const std::string &text, int num_threads, Architecture architecture, const GpuSettings &gpu)
{
   return Model(make_backend(architecture, checked(num_threads), gpu), num_threads, text);
}

Model Model::from_file(const std::string &path, int num_threads, Architecture architecture, const GpuSettings &gpu)
{
   return from_text(read_network_file(path), num_threads, architecture, gpu);
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
   backend_->set_num_threads(checked(num_threads));
   num_threads_ = num_threads;
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
   return train_phase(training, validation, config, verbose ? &std::cout : nullptr);
}

TrainingHistory Model::train_phase(const DataView &training, const DataView &validation,
                                   const TrainingConfig &config, std::ostream *log)
{
   const PhaseThreads threads(*backend_, num_threads_, checked(config.num_threads));
   const SigintGuard ctrl_c;
   return hashednet::train(network_, training, validation, config, log);
}

double Model::train_chunk(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                          std::int64_t n_targets, const TrainingConfig &config)
{
   return train_chunk_view(DataView{x, y, w, n, n_features, n_targets}, config);
}

double Model::train_chunk_view(const DataView &chunk, const TrainingConfig &config)
{
   const PhaseThreads threads(*backend_, num_threads_, config.num_threads);
   const SigintGuard ctrl_c;
   return hashednet::train_chunk(network_, chunk, config, streaming_);
}

void Model::predict(const float *x, std::int64_t n, std::int64_t n_features, float *out)
{
   check_features(n_features);
   HASHEDNET_CHECK(n >= 0, "number of events must be >= 0, got " << n);
   network_.predict(x, n, out, context_);
}

void Model::predict_resident(const float *x, std::int64_t n, std::int64_t n_features, float *out)
{
   check_features(n_features);
   HASHEDNET_CHECK(n >= 0, "number of events must be >= 0, got " << n);
   network_.predict_resident(x, n, out, context_);
   float done = 0.0f; // a copy to the host waits for the backend's queued work, so out is written on return
   if (n > 0)
      backend_->copy_to_host(context_.logits(), 0, 1, &done);
}

const std::vector<float> &Model::predict_one(const float *x, std::int64_t n_features)
{
   check_features(n_features);
   one_event_.resize(network_.n_outputs());
   if (architecture() == Architecture::Gpu)
      network_.predict(x, 1, one_event_.data(), context_); // the parameters are in device memory
   else
      predict_events(network_, x, 1, one_event_.data(), event_);
   return one_event_;
}

double Model::loss(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                   std::int64_t n_targets)
{
   const DataView data{x, y, w, n, n_features, n_targets};
   check_data(network_, data, "data");
   return evaluate_loss(network_, data);
}

double Model::gradient(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                       std::int64_t n_targets, float *grad)
{
   const DataView data{x, y, w, n, n_features, n_targets};
   check_data(network_, data, "data");
   std::vector<std::int64_t> index(static_cast<std::size_t>(n));
   for (std::int64_t e = 0; e < n; ++e)
      index[e] = e;
   network_.gather_batch(data, index.data(), n, batch_);
   ForwardContext &ctx = network_.forward(batch_.x.data(), n, context_);
   const double norm = weight_norm(batch_.weight_sum, n);
   backend_->resize(d_logits_, ctx.logits().size());
   const double loss = backend_->loss(network_.spec().task, ctx.logits().data(), batch_.y.data(), batch_.w.data(), n,
                                      network_.n_outputs(), norm, d_logits_.data());
   backend_->resize(grad_, network_.n_params());
   network_.backward(ctx, d_logits_.data(), grad_.data());
   backend_->copy_to_host(grad_, 0, network_.n_params(), grad);
   return loss / norm;
}

void Model::get_params(float *out, std::int64_t n) const
{
   HASHEDNET_CHECK(n == network_.n_params(), "expected room for " << network_.n_params() << " parameters, got " << n);
   backend_->copy_to_host(network_.params(), 0, n, out);
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
