// options.cpp: the HashedDNN option string (see options.h, docs/options.md).
//
// Two tables drive everything: option_keys() (top-level keys) and phase_keys()
// (keys of one TrainingStrategy phase). Each row knows its name, how to read
// a value into the options and how to write it back, so parsing, the help
// text and to_option_string cannot disagree about names or defaults.
#include "hashednet/options.h"

#include "hashednet/common.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/device.h"
#include "hashednet/funhash.h"
#include "hashednet/optimizer.h"
#include "options_internal.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <thread>

namespace hashednet {

namespace {

static_assert(kMaxHashBlock == 4096, "the HashBlock help text says [1, 4096]");

using grammar::Range;

const Range kPositive{0, true, std::numeric_limits<double>::infinity(), false};
const Range kNonNegative{0, false, std::numeric_limits<double>::infinity(), false};
const Range kProbability{0, false, 1, true};

const std::vector<std::string> kVerbosityLevels{"Default", "Debug", "Verbose", "Info", "Warning", "Error", "Fatal"};
const std::vector<std::string> kErrorStrategies{"CROSSENTROPY", "SUMOFSQUARES", "MUTUALEXCLUSIVE"};
const std::vector<std::string> kWeightInits{"XAVIER", "XAVIERUNIFORM"};
const std::vector<std::string> kTmvaOnlyWeightInits{"GAUSS", "UNIFORM", "IDENTITY", "ZERO"};
const std::vector<std::string> kArchitectures{"CPU", "GPU", "STANDARD"};
const std::vector<std::string> kGpuProducts{"AUTO", "FUSED", "MATERIALIZE"}; // GpuProduct's order (device.h)
const std::vector<std::string> kHashModes{"ELEMENT", "BLOCK", "FUNHASH", "FRESH"};
const Range kFreshBandExponents{0, false, kFreshMaxBandExponent, false};
static_assert(kFreshMaxSide == 16 && kFreshMaxBandExponent == 16.0, "the FreshSlice and FreshBandExponent help says 16");

/// FreshSlice's value: "" for NONE, else "<fh>x<fw>" (checked).
std::string fresh_slice_of(const std::string &value, const std::string &what)
{
   if (grammar::iequals(value, "NONE"))
      return "";
   int fh = 0, fw = 0;
   parse_fresh_slice(value, what, fh, fw);
   return format_fresh_slice(fh, fw);
}
const std::vector<std::string> kTmvaOnlyOptimizers{"ADAGRAD", "RMSPROP", "ADADELTA"};
const std::vector<std::string> kRegularizations{"NONE", "L2"};
const std::vector<std::string> kTmvaOnlyRegularizations{"L1"};
/// TMVA's transformation names (MethodBase::CreateVariableTransforms), plus None.
const std::vector<std::string> kTransforms{"None", "I",   "Ident", "Identity", "N",           "Norm",
                                           "Normalise", "Normalize", "D", "Deco",  "Decorrelate", "P",
                                           "PCA",  "G",   "Gauss", "U",        "Uniform"};

std::string bool_text(bool value)
{
   return value ? "True" : "False";
}

// ---------------------------------------------------------------------------
// TrainingStrategy: one phase is a ','-separated list of Key=Value.

/// A phase while it is read: the config plus what must be resolved afterwards.
struct Phase {
   TrainingConfig config;
   bool sets_num_threads = false;
   std::string regularization; ///< "", "NONE" or "L2"
   int multithreading = -1;    ///< -1 not given, 0 false, 1 true
};

struct PhaseKey {
   const char *name;
   const char *help;
   void (*set)(Phase &, const std::string &value, const std::string &what);
   std::string (*get)(const TrainingConfig &); ///< nullptr: not written back (ignored, or folded into others)
};

std::string dropout_text(const std::vector<double> &dropout)
{
   std::vector<std::string> pieces;
   for (double p : dropout)
      pieces.push_back(grammar::format_real(p));
   return grammar::join(pieces, "+");
}

void set_dropout(Phase &phase, const std::string &value, const std::string &what)
{
   const std::vector<std::string> pieces = grammar::split(value, '+');
   phase.config.dropout.clear();
   for (std::size_t i = 0; i < pieces.size(); ++i)
      phase.config.dropout.push_back(grammar::parse_real(
         grammar::trim(pieces[i]), "drop probability " + std::to_string(i + 1) + " of " + what,
         kProbability));
}

/// A phase key read as a real number in RANGE into config.FIELD.
#define HASHEDNET_REAL_KEY(NAME, FIELD, RANGE, HELP)                                                          \
   {                                                                                                          \
      NAME, HELP,                                                                                             \
         [](Phase &p, const std::string &v, const std::string &w) {                                           \
            p.config.FIELD = grammar::parse_real(v, w, RANGE);                                                \
         },                                                                                                   \
         [](const TrainingConfig &c) { return grammar::format_real(c.FIELD); }                                \
   }

/// A phase key read as an integer in [LOW, HIGH] into config.FIELD.
#define HASHEDNET_INTEGER_KEY(NAME, FIELD, LOW, HIGH, HELP)                                                   \
   {                                                                                                          \
      NAME, HELP,                                                                                             \
         [](Phase &p, const std::string &v, const std::string &w) {                                           \
            p.config.FIELD = static_cast<decltype(p.config.FIELD)>(grammar::parse_integer(v, w, LOW, HIGH));  \
         },                                                                                                   \
         [](const TrainingConfig &c) { return std::to_string(c.FIELD); }                                      \
   }

const std::vector<PhaseKey> &phase_keys()
{
   static const std::vector<PhaseKey> keys{
      HASHEDNET_REAL_KEY("LearningRate", learning_rate, kPositive, "step size, > 0"),
      HASHEDNET_REAL_KEY("Momentum", momentum, kProbability,
                         "SGD momentum, in [0, 1); ADAM uses beta1 = 0.9, beta2 = 0.999"),
      HASHEDNET_INTEGER_KEY("BatchSize", batch_size, 1, INT64_MAX, "events per gradient step, >= 1"),
      HASHEDNET_INTEGER_KEY("ConvergenceSteps", convergence_steps, 1, INT_MAX,
                            "epochs without a better validation loss before stopping, >= 1"),
      HASHEDNET_INTEGER_KEY("MaxEpochs", max_epochs, 1, INT_MAX, "most epochs of this phase, >= 1"),
      {"Optimizer", "SGD or ADAM",
       [](Phase &p, const std::string &v, const std::string &w) {
          p.config.optimizer = grammar::choose_supported(v, optimizer_names(), kTmvaOnlyOptimizers, w);
       },
       [](const TrainingConfig &c) { return c.optimizer; }},
      HASHEDNET_REAL_KEY("WeightDecay", weight_decay, kNonNegative, "L2 coefficient, >= 0"),
      {"Regularization", "NONE or L2; default L2 (WeightDecay applies); NONE sets WeightDecay to 0",
       [](Phase &p, const std::string &v, const std::string &w) {
          p.regularization = grammar::choose_supported(v, kRegularizations, kTmvaOnlyRegularizations, w);
       },
       nullptr},
      {"DropConfig", "drop probability of each layer's input, joined by '+', each in [0, 1)", set_dropout,
       [](const TrainingConfig &c) { return dropout_text(c.dropout); }},
      {"NumThreads", "threads of this phase, 0 = all; default: the top-level NumThreads",
       [](Phase &p, const std::string &v, const std::string &w) {
          p.config.num_threads = static_cast<int>(grammar::parse_integer(v, w, 0, INT_MAX));
          p.sets_num_threads = true;
       },
       [](const TrainingConfig &c) { return std::to_string(c.num_threads); }},
      {"Multithreading", "boolean; False means NumThreads=1",
       [](Phase &p, const std::string &v, const std::string &w) { p.multithreading = grammar::parse_bool(v, w); },
       nullptr},
      {"TestRepetitions", "accepted for TMVA compatibility and ignored, >= 1",
       [](Phase &, const std::string &v, const std::string &w) { grammar::parse_integer(v, w, 1, INT_MAX); },
       nullptr},
      {"Repetitions", "accepted for TMVA compatibility and ignored, >= 1",
       [](Phase &, const std::string &v, const std::string &w) { grammar::parse_integer(v, w, 1, INT_MAX); },
       nullptr},
   };
   return keys;
}

#undef HASHEDNET_REAL_KEY
#undef HASHEDNET_INTEGER_KEY

template <typename Row>
std::vector<std::string> names_of(const std::vector<Row> &rows)
{
   std::vector<std::string> names;
   for (const Row &row : rows)
      names.push_back(row.name);
   return names;
}

const PhaseKey &phase_key(const std::string &key, const std::string &where)
{
   for (const PhaseKey &row : phase_keys())
      if (grammar::iequals(key, row.name))
         return row;
   const std::vector<std::string> names = names_of(phase_keys());
   HASHEDNET_CHECK(false, "unknown key '" << key << "' in " << where << grammar::suggestion(key, names)
                                          << "Allowed keys: " << grammar::join(names, ", "));
   return phase_keys().front();
}

/// Resolves Regularization and Multithreading once every key of the phase is read.
void finish_phase(Phase &phase, const std::string &where)
{
   if (phase.regularization == "NONE")
      phase.config.weight_decay = 0;
   if (phase.multithreading != 0)
      return;
   HASHEDNET_CHECK(!phase.sets_num_threads || phase.config.num_threads == 1,
                   where << ": Multithreading=False contradicts NumThreads=" << phase.config.num_threads);
   phase.config.num_threads = 1;
   phase.sets_num_threads = true;
}

/// Reads one Key=Value of a phase into `phase`; `seen` holds the keys it already has.
void set_phase_key(Phase &phase, std::map<std::string, std::string> &seen, const std::string &key,
                   const std::string &value, const std::string &where)
{
   const PhaseKey &row = phase_key(key, where);
   const auto previous = seen.emplace(row.name, key);
   HASHEDNET_CHECK(previous.second, "key '" << key << "' is given twice in " << where << " (also as '"
                                            << previous.first->second << "')");
   HASHEDNET_CHECK(!value.empty(), "key '" << key << "' in " << where << " has an empty value");
   row.set(phase, value, key + " in " + where);
}

std::string phase_where(std::size_t index)
{
   return "TrainingStrategy phase " + std::to_string(index + 1);
}

Phase parse_phase(const std::string &text, const std::string &where)
{
   Phase phase;
   std::map<std::string, std::string> seen; // canonical name -> spelling used
   for (const std::string &raw : grammar::split(text, ',')) {
      const std::string item = grammar::trim(raw);
      HASHEDNET_CHECK(!item.empty(), where << " has an empty entry (a stray ',') in '" << text << "'");
      const std::size_t eq = item.find('=');
      HASHEDNET_CHECK(eq != std::string::npos, where << ": '" << item << "' is not Key=Value; Allowed keys: "
                                                     << grammar::join(names_of(phase_keys()), ", "));
      set_phase_key(phase, seen, grammar::trim(item.substr(0, eq)), grammar::trim(item.substr(eq + 1)), where);
   }
   return phase;
}

std::vector<Phase> parse_strategy(const std::string &text)
{
   const std::vector<std::string> blocks = grammar::split(text, '|');
   std::vector<Phase> phases;
   for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::string where = phase_where(i);
      HASHEDNET_CHECK(!grammar::trim(blocks[i]).empty(),
                      where << " is empty in '" << text << "'; phases are separated by '|', e.g. "
                            << "LearningRate=1e-3,MaxEpochs=50|LearningRate=1e-4");
      phases.push_back(parse_phase(blocks[i], where));
   }
   return phases;
}

std::string strategy_text(const std::vector<TrainingConfig> &training)
{
   std::vector<std::string> phases;
   for (const TrainingConfig &config : training) {
      std::vector<std::string> items;
      for (const PhaseKey &row : phase_keys()) {
         const std::string value = row.get ? row.get(config) : "";
         if (!value.empty())
            items.push_back(std::string(row.name) + "=" + value);
      }
      phases.push_back(grammar::join(items, ","));
   }
   return grammar::join(phases, "|");
}

// ---------------------------------------------------------------------------
// Top-level options.

/// What is read in one pass and resolved at the end.
struct ParseState {
   std::vector<Phase> phases;
   bool strategy_given = false; ///< phases come from TrainingStrategy (not from set_phase)
};

struct OptionKey {
   const char *name;
   const char *type; ///< "bool" marks options that accept Key and !Key
   const std::vector<std::string> *allowed;
   const char *help;
   void (*set)(MethodOptions &, ParseState &, const std::string &value, const std::string &what);
   std::string (*get)(const MethodOptions &);
};

void check_var_transform(const std::string &value)
{
   const std::string where = "VarTransform '" + value + "'";
   int depth = 0;
   for (char c : value) {
      depth += (c == '(') - (c == ')');
      HASHEDNET_CHECK(depth >= 0, where << ": unbalanced parentheses");
   }
   HASHEDNET_CHECK(depth == 0, where << ": unbalanced parentheses");
   HASHEDNET_CHECK(value.find(';') == std::string::npos,
                   where << ": separate transformations with ',' or '+' (TMVA's syntax), not ';'");
   const std::vector<std::string> tokens = grammar::split_outside_parentheses(value, ",+");
   for (const std::string &raw : tokens) {
      const std::string token = grammar::trim(raw);
      HASHEDNET_CHECK(!token.empty(), where << ": empty transformation (a stray ',' or '+')");
      const std::string name = token.substr(0, token.find_first_of("(_"));
      bool known = false;
      for (const std::string &t : kTransforms)
         known = known || grammar::iequals(name, t);
      HASHEDNET_CHECK(known, where << ": unknown variable transformation '" << name << "'"
                                   << grammar::suggestion(name, kTransforms) << "Allowed transformations: "
                                   << grammar::join(kTransforms, ", ")
                                   << " (each optionally followed by _Class and/or (variables))");
      HASHEDNET_CHECK(!grammar::iequals(name, "None") || tokens.size() == 1,
                      where << ": None cannot be combined with other transformations");
   }
}

double top_level_compression(const std::string &value, const std::string &what)
{
   HASHEDNET_CHECK(grammar::upper(value).rfind("K=", 0) != 0,
                   "bad value '" << value << "' for " << what
                                 << ": a bucket count K=... is set per layer in Layout, e.g. "
                                    "Layout=TANH|512|K=4096,LINEAR; Compression takes a ratio in (0, 1] "
                                    "such as 1/8 or 0.125");
   return grammar::parse_compression(value, "option " + what);
}

/// A row of option_keys(): SET reads `v` (the value, `w` the key as written)
/// into MethodOptions `o` or ParseState `s`; GET writes the value back.
#define HASHEDNET_OPTION(NAME, TYPE, ALLOWED, HELP, SET, GET)                                                 \
   {                                                                                                          \
      NAME, TYPE, ALLOWED, HELP,                                                                              \
         [](MethodOptions &o, ParseState &s, const std::string &v, const std::string &w) {                    \
            (void)o, (void)s, (void)w;                                                                        \
            SET;                                                                                              \
         },                                                                                                   \
         [](const MethodOptions &o) -> std::string { return GET; }                                            \
   }
#define HASHEDNET_BOOL_OPTION(NAME, FIELD, HELP)                                                              \
   HASHEDNET_OPTION(NAME, "bool", nullptr, HELP, o.FIELD = grammar::parse_bool(v, w), bool_text(o.FIELD))
#define HASHEDNET_CHOICE_OPTION(NAME, FIELD, LIST, HELP)                                                      \
   HASHEDNET_OPTION(NAME, "string", &LIST, HELP, o.FIELD = grammar::choose(v, LIST, w), o.FIELD)

WeightInit weight_init_of(const std::string &value, const std::string &what)
{
   const std::string name = grammar::choose_supported(value, kWeightInits, kTmvaOnlyWeightInits, what);
   return name == "XAVIER" ? WeightInit::XavierNormal : WeightInit::XavierUniform;
}

const std::vector<OptionKey> &option_keys()
{
   static const std::vector<OptionKey> keys{
      HASHEDNET_BOOL_OPTION("H", help, "Print method-specific help message"),
      HASHEDNET_BOOL_OPTION("V", verbose, "Verbose output (short form of VerbosityLevel=Verbose)"),
      HASHEDNET_CHOICE_OPTION("VerbosityLevel", verbosity_level, kVerbosityLevels,
                              "Verbosity level; Warning, Error and Fatal also silence the per-epoch lines"),
      HASHEDNET_OPTION("VarTransform", "string", nullptr,
                       "Variable transformations before training, TMVA syntax, e.g. N or "
                       "D_Background,P_Signal,G,N_AllClasses",
                       (check_var_transform(v), o.var_transform = v), o.var_transform),
      HASHEDNET_BOOL_OPTION("CreateMVAPdfs", create_mva_pdfs, "Create PDFs for classifier outputs"),
      HASHEDNET_BOOL_OPTION("IgnoreNegWeightsInTraining", ignore_neg_weights,
                            "Events with negative weights are ignored in the training"),
      HASHEDNET_CHOICE_OPTION("ErrorStrategy", error_strategy, kErrorStrategies,
                              "Loss: cross entropy (classification), sum of squares, or softmax cross entropy "
                              "(MUTUALEXCLUSIVE, multiclass)"),
      HASHEDNET_OPTION("WeightInitialization", "string", &kWeightInits,
                       "Weight initialisation: Xavier normal or Xavier uniform", o.weight_init = weight_init_of(v, w),
                       o.weight_init == WeightInit::XavierNormal ? "XAVIER" : "XAVIERUNIFORM"),
      HASHEDNET_OPTION("InputLayout", "string", nullptr,
                       "The events as images, depth|height|width (MethodDL), e.g. 1|28|28 for img[0]..img[783]; "
                       "0|0|0 = none (1|1|N)",
                       o.input_layout = format_image_layout(parse_image_layout(v, "option " + w)), o.input_layout),
      HASHEDNET_OPTION("BatchLayout", "string", nullptr,
                       "MethodDL's batch shape, batchDepth|batchHeight|batchWidth (e.g. 256|1|784): checked against "
                       "BatchSize and InputLayout, it changes nothing else; 0|0|0 = none",
                       o.batch_layout = format_image_layout(parse_image_layout(v, "option " + w)), o.batch_layout),
      HASHEDNET_OPTION("Layout", "string", nullptr, "Layers, ','-separated, the output layer last (see Layout below)",
                       o.layout_string = v, o.layout_string),
      HASHEDNET_OPTION("Compression", "ratio", nullptr,
                       "Real/virtual weights of hashed layers without their own compression, in (0, 1]: 1/8 or "
                       "0.125; 1 = dense",
                       o.compression = top_level_compression(v, w), grammar::format_compression(o.compression)),
      HASHEDNET_BOOL_OPTION("HashedBias", hashed_bias, "Hash the biases too (else dense bias vectors)"),
      HASHEDNET_BOOL_OPTION("HashOutputLayer", hash_output_layer,
                            "Hash the output layer too (else it is dense unless its Layout entry says otherwise)"),
      HASHEDNET_OPTION("HashSeed", "integer", nullptr, "Master seed of the weight-sharing hash, in [0, 4294967295]",
                       o.hash_seed = static_cast<std::uint32_t>(grammar::parse_unsigned(v, w, UINT32_MAX)),
                       std::to_string(o.hash_seed)),
      HASHEDNET_CHOICE_OPTION("HashMode", hash_mode, kHashModes,
                              "Which weights share a bucket: ELEMENT, each virtual weight hashed on its own (the "
                              "paper); BLOCK, one hash per HashBlock consecutive weights of a row, which take a "
                              "run of consecutive buckets; FUNHASH, each virtual weight a small network g "
                              "(Reconstruction) of HashFunctions hashed buckets (FunHashNN); FRESH, each "
                              "FreshSlice of a row the inverse DCT of hashed coefficients, fewer buckets for "
                              "high frequencies (FreshNets)"),
      HASHEDNET_OPTION("HashBlock", "integer", nullptr,
                       "HashMode=BLOCK: virtual weights per hash, in [1, 4096]", // kMaxHashBlock, checked below
                       o.hash_block = grammar::parse_integer(v, w, 1, kMaxHashBlock), std::to_string(o.hash_block)),
      HASHEDNET_OPTION("HashFunctions", "integer", nullptr,
                       "HashMode=FUNHASH: hashes U per virtual weight (g's inputs), in [1, 16]",
                       o.hash_functions = static_cast<int>(grammar::parse_integer(v, w, 1, kFunHashMaxHashes)),
                       std::to_string(o.hash_functions)),
      HASHEDNET_OPTION("Reconstruction", "string", nullptr,
                       "HashMode=FUNHASH: g, LINEAR (a_0 z_0 + ... + a_{U-1} z_{U-1}), IDENTITY (HashFunctions=1: "
                       "HashedNets) or MLP|H|ACTIVATION (H hidden units, e.g. MLP|4|TANH)",
                       o.reconstruction = format_reconstruction(parse_reconstruction(v, "option " + w)),
                       o.reconstruction),
      HASHEDNET_OPTION("FreshSlice", "string", nullptr,
                       "HashMode=FRESH: <height>x<width> (each in [1, 16], e.g. 3x3) of the slices of a fully "
                       "connected layer's rows (its inputs a multiple of height*width); NONE: not given",
                       o.fresh_slice = fresh_slice_of(v, w), o.fresh_slice.empty() ? "NONE" : o.fresh_slice),
      HASHEDNET_OPTION("FreshBandExponent", "number", nullptr,
                       "HashMode=FRESH: e in [0, 16]; frequency band b = u+v gets (b+1)^-e times the DC band's "
                       "buckets per coefficient (0: all bands alike)",
                       o.fresh_band_exponent = grammar::parse_real(v, w, kFreshBandExponents),
                       grammar::format_real(o.fresh_band_exponent)),
      HASHEDNET_OPTION("TrainingStrategy", "string", nullptr,
                       "Training phases, '|'-separated (see TrainingStrategy below)",
                       (s.phases = parse_strategy(v), s.strategy_given = true),
                       strategy_text(o.training)),
      HASHEDNET_CHOICE_OPTION("Architecture", architecture, kArchitectures,
                              "Where to train: CPU, or GPU (the CUDA backend, in builds with HASHEDNET_CUDA; docs/cuda.md); STANDARD: MethodDNN's old name for CPU"),
      HASHEDNET_CHOICE_OPTION("GpuProduct", gpu_product, kGpuProducts,
                              "Architecture=GPU: how hashed layers multiply, FUSED (V generated in shared memory), "
                              "MATERIALIZE (a tile of V in device memory, then cuBLAS) or AUTO (the backend's "
                              "choice, today FUSED); other architectures take AUTO only"),
      HASHEDNET_BOOL_OPTION("GpuDeterministic", gpu_deterministic,
                            "Architecture=GPU: sum bucket gradients in 64-bit fixed point, the same bits every run "
                            "(not with HashMode=FUNHASH); other architectures take False only"),
      HASHEDNET_OPTION("RandomSeed", "integer", nullptr,
                       "Seed of initialisation, shuffling and dropout, in every phase",
                       o.random_seed = grammar::parse_unsigned(v, w, UINT64_MAX), std::to_string(o.random_seed)),
      HASHEDNET_OPTION("NumThreads", "integer", nullptr,
                       "CPU threads, 0 = all hardware threads; a phase may set its own",
                       o.num_threads = static_cast<int>(grammar::parse_integer(v, w, 0, INT_MAX)),
                       std::to_string(o.num_threads)),
      HASHEDNET_OPTION("ValidationSize", "string", nullptr,
                       "Training events kept for validation and early stopping (the last ones): \"20%\", a "
                       "fraction (0.2) or a number of events (500)",
                       (validation_event_count(v, -1), o.validation_size = v), o.validation_size),
   };
   return keys;
}

#undef HASHEDNET_OPTION
#undef HASHEDNET_BOOL_OPTION
#undef HASHEDNET_CHOICE_OPTION

bool is_bool(const OptionKey &row)
{
   return std::string(row.type) == "bool";
}

const OptionKey &option_key(const std::string &key)
{
   for (const OptionKey &row : option_keys())
      if (grammar::iequals(key, row.name))
         return row;
   const std::vector<std::string> names = names_of(option_keys());
   HASHEDNET_CHECK(false, "unknown option '" << key << "' in HashedDNN options" << grammar::suggestion(key, names)
                                             << "Allowed options: " << grammar::join(names, ", "));
   return option_keys().front();
}

/// "Layout takes a value, e.g. Layout=TANH|64,LINEAR" (plus the allowed values of a choice).
std::string example(const OptionKey &row)
{
   std::string text = std::string(row.name) + " takes a value, e.g. " + row.name + "=" + row.get(MethodOptions{});
   return row.allowed ? text + "; allowed values: " + grammar::join(*row.allowed, ", ") : text;
}

/// 0 (no per-epoch lines) for VerbosityLevel Warning, Error or Fatal without V; else 1.
int verbosity_of(const MethodOptions &options)
{
   const std::string &level = options.verbosity_level;
   const bool quiet = level == "Warning" || level == "Error" || level == "Fatal";
   return options.verbose || !quiet ? 1 : 0;
}

/// MethodDL's rule: a BatchLayout has batchDepth = BatchSize (then batchHeight
/// x batchWidth = the InputLayout's values), or batchDepth 1 and batchHeight
/// = BatchSize (then batchWidth = the InputLayout's values).
void check_batch_layout(const MethodOptions &options, std::int64_t batch_size, std::size_t phase)
{
   const ImageShape batch = parse_image_layout(options.batch_layout, "option BatchLayout");
   if (!batch.given())
      return;
   const ImageShape input = parse_image_layout(options.input_layout, "option InputLayout");
   const std::int64_t per_event = batch.depth == 1 && batch.height == batch_size ? batch.width
                                                                                  : batch.height * batch.width;
   const bool fits = (batch.depth == batch_size || (batch.depth == 1 && batch.height == batch_size)) &&
                     (!input.given() || per_event == input.size());
   HASHEDNET_CHECK(fits, "BatchLayout=" << options.batch_layout << " does not fit BatchSize=" << batch_size
                                        << " of " << phase_where(phase) << " and InputLayout=" << options.input_layout
                                        << "; MethodDL allows batchDepth = BatchSize with batchHeight*batchWidth = "
                                           "depth*height*width (e.g. "
                                        << batch_size << "|" << (input.given() ? input.depth : 1) << "|"
                                        << (input.given() ? input.height * input.width : 1)
                                        << "), or 1|BatchSize|depth*height*width");
}

/// GpuProduct and GpuDeterministic: other than their defaults only with
/// Architecture=GPU, and no fixed-point sums for FUNHASH's alpha gradient.
void check_gpu_options(const MethodOptions &options)
{
   const bool gpu = options.architecture == "GPU";
   HASHEDNET_CHECK(gpu || options.gpu_product == "AUTO",
                   "GpuProduct=" << options.gpu_product << " applies to Architecture=GPU only, not Architecture="
                                 << options.architecture << "; allowed there: AUTO (leave it out)");
   HASHEDNET_CHECK(gpu || !options.gpu_deterministic,
                   "GpuDeterministic=True applies to Architecture=GPU only, not Architecture="
                      << options.architecture << " (whose sums are reproducible already); allowed there: False");
   HASHEDNET_CHECK(!options.gpu_deterministic || options.hash_mode != "FUNHASH",
                   "GpuDeterministic=True is available for HashMode=ELEMENT, BLOCK and dense layers, not FUNHASH "
                   "(its alpha gradient is summed with float atomics); allowed with FUNHASH: False");
}

/// Resolves the layout and hands the top-level settings down to every phase.
void resolve(MethodOptions &options, ParseState &state, std::int64_t n_inputs)
{
   check_gpu_options(options);
   const std::vector<LayerSpec> layers = grammar::layout_layers(options.layout_string, n_inputs);
   bool symbolic = false;
   for (const LayerSpec &layer : layers)
      symbolic = symbolic || layer.width < 0;
   options.layers = symbolic ? std::vector<LayerSpec>{} : layers;
   if (state.phases.empty())
      state.phases.emplace_back();
   options.training.clear();
   for (std::size_t i = 0; i < state.phases.size(); ++i) {
      finish_phase(state.phases[i], phase_where(i));
      TrainingConfig config = state.phases[i].config;
      HASHEDNET_CHECK(config.dropout.size() <= layers.size(),
                      "DropConfig '" << dropout_text(config.dropout) << "' in TrainingStrategy phase " << i + 1
                                     << " gives " << config.dropout.size() << " drop probabilities but Layout '"
                                     << options.layout_string << "' has " << layers.size()
                                     << " layers; give at most one per layer (the first drops network inputs)");
      check_batch_layout(options, config.batch_size, i);
      config.seed = options.random_seed;
      config.verbosity = verbosity_of(options);
      if (!state.phases[i].sets_num_threads)
         config.num_threads = options.num_threads;
      options.training.push_back(config);
   }
}

#define HASHEDNET_COMPARE(FIELD)                                                                              \
   if (!(a.FIELD == b.FIELD))                                                                                 \
      return prefix + #FIELD;

std::string layer_difference(const LayerSpec &a, const LayerSpec &b, const std::string &prefix)
{
   HASHEDNET_COMPARE(activation)
   HASHEDNET_COMPARE(width)
   HASHEDNET_COMPARE(compression)
   HASHEDNET_COMPARE(buckets)
   HASHEDNET_COMPARE(type)
   HASHEDNET_COMPARE(window.fh) HASHEDNET_COMPARE(window.fw)
   HASHEDNET_COMPARE(window.stride_rows) HASHEDNET_COMPARE(window.stride_cols)
   HASHEDNET_COMPARE(window.pad_rows) HASHEDNET_COMPARE(window.pad_cols)
   HASHEDNET_COMPARE(shape.depth) HASHEDNET_COMPARE(shape.height) HASHEDNET_COMPARE(shape.width)
   return "";
}

std::string phase_difference(const TrainingConfig &a, const TrainingConfig &b, const std::string &prefix)
{
   HASHEDNET_COMPARE(optimizer)
   HASHEDNET_COMPARE(learning_rate)
   HASHEDNET_COMPARE(momentum)
   HASHEDNET_COMPARE(weight_decay)
   HASHEDNET_COMPARE(batch_size)
   HASHEDNET_COMPARE(max_epochs)
   HASHEDNET_COMPARE(convergence_steps)
   HASHEDNET_COMPARE(dropout)
   HASHEDNET_COMPARE(seed)
   HASHEDNET_COMPARE(num_threads)
   HASHEDNET_COMPARE(verbosity)
   return "";
}

/// The name of the first field in which `a` and `b` differ, or "". Layers are
/// compared only when `b`'s are resolved (its layout does not use N).
std::string options_difference(const MethodOptions &a, const MethodOptions &b)
{
   const std::string prefix;
   HASHEDNET_COMPARE(help) HASHEDNET_COMPARE(verbose) HASHEDNET_COMPARE(verbosity_level)
   HASHEDNET_COMPARE(var_transform) HASHEDNET_COMPARE(create_mva_pdfs) HASHEDNET_COMPARE(ignore_neg_weights)
   HASHEDNET_COMPARE(error_strategy) HASHEDNET_COMPARE(weight_init) HASHEDNET_COMPARE(layout_string)
   HASHEDNET_COMPARE(input_layout) HASHEDNET_COMPARE(batch_layout)
   HASHEDNET_COMPARE(architecture) HASHEDNET_COMPARE(random_seed) HASHEDNET_COMPARE(num_threads)
   HASHEDNET_COMPARE(gpu_product) HASHEDNET_COMPARE(gpu_deterministic)
   HASHEDNET_COMPARE(compression) HASHEDNET_COMPARE(hashed_bias) HASHEDNET_COMPARE(hash_output_layer)
   HASHEDNET_COMPARE(hash_seed) HASHEDNET_COMPARE(hash_mode) HASHEDNET_COMPARE(hash_block)
   HASHEDNET_COMPARE(hash_functions) HASHEDNET_COMPARE(reconstruction)
   HASHEDNET_COMPARE(fresh_slice) HASHEDNET_COMPARE(fresh_band_exponent)
   HASHEDNET_COMPARE(validation_size)
   if (!b.layers.empty()) {
      HASHEDNET_COMPARE(layers.size())
      for (std::size_t i = 0; i < a.layers.size(); ++i) {
         const std::string d = layer_difference(a.layers[i], b.layers[i], "layers[" + std::to_string(i) + "].");
         if (!d.empty())
            return d;
      }
   }
   HASHEDNET_COMPARE(training.size())
   for (std::size_t i = 0; i < a.training.size(); ++i) {
      const std::string d = phase_difference(a.training[i], b.training[i], "training[" + std::to_string(i) + "].");
      if (!d.empty())
         return d;
   }
   return "";
}

#undef HASHEDNET_COMPARE

std::string layout_help()
{
   return "Layout: layers separated by ',', hidden layers first, the output layer last. An entry is\n"
          "    ACTIVATION|width[|compression]         e.g. TANH|64 or TANH|512|1/64 or TANH|512|K=4096\n"
          "    DENSE|width|ACTIVATION                 a plain dense layer (MethodDL style)\n"
          "    HASHED|width|ACTIVATION[|compression]  a hashed layer (MethodDL style)\n"
          "    LINEAR                                 last entry only: as many outputs as the task has\n"
          "    CONV|nFilters|fh|fw|strideRows|strideCols|padRows|padCols|ACTIVATION[|compression]\n"
          "                                           MethodDL's convolution of InputLayout's images; the\n"
          "                                           filters are hashed as a dense layer's weights\n"
          "    MAXPOOL|fh|fw|strideRows|strideCols    MethodDL's max pooling\n"
          "    RESHAPE|FLAT, RESHAPE|depth|height|width  flatten (before DENSE after CONV), or reshape\n"
          "    BNORM[|momentum[|epsilon]]             MethodDL's batch normalisation (-1 and 1e-4 if left out):\n"
          "                                           per channel after CONV/MAXPOOL, else per value\n"
          "ACTIVATION is one of TANH, RELU, SYMMRELU, SIGMOID, SOFTSIGN, GAUSS, LINEAR; the output\n"
          "layer must be LINEAR (the loss applies sigmoid or softmax). width is an integer or an\n"
          "expression in N, the number of input variables: N, N+5, N*2, (N+100)*2. compression is a\n"
          "ratio real/virtual weights in (0, 1] (1/8 or 0.125) or a bucket count K=4096; without it a\n"
          "hidden layer uses Compression and the output layer is dense unless HashOutputLayer.\n";
}

std::string strategy_help()
{
   const TrainingConfig defaults;
   std::string text = "TrainingStrategy: phases separated by '|', trained one after the other; a phase is a\n"
                      "','-separated list of Key=Value (keys case-insensitive, defaults in quotes):\n";
   for (const PhaseKey &row : phase_keys()) {
      text += "    " + std::string(row.name);
      text += row.get ? ": \"" + row.get(defaults) + "\" [" : " [";
      text += std::string(row.help) + "]\n";
   }
   return text + "RandomSeed, WeightInitialization and (unless the phase sets it) NumThreads apply to every "
                 "phase.\n";
}

} // namespace

