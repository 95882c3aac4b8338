// optimizer.h: optimizers as objects over the one flat parameter buffer.
//
// What it is: an Optimizer updates a Buffer of parameters from a Buffer of
// gradients of the same size, keeping its state (SGD's velocity, Adam's
// moments and step count) in buffers of the same backend. It knows nothing
// of layers: every parameter is one element of the flat buffer.
//
//   SGD   velocity = momentum * velocity + grad + wd * params;  params -= lr * velocity
//   ADAM  Kingma & Ba (beta1 0.9, beta2 0.999, epsilon 1e-7), L2 weight decay
//         added to the gradient, bias correction folded into the step size
//
// Adding an optimizer: its name in kOptimizerNames (optimizer.cpp) and one
// class per backend family (host_optimizers.cpp for CPU and reference).
//
// What it is not: the learning-rate schedule or the training loop (trainer.h).
#ifndef HASHEDNET_OPTIMIZER_H
#define HASHEDNET_OPTIMIZER_H

#include "hashednet/backend.h"
#include "hashednet/buffer.h"
#include "hashednet/config.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

class Optimizer {
public:
   virtual ~Optimizer() = default;
   /// The option name (SGD, ADAM).
   virtual const char *name() const = 0;
   /// One update of params from grad (both of the size the optimizer was made
   /// for), with the hyper-parameters of `config` (learning rate, momentum,
   /// weight decay), which may change from call to call.
   virtual void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) = 0;
};

/// The optimizer config.optimizer names, for n_params parameters, with its state in `backend`'s memory.
std::unique_ptr<Optimizer> make_optimizer(const TrainingConfig &config, Backend &backend, std::int64_t n_params);

/// The optimizer names make_optimizer knows, in the order the help text lists them.
const std::vector<std::string> &optimizer_names();

} // namespace hashednet

#endif // HASHEDNET_OPTIMIZER_H
