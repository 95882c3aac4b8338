// trainer.cpp: see trainer.h.
#include "hashednet/trainer.h"

#include "hashednet/interrupt.h"
#include "hashednet/loss.h"
#include "hashednet/rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

namespace hashednet {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start)
{
   return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t target_width(const Network &network)
{
   return network.spec().task == Task::Regression ? network.n_outputs() : 1;
}

void check_label(const Network &network, float y, std::int64_t event, const char *what)
{
   const Task task = network.spec().task;
   if (task == Task::Classification)
      HASHEDNET_CHECK(y == 0.0f || y == 1.0f,
                      what << ": event " << event << " has class label " << y << "; allowed: 0 or 1");
   if (task == Task::Multiclass)
      HASHEDNET_CHECK(y >= 0.0f && y < static_cast<float>(network.n_outputs()) && y == std::floor(y),
                      what << ": event " << event << " has class index " << y << "; allowed: 0.."
                           << network.n_outputs() - 1);
}

/// Thrown inside this file when a SIGINT is pending (interrupt.h), caught
/// by train() and train_chunk(), which restore what they promise and throw
/// Interrupted. `batches` done in the running pass; -1: all, then the
/// validation loss was being computed.
struct StopRequest {
   std::int64_t batches;
};

void stop_if_interrupted(std::int64_t batches)
{
   if (interrupt_pending())
      throw StopRequest{batches};
}

std::int64_t batch_count(std::int64_t n, std::int64_t batch_size)
{
   return (n + batch_size - 1) / batch_size;
}

/// The buffers of a training phase, kept across batches and epochs so that
/// the batch loop allocates nothing in steady state.
struct Workspace {
   BatchBuffers batch;
   ForwardContext context;
   Buffer d_logits;
   std::vector<std::int64_t> index;
};

/// The optimizer of a phase and the gradient it steps from.
struct Step {
   Optimizer &optimizer;
   Buffer &grad;
};

void print_header(std::ostream &log, const Network &network, const TrainingConfig &config, const Backend &backend)
{
   log << "HashedDNN: training on " << backend.name() << ": " << network.n_params() << " real parameters for "
       << network.n_virtual_params() << " virtual weights, batch size " << config.batch_size << ", up to "
       << config.max_epochs << " epochs, convergence steps " << config.convergence_steps << "\n";
   log << "   Epoch |  Train loss  Valid. loss |  t/epoch [s]  time left [s] | Conv. steps\n";
   log << "   ------+--------------------------+-----------------------------+------------\n";
}

void print_epoch(std::ostream &log, const EpochRecord &r, double time_left, int steps_without_improvement)
{
   log << std::setw(8) << r.epoch << " | " << std::setw(11) << std::setprecision(5) << r.train_loss << "  "
       << std::setw(11) << r.validation_loss << " | " << std::setw(12) << std::setprecision(3) << r.seconds << "  "
       << std::setw(13) << std::setprecision(4) << time_left << " | " << std::setw(6) << steps_without_improvement
       << "\n"
       << std::flush;
}

double run_epoch(Network &network, const DataView &data, const TrainingConfig &config, Step step, int epoch,
                 std::uint64_t &batch_counter, Workspace &work)
{
   Backend &backend = network.backend();
   const std::vector<std::int64_t> order = shuffled_indices(data.n, config.seed ^ (0xA24BAED4963EE407ull * (epoch + 1)));
   DropoutPlan dropout{config.dropout, config.seed ^ 0xD1B54A32D192ED03ull};
   const bool use_dropout = std::any_of(config.dropout.begin(), config.dropout.end(), [](double p) { return p > 0; });
   BatchBuffers &batch = work.batch;
   double loss_sum = 0.0, weight_sum = 0.0;
   for (std::int64_t start = 0; start < data.n; start += config.batch_size) {
      const std::int64_t n = std::min<std::int64_t>(config.batch_size, data.n - start);
      network.gather_batch(data, order.data() + start, n, batch);
      ForwardContext &ctx = network.forward(batch.x.data(), n, work.context, use_dropout ? &dropout : nullptr,
                                            batch_counter++);
      backend.resize(work.d_logits, ctx.logits().size());
      loss_sum += backend.loss(network.spec().task, ctx.logits().data(), batch.y.data(), batch.w.data(), n,
                               network.n_outputs(), weight_norm(batch.weight_sum, n), work.d_logits.data());
      weight_sum += batch.weight_sum;
      network.backward(ctx, work.d_logits.data(), step.grad.data());
      step.optimizer.step(config, network.params(), step.grad);
      stop_if_interrupted(start / config.batch_size + 1);
   }
   HASHEDNET_CHECK(std::isfinite(loss_sum), "training diverged in epoch " << epoch << " (loss is " << loss_sum
                                                                         << "); lower LearningRate (now "
                                                                         << config.learning_rate << ")");
   return loss_sum / weight_norm(weight_sum, data.n);
}

/// Weighted mean loss of the network on `data` (no dropout), in `work`'s buffers;
/// `interruptible`: polls for SIGINT after each chunk (StopRequest{-1}).
double evaluate_loss(const Network &network, const DataView &data, Workspace &work, bool interruptible)
{
   constexpr std::int64_t kChunk = 4096;
   Backend &backend = network.backend();
   double loss = 0.0, weight = 0.0;
   for (std::int64_t start = 0; start < data.n; start += kChunk) {
      const std::int64_t n = std::min(kChunk, data.n - start);
      work.index.resize(n);
      for (std::int64_t b = 0; b < n; ++b)
         work.index[b] = start + b;
      network.gather_batch(data, work.index.data(), n, work.batch);
      const ForwardContext &ctx = network.forward(work.batch.x.data(), n, work.context);
      loss += backend.loss(network.spec().task, ctx.logits().data(), work.batch.y.data(), work.batch.w.data(), n,
                           network.n_outputs(), 1.0, nullptr);
      weight += work.batch.weight_sum;
      if (interruptible)
         stop_if_interrupted(-1);
   }
   return loss / weight_norm(weight, data.n);
}

void check_config(const TrainingConfig &config)
{
   HASHEDNET_CHECK(config.learning_rate > 0.0, "LearningRate must be positive, got " << config.learning_rate);
   HASHEDNET_CHECK(config.momentum >= 0.0 && config.momentum < 1.0,
                   "Momentum must be in [0, 1), got " << config.momentum);
   HASHEDNET_CHECK(config.batch_size >= 1, "BatchSize must be at least 1, got " << config.batch_size);
   HASHEDNET_CHECK(config.max_epochs >= 1, "MaxEpochs must be at least 1, got " << config.max_epochs);
   HASHEDNET_CHECK(config.convergence_steps >= 1,
                   "ConvergenceSteps must be at least 1, got " << config.convergence_steps);
   HASHEDNET_CHECK(config.weight_decay >= 0.0, "WeightDecay must be >= 0, got " << config.weight_decay);
   for (double p : config.dropout)
      HASHEDNET_CHECK(p >= 0.0 && p < 1.0, "DropConfig probabilities must be in [0, 1), got " << p);
   HASHEDNET_CHECK(config.num_threads >= 0, "NumThreads must be >= 0 (0 = all cores), got " << config.num_threads);
}
} // namespace

