// test_options.cpp: checks of the HashedDNN option parser (options.h).
//
// A plain program: each check prints a line on failure; the summary line is
// "N passed, M failed" and the exit code is non-zero if anything failed.
#include "hashednet/options.h"

#include "hashednet/common.h"
#include "hashednet/device.h"
#include "check.h"

#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

using namespace hashednet;
using test_check::check;

namespace {



#define CHECK(condition) check((condition), #condition, __LINE__)

/// The message of the hashednet::Error thrown by `f`, or "<no error>".
std::string error_of(const std::function<void()> &f)
{
   try {
      f();
   } catch (const Error &e) {
      return e.what();
   }
   return "<no error>";
}

/// parse_method_options(options) must throw an Error containing every one of `parts`.
void expect_error(const std::string &options, const std::vector<std::string> &parts, int line,
                  std::int64_t n_inputs = -1)
{
   const std::string message = error_of([&] { parse_method_options(options, n_inputs); });
   for (const std::string &part : parts)
      check(message.find(part) != std::string::npos,
            "error for \"" + options + "\" should contain \"" + part + "\"; got: " + message, line);
}

/// Same as expect_error, but `part` must NOT appear.
void expect_error_without(const std::string &options, const std::string &part, int line)
{
   const std::string message = error_of([&] { parse_method_options(options); });
   check(message != "<no error>" && message.find(part) == std::string::npos,
         "error for \"" + options + "\" should not contain \"" + part + "\"; got: " + message, line);
}

/// Parses and reports (instead of throwing) an unexpected Error.
MethodOptions parse(const std::string &options, int line, std::int64_t n_inputs = -1)
{
   try {
      return parse_method_options(options, n_inputs);
   } catch (const Error &e) {
      check(false, "\"" + options + "\" should parse; got: " + e.what(), line);
      return MethodOptions{};
   }
}

// An equality written here, independently of the library's own comparison.
bool same_layer(const LayerSpec &a, const LayerSpec &b)
{
   return a.activation == b.activation && a.width == b.width && a.compression == b.compression &&
          a.buckets == b.buckets;
}

bool same_phase(const TrainingConfig &a, const TrainingConfig &b)
{
   return a.optimizer == b.optimizer && a.learning_rate == b.learning_rate && a.momentum == b.momentum &&
          a.weight_decay == b.weight_decay && a.batch_size == b.batch_size && a.max_epochs == b.max_epochs &&
          a.convergence_steps == b.convergence_steps && a.dropout == b.dropout &&
          a.seed == b.seed && a.num_threads == b.num_threads && a.verbosity == b.verbosity;
}

template <typename T, typename Same>
bool same_list(const std::vector<T> &a, const std::vector<T> &b, Same same)
{
   if (a.size() != b.size())
      return false;
   for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i]))
         return false;
   return true;
}

bool same_options(const MethodOptions &a, const MethodOptions &b)
{
   return a.help == b.help && a.verbose == b.verbose && a.verbosity_level == b.verbosity_level &&
          a.var_transform == b.var_transform && a.create_mva_pdfs == b.create_mva_pdfs &&
          a.ignore_neg_weights == b.ignore_neg_weights && a.error_strategy == b.error_strategy &&
          a.weight_init == b.weight_init && a.layout_string == b.layout_string &&
          same_list(a.layers, b.layers, same_layer) && same_list(a.training, b.training, same_phase) &&
          a.architecture == b.architecture && a.random_seed == b.random_seed && a.num_threads == b.num_threads &&
          a.compression == b.compression && a.hashed_bias == b.hashed_bias &&
          a.hash_output_layer == b.hash_output_layer && a.hash_seed == b.hash_seed && a.hash_mode == b.hash_mode;
}

LayerSpec layer(Activation activation, std::int64_t width, double compression = -1.0, std::int64_t buckets = 0)
{
   LayerSpec spec;
   spec.activation = activation;
   spec.width = width;
   spec.compression = compression;
   spec.buckets = buckets;
   return spec;
}

const char *kIssueExample =
   "!H:!V:VarTransform=N:ErrorStrategy=CROSSENTROPY:WeightInitialization=XAVIER:"
   "Layout=TANH|64,TANH|64,TANH|64,LINEAR:Compression=1/8:"
   "TrainingStrategy=LearningRate=1e-3,Momentum=0.9,BatchSize=128,ConvergenceSteps=10,MaxEpochs=200,"
   "Optimizer=ADAM,WeightDecay=1e-4,DropConfig=0.0+0.1+0.1:Architecture=CPU:RandomSeed=42";

// ---------------------------------------------------------------------------

