// options.h: the HashedDNN option string, parsed once for TMVA and Python.
//
// What it is: the one parser of a TMVA-style option string such as
//   "!H:!V:VarTransform=N:Layout=TANH|64,TANH|64,LINEAR:Compression=1/8:
//    TrainingStrategy=LearningRate=1e-3,BatchSize=128|LearningRate=1e-4"
// into a MethodOptions, its inverse (to_option_string) and the help text of
// the `H` option (describe_options). docs/options.md is the user reference.
//
// What it is not: it does not know the data (number of inputs, outputs or
// classes) unless told, builds no network and touches no ROOT type. Every
// problem is a hashednet::Error whose message names the offending text as the
// user wrote it and lists what is allowed; nothing falls back silently.
#ifndef HASHEDNET_OPTIONS_H
#define HASHEDNET_OPTIONS_H

#include "hashednet/config.h"
#include "hashednet/device.h"

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

/// Layout used when the option string has no Layout: two hidden tanh layers
/// of 64 units and a linear output layer as wide as the task has outputs.
constexpr const char *kDefaultLayout = "TANH|64,TANH|64,LINEAR";

/// Parses a Layout value into layer specs (hidden layers, then the output
/// layer). A width written with N needs n_inputs >= 0, else this throws.
/// The output layer without a width ("LINEAR") gets width 0: "as many as the
/// task has outputs" (config.h).
std::vector<LayerSpec> parse_layout(const std::string &layout, std::int64_t n_inputs = -1);

/// FUNHASH's g as the Reconstruction option writes it: IDENTITY, LINEAR, or
/// MLP|H|ACTIVATION (e.g. MLP|4|TANH).
std::string format_reconstruction(const FunHashSpec &spec);
/// The g of a Reconstruction value (any case); an Error naming `where`, the
/// text and the allowed forms otherwise. U is not checked against g here
/// (IDENTITY needs U = 1: the network checks that).
FunHashSpec parse_reconstruction(const std::string &text, const std::string &where);

/// MethodDL's InputLayout and BatchLayout values: three '|'-separated
/// integers, depth|height|width (InputLayout) or batchDepth|batchHeight|
/// batchWidth (BatchLayout). "0|0|0" (the default) means not given; a 0
/// beside other values counts as 1, as in MethodDL. An Error naming `what` otherwise.
ImageShape parse_image_layout(const std::string &text, const std::string &what);
/// The text of an ImageShape as InputLayout writes it ("0|0|0" when not given).
std::string format_image_layout(const ImageShape &shape);

/// Everything a HashedDNN option string sets. Network and training defaults
/// are taken from config.h's structs, so they are defined there only. A
/// default-constructed MethodOptions equals parse_method_options("").
struct MethodOptions {
   // TMVA's MethodBase options.
   bool help = false;                      ///< H: print the method's help message
   bool verbose = false;                   ///< V: verbose output
   std::string verbosity_level = "Default"; ///< VerbosityLevel: Default|Debug|Verbose|Info|Warning|Error|Fatal
   std::string var_transform = "None";     ///< VarTransform: TMVA syntax, validated, kept as written
   bool create_mva_pdfs = false;           ///< CreateMVAPdfs
   bool ignore_neg_weights = false;        ///< IgnoreNegWeightsInTraining