struct MethodOptionsBuilder::State {
   MethodOptions options;
   ParseState parse;
   std::vector<std::pair<std::string, std::string>> given; ///< canonical name -> spelling used
   std::vector<std::map<std::string, std::string>> phase_keys_given;
};

MethodOptionsBuilder::MethodOptionsBuilder() : state_(std::make_unique<State>()) {}
MethodOptionsBuilder::~MethodOptionsBuilder() = default;
MethodOptionsBuilder::MethodOptionsBuilder(const MethodOptionsBuilder &other)
   : state_(std::make_unique<State>(*other.state_))
{
}

MethodOptionsBuilder &MethodOptionsBuilder::operator=(const MethodOptionsBuilder &other)
{
   state_ = std::make_unique<State>(*other.state_);
   return *this;
}

void MethodOptionsBuilder::set(const std::string &key, const std::string &value)
{
   const OptionKey &row = option_key(key);
   HASHEDNET_CHECK(value.find(':') == std::string::npos,
                   "value '" << value << "' for " << key << " holds ':', which separates options");
   HASHEDNET_CHECK(!grammar::trim(value).empty(), "option '" << key << "' has an empty value; " << example(row));
   grammar::check_given_once(state_->given, row.name, key, "");
   HASHEDNET_CHECK(std::string(row.name) != "TrainingStrategy" || state_->phase_keys_given.empty(),
                   "TrainingStrategy cannot be combined with phase keys set one by one");
   row.set(state_->options, state_->parse, grammar::trim(value), key);
}