void test_issue_example()
{
   const MethodOptions o = parse(kIssueExample, __LINE__);
   CHECK(!o.help && !o.verbose);
   CHECK(o.var_transform == "N");
   CHECK(o.error_strategy == "CROSSENTROPY");
   CHECK(o.weight_init == WeightInit::XavierNormal);
   CHECK(o.layout_string == "TANH|64,TANH|64,TANH|64,LINEAR");
   const std::vector<LayerSpec> expected{layer(Activation::Tanh, 64), layer(Activation::Tanh, 64),
                                         layer(Activation::Tanh, 64), layer(Activation::Linear, 0)};
   CHECK(same_list(o.layers, expected, same_layer));
   CHECK(o.compression == 0.125);
   CHECK(o.training.size() == 1);
   const TrainingConfig &t = o.training.at(0);
   CHECK(t.learning_rate == 1e-3 && t.momentum == 0.9 && t.batch_size == 128);
   CHECK(t.convergence_steps == 10 && t.max_epochs == 200 && t.optimizer == "ADAM");
   CHECK(t.weight_decay == 1e-4);
   CHECK((t.dropout == std::vector<double>{0.0, 0.1, 0.1}));
   CHECK(t.seed == 42 && t.num_threads == 0 && t.verbosity == 1);
   CHECK(o.architecture == "CPU" && o.random_seed == 42);
   CHECK(!o.hashed_bias && !o.hash_output_layer && o.hash_seed == 0 && o.hash_mode == "ELEMENT");
}

void test_defaults()
{
   const MethodOptions parsed = parse("", __LINE__);
   CHECK(same_options(parsed, MethodOptions{}));
   CHECK(same_options(parse(":::", __LINE__), MethodOptions{}));
   CHECK(parsed.compression == NetworkSpec{}.compression);
   CHECK(parsed.hash_seed == NetworkSpec{}.hash_seed);
   CHECK(parsed.layout_string == kDefaultLayout);
   CHECK(parsed.layers.size() == 3 && parsed.layers[2].width == 0);
   CHECK(parsed.training.size() == 1 && same_phase(parsed.training[0], TrainingConfig{}));
   CHECK(parsed.var_transform == "None" && parsed.architecture == "CPU" && parsed.verbosity_level == "Default");
}

void test_layer_compression()
{
   const std::vector<LayerSpec> layers =
      parse_layout("TANH|512|1/64,RELU|256|0.125,SIGMOID|128|K=4096,SOFTSIGN|64|1,LINEAR|1|1/2");
   const std::vector<LayerSpec> expected{layer(Activation::Tanh, 512, 1.0 / 64), layer(Activation::Relu, 256, 0.125),
                                         layer(Activation::Sigmoid, 128, -1.0, 4096),
                                         layer(Activation::Softsign, 64, 1.0), layer(Activation::Linear, 1, 0.5)};
   CHECK(same_list(layers, expected, same_layer));
   const MethodOptions o = parse("Layout=TANH|512|1/64,LINEAR:Compression=0.5", __LINE__);
   CHECK(o.layers.size() == 2 && o.layers[0].compression == 1.0 / 64 && o.layers[1].compression == -1.0);
   CHECK(o.compression == 0.5);
   CHECK(parse("Compression= 1 / 8 ", __LINE__).compression == 0.125);
   CHECK(parse_layout(" tanh | 8 | k=16 , linear ").at(0).buckets == 16);
}

void test_dl_style()
{
   const std::vector<LayerSpec> layers =
      parse_layout("DENSE|100|RELU,HASHED|64|TANH|1/8,HASHED|32|SYMMRELU,HASHED|16|GAUSS|K=100,DENSE|1|LINEAR");
   const std::vector<LayerSpec> expected{layer(Activation::Relu, 100, 1.0), layer(Activation::Tanh, 64, 0.125),
                                         layer(Activation::SymmRelu, 32, -1.0),
                                         layer(Activation::Gauss, 16, -1.0, 100), layer(Activation::Linear, 1, 1.0)};
   CHECK(same_list(layers, expected, same_layer));
   CHECK(parse_layout("dense|4|tanh,hashed|4|relu,LINEAR").size() == 3);
}

void test_widths_in_n()
{
   const std::string layout = "TANH|N,TANH|N+5,TANH|N*2,TANH|(N+100)*2,TANH|N/3,TANH|2*n-1,LINEAR";
   const std::vector<LayerSpec> layers = parse_layout(layout, 10);
   CHECK(layers.size() == 7);
   const std::vector<std::int64_t> widths{10, 15, 20, 220, 3, 19, 0};
   for (std::size_t i = 0; i < widths.size() && i < layers.size(); ++i)
      check(layers[i].width == widths[i], "width of layer " + std::to_string(i), __LINE__);

   const MethodOptions unknown = parse("Layout=" + layout, __LINE__);
   CHECK(unknown.layers.empty() && unknown.layout_string == layout);
   const MethodOptions known = parse("Layout=" + layout, __LINE__, 10);
   CHECK(same_list(known.layers, layers, same_layer));
   CHECK(error_of([&] { parse_layout(layout); }).find("uses N") != std::string::npos);
   // DropConfig is checked against the number of layers even when N is unknown.
   expect_error("Layout=TANH|N,LINEAR:TrainingStrategy=DropConfig=0.1+0.1+0.1", {"'0.1+0.1+0.1'", "2 layers"},
                __LINE__);
   expect_error("Layout=TANH|N-10,LINEAR", {"'N-10'", "at least 1", "N = 10"}, __LINE__, 10);
}