void check_data(const Network &network, const DataView &data, const char *what)
{
   HASHEDNET_CHECK(data.n > 0, what << " is empty: at least one event is needed");
   HASHEDNET_CHECK(data.x != nullptr && data.y != nullptr, what << ": missing input or target array");
   HASHEDNET_CHECK(data.n_features == network.n_inputs(), what << " has " << data.n_features
                                                               << " variables per event, the network expects "
                                                               << network.n_inputs());
   HASHEDNET_CHECK(data.n_targets == target_width(network), what << " has " << data.n_targets
                                                                 << " targets per event, the task needs "
                                                                 << target_width(network));
   if (data.resident)
      return; // in device memory: the values were checked on the device (tmva_hashednet/_cuda.py)
   for (std::int64_t e = 0; e < data.n; ++e) {
      for (std::int64_t j = 0; j < data.n_features; ++j)
         HASHEDNET_CHECK(std::isfinite(data.x[e * data.n_features + j]),
                         what << ": event " << e << ", variable " << j << " is "
                              << data.x[e * data.n_features + j] << "; inputs must be finite (no NaN or inf)");
      for (std::int64_t t = 0; t < data.n_targets; ++t) {
         const float y = data.y[e * data.n_targets + t];
         HASHEDNET_CHECK(std::isfinite(y), what << ": event " << e << " has target " << y << "; targets must be finite");
         check_label(network, y, e, what);
      }
      if (data.w)
         HASHEDNET_CHECK(std::isfinite(data.w[e]), what << ": event " << e << " has weight " << data.w[e]
                                                        << "; weights must be finite");
   }
}

double evaluate_loss(const Network &network, const DataView &data)
{
   Workspace work;
   return evaluate_loss(network, data, work, false);
}