void MethodOptionsBuilder::set_phase(std::size_t phase, const std::string &key, const std::string &value)
{
   State &s = *state_;
   const std::string where = phase_where(phase);
   HASHEDNET_CHECK(!s.parse.strategy_given, where << ": TrainingStrategy is already given as a whole");
   HASHEDNET_CHECK(phase <= s.parse.phases.size(), where << " is set before phase " << s.parse.phases.size() + 1);
   for (const char separator : {':', ',', '|'})
      HASHEDNET_CHECK(value.find(separator) == std::string::npos,
                      "value '" << value << "' for " << key << " in " << where << " holds '" << separator
                                << "', which separates options, phase keys or phases");
   if (phase == s.parse.phases.size()) {
      s.parse.phases.emplace_back();
      s.phase_keys_given.emplace_back();
   }
   set_phase_key(s.parse.phases[phase], s.phase_keys_given[phase], key, grammar::trim(value), where);
}

MethodOptions MethodOptionsBuilder::build(std::int64_t n_inputs) const
{
   MethodOptions options = state_->options;
   ParseState parse = state_->parse;
   resolve(options, parse, n_inputs);
   return options;
}

MethodOptions parse_method_options(const std::string &text, std::int64_t n_inputs)
{
   MethodOptionsBuilder builder;
   for (const grammar::OptionItem &item : grammar::option_items(text)) {
      const OptionKey &row = option_key(item.key);
      builder.set(item.key, grammar::item_value(item, is_bool(row), example(row)));
   }
   return builder.build(n_inputs);
}