void test_multi_phase()
{
   const MethodOptions o =
      parse("TrainingStrategy=LearningRate=1e-2,Optimizer=SGD,Momentum=0.5,MaxEpochs=5,TestRepetitions=7,"
            "Repetitions=1|LearningRate=1e-4,BatchSize=64,NumThreads=2,Multithreading=True:NumThreads=4:"
            "RandomSeed=7:WeightInitialization=XAVIERUNIFORM:VerbosityLevel=Error",
            __LINE__);
   CHECK(o.training.size() == 2);
   if (o.training.size() != 2)
      return;
   const TrainingConfig &a = o.training[0], &b = o.training[1];
   CHECK(a.learning_rate == 1e-2 && a.optimizer == "SGD" && a.momentum == 0.5 && a.max_epochs == 5);
   CHECK(a.batch_size == TrainingConfig{}.batch_size && a.num_threads == 4);
   CHECK(b.learning_rate == 1e-4 && b.batch_size == 64 && b.num_threads == 2 && b.optimizer == "ADAM");
   CHECK(a.seed == 7 && b.seed == 7);
   CHECK(o.weight_init == WeightInit::XavierUniform);
   CHECK(a.verbosity == 0 && b.verbosity == 0);
}

void test_strategy_semantics()
{
   const MethodOptions none = parse("TrainingStrategy=WeightDecay=1e-3,Regularization=None", __LINE__);
   CHECK(none.training.at(0).weight_decay == 0.0);
   const MethodOptions l2 = parse("TrainingStrategy=Regularization=L2,WeightDecay=1e-3", __LINE__);
   CHECK(l2.training.at(0).weight_decay == 1e-3);
   const MethodOptions single = parse("NumThreads=8:TrainingStrategy=Multithreading=False", __LINE__);
   CHECK(single.training.at(0).num_threads == 1);
   const MethodOptions both = parse("TrainingStrategy=Multithreading=F,NumThreads=1", __LINE__);
   CHECK(both.training.at(0).num_threads == 1);
   expect_error("TrainingStrategy=Multithreading=False,NumThreads=4", {"Multithreading=False", "NumThreads=4"},
                __LINE__);
}

void test_case_and_booleans()
{
   const MethodOptions o = parse("h:!v:errorstrategy=sumofsquares:layout=tanh|8,linear:architecture=gpu:"
                                 "verbositylevel=debug:HashedBias:HashOutputLayer=kTRUE:"
                                 "IgnoreNegWeightsInTraining=1:CreateMVAPdfs=f:hashmode=element",
                                 __LINE__);
   CHECK(o.help && !o.verbose);
   CHECK(o.error_strategy == "SUMOFSQUARES" && o.architecture == "GPU" && o.verbosity_level == "Debug");
   CHECK(o.hashed_bias && o.hash_output_layer && o.ignore_neg_weights && !o.create_mva_pdfs);
   CHECK(o.hash_mode == "ELEMENT");
   CHECK(o.layers.size() == 2 && o.layers[0].width == 8);
   // TMVA marks parsed options with '~'; such strings still read.
   CHECK(parse("~H:~Compression=1/4", __LINE__).compression == 0.25);
   CHECK(parse("HashSeed=4294967295:RandomSeed=18446744073709551615", __LINE__).hash_seed == 4294967295u);
}

void test_var_transform()
{
   for (const char *good : {"N", "N,D", "D_Background,P_Signal,G,N_AllClasses", "N(var1,var2)", "norm", "G+N",
                            "U", "I", "Normalise", "Deco_Signal(var1,var2),PCA"})
      CHECK(parse(std::string("VarTransform=") + good, __LINE__).var_transform == good);
   expect_error("VarTransform=Foo", {"'Foo'", "Allowed transformations: None, I", "Gauss"}, __LINE__);
   expect_error("VarTransform=Gaus", {"'Gaus'", "did you mean 'Gauss'"}, __LINE__);
   expect_error("VarTransform=N;D", {"'N;D'", "not ';'"}, __LINE__);
   expect_error("VarTransform=None,N", {"None cannot be combined"}, __LINE__);
   expect_error("VarTransform=N(var1", {"'N(var1'", "unbalanced"}, __LINE__);
   expect_error("VarTransform=N,", {"stray"}, __LINE__);
}

