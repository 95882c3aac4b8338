// python_api.cpp: see python_api.h.
#include "hashednet/python_api.h"

#include "hashednet/common.h"
#include "hashednet/network_spec.h"
#include "options_internal.h"

#include <iostream>

namespace hashednet {
namespace python_api {

namespace {
const Task kTasks[] = {Task::Classification, Task::Multiclass, Task::Regression};

Task task_of(const std::string &name)
{
   const std::string chosen = grammar::choose(name, task_names(), "task");
   for (Task task : kTasks)
      if (task_name(task) == chosen)
         return task;
   HASHEDNET_ASSERT(false);
   return Task::Classification;
}

/// The shape arguments of make_model, checked with messages in Python's words.
void check_shape(std::int64_t n_inputs, Task task, std::int64_t n_outputs)
{
   HASHEDNET_CHECK(n_inputs > 0, "n_inputs must be a positive integer, got " << n_inputs);
   HASHEDNET_CHECK(task != Task::Multiclass || n_outputs >= 2,
                   "multiclass needs n_outputs >= 2 (the number of classes), got " << n_outputs);
   HASHEDNET_CHECK(task != Task::Classification || n_outputs == 1,
                   "classification has one output (P(signal)), got n_outputs=" << n_outputs
                                                                               << "; use task='multiclass'");
   HASHEDNET_CHECK(n_outputs >= 1, "n_outputs must be >= 1 (the number of targets), got " << n_outputs);
}
} // namespace

OptionItems written_items(const std::string &text)
{
   OptionItems items;
   for (const grammar::OptionItem &item : grammar::option_items(text))
      items.emplace_back(item.key, item.has_value ? item.value : (item.negated ? "False" : "True"));
   return items;
}

OptionItems option_items(const MethodOptions &options)
{
   return written_items(to_option_string(options));
}

std::size_t phase_count(const MethodOptions &options)
{
   return options.training.size();
}

OptionItems phase_items(const MethodOptions &options, std::size_t phase)
{
   HASHEDNET_CHECK(phase < options.training.size(), "phase " << phase << " does not exist; the options have "
                                                            << options.training.size() << " phases");
   std::string strategy;
   for (const auto &item : option_items(options))
      if (item.first == "TrainingStrategy")
         strategy = item.second;
   OptionItems items;
   for (const std::string &entry : grammar::split(grammar::split(strategy, '|').at(phase), ',')) {
      const std::size_t eq = entry.find('=');
      HASHEDNET_ASSERT(eq != std::string::npos);
      items.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
   }
   items.emplace_back("RandomSeed", std::to_string(options.training[phase].seed));
   return items;
}

int verbosity(const MethodOptions &options)
{
   HASHEDNET_ASSERT(!options.training.empty());
   return options.training.front().verbosity;
}

std::vector<std::string> task_names()
{
   std::vector<std::string> names;
   for (Task task : kTasks)
      names.push_back(task_name(task));
   return names;
}

std::string default_layout()
{
   return kDefaultLayout;
}

double compression_value(const std::string &text)
{
   return grammar::parse_compression(grammar::trim(text), "compression");
}

Model make_model(const MethodOptions &options, std::int64_t n_inputs, const std::string &task,
                 std::int64_t n_outputs)
{
   check_shape(n_inputs, task_of(task), n_outputs);
   const NetworkSpec spec = network_spec(options, n_inputs, task_of(task), n_outputs);
   check_thread_count(options.num_threads, "num_threads");
   return Model(spec, options.weight_init, options.random_seed, options.num_threads,
                architecture_from_string(options.architecture), gpu_settings(options));
}

namespace {
const float *device_floats(std::uintptr_t address)
{
   return reinterpret_cast<const float *>(address); // null for 0
}
} // namespace

void predict_resident(Model &model, std::uintptr_t x, std::int64_t n, std::int64_t n_features, std::uintptr_t out)
{
   model.predict_resident(device_floats(x), n, n_features, reinterpret_cast<float *>(out));
}

TrainingHistory train_resident(Model &model, std::uintptr_t x, std::uintptr_t y, std::uintptr_t w, std::int64_t n,
                               std::uintptr_t x_validation, std::uintptr_t y_validation, std::uintptr_t w_validation,
                               std::int64_t n_validation, std::int64_t n_features, std::int64_t n_targets,
                               const TrainingConfig &config, bool verbose)
{
   DataView training{device_floats(x), device_floats(y), device_floats(w), n, n_features, n_targets};
   DataView validation{device_floats(x_validation), device_floats(y_validation), device_floats(w_validation),
                       n_validation, n_features, n_targets};
   training.resident = validation.resident = true;
   return model.train_phase(training, validation, config, verbose ? &std::cout : nullptr);
}

double train_chunk_resident(Model &model, std::uintptr_t x, std::uintptr_t y, std::uintptr_t w, std::int64_t n,
                            std::int64_t n_features, std::int64_t n_targets, const TrainingConfig &config)
{
   DataView chunk{device_floats(x), device_floats(y), device_floats(w), n, n_features, n_targets};
   chunk.resident = true;
   return model.train_chunk_view(chunk, config);
}

std::uintptr_t params_address(Model &model)
{
   HASHEDNET_CHECK(model.architecture() == Architecture::Gpu,
                   "this network is on the CPU: its parameters are the numpy array of `params`; use device='cuda'");
   return reinterpret_cast<std::uintptr_t>(model.network().params().data());
}

TrainingConfig training_phase(const MethodOptionsBuilder &builder, std::size_t phase, const Model &model)
{
   MethodOptionsBuilder with_layout = builder;
   with_layout.set("Layout", format_layout(model.network().spec().layers));
   with_layout.set("NumThreads", std::to_string(model.num_threads())); // a phase without NumThreads: the model's
   const MethodOptions options = with_layout.build(model.network().n_inputs());
   HASHEDNET_CHECK(phase < options.training.size(), "phase " << phase << " does not exist");
   const TrainingConfig &config = options.training[phase];
   check_thread_count(config.num_threads, "num_threads");
   return config;
}

std::vector<std::string> check_for_task(const MethodOptions &options, const std::string &task)
{
   return check_options_for_task(options, task_of(task));
}

} // namespace python_api
} // namespace hashednet
