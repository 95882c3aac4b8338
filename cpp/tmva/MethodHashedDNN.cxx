// MethodHashedDNN.cxx: see MethodHashedDNN.h.
//
// \class TMVA::MethodHashedDNN
// A fully connected network (TMVA's Layout syntax) whose layer l is an
// n_out x n_in virtual matrix
//
//     V_l[i][j] = xi_l(i,j) * w_l[h_l(i,j)],   h_l, xi_l from one XXH32 of (i*n_in + j)
//
// with K_l << n_out*n_in real parameters w_l ("buckets"); see README.md, "The
// hash". The response is
//   classification  P(signal) = sigmoid(logit), trained with cross-entropy,
//   multiclass      softmax over one logit per class,
//   regression      the linear outputs (squared error), back-transformed by
//                   TMVA's target transformation.
//
// Compatibility. Written for ROOT 6.x; older and newer TMVAs differ in four ways:
//   * MethodBase's constructors take a trailing TDirectory* with a default in
//     TMVA 4.2.1 (2015): the calls below pass no directory, so they compile
//     against both;
//   * TMVA::Types is a singleton class (Types::Instance()) in TMVA 4.2.1 and
//     ROOT 6.x up to at least 6.26; the newest ROOT has no Instance(): see
//     RegisterHashedDNN.cxx;
//   * TMVA 4.2.1 has no MethodBase::fTrainHistory (ROOT >= 6.20 has): the
//     training history is then written by WriteMonitoringHistosToFile() as
//     the same TH1D histograms;
//   * TMVA 4.2.1 has no MethodBase::GetMvaValues (batched testing): the
//     override is compiled from ROOT 6.10 on (MethodHashedDNN.h).
// CMake detects the last two (HASHEDNET_TMVA_TYPES_IS_CLASS,
// HASHEDNET_TMVA_HAS_TRAIN_HISTORY); without CMake, the presence of
// TMVA/TrainingHistory.h decides the second and the singleton is assumed.
#include "MethodHashedDNN.h"

#include "hashednet/cost.h"
#include "hashednet/evaluator.h"
#include "hashednet/interrupt.h"
#include "hashednet/model.h"
#include "hashednet/network_spec.h"
#include "hashednet/options.h"
#include "hashednet/section_digest.h"
#include "hashednet/serialize.h"
#include "hashednet/standalone_class.h"
#include "hashednet/trainer.h"

#include "TDirectory.h"
#include "TH1D.h"
#include "TXMLEngine.h"
#include "TMVA/DataSet.h"
#include "TMVA/DataSetInfo.h"
#include "TMVA/Event.h"
#include "TMVA/MsgLogger.h"
#include "TMVA/Ranking.h"
#include "TMVA/Timer.h"
#include "TMVA/Tools.h"
#include "TMVA/Types.h"

#ifndef HASHEDNET_TMVA_HAS_TRAIN_HISTORY
#if __has_include("TMVA/TrainingHistory.h")
#define HASHEDNET_TMVA_HAS_TRAIN_HISTORY 1
#else
#define HASHEDNET_TMVA_HAS_TRAIN_HISTORY 0
#endif
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>

ClassImp(TMVA::MethodHashedDNN);

namespace {

/// Defaults of the options that only this method knows.
constexpr const char *kWeightsFormat = "hashednet-1";  // <Weights Format=...>

/// Sends every complete line written to it to a TMVA MsgLogger at kINFO, so
/// the core's per-epoch progress gets TMVA's prefix and obeys Silent.
class LogLineBuffer : public std::streambuf {
public:
   explicit LogLineBuffer(TMVA::MsgLogger &log) : fLog(log) {}
   ~LogLineBuffer() override { flush_line(); }

protected:
   int_type overflow(int_type c) override
   {
      if (c == traits_type::eof())
         return traits_type::not_eof(c);
      if (c == '\n')
         flush_line();
      else
         fLine += static_cast<char>(c);
      return c;
   }

private:
   void flush_line()
   {
      if (!fLine.empty())
         fLog << TMVA::kINFO << fLine << TMVA::Endl;
      fLine.clear();
   }
   TMVA::MsgLogger &fLog;
   std::string fLine;
};

/// The <Weights> text with the indentation an XML writer may add removed
/// (serialize() writes no leading or trailing blanks, so this restores it exactly).
std::string normalized_weights_text(const char *content)
{
   std::istringstream in(content ? content : "");
   std::string out;
   for (std::string line; std::getline(in, line);) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos)
         continue;
      const auto last = line.find_last_not_of(" \t\r");
      out += line.substr(first, last - first + 1);
      out += '\n';
   }
   return out;
}