void test_unknown_keys()
{
   expect_error("Compresion=1/8", {"unknown option 'Compresion' in HashedDNN options", "did you mean 'Compression'?",
                                   "Allowed options: H, V, VerbosityLevel"},
                __LINE__);
   expect_error("!HashBias", {"'HashBias'", "did you mean 'HashedBias'"}, __LINE__);
   expect_error("trainingstratgy=LearningRate=1", {"'trainingstratgy'", "did you mean 'TrainingStrategy'"},
                __LINE__);
   expect_error_without("Foo=1", "did you mean", __LINE__);
   expect_error("Foo=1", {"'Foo'", "Allowed options:", "TrainingStrategy", "NumThreads"}, __LINE__);
   expect_error("TrainingStrategy=LearnigRate=0.1", {"unknown key 'LearnigRate'", "TrainingStrategy phase 1",
                                                      "did you mean 'LearningRate'?",
                                                      "Allowed keys: LearningRate, Momentum"},
                __LINE__);
   expect_error("TrainingStrategy=MaxEpochs=3|Batchsize=3,Dropconfg=0.1", {"'Dropconfg'", "phase 2",
                                                                          "did you mean 'DropConfig'"},
                __LINE__);
   expect_error("TrainingStrategy=Renormalize=L2", {"'Renormalize'", "Allowed keys:"}, __LINE__);
   expect_error("=5", {"'=5'", "no name"}, __LINE__);
}

void test_bad_numbers()
{
   const std::string s = "TrainingStrategy=";
   expect_error(s + "LearningRate=abc", {"'abc'", "LearningRate", "expected a number > 0"}, __LINE__);
   expect_error(s + "LearningRate=0", {"'0'", "out of range", "> 0"}, __LINE__);
   expect_error(s + "LearningRate=-1e-3", {"'-1e-3'", "> 0"}, __LINE__);
   expect_error(s + "LearningRate=1e-3x", {"'1e-3x'"}, __LINE__);
   expect_error(s + "LearningRate=nan", {"'nan'"}, __LINE__);
   expect_error(s + "Momentum=1", {"'1'", "Momentum", "[0, 1)"}, __LINE__);
   expect_error(s + "Momentum=-0.1", {"'-0.1'", "[0, 1)"}, __LINE__);
   expect_error(s + "BatchSize=0", {"'0'", "BatchSize", "[1, "}, __LINE__);
   expect_error(s + "BatchSize=1.5", {"'1.5'", "expected an integer"}, __LINE__);
   expect_error(s + "MaxEpochs=0", {"'0'", "MaxEpochs"}, __LINE__);
   expect_error(s + "ConvergenceSteps=0", {"'0'", "ConvergenceSteps"}, __LINE__);
   expect_error(s + "WeightDecay=-1", {"'-1'", "WeightDecay", ">= 0"}, __LINE__);
   expect_error(s + "DropConfig=0.1+1.0", {"'1.0'", "drop probability 2", "[0, 1)"}, __LINE__);
   expect_error(s + "DropConfig=0.1++0.2", {"''", "drop probability 2"}, __LINE__);
   expect_error(s + "DropConfig=-0.1", {"'-0.1'"}, __LINE__);
   expect_error(s + "TestRepetitions=0", {"'0'", "TestRepetitions"}, __LINE__);
   expect_error(s + "Repetitions=0", {"'0'", "Repetitions"}, __LINE__);
   expect_error(s + "NumThreads=-2", {"'-2'", "NumThreads"}, __LINE__);
   expect_error(s + "Multithreading=sometimes", {"'sometimes'", "True or False"}, __LINE__);
   expect_error("HashSeed=-1", {"'-1'", "HashSeed", "4294967295"}, __LINE__);
   expect_error("HashSeed=4294967296", {"'4294967296'"}, __LINE__);
   expect_error("RandomSeed=18446744073709551616", {"'18446744073709551616'", "RandomSeed"}, __LINE__);
   expect_error("NumThreads=two", {"'two'", "NumThreads"}, __LINE__);
   expect_error("Compression=1/0", {"'1/0'", "malformed"}, __LINE__);
   expect_error("Compression=2/1", {"'2/1'", "(0, 1]"}, __LINE__);
   expect_error("Compression=0", {"'0'", "(0, 1]"}, __LINE__);
   expect_error("Compression=1/8/2", {"'1/8/2'", "malformed"}, __LINE__);
   expect_error("Compression=K=100", {"'K=100'", "per layer in Layout"}, __LINE__);
}

