// batch_norm.h: BNORM, MethodDL's batch normalisation layer (TMVA's TBatchNormLayer).
//
// What it is: a layer that normalises each feature of its input and scales
// and shifts it, y = gamma * (x - mean) / sqrt(var + epsilon) + beta. The
// features are the channels of an image (after a CONV or MAXPOOL, or a BNORM
// on such an image: every position of a channel is one value of its feature)
// and otherwise each input value (after a DENSE or RESHAPE, or first in the
// Layout): TDeepNet::AddBatchNormLayer's rule. In training (Network::forward)
// mean and var are the batch's (the biased variance over the batch's values
// of the feature); in inference and validation (Network::predict, evaluate)
// the running statistics. Its slice of the flat buffer is gamma, beta, the
// running means and the running variances, `features` values each;
// initialize() sets TMVA's values 1, 0, 0, 1 and draws no random numbers.
// The running statistics have no gradient: each training batch's forward
// pass computes their new values into the context (TMVA's update,
// running_update()), and Network::commit_running_statistics writes them
// after the optimizer's step, so weight decay never touches them.
//
// What it is not: the kernels (backend.h's batch_norm_*), or the
// single-event path (event_conv.h's batch_norm_forward, whose formula the
// inference kernels share bit for bit).
#ifndef HASHEDNET_BATCH_NORM_H
#define HASHEDNET_BATCH_NORM_H

#include "hashednet/layer.h"

#include <string>

namespace hashednet {

/// A BNORM layer's geometry and constants, as the kernels see them.
struct BatchNormShape {
   std::int64_t features = 0; ///< normalised features (channels, or values)
   std::int64_t spatial = 1;  ///< values of a feature per event (positions of a channel; 1 per value)
   double momentum = -1.0;
   double epsilon = 1e-4;
   std::int64_t n_values() const { return features * spatial; }
};

/// An Error naming the allowed values unless momentum < 1 (in [0, 1) or
/// negative) and epsilon > 0, both finite; `where` names the layer.
void check_batch_norm(const BatchNormSpec &spec, const std::string &where);

/// TMVA's running statistic after a training batch: the batch's value alone
/// for the first batch (trained_batches 0), else decay * running + (1 -
/// decay) * batch with decay = momentum, or trained / (trained + 1) for a
/// negative momentum (the cumulative average).
double running_update(double running, double batch, double momentum, std::uint64_t trained_batches);

/// TMVA's running variance takes the batch variance times m / (m - 1 + epsilon), m values per feature.
double unbiased_variance(double biased, std::int64_t m, double epsilon);

class BatchNorm final : public Layer {
public:
   BatchNorm(const BatchNormShape &shape, std::int64_t offset);

   LayerKind kind() const override { return LayerKind::BatchNorm; }
   std::int64_t n_in() const override { return shape_.n_values(); }
   std::int64_t n_out() const override { return shape_.n_values(); }
   std::int64_t offset() const override { return offset_; }
   std::int64_t n_params() const override { return 4 * shape_.features; }
   LayerMemory memory() const override;
   void initialize(float *params, WeightInit init, Rng &rng) const override;
   std::unique_ptr<LayerContext> make_context() const override;

   const BatchNormShape &shape() const { return shape_; }
   /// After a training forward pass of `context`: its running statistics
   /// (2 x features, means then variances) into the layer's slice of params.
   void commit_running_statistics(Backend &backend, float *params, const LayerContext &context) const;

private:
   void forward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                     LayerContext &context) const override;
   void backward_impl(Backend &backend, const float *params, const float *x, std::int64_t batch,
                      LayerContext &context, float *dy, float *dx, float *grad) const override;

   BatchNormShape shape_;
   std::int64_t offset_;
};

} // namespace hashednet

#endif // HASHEDNET_BATCH_NORM_H
