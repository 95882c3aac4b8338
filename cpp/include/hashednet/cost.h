// cost.h: what a network costs to evaluate and to train, counted from its shape.
//
// What it is: the virtual multiply-adds of one event's forward pass and of
// its training step (forward, dx and dV products: three times the forward),
// the bytes of the real parameters, and the threshold above which the
// trainer, the TMVA method and the Python package warn before a run that
// may take hours (issue 12: TANH|100000,TANH|100000 at Compression=1/1000 is
// 1e10 multiply-adds per event; one event's response took 44 s here).
// What it is not: a timing model (the speed depends on the CPU, the threads
// and the scheme; benchmarks/ measures it). Making each virtual weight from
// its hash (once per mini-batch and tile, three times in training) and
// FUNHASH's g come on top.
#ifndef HASHEDNET_COST_H
#define HASHEDNET_COST_H

#include "hashednet/network.h"

#include <cstdint>
#include <string>

namespace hashednet {

/// Above this many virtual multiply-adds per event the cost is reported as a
/// warning: at the ~2e8 multiply-adds/s of the single-event path measured on
/// this project's machine, one event's response takes about half a second and
/// one training epoch of 10^4 events well over an hour.
constexpr std::int64_t kExpensiveMultiplyAdds = 100000000;

struct CostEstimate {
   std::int64_t virtual_weights = 0;        ///< n_in * n_out summed over the layers (CONV: its filter matrix)
   std::int64_t forward_multiply_adds = 0;  ///< per event: one response
   std::int64_t training_multiply_adds = 0; ///< per event and epoch: forward, dx and dV
   std::int64_t real_bytes = 0;             ///< the real parameters (buckets, biases, g), float32
   bool expensive() const { return forward_multiply_adds > kExpensiveMultiplyAdds; }
};

CostEstimate estimate_cost(const Network &network);

/// "cost per event: 1.34e+05 virtual multiply-adds forward, 4.01e+05 in training; real parameters 70532 bytes"
std::string describe_cost(const CostEstimate &cost);

/// A warning naming the cost, the threshold and what to try; empty when not expensive().
std::string cost_warning(const CostEstimate &cost);

} // namespace hashednet

#endif // HASHEDNET_COST_H