/// Adds `node` and its subtree to `digest` (hashednet/section_digest.h: the walk
/// weights_xml.py makes over ElementTree). The text of an element is that of
/// its non-element children (content, or a raw line while writing).
void add_to_digest(TXMLEngine &xml, XMLNodePointer_t node, hashednet::SectionDigest &digest)
{
   digest.open(xml.GetNodeName(node));
   for (XMLAttrPointer_t a = xml.GetFirstAttr(node); a != nullptr; a = xml.GetNextAttr(a))
      digest.attribute(xml.GetAttrName(a), xml.GetAttrValue(a));
   std::string text;
   for (XMLNodePointer_t c = xml.GetChild(node, kFALSE); c != nullptr; c = xml.GetNext(c, kFALSE))
      if (!xml.IsXmlNode(c) && xml.GetNodeName(c) != nullptr)
         text += std::string(" ") + xml.GetNodeName(c);
   digest.text(text);
   for (XMLNodePointer_t c = xml.GetChild(node); c != nullptr; c = xml.GetNext(c))
      add_to_digest(xml, c, digest);
   digest.close();
}

/// The checksum of the <Transformations> node next to `weights_parent`'s <Weights>
/// (MethodBase::WriteStateToXML writes it before calling AddWeightsXMLTo); empty when there is none.
std::string transformations_checksum(void *weights_parent)
{
   void *node = TMVA::gTools().GetChild(weights_parent, "Transformations");
   if (node == nullptr)
      return "";
   hashednet::SectionDigest digest;
   add_to_digest(TMVA::gTools().xmlengine(), static_cast<XMLNodePointer_t>(node), digest);
   return digest.hex();
}

} // namespace

/// The core's objects, kept out of the header.
struct TMVA::MethodHashedDNN::Impl {
   hashednet::MethodOptions options;
   std::unique_ptr<hashednet::Model> model;
   std::unique_ptr<hashednet::Evaluator> evaluator; ///< the Get*Value calls' (evaluator.h); null when stale
   std::vector<float> input;              ///< one event, reused by the Get*Value calls
   std::vector<double> train_loss, validation_loss; ///< per epoch, all phases in order
};

TMVA::MethodHashedDNN::MethodHashedDNN(const TString &jobName, const TString &methodTitle, DataSetInfo &dsi,
                                       const TString &theOption)
   : MethodBase(jobName, Types::kPlugins, methodTitle, dsi, theOption), fImpl(std::make_unique<Impl>())
{
}

TMVA::MethodHashedDNN::MethodHashedDNN(DataSetInfo &dsi, const TString &theWeightFile)
   : MethodBase(Types::kPlugins, dsi, theWeightFile), fImpl(std::make_unique<Impl>())
{
}

TMVA::MethodHashedDNN::~MethodHashedDNN() = default;

Bool_t TMVA::MethodHashedDNN::HasAnalysisType(Types::EAnalysisType type, UInt_t numberClasses, UInt_t numberTargets)
{
   if (type == Types::kClassification)
      return numberClasses == 2;
   if (type == Types::kMulticlass)
      return numberClasses >= 2;
   if (type == Types::kRegression)
      return numberTargets >= 1;
   return kFALSE;
}

void TMVA::MethodHashedDNN::Init()
{
   fImpl->evaluator.reset();
   fImpl->model.reset();
   fImpl->train_loss.clear();
   fImpl->validation_loss.clear();
}

////////////////////////////////////////////////////////////////////////////////
/// Every key of the core's parser is declared so that TMVA's own option
/// parsing accepts it; TMVA's base options (H, V, VarTransform, ...) are
/// declared by MethodBase. A string option left empty means "the parser's default".

