// standalone_class.h: a trained network written out as plain C++17 source.
//
// What it is: the generator of TMVA's "MakeClass" response class for HashedDNN,
// shared by the TMVA method (MethodHashedDNN::MakeClassSpecific) and by the
// Python workflow. The generated code holds only what the network holds: each
// layer's buckets (or dense weights) and biases as float arrays, the layer
// shapes and hash seeds, and the input normalisation. Its code is the core's
// own: the headers of CMakeLists.txt's HASHEDNET_EMBEDDED_HEADERS (common.h,
// config.h, hash.h, hashed_layout.h, activation.h, event_forward.h), copied in
// verbatim when the core was built, and a call of event::forward. No D-sized
// matrix is written: the virtual weights are recomputed from the hash.
//
// The response equals Model::predict_one (event_forward.h) bit for bit, with
// any of g++'s or clang++'s -O levels and -march flags: the embedded code is
// wrapped in pragmas that switch contraction into fused multiply-adds off
// (#pragma GCC optimize("fp-contract=off"), #pragma clang fp contract(off)).
// Not with -ffast-math, which lets the compiler reorder the sums. It equals
// Network::predict (sgemm) to float rounding.
//
// What it is not: it knows nothing of ROOT or TMVA. TMVA's own variable
// transformations (VarTransform) are applied by TMVA's MakeClass frame around
// the code from standalone_network_code(); the complete class from
// standalone_class_source() expects the inputs the network was trained on.
#ifndef HASHEDNET_STANDALONE_CLASS_H
#define HASHEDNET_STANDALONE_CLASS_H

#include "hashednet/network.h"

#include <string>
#include <vector>

namespace hashednet {

/// Namespace-level code: the hash (hash.h, verbatim), the network's arrays and
///   namespace <ns> { constexpr int kInputs, kOutputs;
///                    void evaluate(const double *x, double *out); }
/// `evaluate` maps kInputs raw inputs to kOutputs responses (probability of
/// the first class, class probabilities, or regression targets), exactly as
/// Model::predict_one. `ns` must be a valid C++ identifier.
std::string standalone_network_code(const Network &network, const std::string &ns);

/// A complete, self-contained C++17 source file defining `class_name` with
///   explicit class_name(const std::vector<std::string> &input_names);  // checked against the training names
///   bool IsStatusClean() const;
///   double GetMvaValue(const std::vector<double> &x) const;            // first response
///   std::vector<double> GetResponse(const std::vector<double> &x) const; // all responses
/// `input_names` (one per network input) are the variable names the class
/// checks its constructor argument against. Throws hashednet::Error when
/// `class_name` is not an identifier or the number of names is wrong.
std::string standalone_class_source(const Network &network, const std::string &class_name,
                                    const std::vector<std::string> &input_names);

/// The text of hash.h that the generated code carries (for tests and reports).
std::string standalone_hash_source();

/// The paths ("hashednet/hash.h", ...) of the headers the generated code
/// carries, in their order there.
std::vector<std::string> standalone_embedded_headers();

} // namespace hashednet

#endif // HASHEDNET_STANDALONE_CLASS_H
