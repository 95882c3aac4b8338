// trainer.cpp: see trainer.h.
#include "hashednet/trainer.h"

#include "hashednet/cost.h"
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

/// Progress inside one long pass (TMVA's timer): once a pass has run
/// kProgressAfter seconds, a line every kProgressEvery seconds with the
/// events done and the estimated time left of the pass.
constexpr double kProgressAfter = 5.0;
constexpr double kProgressEvery = 10.0;

class PassProgress {
public:
   PassProgress(std::ostream *log, const char *what, int epoch, std::int64_t n_events)
      : log_(log), what_(what), epoch_(epoch), n_(n_events), start_(Clock::now()), last_(start_)
   {
   }
   /// `done` events of the pass are finished.
   void update(std::int64_t done)
   {
      if (!log_ || done >= n_)
         return;
      const auto now = Clock::now();
      const double elapsed = std::chrono::duration<double>(now - start_).count();
      if (elapsed < kProgressAfter || (printed_ && std::chrono::duration<double>(now - last_).count() < kProgressEvery))
         return;
      last_ = now;
      printed_ = true;
      *log_ << "   epoch " << epoch_ << ", " << what_ << ": " << done << " of " << n_ << " events ("
            << std::setprecision(3) << 100.0 * double(done) / double(n_) << "%) in " << std::setprecision(4)
            << elapsed << " s, about " << elapsed * double(n_ - done) / double(std::max<std::int64_t>(done, 1))
            << " s left in this pass\n"
            << std::flush;
   }

private:
   std::ostream *log_;
   const char *what_;
   int epoch_;
   std::int64_t n_;
   Clock::time_point start_, last_;
   bool printed_ = false;
};