void TMVA::MethodHashedDNN::DeclareOptions()
{
   const hashednet::MethodOptions defaults;
   // In the order of the core parser's table (docs/weight_file.md).
   DeclareOptionRef(fErrorStrategy = "", "ErrorStrategy", "CROSSENTROPY, SUMOFSQUARES or MUTUALEXCLUSIVE");
   DeclareOptionRef(fWeightInitialization = "", "WeightInitialization", "XAVIER or XAVIERUNIFORM");
   DeclareOptionRef(fInputLayout = "", "InputLayout", "The events as images, depth|height|width (MethodDL), e.g. 1|28|28");
   DeclareOptionRef(fBatchLayout = "", "BatchLayout", "MethodDL's batch shape, e.g. 256|1|784 (checked only)");
   DeclareOptionRef(fLayout = "", "Layout", "Layers, ','-separated, output layer last, e.g. TANH|64|1/8,LINEAR");
   DeclareOptionRef(fCompression = "", "Compression", "Default real/virtual weight ratio of hidden layers, e.g. 1/8");
   DeclareOptionRef(fHashedBias = defaults.hashed_bias, "HashedBias", "Hash the biases of hashed layers too");
   DeclareOptionRef(fHashOutputLayer = defaults.hash_output_layer, "HashOutputLayer", "Hash the output layer too");
   DeclareOptionRef(fHashSeed = "", "HashSeed", "Master seed of the weight-sharing hash, in [0, 4294967295]");
   DeclareOptionRef(fHashMode = "", "HashMode",
                    "ELEMENT: every virtual weight hashes to its own bucket; BLOCK: one hash per HashBlock weights; "
                    "FUNHASH: FunHashNN, each virtual weight g(HashFunctions hashed buckets); "
                    "FRESH: FreshNets, hashed DCT coefficients of each FreshSlice");
   DeclareOptionRef(fHashBlock = "", "HashBlock", "HashMode=BLOCK: virtual weights per hash, in [1, 4096]");
   DeclareOptionRef(fHashFunctions = "", "HashFunctions", "HashMode=FUNHASH: hashes per virtual weight, in [1, 16]");
   DeclareOptionRef(fReconstruction = "", "Reconstruction",
                    "HashMode=FUNHASH: g, LINEAR, IDENTITY (HashFunctions=1) or MLP|H|ACTIVATION");
   DeclareOptionRef(fFreshSlice = "", "FreshSlice",
                    "HashMode=FRESH: <height>x<width> slices of fully connected layers' inputs, e.g. 3x3");
   DeclareOptionRef(fFreshBandExponent = "", "FreshBandExponent",
                    "HashMode=FRESH: e in [0, 16], band u+v gets (u+v+1)^-e buckets per coefficient (relative)");
   DeclareOptionRef(fTrainingStrategy = "", "TrainingStrategy",
                    "Training phases separated by '|', each Key=Value,... (LearningRate, BatchSize, MaxEpochs, ...)");
   DeclareOptionRef(fArchitecture = "", "Architecture", "CPU (GPU and STANDARD are accepted as in MethodDL)");
   DeclareOptionRef(fGpuProduct = "", "GpuProduct",
                    "Architecture=GPU: hashed products AUTO, FUSED or MATERIALIZE (tile of V + cuBLAS)");
   DeclareOptionRef(fGpuDeterministic = defaults.gpu_deterministic, "GpuDeterministic",
                    "Architecture=GPU: fixed-point bucket gradients, the same bits every run");
   DeclareOptionRef(fRandomSeed = "", "RandomSeed", "Seed of initialisation, shuffling and dropout");
   DeclareOptionRef(fNumThreads = "", "NumThreads", "Threads, 0 = all cores");
   DeclareOptionRef(fValidationSize = "", "ValidationSize",
                    "Part of the training events kept for validation and early stopping: "
                    "\"20%\", a fraction (0.2) or a number of events (500)");
}

////////////////////////////////////////////////////////////////////////////////
/// Hands the option values to hashednet::parse_method_options (the one
/// parser, shared with Python) and writes the canonical values back, so the
/// weight file records the configuration that was used.

void TMVA::MethodHashedDNN::ProcessOptions()
{
   const std::pair<const char *, TString *> given[] = {
      {"InputLayout", &fInputLayout}, {"BatchLayout", &fBatchLayout},
      {"Layout", &fLayout},         {"Compression", &fCompression},
      {"HashSeed", &fHashSeed},     {"HashMode", &fHashMode},     {"HashBlock", &fHashBlock},
      {"HashFunctions", &fHashFunctions}, {"Reconstruction", &fReconstruction},
      {"FreshSlice", &fFreshSlice}, {"FreshBandExponent", &fFreshBandExponent},
      {"ErrorStrategy", &fErrorStrategy}, {"WeightInitialization", &fWeightInitialization},
      {"TrainingStrategy", &fTrainingStrategy}, {"Architecture", &fArchitecture}, {"GpuProduct", &fGpuProduct},
      {"RandomSeed", &fRandomSeed}, {"NumThreads", &fNumThreads}, {"ValidationSize", &fValidationSize}};
   std::string text = std::string(fHashedBias ? "" : "!") + "HashedBias:" + (fHashOutputLayer ? "" : "!") +
                      "HashOutputLayer:" + (fGpuDeterministic ? "" : "!") + "GpuDeterministic";
   for (const auto &option : given)
      if (!option.second->IsNull())
         text += std::string(":") + option.first + "=" + option.second->Data();
   try {
      fImpl->options = hashednet::parse_method_options(text, GetNvar());
   } catch (const hashednet::Error &error) {
      Log() << kFATAL << "HashedDNN option error: " << error.what() << Endl;
      return;
   }
   // Canonical values: the top-level items of to_option_string, keyed by name.
   std::istringstream canonical(hashednet::to_option_string(fImpl->options));
   for (std::string item; std::getline(canonical, item, ':');) {
      const auto equal = item.find('=');
      if (equal == std::string::npos)
         continue;
      for (const auto &option : given)
         if (item.compare(0, equal, option.first) == 0 && std::strlen(option.first) == equal)
            *option.second = item.substr(equal + 1).c_str();
   }
   const hashednet::Task task = DoRegression() ? hashednet::Task::Regression
                                : (DoMulticlass() ? hashednet::Task::Multiclass : hashednet::Task::Classification);
   try {
      for (const std::string &warning : hashednet::check_options_for_task(fImpl->options, task))
         Log() << kWARNING << warning << Endl;
   } catch (const hashednet::Error &error) {
      Log() << kFATAL << "HashedDNN option error: " << error.what() << Endl;
   }
}