namespace {
/// The epochs of train(): shuffled mini-batches, the validation loss, early
/// stopping; the best epoch's parameters are copied into `best_params`.
void run_epochs(Network &network, const DataView &training, const DataView &validation, const TrainingConfig &config,
                std::ostream *log, TrainingHistory &history, Buffer &best_params)
{
   Backend &backend = network.backend();
   const std::unique_ptr<Optimizer> optimizer = make_optimizer(config, backend, network.n_params());
   Buffer grad = backend.allocate(network.n_params());
   Workspace work;
   const bool has_validation = validation.n > 0;
   int without_improvement = 0;
   std::uint64_t batch_counter = 0;
   const auto start = Clock::now();
   for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      EpochRecord record;
      record.epoch = epoch;
      record.train_loss = run_epoch(network, training, config, {*optimizer, grad}, epoch, batch_counter, work);
      record.validation_loss = has_validation ? evaluate_loss(network, validation, work, true) : record.train_loss;
      record.seconds = seconds_since(epoch_start);
      history.epochs.push_back(record);
      if (record.validation_loss < history.best_validation_loss) {
         history.best_validation_loss = record.validation_loss;
         history.best_epoch = epoch;
         backend.copy(network.params().data(), network.n_params(), best_params.data());
         without_improvement = 0;
      } else {
         ++without_improvement;
      }
      if (log)
         print_epoch(*log, record, seconds_since(start) / epoch * (config.max_epochs - epoch), without_improvement);
      if (without_improvement >= config.convergence_steps) {
         history.stopped_early = true;
         break;
      }
   }
}

/// What an interrupted train() leaves in the network (see train()).
std::string rollback_note(const TrainingHistory &history)
{
   std::ostringstream s;
   if (history.best_epoch > 0)
      s << "the network keeps the weights of epoch " << history.best_epoch << " (validation loss "
        << std::setprecision(6) << history.best_validation_loss << "), the best completed one";
   else
      s << "the network keeps its weights from before this training phase (no epoch was completed)";
   return s.str();
}
} // namespace

TrainingHistory train(Network &network, const DataView &training, const DataView &validation,
                      const TrainingConfig &config, std::ostream *log)
{
   check_config(config);
   check_data(network, training, "training data");
   if (validation.n > 0)
      check_data(network, validation, "validation data");
   if (config.verbosity < 1)
      log = nullptr;
   Backend &backend = network.backend();
   if (log)
      print_header(*log, network, config, backend);
   TrainingHistory history;
   history.best_validation_loss = std::numeric_limits<double>::infinity();
   Buffer best_params = backend.allocate(network.n_params());
   backend.copy(network.params().data(), network.n_params(), best_params.data());
   const auto start = Clock::now();
   try {
      run_epochs(network, training, validation, config, log, history, best_params);
   } catch (const StopRequest &stop) {
      backend.copy(best_params.data(), network.n_params(), network.params().data());
      take_interrupt();
      throw Interrupted("epoch", static_cast<int>(history.epochs.size()) + 1,
                        stop.batches >= 0 ? stop.batches : batch_count(training.n, config.batch_size),
                        rollback_note(history));
   }
   backend.copy(best_params.data(), network.n_params(), network.params().data());
   if (log)
      *log << "HashedDNN: " << (history.stopped_early ? "converged" : "reached MaxEpochs") << " after "
           << history.epochs.size() << " epochs in " << std::setprecision(4) << seconds_since(start)
           << " s; restored the weights of epoch " << history.best_epoch << " (validation loss "
           << std::setprecision(6) << history.best_validation_loss << ")\n"
           << std::flush;
   return history;
}

double train_chunk(Network &network, const DataView &chunk, const TrainingConfig &config, StreamingState &state)
{
   check_config(config);
   check_data(network, chunk, "training chunk");
   Backend &backend = network.backend();
   if (!state.optimizer || state.optimizer->name() != config.optimizer || state.grad.size() != network.n_params()) {
      state.optimizer = make_optimizer(config, backend, network.n_params());
      state.grad = backend.allocate(network.n_params());
   }
   state.n_chunks += 1;
   Workspace work;
   try {
      return run_epoch(network, chunk, config, {*state.optimizer, state.grad}, state.n_chunks, state.batch_counter,
                       work);
   } catch (const StopRequest &stop) {
      take_interrupt();
      throw Interrupted("chunk", state.n_chunks, stop.batches, "the network keeps the weights after that batch");
   }
}

} // namespace hashednet