void test_bad_choices()
{
   const std::string s = "TrainingStrategy=";
   expect_error(s + "Optimizer=RMSPROP", {"'RMSPROP'", "does not support", "SGD, ADAM"}, __LINE__);
   expect_error(s + "Optimizer=ADAMM", {"'ADAMM'", "did you mean 'ADAM'", "Allowed values: SGD, ADAM"}, __LINE__);
   expect_error(s + "Regularization=L1", {"'L1'", "does not support", "NONE, L2"}, __LINE__);
   expect_error("WeightInitialization=GAUSS", {"'GAUSS'", "does not support", "XAVIER, XAVIERUNIFORM"}, __LINE__);
   expect_error("WeightInitialization=zero", {"'zero'", "does not support"}, __LINE__);
   expect_error("ErrorStrategy=CROSSENTROPI", {"'CROSSENTROPI'", "did you mean 'CROSSENTROPY'",
                                               "CROSSENTROPY, SUMOFSQUARES, MUTUALEXCLUSIVE"},
                __LINE__);
   expect_error("Architecture=OPENCL", {"'OPENCL'", "CPU, GPU, STANDARD"}, __LINE__);
   expect_error("VerbosityLevel=Loud", {"'Loud'", "Default, Debug, Verbose"}, __LINE__);
   expect_error("HashMode=ROW", {"'ROW'", "Allowed values: ELEMENT, BLOCK"}, __LINE__);
   expect_error("HashBlock=0", {"HashBlock"}, __LINE__);
}

void test_bad_layouts()
{
   const std::string s = "Layout=";
   expect_error(s, {"'Layout='", "empty value", "Layout=TANH|64,TANH|64,LINEAR"}, __LINE__);
   expect_error("Layout", {"'Layout' needs a value"}, __LINE__);
   expect_error(s + " ", {"empty value"}, __LINE__);
   expect_error(s + "TANH|0,LINEAR", {"'TANH|0'", "width '0' must be at least 1"}, __LINE__);
   expect_error(s + "TANH|-5,LINEAR", {"'-5'", "at least 1"}, __LINE__);
   expect_error(s + "TANH|abc,LINEAR", {"malformed width 'abc'", "N+5"}, __LINE__);
   expect_error(s + "TANH|N/0,LINEAR", {"'N/0'", "divides by zero"}, __LINE__);
   expect_error(s + "TANH|,LINEAR", {"'TANH|'", "width is empty"}, __LINE__);
   expect_error(s + "TAHN|64,LINEAR", {"'TAHN'", "did you mean 'TANH'", "Allowed: TANH, RELU", "DENSE, HASHED"},
                __LINE__);
   expect_error(s + "HASHED|64|TANHH,LINEAR", {"unknown activation 'TANHH'", "did you mean 'TANH'"}, __LINE__);
   expect_error(s + "TANH|64|1/0,LINEAR", {"'1/0'", "malformed compression"}, __LINE__);
   expect_error(s + "TANH|64|2/1,LINEAR", {"'2/1'", "(= 2)", "(0, 1]"}, __LINE__);
   expect_error(s + "TANH|64|1.5,LINEAR", {"'1.5'", "(0, 1]"}, __LINE__);
   expect_error(s + "TANH|64|eighth,LINEAR", {"'eighth'", "malformed"}, __LINE__);
   expect_error(s + "TANH|64|K=0,LINEAR", {"'K=0'", "[1, 4294967295]"}, __LINE__);
   expect_error(s + "TANH|64|K=many,LINEAR", {"'many'", "K=many"}, __LINE__);
   expect_error(s + "TANH|64|1/8|3,LINEAR", {"'TANH|64|1/8|3'", "too many '|' fields"}, __LINE__);
   expect_error(s + "DENSE|64|TANH|1/8,LINEAR", {"too many", "DENSE|width|ACTIVATION"}, __LINE__);
   expect_error(s + "HASHED|64|TANH|1/8|2,LINEAR", {"too many", "HASHED|width|ACTIVATION[|compression]"}, __LINE__);
   expect_error(s + "DENSE|64,LINEAR", {"'DENSE|64'", "too few"}, __LINE__);
   expect_error(s + "LINEAR,TANH|64,LINEAR", {"'LINEAR' (entry 1 of 3", "needs a width",
                                             "only the last entry"},
                __LINE__);
   expect_error(s + "TANH,LINEAR", {"'TANH' (entry 1 of 2", "needs a width"}, __LINE__);
   expect_error(s + "TANH|64,TANH", {"'TANH' (entry 2 of 2", "must be LINEAR"}, __LINE__);
   expect_error(s + "TANH|64,DENSE|1|SIGMOID", {"'DENSE|1|SIGMOID'", "must be LINEAR"}, __LINE__);
   expect_error(s + "TANH|64,,LINEAR", {"entry 2 of 3", "empty"}, __LINE__);
   expect_error(s + "TANH|64,LINEAR,", {"entry 3 of 3", "empty"}, __LINE__);
   CHECK(error_of([] { parse_layout(""); }).find("Layout is empty") != std::string::npos);
}

