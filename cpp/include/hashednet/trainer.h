// trainer.h: mini-batch training with early stopping, TMVA style.
//
// One call trains one phase of a TrainingStrategy: shuffle each epoch, run
// mini-batches (dropout, event weights, L2 weight decay, SGD with momentum or
// Adam over the one flat parameter buffer), evaluate the validation loss, and
// stop after `convergence_steps` epochs without improvement (TMVA's
// ConvergenceSteps). The parameters of the best epoch are restored at the
// end (a copy inside the backend's memory). A seed makes a run reproducible
// bit for bit for a given thread count. Everything runs on the network's
// backend; the event data stay in host memory and enter batch by batch.
#ifndef HASHEDNET_TRAINER_H
#define HASHEDNET_TRAINER_H

#include "hashednet/backend.h"
#include "hashednet/config.h"
#include "hashednet/network.h"
#include "hashednet/optimizer.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <vector>

namespace hashednet {

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

/// What streaming training keeps between chunks: the optimizer state and the
/// counters of batches (dropout stream) and chunks (shuffling seed).
struct StreamingState {
   std::unique_ptr<Optimizer> optimizer; ///< made by the first chunk (again when the optimizer's name changes)
   Buffer grad;                          ///< the gradient of a batch, in the backend's memory
   std::uint64_t batch_counter = 0;
   int n_chunks = 0;
};

/// Throws a clear Error when the data does not fit the network or holds
/// NaN/inf, bad labels or bad weights. `what` names the data set in messages.
void check_data(const Network &network, const DataView &data, const char *what);

/// Weighted mean loss of the network on `data` (no dropout).
double evaluate_loss(const Network &network, const DataView &data);

/// Trains one phase. `validation` with n == 0 means: early-stop on the training loss.
/// `log` null or config.verbosity 0 means silent; otherwise one line per
/// epoch like TMVA's DL. Runs on the network's backend with its threads
/// (Model::train sets the phase's num_threads). When a SIGINT arrives under a
/// SigintGuard (interrupt.h; Model::train installs one) it throws Interrupted
/// after the running mini-batch or validation chunk, with the network's
/// parameters restored to the best completed epoch, or to those it had on
/// entry when no epoch was completed: the network is then bit for bit the
/// one a run with MaxEpochs = the completed epochs gives, never a mid-epoch
/// state that no validation loss has seen.
TrainingHistory train(Network &network, const DataView &training, const DataView &validation,
                      const TrainingConfig &config, std::ostream *log);

/// Streaming training: one pass of mini-batches over one chunk of events
/// (shuffled within the chunk), continuing `state`, so that a data set of
/// any size trains chunk by chunk in the memory of one chunk. No validation
/// and no early stopping here: the caller decides. Returns the chunk's
/// weighted mean training loss. On a SIGINT (as train) it throws Interrupted
/// after the running mini-batch, keeping the parameters and optimizer state
/// of that batch (a chunk has no validated state to go back to).
double train_chunk(Network &network, const DataView &chunk, const TrainingConfig &config, StreamingState &state);

} // namespace hashednet

#endif // HASHEDNET_TRAINER_H
