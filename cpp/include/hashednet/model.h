// model.h: the one object the Python package and the TMVA method hold — a
// Network with the backend that runs it.
//
// Every entry point takes plain pointers and sizes (numpy float32 arrays pass
// through PyROOT without copies), checks them once, and calls the core.
#ifndef HASHEDNET_MODEL_H
#define HASHEDNET_MODEL_H

#include "hashednet/backend.h"
#include "hashednet/config.h"
#include "hashednet/event_predict.h"
#include "hashednet/network.h"
#include "hashednet/trainer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

class Model {
public:
   /// A new network with freshly initialised parameters.
   Model(const NetworkSpec &spec, WeightInit init, std::uint64_t seed, int num_threads = 0);
   /// A network read back from serialize() text.
   static Model from_text(const std::string &text, int num_threads = 0);
   static Model from_file(const std::string &path, int num_threads = 0);

   Network &network() { return network_; }
   const Network &network() const { return network_; }
   std::string to_text() const;
   void save(const std::string &path) const;

   void set_num_threads(int num_threads);
   void set_input_transform(const float *offset, const float *scale, std::int64_t n);

   /// One training phase; validation n_validation == 0 early-stops on the training loss.
   TrainingHistory train(const float *x, const float *y, const float *w, std::int64_t n, const float *x_validation,
                         const float *y_validation, const float *w_validation, std::int64_t n_validation,
                         std::int64_t n_features, std::int64_t n_targets, const TrainingConfig &config,
                         bool verbose = true);

   /// Streaming training: one pass over a chunk of n events, continuing the
   /// optimizer state of earlier chunks (see hashednet::train_chunk); returns
   /// the chunk's mean training loss. reset_streaming() starts afresh.
   double train_chunk(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                      std::int64_t n_targets, const TrainingConfig &config);
   void reset_streaming() { streaming_ = StreamingState(); }

   /// Responses of n events into out (n x n_outputs).
   void predict(const float *x, std::int64_t n, std::int64_t n_features, float *out);

   /// Response of one event (the TMVA Reader case), no allocation per call after the first.
   /// event_forward.h's fixed order: the standalone class's response bit for
   /// bit; predict's (sgemm) to float rounding.
   /// A Model is not thread-safe: it owns the buffers its calls work in.
   const std::vector<float> &predict_one(const float *x, std::int64_t n_features);

   /// Weighted mean loss on data (no dropout).
   double loss(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
               std::int64_t n_targets);

   /// dL/dparams of the weighted mean loss of one batch, into grad (n_params); returns the loss.
   double gradient(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                   std::int64_t n_targets, float *grad);

   std::int64_t n_params() const { return network_.n_params(); }
   void get_params(float *out, std::int64_t n) const;
   void set_params(const float *values, std::int64_t n) { network_.set_params(values, n); }

private:
   Model(Network network, int num_threads);
   void check_features(std::int64_t n_features) const;

   Network network_;
   std::unique_ptr<Backend> backend_;
   std::vector<float> one_event_;
   EventScratch event_;            ///< predict_one's buffers
   ForwardContext context_;        ///< reused by predict, predict_one and gradient: no allocation per call
   std::vector<float> d_logits_;   ///< gradient's dL/dlogits, reused
   StreamingState streaming_;
};

/// The text of hashed_layout/hash definitions, for reports: "xxh32-v1".
std::string hash_definition();

/// The BLAS linked into the core.
std::string blas_name();

} // namespace hashednet

#endif // HASHEDNET_MODEL_H
