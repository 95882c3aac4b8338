// MethodHashedDNN.h: HashedNets (Chen et al., ICML 2015) as a TMVA method.
//
// What it is: a TMVA::MethodBase subclass that trains and evaluates the
// hashednet core (a fully connected network whose weight matrices are hashed
// into a few real parameters, "buckets"). It is booked like any TMVA method
// once libTMVAHashedDNN is loaded:
//
//    factory.BookMethod(loader, "HashedDNN", "HashedDNN",
//                       "!H:!V:VarTransform=N:Layout=TANH|64,TANH|64,LINEAR:Compression=1/8:"
//                       "TrainingStrategy=LearningRate=1e-3,BatchSize=128,MaxEpochs=100");
//
// and TMVA::Reader::BookMVA reads its weight file back. Two-class
// classification, multiclass and regression (any number of targets).
//
// What it is not: an option parser or a network. Every option value goes
// through hashednet::parse_method_options (options.h), the network and its
// training live in the core (model.h, trainer.h), the weight file's <Weights>
// node is the core's serialize() text, and MakeClass writes the core's
// standalone_network_code(). Nothing here depends on the core's headers, so
// ROOT's interpreter (which must know this class for the plugin manager)
// never needs them.
//
// Written against the ROOT 6.x TMVA API; the few differences with TMVA 4.2.1
// (2015) are handled in MethodHashedDNN.cxx (see "Compatibility").
#ifndef TMVA_HASHEDNET_METHODHASHEDDNN_H
#define TMVA_HASHEDNET_METHODHASHEDDNN_H

#include "RVersion.h"
#include "TMVA/MethodBase.h"
#include "TString.h"

// MethodBase::GetMvaValues(first, last, logProgress), through which the Factory
// tests classifiers in one call, appeared after TMVA 4.2.1. CMake asks TMVA's
// header and defines HASHEDNET_TMVA_HAS_GET_MVA_VALUES (for rootcling too);
// without CMake, ROOT >= 6.10 is taken as the bound. Without it the Factory
// loops GetMvaValue as before.
#ifndef HASHEDNET_TMVA_HAS_GET_MVA_VALUES
#if ROOT_VERSION_CODE >= ROOT_VERSION(6, 10, 0)
#define HASHEDNET_TMVA_HAS_GET_MVA_VALUES 1
#else
#define HASHEDNET_TMVA_HAS_GET_MVA_VALUES 0
#endif
#endif

#include <iosfwd>
#include <memory>
#include <vector>

namespace hashednet {
class Evaluator;
class Model;
} // namespace hashednet

namespace TMVA {

class DataSetInfo;
class Ranking;

class MethodHashedDNN : public MethodBase {
public:
   /// Training: what Factory::BookMethod (through the "HashedDNN" creator) and
   /// the plugin handler "MethodHashedDNN(const TString&,const TString&,TMVA::DataSetInfo&,const TString&)" call.
   MethodHashedDNN(const TString &jobName, const TString &methodTitle, DataSetInfo &dsi,
                   const TString &theOption = "");
   /// Application: built from a weight file (Factory testing, TMVA::Reader).
   MethodHashedDNN(DataSetInfo &dsi, const TString &theWeightFile);
   ~MethodHashedDNN() override;

   Bool_t HasAnalysisType(Types::EAnalysisType type, UInt_t numberClasses, UInt_t numberTargets) override;
   void Train() override;

   using MethodBase::GetMvaValue;
   Double_t GetMvaValue(Double_t *err = nullptr, Double_t *errUpper = nullptr) override;
   const std::vector<Float_t> &GetMulticlassValues() override;
   using MethodBase::GetRegressionValues;
   const std::vector<Float_t> &GetRegressionValues() override;

   using MethodBase::ReadWeightsFromStream;
   void AddWeightsXMLTo(void *parent) const override;
   void ReadWeightsFromXML(void *wghtnode) override;
   void ReadWeightsFromStream(std::istream &) override;

   const Ranking *CreateRanking() override;
   void GetHelpMessage() const override;
   void WriteMonitoringHistosToFile() const override;

   /// The core's serialize() text of the trained network ("" before training).
   TString GetNetworkText() const;

protected:
#if HASHEDNET_TMVA_HAS_GET_MVA_VALUES
   /// The classifier responses of events [firstEvt, lastEvt) of the current
   /// sample in batches through the core's batch path (as MethodDL): equal to
   /// GetMvaValue's per event within float rounding (sgemm's order).
   std::vector<Double_t> GetMvaValues(Long64_t firstEvt = 0, Long64_t lastEvt = -1,
                                      Bool_t logProgress = false) override;
#endif
   void MakeClassSpecificHeader(std::ostream &fout, const TString &className = "") const override;
   void MakeClassSpecific(std::ostream &fout, const TString &className = "") const override;

private:
   void Init() override;
   void DeclareOptions() override;
   void ProcessOptions() override;

   struct Impl;           // the core's objects; defined in the .cxx only
   struct TrainingEvents; // the training and validation events, as float arrays
   // The steps of Train().
   bool CollectTrainingEvents(TrainingEvents &events);
   bool BuildNetwork(const TrainingEvents &events);
   bool RunTrainingPhases(const TrainingEvents &events);
   void PrintModelSize();
   void CheckTransformations(void *wghtnode);
   /// The per-event evaluator of the network (made on first use; reset when the network changes).
   hashednet::Evaluator &TrainedEvaluator();
   /// The network, or kFATAL when there is none yet.
   hashednet::Model &TrainedModel() const;
   std::unique_ptr<Impl> fImpl; //! not streamed

   // Option values as TMVA declares them; ProcessOptions hands them to the
   // core's parser and writes the canonical values back.
   TString fInputLayout; ///< MethodDL's InputLayout: depth|height|width of image inputs (CNN layouts)
   TString fBatchLayout; ///< MethodDL's BatchLayout: checked against BatchSize and InputLayout
   TString fLayout;
   TString fCompression;
   Bool_t fHashedBias = kFALSE;
   Bool_t fHashOutputLayer = kFALSE;
   TString fHashSeed;
   TString fHashMode;
   TString fHashBlock;
   TString fHashFunctions;
   TString fReconstruction;
   TString fFreshSlice;
   TString fFreshBandExponent;
   TString fErrorStrategy;
   TString fWeightInitialization;
   TString fTrainingStrategy;
   TString fArchitecture;
   TString fGpuProduct;
   Bool_t fGpuDeterministic = kFALSE;
   TString fRandomSeed;
   TString fNumThreads;
   TString fValidationSize;

   std::vector<Float_t> fOutputValues; //! multiclass / regression return values

   ClassDefOverride(MethodHashedDNN, 0) // HashedNets weight-hashing network
};

} // namespace TMVA

#endif // TMVA_HASHEDNET_METHODHASHEDDNN_H