   // MethodDL-like options.
   std::string error_strategy = "CROSSENTROPY"; ///< ErrorStrategy: CROSSENTROPY|SUMOFSQUARES|MUTUALEXCLUSIVE
   WeightInit weight_init = kDefaultWeightInit;           ///< WeightInitialization: XAVIER|XAVIERUNIFORM
   std::string input_layout = "0|0|0";          ///< InputLayout: depth|height|width of the events' images, 0|0|0 = none
   std::string batch_layout = "0|0|0";          ///< BatchLayout (MethodDL): checked against BatchSize, else unused
   std::string layout_string = kDefaultLayout;  ///< Layout as written; the source of truth for `layers`
   std::vector<LayerSpec> layers = parse_layout(kDefaultLayout); ///< Layout resolved; empty only if it uses N, unknown
   std::vector<TrainingConfig> training{TrainingConfig{}}; ///< TrainingStrategy: one entry per phase
   std::string architecture = "CPU";            ///< Architecture: CPU|GPU|STANDARD
   std::string gpu_product = "AUTO";            ///< GpuProduct: AUTO|FUSED|MATERIALIZE (Architecture=GPU only)
   bool gpu_deterministic = false;              ///< GpuDeterministic (Architecture=GPU only)
   std::uint64_t random_seed = TrainingConfig{}.seed;     ///< RandomSeed: copied into every phase
   int num_threads = TrainingConfig{}.num_threads;        ///< NumThreads: default of every phase

   // Hashing options.
   double compression = NetworkSpec{}.compression;         ///< Compression: hidden-layer default
   bool hashed_bias = NetworkSpec{}.hashed_bias;           ///< HashedBias
   bool hash_output_layer = NetworkSpec{}.hash_output_layer; ///< HashOutputLayer
   std::uint32_t hash_seed = NetworkSpec{}.hash_seed;      ///< HashSeed
   std::string hash_mode = "ELEMENT";                      ///< HashMode: ELEMENT|BLOCK|FUNHASH|FRESH
   std::int64_t hash_block = NetworkSpec{}.hash_block;     ///< HashBlock: virtual weights per hash in BLOCK mode
   int hash_functions = NetworkSpec{}.funhash.n_hashes;    ///< HashFunctions: U of FUNHASH layers
   std::string reconstruction = format_reconstruction(NetworkSpec{}.funhash); ///< Reconstruction: g of FUNHASH layers
   std::string fresh_slice;                                ///< FreshSlice: "<fh>x<fw>" of FRESH fully connected layers; "" = none
   double fresh_band_exponent = NetworkSpec{}.fresh.band_exponent; ///< FreshBandExponent: FRESH's band split

   // Data split.
   std::string validation_size = "20%"; ///< ValidationSize (MethodDL): "20%", a fraction, or a number of events
};

/// MethodOptions built one option at a time: the door of Python's keywords
/// (HashedNetwork, TrainingConfig); parse_method_options goes through it too.
/// Every value passes the same table row as in an option string, with the same
/// checks and messages. A value an option string could not carry (one holding
/// ':', or in a phase ',' or '|') is refused, so whatever is built is what some
/// option string says, and to_option_string can write it.
class MethodOptionsBuilder {
public:
   MethodOptionsBuilder();
   ~MethodOptionsBuilder();
   MethodOptionsBuilder(const MethodOptionsBuilder &other);
   MethodOptionsBuilder &operator=(const MethodOptionsBuilder &other);

   /// One top-level option as an option string writes it: set("Compression", "1/8"),
   /// set("HashedBias", "True"). Each option once.
   void set(const std::string &key, const std::string &value);
   /// One key of TrainingStrategy phase `phase` (0-based; phases are added in
   /// order), e.g. set_phase(0, "BatchSize", "64"); not with set("TrainingStrategy", ...).
   void set_phase(std::size_t phase, const std::string &key, const std::string &value);
   /// The options, resolved as parse_method_options resolves them (n_inputs as there).
   MethodOptions build(std::int64_t n_inputs = -1) const;

private:
   struct State;
   std::unique_ptr<State> state_;
};

/// Parses a HashedDNN option string. `n_inputs` is the number of input
/// variables if known (>= 0) or -1; it is needed only to resolve layer widths
/// written with N (e.g. "TANH|N*2"). With n_inputs unknown such a layout is
/// checked for syntax and `layers` is left empty: call parse_layout later.
/// Every phase of `training` gets random_seed and (unless the phase sets
/// NumThreads) num_threads from the top-level options.
MethodOptions parse_method_options(const std::string &options, std::int64_t n_inputs = -1);