////////////////////////////////////////////////////////////////////////////////
/// Training events split as MethodDL splits them: the last ValidationSize
/// events of the (already randomly split) training sample validate.

struct TMVA::MethodHashedDNN::TrainingEvents {
   Long64_t n_variables = 0, n_targets = 1;
   std::vector<float> x, y, w;    ///< all events
   Long64_t n = 0, n_fit = 0;     ///< all events, the ones that train
   hashednet::DataView fit() const { return {x.data(), y.data(), w.data(), n_fit, n_variables, n_targets}; }
   hashednet::DataView validation() const
   {
      return {x.data() + n_fit * n_variables, y.data() + n_fit * n_targets, w.data() + n_fit, n - n_fit, n_variables,
              n_targets};
   }
};

namespace {
/// Offset and scale that standardise each input to weighted mean 0 and RMS 1.
void standardization(const hashednet::DataView &data, std::vector<float> &offset, std::vector<float> &scale)
{
   offset.assign(data.n_features, 0.0f);
   scale.assign(data.n_features, 1.0f);
   for (std::int64_t j = 0; j < data.n_features; ++j) {
      double sw = 0, sx = 0, sxx = 0;
      for (std::int64_t e = 0; e < data.n; ++e) {
         const double v = data.x[e * data.n_features + j], w = data.w[e];
         sw += w;
         sx += w * v;
         sxx += w * v * v;
      }
      const double mean = sw > 0 ? sx / sw : 0.0;
      const double rms = sw > 0 ? std::sqrt(std::max(0.0, sxx / sw - mean * mean)) : 0.0;
      offset[j] = static_cast<float>(mean);
      scale[j] = rms > 0 ? static_cast<float>(1.0 / rms) : 1.0f;
   }
}
} // namespace

////////////////////////////////////////////////////////////////////////////////
/// Training, in named steps: collect the (transformed) training events and
/// split off the validation events, build the network, run every
/// TrainingStrategy phase, report the model's size.

void TMVA::MethodHashedDNN::Train()
{
   TrainingEvents events;
   fImpl->evaluator.reset(); // it would hold the parameters of before the training
   if (CollectTrainingEvents(events) && BuildNetwork(events) && RunTrainingPhases(events))
      PrintModelSize();
}

bool TMVA::MethodHashedDNN::CollectTrainingEvents(TrainingEvents &events)
{
   const bool regression = DoRegression(), multiclass = DoMulticlass();
   events.n_variables = GetNvar();
   events.n_targets = regression ? DataInfo().GetNTargets() : 1;
   Long64_t n_negative = 0;
   for (Long64_t i = 0; i < Data()->GetNTrainingEvents(); ++i) {
      const Event *ev = GetTrainingEvent(i);
      if (ev->GetWeight() < 0 && IgnoreEventsWithNegWeightsInTraining()) {
         ++n_negative;
         continue;
      }
      for (Long64_t j = 0; j < events.n_variables; ++j)
         events.x.push_back(ev->GetValue(j));
      if (regression)
         for (Long64_t t = 0; t < events.n_targets; ++t)
            events.y.push_back(ev->GetTarget(t));
      else
         events.y.push_back(multiclass ? static_cast<float>(ev->GetClass()) : (DataInfo().IsSignal(ev) ? 1.0f : 0.0f));
      events.w.push_back(ev->GetWeight());
      ++events.n;
   }
   if (n_negative > 0)
      Log() << kINFO << "Ignored " << n_negative << " training events with negative weights" << Endl;
   try {
      events.n_fit = events.n - hashednet::validation_event_count(fImpl->options.validation_size, events.n);
   } catch (const hashednet::Error &error) {
      Log() << kFATAL << error.what() << Endl;
      return false;
   }
   Log() << kINFO << "Using " << events.n_fit << " events for training and " << events.n - events.n_fit
         << " for validation" << Endl;
   if (events.n_fit == events.n)
      Log() << kINFO << "ValidationSize=" << fImpl->options.validation_size
            << ": no validation sample; the training loss picks the best epoch and decides early stopping "
               "(ConvergenceSteps)"
            << Endl;
   return true;
}

