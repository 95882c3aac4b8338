// python_api.h: the door of the Python package into the core, besides Model's
// public API and the option parser of options.h.
//
// What it is: a handful of functions with plain arguments (option text and
// numbers in, option text out, errors as hashednet::Error) through which
// tmva_hashednet builds networks and training phases and reads the core's
// defaults and names. Python never sets or reads a field of a core struct
// (NetworkSpec, TrainingConfig, MethodOptions): it hands MethodOptions and
// TrainingConfig back unopened, so a rename in the core breaks this file's
// compile, not a Python run.
// What it is not: a second validation. Every Python keyword becomes one
// option of a MethodOptionsBuilder (options.h) and passes the option string's
// checks, with its messages.
#ifndef HASHEDNET_PYTHON_API_H
#define HASHEDNET_PYTHON_API_H

#include "hashednet/model.h"
#include "hashednet/options.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hashednet {
namespace python_api {

/// (name, value) pairs as an option string writes them; booleans "True"/"False".
using OptionItems = std::vector<std::pair<std::string, std::string>>;

/// The items of any option string as written: (key without '!', value), a bare
/// Key giving "True" and !Key "False"; read by the one tokenizer, not checked
/// against any option list.
OptionItems written_items(const std::string &text);

/// The top-level options of to_option_string(options), in the parser's order.
OptionItems option_items(const MethodOptions &options);

/// The keys of TrainingStrategy phase `phase` as to_option_string writes them,
/// then ("RandomSeed", the phase's seed).
OptionItems phase_items(const MethodOptions &options, std::size_t phase);

/// How many TrainingStrategy phases the options have (at least 1).
std::size_t phase_count(const MethodOptions &options);

/// 0 when the options silence the per-epoch lines, else 1.
int verbosity(const MethodOptions &options);

/// The task names, as `task` arguments take them (any case): Classification, Multiclass, Regression.
std::vector<std::string> task_names();

/// Layout used when none is given (kDefaultLayout).
std::string default_layout();

/// A compression ratio "1/8" or "0.125" in (0, 1], read as the Compression option reads it.
double compression_value(const std::string &text);

/// A new network: options built with n_inputs, `task` one of task_names(),
/// n_outputs the classes (multiclass) or targets (regression), 1 for
/// classification. NumThreads is checked against this machine (check_thread_count).
Model make_model(const MethodOptions &options, std::int64_t n_inputs, const std::string &task,
                 std::int64_t n_outputs);

/// Training phase `phase` of `builder`'s options to train `model`: DropConfig
/// is checked against the model's layers (as against Layout in an option
/// string) and NumThreads against this machine.
TrainingConfig training_phase(const MethodOptionsBuilder &builder, std::size_t phase, const Model &model);

/// Model::predict_resident on device arrays given by address (a CuPy array's
/// data pointer): x (n x n_features) in, out (n x n_outputs) written on return.
void predict_resident(Model &model, std::uintptr_t x, std::int64_t n, std::int64_t n_features, std::uintptr_t out);

/// Model::train_phase on device arrays given by address (DataView::resident;
/// w, and the validation arrays, may be 0): the values were checked on the
/// device by the caller (tmva_hashednet/_cuda.py).
TrainingHistory train_resident(Model &model, std::uintptr_t x, std::uintptr_t y, std::uintptr_t w, std::int64_t n,
                               std::uintptr_t x_validation, std::uintptr_t y_validation, std::uintptr_t w_validation,
                               std::int64_t n_validation, std::int64_t n_features, std::int64_t n_targets,
                               const TrainingConfig &config, bool verbose);

/// Model::train_chunk (partial_fit) on device arrays given by address (w may be 0), checked as for train_resident.
double train_chunk_resident(Model &model, std::uintptr_t x, std::uintptr_t y, std::uintptr_t w, std::int64_t n,
                            std::int64_t n_features, std::int64_t n_targets, const TrainingConfig &config);

/// The device address of a GPU model's flat parameter buffer (n_params floats),
/// for a CuPy view; an Error for a model on the CPU.
std::uintptr_t params_address(Model &model);

/// check_options_for_task for a task given by name.
std::vector<std::string> check_for_task(const MethodOptions &options, const std::string &task);

} // namespace python_api
} // namespace hashednet

#endif // HASHEDNET_PYTHON_API_H
