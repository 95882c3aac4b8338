// network_spec.h: the network a HashedDNN option string asks for, given the data.
//
// What it is: the one conversion from parsed method options (options.h) and
// the data's shape (inputs, task, outputs) to a NetworkSpec (config.h). The
// TMVA method and the Python compatible workflow both call it.
//
// What it is not: the option parser (options.h) or a network (network.h).
#ifndef HASHEDNET_NETWORK_SPEC_H
#define HASHEDNET_NETWORK_SPEC_H

#include "hashednet/config.h"
#include "hashednet/options.h"

#include <cstdint>

namespace hashednet {

/// The NetworkSpec of `options` for data with n_inputs variables and
/// n_outputs outputs of `task` (1 for two-class classification, the classes
/// for multiclass, the targets for regression). Layer widths written with N
/// are resolved against n_inputs. The spec is checked when a Network is made
/// of it.
NetworkSpec network_spec(const MethodOptions &options, std::int64_t n_inputs, Task task, std::int64_t n_outputs);

} // namespace hashednet

#endif // HASHEDNET_NETWORK_SPEC_H