void test_grammar_errors()
{
   expect_error("H:!H", {"'H' is given twice", "also as 'H'"}, __LINE__);
   expect_error("Compression=1/8:compression=1/4", {"'compression' is given twice", "also as 'Compression'"},
                __LINE__);
   expect_error("TrainingStrategy=LearningRate=0.1,learningrate=0.2", {"'learningrate' is given twice",
                                                                       "TrainingStrategy phase 1"},
                __LINE__);
   expect_error("H=maybe", {"'maybe'", "H", "True or False"}, __LINE__);
   expect_error("HashedBias=", {"'HashedBias='", "empty value"}, __LINE__);
   expect_error("!Layout", {"'!Layout'", "only boolean options can be negated", "Layout=TANH|64"}, __LINE__);
   expect_error("!H=1", {"'!H=1'", "not both"}, __LINE__);
   expect_error("ErrorStrategy=", {"'ErrorStrategy='", "empty value", "CROSSENTROPY, SUMOFSQUARES"}, __LINE__);
   expect_error("TrainingStrategy=", {"'TrainingStrategy='", "empty value"}, __LINE__);
   expect_error("TrainingStrategy=LearningRate", {"'LearningRate' is not Key=Value", "Allowed keys"}, __LINE__);
   expect_error("TrainingStrategy=LearningRate=", {"'LearningRate'", "empty value"}, __LINE__);
   expect_error("TrainingStrategy=MaxEpochs=1||MaxEpochs=2", {"phase 2 is empty"}, __LINE__);
   expect_error("TrainingStrategy=MaxEpochs=1|", {"phase 2 is empty"}, __LINE__);
   expect_error("TrainingStrategy=MaxEpochs=1,,BatchSize=2", {"phase 1 has an empty entry"}, __LINE__);
}

void check_round_trip(const std::string &options, int line, std::int64_t n_inputs = -1)
{
   try {
      const MethodOptions a = parse_method_options(options, n_inputs);
      const std::string text = to_option_string(a);
      const MethodOptions b = parse_method_options(text, n_inputs);
      check(same_options(a, b), "round trip of \"" + options + "\" via \"" + text + "\"", line);
      check(to_option_string(b) == text, "canonical string is a fixed point: " + text, line);
   } catch (const Error &e) {
      check(false, "round trip of \"" + options + "\" threw: " + e.what(), line);
   }
}

void test_round_trip()
{
   check_round_trip("", __LINE__);
   check_round_trip(kIssueExample, __LINE__);
   check_round_trip("H:V:VerbosityLevel=warning:VarTransform=D_Background,P_Signal,G,N_AllClasses:CreateMVAPdfs:"
                    "IgnoreNegWeightsInTraining:ErrorStrategy=MUTUALEXCLUSIVE:WeightInitialization=XAVIERUNIFORM:"
                    "Layout=DENSE|100|RELU,HASHED|64|TANH|1/3,TANH|32|K=77,LINEAR:Compression=0.3:HashedBias:"
                    "HashOutputLayer:HashSeed=12345:TrainingStrategy=LearningRate=0.1,Optimizer=SGD,"
                    "Regularization=NONE,Multithreading=False|LearningRate=3e-5,WeightDecay=0.01,DropConfig=0.2:"
                    "Architecture=GPU:RandomSeed=18446744073709551615:NumThreads=3",
                    __LINE__);
   check_round_trip("Layout=TANH|N*2,TANH|(N+100)/3,LINEAR", __LINE__);
   check_round_trip("Layout=TANH|N*2,TANH|(N+100)/3,LINEAR", __LINE__, 7);

   const MethodOptions o = parse(kIssueExample, __LINE__);
   const std::string text = to_option_string(o);
   CHECK(text.find("Compression=1/8") != std::string::npos);
   CHECK(text.find("!H:!V:") == 0);
   CHECK(text.find("DropConfig=0+0.1+0.1") != std::string::npos);

   const std::string layout = "TANH|512|1/64,DENSE|10|RELU,HASHED|9|GAUSS|K=5,HASHED|8|SIGMOID,LINEAR";
   CHECK(same_list(parse_layout(format_layout(parse_layout(layout))), parse_layout(layout), same_layer));
   CHECK(format_layout(parse_layout("TANH|512|0.015625,LINEAR")) == "TANH|512|1/64,LINEAR");

   MethodOptions odd = o;
   odd.training[0].seed = 1;
   CHECK(error_of([&] { to_option_string(odd); }).find("training[0].seed") != std::string::npos);
   MethodOptions stale = o;
   stale.layers.pop_back();
   CHECK(error_of([&] { to_option_string(stale); }).find("layers") != std::string::npos);
   MethodOptions bad = o;
   bad.compression = 3;
   CHECK(error_of([&] { to_option_string(bad); }).find("'3'") != std::string::npos);
}

