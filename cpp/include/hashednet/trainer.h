// trainer.h: mini-batch training with early stopping, TMVA style.
//
// One call trains one phase of a TrainingStrategy: shuffle each epoch, run
// mini-batches (dropout, event weights, L2 weight decay, SGD with momentum or
// Adam over the one flat parameter buffer), evaluate the validation loss, and
// stop after `convergence_steps` epochs without improvement (TMVA's
// ConvergenceSteps). The parameters of the best epoch are restored at the
// end. A seed makes a run reproducible bit for bit for a given thread count.
#ifndef HASHEDNET_TRAINER_H
#define HASHEDNET_TRAINER_H

#include "hashednet/backend.h"
#include "hashednet/config.h"
#include "hashednet/network.h"

#include <cstdint>
#include <iosfwd>
#include <vector>

namespace hashednet {

/// Borrowed, row-major event data. y holds one value per event (class label
/// 0/1, or class index) or n_targets values (regression); w may be null (all 1).
struct DataView {
   const float *x = nullptr;
   const float *y = nullptr;
   const float *w = nullptr;
   std::int64_t n = 0;
   std::int64_t n_features = 0;
   std::int64_t n_targets = 1;
};

struct EpochRecord {
   int epoch = 0;
   double train_loss = 0.0;
   double validation_loss = 0.0;
   double seconds = 0.0;
};

struct TrainingHistory {
   std::vector<EpochRecord> epochs;
   int best_epoch = 0;
   double best_validation_loss = 0.0;
   bool stopped_early = false;
};

/// The optimizer's buffers over the flat parameter buffer: gradient, first
/// and second moments (SGD uses m as its velocity), and Adam's step count.
struct OptimizerState {
   std::vector<float> grad, m, v;
   AdamState adam;

   explicit OptimizerState(std::int64_t n = 0) : grad(n), m(n, 0.0f), v(n, 0.0f) {}
   /// One update of the network's parameters from `grad`.
   void step(Network &network, const TrainingConfig &config, Backend &backend);
};

/// What streaming training keeps between chunks: the optimizer state and the
/// counters of batches (dropout stream) and chunks (shuffling seed).
struct StreamingState {
   OptimizerState optimizer;
   std::uint64_t batch_counter = 0;
   int n_chunks = 0;
};

/// Throws a clear Error when the data does not fit the network or holds
/// NaN/inf, bad labels or bad weights. `what` names the data set in messages.
void check_data(const Network &network, const DataView &data, const char *what);

/// Weighted mean loss of the network on `data` (no dropout).
double evaluate_loss(const Network &network, const DataView &data, Backend &backend);

/// Trains one phase. `validation` with n == 0 means: early-stop on the training loss.
/// `log` null means silent; otherwise one line per epoch like TMVA's DL.
TrainingHistory train(Network &network, const DataView &training, const DataView &validation,
                      const TrainingConfig &config, Backend &backend, std::ostream *log);

/// Streaming training: one pass of mini-batches over one chunk of events
/// (shuffled within the chunk), continuing `state`, so that a data set of
/// any size trains chunk by chunk in the memory of one chunk. No validation
/// and no early stopping here: the caller decides. Returns the chunk's
/// weighted mean training loss.
double train_chunk(Network &network, const DataView &chunk, const TrainingConfig &config, Backend &backend,
                   StreamingState &state);

} // namespace hashednet

#endif // HASHEDNET_TRAINER_H
