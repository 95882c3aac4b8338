// model.h: the one object the Python package and the TMVA method hold — a
// Network with the backend that runs it.
//
// Every entry point takes plain host pointers and sizes (numpy float32
// arrays pass through PyROOT without copies), checks them once, and calls
// the core. The Model makes its backend (make_backend) and is the only
// place that does; everything it owns lives in that backend's memory, and
// host arrays go in and out by explicit copies.
#ifndef HASHEDNET_MODEL_H
#define HASHEDNET_MODEL_H

#include "hashednet/backend.h"
#include "hashednet/config.h"
#include "hashednet/event_predict.h"
#include "hashednet/network.h"
#include "hashednet/interrupt.h"
#include "hashednet/trainer.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

class Model {
public:
   /// A new network with freshly initialised parameters on the backend of
   /// `architecture` with num_threads threads (0 = all cores); `gpu`: the GPU
   /// backend's settings (make_backend: only the default for other backends).
   Model(const NetworkSpec &spec, WeightInit init, std::uint64_t seed, int num_threads = 0,
         Architecture architecture = Architecture::Cpu, const GpuSettings &gpu = GpuSettings());
   /// A network read back from serialize() text.
   static Model from_text(const std::string &text, int num_threads = 0, Architecture architecture = Architecture::Cpu,
                          const GpuSettings &gpu = GpuSettings());
   static Model from_file(const std::string &path, int num_threads = 0, Architecture architecture = Architecture::Cpu,
                          const GpuSettings &gpu = GpuSettings());

   Network &network() { return network_; }
   const Network &network() const { return network_; }
   std::string to_text() const;
   void save(const std::string &path) const;

   /// The threads the model was made with or set to (0 = all cores), and its backend.
   int num_threads() const { return num_threads_; }
   void set_num_threads(int num_threads);
   Architecture architecture() const { return backend_->architecture(); }
   const char *backend_name() const { return backend_->name(); }
   void set_input_transform(const float *offset, const float *scale, std::int64_t n);

   /// One training phase; validation n_validation == 0 early-stops on the
   /// training loss. Progress goes to std::cout when `verbose`. The phase runs
   /// on config.num_threads threads (0 = all cores); the model's own count
   /// (num_threads()) is restored afterwards. Ctrl-C (SIGINT) stops it within
   /// a mini-batch: it throws Interrupted (see hashednet::train for what the
   /// network keeps); the SIGINT handler is the caller's again on return.
   TrainingHistory train(const float *x, const float *y, const float *w, std::int64_t n, const float *x_validation,
                         const float *y_validation, const float *w_validation, std::int64_t n_validation,
                         std::int64_t n_features, std::int64_t n_targets, const TrainingConfig &config,
                         bool verbose = true);
   /// The same on DataViews, with progress to `log` (null: silent); the TMVA
   /// method calls it once per phase. (Not an overload of train: PyROOT turns
   /// the C++ exception of an overload into a TypeError.)
   TrainingHistory train_phase(const DataView &training, const DataView &validation, const TrainingConfig &config,
                               std::ostream *log);

   /// Streaming training: one pass over a chunk of n events, continuing the
   /// optimizer state of earlier chunks (see hashednet::train_chunk); returns
   /// the chunk's mean training loss. reset_streaming() starts afresh.
   /// Ctrl-C throws Interrupted after the running mini-batch, as train does.
   double train_chunk(const float *x, const float *y, const float *w, std::int64_t n, std::int64_t n_features,
                      std::int64_t n_targets, const TrainingConfig &config);
   /// train_chunk on a DataView (device arrays: DataView::resident, python_api::train_chunk_resident).
   double train_chunk_view(const DataView &chunk, const TrainingConfig &config);
   void reset_streaming() { streaming_ = StreamingState(); }

   /// Responses of n events into out (n x n_outputs).
   void predict(const float *x, std::int64_t n, std::int64_t n_features, float *out);
   /// predict with x and out in the backend's memory (e.g. CuPy arrays on the GPU); returns when out is written.
   void predict_resident(const float *x, std::int64_t n, std::int64_t n_features, float *out);

   /// Response of one event (the TMVA Reader case), no allocation per call after the first.
   /// event_forward.h's fixed order: the standalone class's response bit for
   /// bit; predict's (sgemm) to float rounding. On the GPU backend it is predict of one event.
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
   Model(std::unique_ptr<Backend> backend, int num_threads, const std::string &text);
   void check_features(std::int64_t n_features) const;

   std::unique_ptr<Backend> backend_; ///< first: the network's buffers live in it
   int num_threads_ = 0;
   Network network_;
   std::vector<float> one_event_;
   EventScratch event_;            ///< predict_one's buffers
   ForwardContext context_;        ///< reused by predict and gradient: no allocation per call
   BatchBuffers batch_;            ///< gradient's batch, reused
   Buffer d_logits_, grad_;        ///< gradient's dL/dlogits and dL/dparams, reused
   StreamingState streaming_;
};

/// The text of hashed_layout/hash definitions, for reports: "xxh32-v1".
std::string hash_definition();

/// The BLAS linked into the core.
std::string blas_name();

} // namespace hashednet

#endif // HASHEDNET_MODEL_H