std::string describe_options()
{
   const MethodOptions defaults;
   std::string text = "HashedDNN options: Key=Value pairs separated by ':'; a bare boolean Key means True and\n"
                      "!Key False; keys and predefined values are case-insensitive (defaults in quotes):\n";
   for (const OptionKey &row : option_keys()) {
      text += "    " + std::string(row.name) + ": \"" + row.get(defaults) + "\" [" + row.type;
      if (row.allowed)
         text += "; one of " + grammar::join(*row.allowed, ", ");
      text += "] " + std::string(row.help) + "\n";
   }
   return text + "\n" + layout_help() + "\n" + strategy_help();
}

std::string to_option_string(const MethodOptions &options)
{
   std::vector<std::string> items;
   for (const OptionKey &row : option_keys()) {
      const std::string value = row.get(options);
      if (is_bool(row))
         items.push_back((value == "True" ? "" : "!") + std::string(row.name));
      else
         items.push_back(std::string(row.name) + "=" + value);
   }
   const std::string text = grammar::join(items, ":");
   const std::string difference = options_difference(options, parse_method_options(text));
   HASHEDNET_CHECK(difference.empty(),
                   "to_option_string: field '" << difference << "' cannot be expressed in an option string "
                                               << "(every phase takes seed and verbosity from the "
                                                  "top-level options, and layers must be what layout_string "
                                                  "gives); the string would read: "
                                               << text);
   return text;
}