/// The network. Without a TMVA VarTransform it standardises its own inputs
/// (training events' weighted mean and RMS); with one, TMVA's transform is
/// all (docs/weight_file.md, "The transformation").
bool TMVA::MethodHashedDNN::BuildNetwork(const TrainingEvents &events)
{
   const bool regression = DoRegression(), multiclass = DoMulticlass();
   const hashednet::MethodOptions &o = fImpl->options;
   const hashednet::Task task = regression ? hashednet::Task::Regression
                                           : (multiclass ? hashednet::Task::Multiclass : hashednet::Task::Classification);
   const Long64_t n_outputs = regression ? events.n_targets : (multiclass ? DataInfo().GetNClasses() : 1);
   try {
      const hashednet::NetworkSpec spec = hashednet::network_spec(o, events.n_variables, task, n_outputs);
      fImpl->model = std::make_unique<hashednet::Model>(spec, o.weight_init, o.random_seed, o.num_threads,
                                                        hashednet::architecture_from_string(o.architecture),
                                                        hashednet::gpu_settings(o));
      const hashednet::CostEstimate cost = hashednet::estimate_cost(fImpl->model->network());
      if (cost.expensive()) // the training header prints the cost of every network (trainer.cpp)
         Log() << kWARNING << "HashedDNN: " << hashednet::cost_warning(cost) << Endl;
      if (GetTransformationHandler().GetTransformationList().GetSize() == 0) {
         std::vector<float> offset, scale;
         standardization(events.fit(), offset, scale);
         fImpl->model->set_input_transform(offset.data(), scale.data(), events.n_variables);
      }
   } catch (const hashednet::Error &e) {
      Log() << kFATAL << "HashedDNN: " << e.what() << Endl;
      return false;
   }
   return true;
}

/// The phases of TrainingStrategy; progress goes through TMVA's logger.
bool TMVA::MethodHashedDNN::RunTrainingPhases(const TrainingEvents &events)
{
   const hashednet::MethodOptions &o = fImpl->options;
   LogLineBuffer buffer(Log());
   std::ostream progress(&buffer);
   int epoch_offset = 0;
   for (std::size_t phase = 0; phase < o.training.size(); ++phase) {
      const hashednet::TrainingConfig &config = o.training[phase];
      Log() << kINFO << "Training phase " << phase + 1 << " of " << o.training.size() << Endl;
      hashednet::TrainingHistory history;
      try {
         history = fImpl->model->train_phase(events.fit(), events.validation(), config,
                                             Log().GetMinType() <= kINFO ? &progress : nullptr);
      } catch (const hashednet::Interrupted &stop) { // Ctrl-C: not a hashednet::Error
         // Not kFATAL: TMVA 4.2.1's kFATAL calls exit(1), whose handlers write the half-trained job's
         // open output file (and crash in ROOT's streamers). An exception ends the job in every TMVA
         // (the newest ROOT's kFATAL throws too) and lets the caller clean up (Python: the output file).
         Log() << kERROR << "HashedDNN: " << stop.what() << Endl;
         throw std::runtime_error(std::string("HashedDNN: ") + stop.what());
      } catch (const hashednet::Error &e) {
         Log() << kFATAL << "HashedDNN training failed: " << e.what() << Endl;
         return false;
      }
      for (const auto &record : history.epochs) {
         fImpl->train_loss.push_back(record.train_loss);
         fImpl->validation_loss.push_back(record.validation_loss);
#if HASHEDNET_TMVA_HAS_TRAIN_HISTORY
         fTrainHistory.AddValue("trainingError", epoch_offset + record.epoch, record.train_loss);
         fTrainHistory.AddValue("valError", epoch_offset + record.epoch, record.validation_loss);
#endif
      }
      epoch_offset += static_cast<int>(history.epochs.size());
   }
   progress.flush();
   return true;
}