void test_describe()
{
   const std::string help = describe_options();
   for (const char *name :
        {"H", "V", "VerbosityLevel", "VarTransform", "CreateMVAPdfs", "IgnoreNegWeightsInTraining", "ErrorStrategy",
         "WeightInitialization", "Layout", "Compression", "HashedBias", "HashOutputLayer", "HashSeed", "HashMode", "HashBlock",
         "TrainingStrategy", "Architecture", "RandomSeed", "NumThreads"})
      check(help.find(std::string("\n    ") + name + ": \"") != std::string::npos,
            std::string("help lists option ") + name, __LINE__);
   CHECK(help.find("Compression: \"1\" [ratio]") != std::string::npos);
   CHECK(help.find("Layout: \"TANH|64,TANH|64,LINEAR\"") != std::string::npos);
   CHECK(help.find("one of XAVIER, XAVIERUNIFORM") != std::string::npos);
   CHECK(help.find("LearningRate: \"0.001\"") != std::string::npos);
   CHECK(help.find("BatchSize: \"128\"") != std::string::npos);
   CHECK(help.find("K=4096") != std::string::npos);
}

} // namespace

void test_validation_size()
{
   CHECK(hashednet::parse_method_options("").validation_size == "20%");
   CHECK(hashednet::validation_event_count("20%", 1000) == 200);
   CHECK(hashednet::validation_event_count("0.25", 1000) == 250);
   CHECK(hashednet::validation_event_count("300", 1000) == 300);
   CHECK(hashednet::validation_event_count("0", 1000) == 0);
   CHECK(hashednet::parse_method_options("ValidationSize=10%").validation_size == "10%");
   expect_error("ValidationSize=abc", {"'abc'", "percentage below 100"}, __LINE__);
   expect_error("ValidationSize=100%", {"'100%'"}, __LINE__);
   expect_error("ValidationSize=2.5", {"'2.5'", "whole number"}, __LINE__);
   try {
      hashednet::validation_event_count("1000", 1000);
      check(false, "1000 of 1000 validation events should be an error", __LINE__);
   } catch (const hashednet::Error &e) {
      check(std::string(e.what()).find("only 1000 training events") != std::string::npos, e.what(), __LINE__);
   }
}

void test_options_for_task()
{
   using hashednet::Task;
   const auto parse = [](const char *text) { return hashednet::parse_method_options(text); };
   CHECK(hashednet::check_options_for_task(parse(""), Task::Classification).empty());
   CHECK(hashednet::check_options_for_task(parse("ErrorStrategy=MUTUALEXCLUSIVE"), Task::Multiclass).empty());
   CHECK(hashednet::check_options_for_task(parse("ErrorStrategy=CROSSENTROPY"), Task::Regression).size() == 1);
   CHECK(hashednet::check_options_for_task(parse("ErrorStrategy=SUMOFSQUARES"), Task::Regression).empty());
   std::vector<std::pair<const char *, Task>> bad = {{"ErrorStrategy=SUMOFSQUARES", Task::Classification},
                                                     {"ErrorStrategy=SUMOFSQUARES", Task::Multiclass}};
   if (!hashednet::gpu_unavailable_reason().empty()) // on a machine without a usable GPU: an error saying why
      bad.push_back({"Architecture=GPU", Task::Classification});
   for (const auto &[text, task] : bad) {
      try {
         hashednet::check_options_for_task(parse(text), task);
         check(false, std::string(text) + " should be rejected", __LINE__);
      } catch (const hashednet::Error &e) {
         check(std::string(e.what()).find("allowed") != std::string::npos, e.what(), __LINE__);
      }
   }
}

// MethodOptionsBuilder is the door of Python's keywords: the same rows, the same messages.
void test_builder()
{
   MethodOptionsBuilder builder;
   builder.set("Compression", "1/8");
   builder.set("hashseed", "7");
   builder.set_phase(0, "BatchSize", "64");
   builder.set_phase(1, "LearningRate", "1e-4");
   builder.set("RandomSeed", "5");
   const MethodOptions built = builder.build(4);
   const MethodOptions parsed =
      parse("Compression=1/8:HashSeed=7:RandomSeed=5:TrainingStrategy=BatchSize=64|LearningRate=1e-4", __LINE__, 4);
   CHECK(to_option_string(built) == to_option_string(parsed));
   CHECK(built.training.size() == 2 && built.training[1].seed == 5 && built.training[0].batch_size == 64);

   const auto builder_error = [](const std::string &key, const std::string &value) {
      return error_of([&] {
         MethodOptionsBuilder b;
         b.set(key, value);
      });
   };
   const auto option_error = [](const std::string &text) { return error_of([&] { parse_method_options(text); }); };
   for (const auto &kv : std::vector<std::pair<std::string, std::string>>{
           {"HashSeed", "-1"}, {"HashSeed", "4294967296"}, {"RandomSeed", "-1"}, {"NumThreads", "-1"},
           {"HashBlock", "1.5"}, {"HashMode", "ROW"}, {"HashedBias", "no"}, {"Compresion", "1"}})
      CHECK(builder_error(kv.first, kv.second) == option_error(kv.first + "=" + kv.second));
   const std::string phase_error = error_of([] {
      MethodOptionsBuilder b;
      b.set_phase(0, "BatchSize", "1.5");
   });
   CHECK(phase_error == option_error("TrainingStrategy=BatchSize=1.5"));

   CHECK(builder_error("Layout", "TANH|8:HashSeed=1").find("holds ':'") != std::string::npos);
   CHECK(error_of([] {
            MethodOptionsBuilder b;
            b.set_phase(0, "Optimizer", "SGD,LearningRate=1");
         }).find("holds ','") != std::string::npos);
   CHECK(error_of([] {
            MethodOptionsBuilder b;
            b.set_phase(1, "BatchSize", "2");
         }).find("is set before phase 1") != std::string::npos);
   CHECK(error_of([] {
            MethodOptionsBuilder b;
            b.set("TrainingStrategy", "BatchSize=2");
            b.set_phase(0, "BatchSize", "2");
         }).find("already given as a whole") != std::string::npos);
   CHECK(error_of([] {
            MethodOptionsBuilder b;
            b.set("V", "True");
            b.set("v", "False");
         }) == option_error("V:v=False"));
}