/// The buffers of a training phase, kept across batches and epochs so that
/// the batch loop allocates nothing in steady state; `log` receives the
/// progress lines of long passes (null: none).
struct Workspace {
   BatchBuffers batch;
   ForwardContext context;
   Buffer d_logits;
   std::vector<std::int64_t> index;
   std::ostream *log = nullptr;
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
   const CostEstimate cost = estimate_cost(network);
   log << "HashedDNN: " << describe_cost(cost) << "\n";
   if (cost.expensive())
      log << "HashedDNN: WARNING: " << cost_warning(cost) << "\n";
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

/// An epoch's weighted mean training loss, and that of its first mini-batch
/// (computed before the batch's step: for epoch 1, the loss of the network
/// as the phase received it).
struct EpochLoss {
   double mean = 0.0;
   double first_batch = 0.0;
};

EpochLoss run_epoch(Network &network, const DataView &data, const TrainingConfig &config, Step step, int epoch,
                    std::uint64_t &batch_counter, Workspace &work)
{
   Backend &backend = network.backend();
   const std::vector<std::int64_t> order = shuffled_indices(data.n, config.seed ^ (0xA24BAED4963EE407ull * (epoch + 1)));
   DropoutPlan dropout{config.dropout, config.seed ^ 0xD1B54A32D192ED03ull};
   const bool use_dropout = std::any_of(config.dropout.begin(), config.dropout.end(), [](double p) { return p > 0; });
   BatchBuffers &batch = work.batch;
   double loss_sum = 0.0, weight_sum = 0.0, first_batch = 0.0;
   PassProgress progress(work.log, "training", epoch, data.n);
   for (std::int64_t start = 0; start < data.n; start += config.batch_size) {
      const std::int64_t n = std::min<std::int64_t>(config.batch_size, data.n - start);
      const std::int64_t batches_done = start / config.batch_size;
      network.gather_batch(data, order.data() + start, n, batch);
      ForwardContext &ctx = network.forward(batch.x.data(), n, work.context, use_dropout ? &dropout : nullptr,
                                            batch_counter++);
      stop_if_interrupted(batches_done); // the kernels abandon a batch on Ctrl-C (cpu_backend.cpp): no step from it
      backend.resize(work.d_logits, ctx.logits().size());
      const double batch_loss = backend.loss(network.spec().task, ctx.logits().data(), batch.y.data(), batch.w.data(),
                                             n, network.n_outputs(), weight_norm(batch.weight_sum, n),
                                             work.d_logits.data());
      if (start == 0)
         first_batch = batch_loss / weight_norm(batch.weight_sum, n);
      loss_sum += batch_loss;
      weight_sum += batch.weight_sum;
      network.backward(ctx, work.d_logits.data(), step.grad.data());
      stop_if_interrupted(batches_done);
      step.optimizer.step(config, network.params(), step.grad);
      network.commit_running_statistics(ctx); // BNORM's, after the step: weight decay never touches them
      stop_if_interrupted(batches_done + 1);
      progress.update(start + n);
   }
   HASHEDNET_CHECK(std::isfinite(loss_sum), "training diverged in epoch " << epoch << " (loss is " << loss_sum
                                                                         << "); lower LearningRate (now "
                                                                         << config.learning_rate << ")");
   return {loss_sum / weight_norm(weight_sum, data.n), first_batch};
}

/// Training has diverged when an epoch's mean training loss is this many
/// times the loss of the network it started from (its first mini-batch; at
/// least kDivergenceFloor): a learning rate far too large (the 1e30
/// gives 7e29 in epoch 1, every response 0 or 1). Normal training lowers the
/// loss; its noise stays orders of magnitude below this factor.
constexpr double kDivergenceFactor = 1e6;
constexpr double kDivergenceFloor = 1e-3;

void check_not_diverged(const TrainingConfig &config, int epoch, double train_loss, double initial_loss)
{
   const double limit = kDivergenceFactor * std::max(initial_loss, kDivergenceFloor);
   HASHEDNET_CHECK(train_loss <= limit,
                   "training diverged in epoch " << epoch << ": the training loss " << train_loss << " is more than "
                                                 << kDivergenceFactor << " times that of the initial network ("
                                                 << initial_loss << ") with LearningRate=" << config.learning_rate
                                                 << " (Optimizer=" << config.optimizer
                                                 << "); lower LearningRate, e.g. to " << TrainingConfig().learning_rate
                                                 << " (the default) or 10 times below the current value");
}

/// Refuses a data set whose event weights sum to zero or less: its weighted
/// loss is 0 (or negative), so early stopping and the best epoch would follow noise.
void check_weight_sum(const DataView &data, const char *what, const char *remedy)
{
   if (!data.w || data.n == 0)
      return;
   double sum = 0.0;
   for (std::int64_t e = 0; e < data.n; ++e)
      sum += data.w[e];
   HASHEDNET_CHECK(sum > 0.0, what << ": the event weights of its " << data.n << " events sum to " << sum
                                   << "; the weighted loss needs a positive sum (allowed: weights >= 0 with at "
                                      "least one > 0; " << remedy << ")");
}

/// Refuses classification training data without an event of every class:
/// the network would learn a constant (TMVA needs a signal and a background tree).
void check_classes_present(const Network &network, const DataView &data)
{
   const Task task = network.spec().task;
   if (task == Task::Regression)
      return;
   const std::int64_t n_classes = task == Task::Classification ? 2 : network.n_outputs();
   std::vector<std::int64_t> count(static_cast<std::size_t>(n_classes), 0);
   for (std::int64_t e = 0; e < data.n; ++e)
      ++count[static_cast<std::size_t>(data.y[e * data.n_targets])];
   for (std::int64_t c = 0; c < n_classes; ++c)
      HASHEDNET_CHECK(count[c] > 0, "training data: none of its "
                                        << data.n << " events has class "
                                        << (task == Task::Classification ? "label " : "index ") << c << "; "
                                        << n_classes << "-class training needs events of every class (allowed "
                                        << "labels: 0.." << n_classes - 1 << ", each present)");
}

/// Weighted mean loss of the network on `data` (no dropout), in `work`'s buffers;
/// `interruptible`: polls for SIGINT after each chunk (StopRequest{-1}) and
/// prints the progress of a long pass of `epoch` to work.log.
double evaluate_loss(const Network &network, const DataView &data, Workspace &work, bool interruptible, int epoch = 0)
{
   constexpr std::int64_t kChunk = 4096;
   Backend &backend = network.backend();
   double loss = 0.0, weight = 0.0;
   PassProgress progress(interruptible ? work.log : nullptr, "validation", epoch, data.n);
   for (std::int64_t start = 0; start < data.n; start += kChunk) {
      const std::int64_t n = std::min(kChunk, data.n - start);
      work.index.resize(n);
      for (std::int64_t b = 0; b < n; ++b)
         work.index[b] = start + b;
      network.gather_batch(data, work.index.data(), n, work.batch);
      const ForwardContext &ctx = network.evaluate(work.batch.x.data(), n, work.context);
      loss += backend.loss(network.spec().task, ctx.logits().data(), work.batch.y.data(), work.batch.w.data(), n,
                           network.n_outputs(), 1.0, nullptr);
      weight += work.batch.weight_sum;
      if (interruptible)
         stop_if_interrupted(-1);
      progress.update(start + n);
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
   work.log = log;
   const bool has_validation = validation.n > 0;
   int without_improvement = 0;
   std::uint64_t batch_counter = 0;
   double initial_loss = 0.0;
   const auto start = Clock::now();
   for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      EpochRecord record;
      record.epoch = epoch;
      const EpochLoss loss = run_epoch(network, training, config, {*optimizer, grad}, epoch, batch_counter, work);
      if (epoch == 1)
         initial_loss = loss.first_batch;
      check_not_diverged(config, epoch, loss.mean, initial_loss);
      record.train_loss = loss.mean;
      record.validation_loss =
         has_validation ? evaluate_loss(network, validation, work, true, epoch) : record.train_loss;
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
   check_weight_sum(training, "training data", "check the weight expression");
   check_classes_present(network, training);
   if (validation.n > 0) {
      check_data(network, validation, "validation data");
      check_weight_sum(validation, "validation data",
                       "give validation events positive weights, or no validation sample (ValidationSize=0: the "
                       "training loss decides)");
   }
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
   } catch (const Error &) {
      backend.copy(best_params.data(), network.n_params(), network.params().data()); // not a diverged state
      throw;
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
                       work)
         .mean;
   } catch (const StopRequest &stop) {
      take_interrupt();
      throw Interrupted("chunk", state.n_chunks, stop.batches, "the network keeps the weights after that batch");
   }
}

} // namespace hashednet