void TMVA::MethodHashedDNN::PrintModelSize()
{
   std::int64_t real = 0, virtual_weights = 0;
   for (const auto &layer : fImpl->model->network().memory_report()) {
      real += layer.real_params;
      virtual_weights += layer.virtual_weights;
   }
   Log() << kINFO << "HashedDNN: " << real << " real parameters (" << real * 4 << " bytes) for " << virtual_weights
         << " virtual weights, compression " << Form("%.4g", double(real) / double(virtual_weights)) << Endl;
}

////////////////////////////////////////////////////////////////////////////////
/// The network's responses to the current (transformed) event.

namespace {
const float *respond(hashednet::Evaluator &evaluator, const TMVA::Event *ev, std::vector<float> &input)
{
   const auto n = static_cast<std::size_t>(evaluator.n_inputs());
   input.resize(n);
   for (std::size_t j = 0; j < n; ++j)
      input[j] = ev->GetValue(j);
   return evaluator.evaluate(input.data());
}
} // namespace

hashednet::Model &TMVA::MethodHashedDNN::TrainedModel() const
{
   if (!fImpl->model)
      Log() << kFATAL << "HashedDNN: the network is used before it was trained or read from a weight file" << Endl;
   return *fImpl->model;
}

hashednet::Evaluator &TMVA::MethodHashedDNN::TrainedEvaluator()
{
   if (!fImpl->evaluator)
      fImpl->evaluator = std::make_unique<hashednet::Evaluator>(hashednet::share_network(TrainedModel()));
   return *fImpl->evaluator;
}

Double_t TMVA::MethodHashedDNN::GetMvaValue(Double_t *err, Double_t *errUpper)
{
   NoErrorCalc(err, errUpper);
   return respond(TrainedEvaluator(), GetEvent(), fImpl->input)[0];
}

const std::vector<Float_t> &TMVA::MethodHashedDNN::GetMulticlassValues()
{
   hashednet::Evaluator &evaluator = TrainedEvaluator();
   const float *out = respond(evaluator, GetEvent(), fImpl->input);
   fOutputValues.assign(out, out + evaluator.n_outputs());
   return fOutputValues;
}

const std::vector<Float_t> &TMVA::MethodHashedDNN::GetRegressionValues()
{
   const Event *ev = GetEvent();
   hashednet::Evaluator &evaluator = TrainedEvaluator();
   const float *out = respond(evaluator, ev, fImpl->input);
   const auto n_out = static_cast<std::size_t>(evaluator.n_outputs());
   Event transformed(*ev);
   for (std::size_t t = 0; t < n_out; ++t)
      transformed.SetTarget(t, out[t]);
   const Event *original = GetTransformationHandler().InverseTransform(&transformed);
   fOutputValues.resize(n_out);
   for (std::size_t t = 0; t < n_out; ++t)
      fOutputValues[t] = original->GetTarget(t);
   return fOutputValues;
}

#if HASHEDNET_TMVA_HAS_GET_MVA_VALUES
std::vector<Double_t> TMVA::MethodHashedDNN::GetMvaValues(Long64_t firstEvt, Long64_t lastEvt, Bool_t logProgress)
{
   const Long64_t n_events = Data()->GetNEvents();
   if (firstEvt > lastEvt || lastEvt > n_events)
      lastEvt = n_events;
   if (firstEvt < 0)
      firstEvt = 0;
   const Long64_t n = lastEvt - firstEvt;
   Timer timer(n, GetName(), kTRUE);
   if (logProgress)
      Log() << kHEADER << Form("[%s] : ", DataInfo().GetName()) << "Evaluation of " << GetMethodName() << " on "
            << (Data()->GetCurrentType() == Types::kTraining ? "training" : "testing") << " sample (" << n
            << " events)" << Endl;
   hashednet::Model &model = TrainedModel();
   const std::int64_t n_in = model.network().n_inputs(), n_out = model.network().n_outputs();
   constexpr Long64_t kBatch = 4096; // events per call of the core: bounds the float copies
   std::vector<float> x, out;
   std::vector<Double_t> values(static_cast<std::size_t>(n));
   for (Long64_t first = 0; first < n; first += kBatch) {
      const Long64_t batch = std::min(kBatch, n - first);
      x.resize(static_cast<std::size_t>(batch * n_in));
      out.resize(static_cast<std::size_t>(batch * n_out));
      for (Long64_t i = 0; i < batch; ++i) {
         Data()->SetCurrentEvent(firstEvt + first + i);
         const Event *ev = GetEvent();
         for (std::int64_t j = 0; j < n_in; ++j)
            x[i * n_in + j] = ev->GetValue(j);
      }
      try {
         model.predict(x.data(), batch, n_in, out.data());
      } catch (const hashednet::Error &e) {
         Log() << kFATAL << "HashedDNN: " << e.what() << Endl;
      }
      for (Long64_t i = 0; i < batch; ++i)
         values[first + i] = out[i * n_out];
   }
   if (logProgress)
      Log() << kINFO << "Elapsed time for evaluation of " << n << " events: " << timer.GetElapsedTime() << "       "
            << Endl;
   return values;
}
#endif