// OptionTable reads the other TMVA objects' options with the HashedDNN grammar.
void test_option_table()
{
   OptionTable table("Factory");
   table.declare_bool("V", false);
   table.declare_bool("Silent", false);
   table.declare_integer("Seed", 100, 0, 1000);
   table.declare_real("Fraction", 0.5);
   table.declare_string("Transformations", "I");
   table.declare_choice("AnalysisType", "auto", {"Classification", "Auto"});
   const std::vector<std::string> defaults = table.parse("");
   CHECK((defaults == std::vector<std::string>{"False", "False", "100", "0.5", "I", "Auto"}));
   const std::vector<std::string> read = table.parse("~V:~!Silent:seed=7:Fraction=0.25:Transformations=I;D:"
                                                     "analysistype=classification");
   CHECK((read == std::vector<std::string>{"True", "False", "7", "0.25", "I;D", "Classification"}));
   const auto error = [&](const std::string &text) { return error_of([&] { table.parse(text); }); };
   // The inputs on which the old Python grammar disagreed with the HashedDNN parser.
   CHECK(error("!V=True") == error_of([] { parse_method_options("!V=True"); }));
   CHECK(error("V=yes").find("bad value 'yes' for V in Factory options: expected a boolean") != std::string::npos);
   CHECK(error("V:V") == "option 'V' is given twice (also as 'V') in Factory options; give each option once");
   CHECK(error("Seed=1001").find("out of range: expected an integer in [0, 1000]") != std::string::npos);
   CHECK(error("Fraction=inf").find("bad value 'inf' for Fraction") != std::string::npos);
   CHECK(error("AnalysisType=Clasification").find("did you mean 'Classification'? Allowed values: Classification, "
                                                  "Auto") != std::string::npos);
   CHECK(error("Silnt").find("unknown option 'Silnt' in Factory options '") != std::string::npos &&
         error("Silnt").find("did you mean 'Silent'? Allowed options: V, Silent, Seed") != std::string::npos);
   CHECK(error("!Seed").find("only boolean options can be negated") != std::string::npos);
}

void test_thread_count()
{
   const int available = hardware_threads();
   CHECK(available >= 1);
   CHECK(error_of([&] { check_thread_count(available); }) == "<no error>");
   CHECK(error_of([] { check_thread_count(0); }) == "<no error>");
   CHECK(error_of([&] { check_thread_count(available + 1); }) ==
         "NumThreads=" + std::to_string(available + 1) + " is more than the " + std::to_string(available) +
            " hardware threads of this machine; allowed: 0 (all hardware threads) to " + std::to_string(available));
   CHECK(error_of([] { check_thread_count(-1, "num_threads"); }).find("num_threads=-1 is negative") == 0);
   CHECK(parse("NumThreads=100000", __LINE__).num_threads == 100000); // the parser is machine-independent
}

int main()
{
   const std::vector<std::pair<const char *, void (*)()>> tests{
      {"issue_example", test_issue_example},   {"defaults", test_defaults},
      {"layer_compression", test_layer_compression}, {"dl_style", test_dl_style},
      {"widths_in_n", test_widths_in_n},       {"multi_phase", test_multi_phase},
      {"strategy_semantics", test_strategy_semantics}, {"case_and_booleans", test_case_and_booleans},
      {"var_transform", test_var_transform},   {"unknown_keys", test_unknown_keys},
      {"bad_numbers", test_bad_numbers},       {"bad_choices", test_bad_choices},
      {"bad_layouts", test_bad_layouts},       {"grammar_errors", test_grammar_errors},
      {"round_trip", test_round_trip},         {"describe", test_describe},
      {"validation_size", test_validation_size}, {"options_for_task", test_options_for_task},
      {"builder", test_builder},               {"option_table", test_option_table},
      {"thread_count", test_thread_count},
   };
   for (const auto &test : tests)
      test_check::run(test.first, test.second);
   return test_check::report();
}