int hardware_threads()
{
   return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void check_thread_count(std::int64_t num_threads, const std::string &what)
{
   const int available = hardware_threads();
   HASHEDNET_CHECK(num_threads >= 0 && num_threads <= available,
                   what << "=" << num_threads << (num_threads < 0 ? " is negative" : " is more than the ")
                        << (num_threads < 0 ? "" : std::to_string(available) + " hardware threads of this machine")
                        << "; allowed: 0 (all hardware threads) to " << available);
}

std::int64_t validation_event_count(const std::string &validation_size, std::int64_t n_events)
{
   std::string value = validation_size;
   const bool percent = !value.empty() && value.back() == '%';
   if (percent)
      value.pop_back();
   char *end = nullptr;
   const double number = value.empty() ? -1.0 : std::strtod(value.c_str(), &end);
   HASHEDNET_CHECK(end != nullptr && *end == '\0' && std::isfinite(number) && number >= 0.0 &&
                      (!percent || number < 100.0) && (percent || number < 1.0 || number == std::floor(number)),
                   "option ValidationSize='" << validation_size
                                             << "' is not a percentage below 100 (\"20%\"), a fraction in [0, 1) "
                                                "(\"0.2\") or a whole number of events (\"500\")");
   if (n_events < 0)
      return 0;
   const double fraction = percent ? number / 100.0 : number;
   const double count = number < 1.0 || percent ? fraction * static_cast<double>(n_events) : number;
   const auto n_validation = static_cast<std::int64_t>(std::llround(count));
   HASHEDNET_CHECK(n_validation < n_events, "ValidationSize='" << validation_size << "' asks for " << n_validation
                                                               << " validation events, but there are only "
                                                               << n_events << " training events");
   return n_validation;
}

GpuSettings gpu_settings(const MethodOptions &options)
{
   GpuSettings settings;
   for (std::size_t i = 0; i < kGpuProducts.size(); ++i)
      if (options.gpu_product == kGpuProducts[i])
         settings.product = static_cast<GpuProduct>(i);
   HASHEDNET_ASSERT(options.gpu_product == gpu_product_name(settings.product));
   settings.deterministic = options.gpu_deterministic;
   return settings;
}

std::vector<std::string> check_options_for_task(const MethodOptions &options, Task task)
{
   std::vector<std::string> warnings;
   if (options.architecture == "GPU") {
      const std::string reason = gpu_unavailable_reason(); // CUDA library, driver, device (device.h)
      HASHEDNET_CHECK(reason.empty(), reason);
   }
   const std::string &strategy = options.error_strategy;
   if (task == Task::Classification)
      HASHEDNET_CHECK(strategy == "CROSSENTROPY", "ErrorStrategy=" << strategy
                                                                   << " cannot train two-class classification; "
                                                                      "allowed: CROSSENTROPY");
   if (task == Task::Multiclass)
      HASHEDNET_CHECK(strategy != "SUMOFSQUARES", "ErrorStrategy=SUMOFSQUARES cannot train multiclass; allowed: "
                                                  "CROSSENTROPY or MUTUALEXCLUSIVE (both softmax cross-entropy)");
   if (task == Task::Regression && strategy != "SUMOFSQUARES")
      warnings.push_back("For regression only SUMOFSQUARES is a valid neural net error function. Setting error "
                         "function to SUMOFSQUARES now.");
   return warnings;
}

} // namespace hashednet