////////////////////////////////////////////////////////////////////////////////
/// <Weights Format="hashednet-1" HashDefinition="xxh32-v1"> holds the core's
/// serialize() text (buckets as base64 float32, checksummed), as raw text.

void TMVA::MethodHashedDNN::AddWeightsXMLTo(void *parent) const
{
   void *weights = gTools().AddChild(parent, "Weights");
   gTools().AddAttr(weights, "Format", kWeightsFormat);
   gTools().AddAttr(weights, "HashDefinition", hashednet::hash_definition().c_str());
   gTools().AddAttr(weights, hashednet::kTransformationsChecksumAttribute, transformations_checksum(parent).c_str());
   gTools().AddRawLine(weights, ("\n" + TrainedModel().to_text()).c_str());
}

void TMVA::MethodHashedDNN::ReadWeightsFromXML(void *wghtnode)
{
   TString format, hash;
   if (gTools().HasAttr(wghtnode, "Format"))
      gTools().ReadAttr(wghtnode, "Format", format);
   if (gTools().HasAttr(wghtnode, "HashDefinition"))
      gTools().ReadAttr(wghtnode, "HashDefinition", hash);
   if (format != kWeightsFormat)
      Log() << kFATAL << "HashedDNN weight file: <Weights Format=\"" << format << "\"> is not \"" << kWeightsFormat
            << "\"; this file was not written by HashedDNN or is damaged" << Endl;
   if (hash != hashednet::hash_definition().c_str())
      Log() << kFATAL << "HashedDNN weight file uses hash definition \"" << hash << "\"; this build knows only \""
            << hashednet::hash_definition() << "\"" << Endl;
   CheckTransformations(wghtnode);
   try {
      auto model = hashednet::Model::from_text(normalized_weights_text(gTools().GetContent(wghtnode)));
      if (model.network().n_inputs() != GetNvar())
         Log() << kFATAL << "HashedDNN weight file: the network has " << model.network().n_inputs()
               << " inputs but the weight file declares " << GetNvar() << " variables" << Endl;
      fImpl->evaluator.reset();
      fImpl->model = std::make_unique<hashednet::Model>(std::move(model));
   } catch (const hashednet::Error &e) {
      Log() << kFATAL << "HashedDNN weight file: " << e.what() << Endl;
   }
}

/// The <Transformations> section against the checksum in <Weights> (weights_xml.py
/// checks the same): a mismatch is fatal, a file written before the checksum
/// existed loads with a warning.
void TMVA::MethodHashedDNN::CheckTransformations(void *wghtnode)
{
   const char *attribute = hashednet::kTransformationsChecksumAttribute;
   if (!gTools().HasAttr(wghtnode, attribute)) {
      Log() << kWARNING << "HashedDNN weight file has no " << attribute
            << " (written before it existed): its <Transformations> section is read unverified; write the file "
               "again to protect it"
            << Endl;
      return;
   }
   TString stored;
   gTools().ReadAttr(wghtnode, attribute, stored);
   const std::string computed = transformations_checksum(gTools().xmlengine().GetParent(wghtnode));
   if (computed != stored.Data())
      Log() << kFATAL << "HashedDNN weight file: the <Transformations> section does not match its checksum ("
            << attribute << "=\"" << stored << "\", computed \"" << computed
            << "\"): it was changed after it was written (e.g. a normalisation range); the file is damaged, restore "
               "it or retrain"
            << Endl;
}

void TMVA::MethodHashedDNN::ReadWeightsFromStream(std::istream &)
{
   Log() << kFATAL << "HashedDNN has no text weight-file format; use the XML weight file" << Endl;
}

TString TMVA::MethodHashedDNN::GetNetworkText() const
{
   return fImpl->model ? TString(fImpl->model->to_text().c_str()) : TString();
}

////////////////////////////////////////////////////////////////////////////////
/// Ranking by the squared virtual first-layer weights of each input (on the
/// standardised inputs), computed by streaming over the hash.

const TMVA::Ranking *TMVA::MethodHashedDNN::CreateRanking()
{
   if (!fImpl->model)
      return nullptr;
   const std::vector<double> importance = fImpl->model->network().input_importance();
   double total = 0;
   for (double v : importance)
      total += v;
   fRanking = new Ranking(GetName(), "Importance"); // owned and deleted by MethodBase
   for (UInt_t j = 0; j < GetNvar(); ++j)
      fRanking->AddRank(Rank(GetInputLabel(j), total > 0 ? importance[j] / total : 0.0));
   return fRanking;
}