/// A Layout value that parses back to `layers` (MethodDNN style, e.g.
/// "TANH|512|1/64,LINEAR"). For callers that build MethodOptions in code:
/// set layout_string = format_layout(layers).
std::string format_layout(const std::vector<LayerSpec> &layers);

/// MethodDL's ValidationSize: "20%", a fraction in [0, 1) ("0.2") or a number
/// of events ("500"). Returns how many of n_events are kept for validation
/// (the LAST ones of the training sample, as MethodDL does); with n_events < 0
/// it only checks the text. Throws when the text is malformed or when no
/// training event would be left.
std::int64_t validation_event_count(const std::string &validation_size, std::int64_t n_events);

/// The GPU backend's settings of the options GpuProduct and GpuDeterministic
/// (the default unless Architecture=GPU: the parser refuses others).
GpuSettings gpu_settings(const MethodOptions &options);

/// Checks that the options can train `task` and returns warnings to print
/// (empty: none). Throws for what HashedDNN cannot do: ErrorStrategy other
/// than CROSSENTROPY for two-class classification, Architecture=GPU (this
/// build has no GPU backend). Regression always trains squared error: with
/// another ErrorStrategy it warns, as MethodDL does.
std::vector<std::string> check_options_for_task(const MethodOptions &options, Task task);

/// The help text of the H option: every option with its type, default and
/// allowed values, one per line, then the Layout and TrainingStrategy grammar.
std::string describe_options();

/// The options of one TMVA object other than HashedDNN (the compatible
/// workflow's Factory, DataLoader::PrepareTrainingAndTestTree and Reader),
/// read with the same tokenizer and the same value rules as the HashedDNN
/// options: keys case-insensitive, a bare boolean Key is True and !Key False,
/// each option once, an unknown key or value named with a suggestion and the
/// allowed list. `where` names the object in messages ("Factory").
class OptionTable {
public:
   explicit OptionTable(std::string where);

   void declare_bool(const std::string &name, bool default_value);
   void declare_integer(const std::string &name, std::int64_t default_value, std::int64_t low = INT64_MIN,
                        std::int64_t high = INT64_MAX);
   void declare_real(const std::string &name, double default_value); ///< any finite number
   void declare_string(const std::string &name, const std::string &default_value);
   /// One of `allowed` (any case); the value read is the canonical spelling.
   void declare_choice(const std::string &name, const std::string &default_value,
                       const std::vector<std::string> &allowed);

   /// The value of every declared option, in declaration order, as canonical
   /// text: "True"/"False", a decimal integer, the shortest round-trip decimal
   /// of a real, a choice's canonical spelling, a string as written (trimmed);
   /// the default for an option not given.
   std::vector<std::string> parse(const std::string &text) const;

private:
   enum class Kind { Bool, Integer, Real, String, Choice };
   struct Declared {
      std::string name;
      Kind kind;
      std::string default_text;
      std::int64_t low, high;
      std::vector<std::string> allowed;
   };
   void declare(Declared option);
   std::string read(const Declared &option, const std::string &value, const std::string &key) const;
   std::string where_;
   std::vector<Declared> options_;
};

/// Threads a backend may start: 0 (all hardware threads) up to this machine's
/// hardware threads. Throws for a negative count or one above the hardware's,
/// naming `what` (e.g. "NumThreads"): each thread preallocates its work
/// buffers, so an absurd count would exhaust memory. The option parser checks
/// the syntax only ([0, 2147483647]), so an option string or a weight file
/// reads the same on every machine; Model checks the count when it makes its
/// backend (and the TMVA method for each training phase).
void check_thread_count(std::int64_t num_threads, const std::string &what = "NumThreads");

/// This machine's hardware threads (at least 1): what NumThreads=0 uses.
int hardware_threads();

/// A canonical option string (every option written out) that parse_method_options
/// turns back into an equal MethodOptions. Throws if `options` holds something
/// an option string cannot express (e.g. phases with different seeds).
std::string to_option_string(const MethodOptions &options);

} // namespace hashednet

#endif // HASHEDNET_OPTIONS_H
