// standalone_class.h: a trained network written out as plain C++17 source.
//
// What it is: the generator of TMVA's "MakeClass" response class for HashedDNN,
// shared by the TMVA method (MethodHashedDNN::MakeClassSpecific) and by the
// Python workflow. The generated code holds only what the network holds: each
// layer's buckets (or dense weights) and biases as float arrays, the layer
// shapes and hash seeds, the input normalisation, and the hash itself, which
// is the text of hashednet/hash.h copied in verbatim when the core was built.
// No D-sized matrix is written: the virtual weights are recomputed from the
// hash, as the network does.
//
// What it is not: it knows nothing of ROOT or TMVA. TMVA's own variable
// transformations (VarTransform) are applied by TMVA's MakeClass frame around
// the code from standalone_network_code(); the complete class from
// standalone_class_source() expects the inputs the network was trained on.
//
// The generated response equals Network::predict up to float rounding (the
// summation order of the matrix products differs; see tests/test_standalone_class.py).
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
/// Network::predict. `ns` must be a valid C++ identifier.
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

} // namespace hashednet

#endif // HASHEDNET_STANDALONE_CLASS_H