////////////////////////////////////////////////////////////////////////////////
/// TrainingHistory_<title>_trainingError/_valError, written here only where
/// MethodBase has no fTrainHistory (TMVA 4.2.1); same binning as ROOT 6.x's
/// TrainingHistory::SaveHistory.

void TMVA::MethodHashedDNN::WriteMonitoringHistosToFile() const
{
#if !HASHEDNET_TMVA_HAS_TRAIN_HISTORY
   const std::pair<const char *, const std::vector<double> *> series[] = {{"trainingError", &fImpl->train_loss},
                                                                         {"valError", &fImpl->validation_loss}};
   for (const auto &s : series) {
      const std::vector<double> &values = *s.second;
      if (values.empty())
         continue;
      const TString name = TString("TrainingHistory_") + GetMethodName() + "_" + s.first;
      const int n = static_cast<int>(values.size());
      TH1D h(name, name, n, 1 - 0.5, n + 0.5);
      h.SetDirectory(nullptr);
      for (int i = 0; i < n; ++i)
         h.SetBinContent(i + 1, values[i]);
      h.GetXaxis()->SetTitle("Epoch");
      BaseDir()->WriteTObject(&h);
   }
#endif
}

////////////////////////////////////////////////////////////////////////////////
/// MakeClass: the network as plain C++ (hashednet::standalone_network_code)
/// in a namespace before TMVA's Read<title> class, which calls it. TMVA's
/// frame applies the variable transformations before GetMvaValue__.

void TMVA::MethodHashedDNN::MakeClassSpecificHeader(std::ostream &fout, const TString &className) const
{
   try {
      const std::string ns = std::string(className.Data()) + "_hashednet";
      fout << hashednet::standalone_network_code(TrainedModel().network(), ns);
   } catch (const hashednet::Error &error) { // the class says so and does not compile
      Log() << kWARNING << "MakeClass: " << error.what() << Endl;
      fout << "#error \"HashedDNN MakeClass: " << error.what() << "\"\n";
   }
   fout << std::endl;
}

void TMVA::MethodHashedDNN::MakeClassSpecific(std::ostream &fout, const TString &className) const
{
   const std::string ns = std::string(className.Data()) + "_hashednet";
   const bool transformed = GetTransformationHandler().GetTransformationList().GetSize() != 0;
   fout << "   // HashedDNN: the network is " << ns << "::evaluate (above the class)\n";
   fout << "\n public:\n";
   fout << "   // all responses (class probabilities or regression targets before any target transformation)\n";
   fout << "   std::vector<double> GetResponse(const std::vector<double>& inputValues) const {\n";
   fout << "      std::vector<double> iV(inputValues);\n";
   if (transformed)
      fout << "      Transform(iV, -1);\n";
   fout << "      std::vector<double> out(" << ns << "::kOutputs);\n";
   fout << "      " << ns << "::evaluate(iV.data(), out.data());\n";
   fout << "      return out;\n   }\n";
   fout << "};\n\n";
   fout << "inline void " << className << "::Initialize() {}\n\n";
   fout << "inline void " << className << "::Clear() {}\n\n";
   fout << "inline double " << className << "::GetMvaValue__(const std::vector<double>& inputValues) const\n{\n";
   fout << "   double out[" << ns << "::kOutputs];\n";
   fout << "   " << ns << "::evaluate(inputValues.data(), out);\n";
   fout << "   return out[0];\n}\n\n";
}

void TMVA::MethodHashedDNN::GetHelpMessage() const
{
   Log() << Endl;
   Log() << gTools().Color("bold") << "--- Short description:" << gTools().Color("reset") << Endl;
   Log() << "HashedDNN is a fully connected network whose weight matrices are compressed by" << Endl;
   Log() << "weight hashing (HashedNets, Chen et al., ICML 2015): each layer stores K real" << Endl;
   Log() << "parameters and reads its n_out x n_in virtual weights through a hash, so a" << Endl;
   Log() << "network of large virtual size costs the memory of a small one. Compression=1/8" << Endl;
   Log() << "keeps one real parameter per 8 virtual weights in every hidden layer." << Endl;
   Log() << Endl;
   Log() << gTools().Color("bold") << "--- Options:" << gTools().Color("reset") << Endl;
   std::istringstream text(hashednet::describe_options());
   for (std::string line; std::getline(text, line);)
      Log() << line << Endl;
}
