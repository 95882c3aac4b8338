// TMVAClassificationHashedDNN.C: TMVA classification of ROOT's HIGGS sample with HashedDNN.
//
// Needs a ROOT with TMVA and libTMVAHashedDNN (built by this project's CMake when TMVA is
// found). Interpreted:
//    root -l -b -q 'TMVAClassificationHashedDNN.C("/path/to/libTMVAHashedDNN.so")'
// Compiled (the library registers HashedDNN when it is linked):
//    g++ -std=c++17 TMVAClassificationHashedDNN.C $(root-config --cflags --libs) -lTMVA -lTMVAHashedDNN
// Writes TMVA_HashedDNN.root (dataset/Method_HashedDNN/HashedDNN/...) and
// dataset/weights/TMVAClassification_HashedDNN.weights.xml (+ .class.C).
#include "TCut.h"
#include "TFile.h"
#include "TROOT.h"
#include "TString.h"
#include "TSystem.h"
#include "TTree.h"
#include "TMVA/DataLoader.h"
#include "TMVA/Factory.h"
#include "TMVA/Tools.h"

#include <iostream>
#include <vector>

// 24 of the 28 UCI HIGGS features shipped with ROOT's tutorials: the four "jetN_b-tag"
// branches are left out, TMVA's TTreeFormula cannot name a branch containing '-'.
static const std::vector<TString> kHiggsVariables = {
   "lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
   "jet1_pt", "jet1_eta", "jet1_phi", "jet2_pt", "jet2_eta", "jet2_phi",
   "jet3_pt", "jet3_eta", "jet3_phi", "jet4_pt", "jet4_eta", "jet4_phi",
   "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"};

TString HashedDNNDataFile(const char *name)
{
   return TString(gROOT->GetTutorialDir()) + "/machine_learning/data/" + name;
}

int TMVAClassificationHashedDNN(const char *methodLibrary = "libTMVAHashedDNN", const char *dataFile = "",
                                const char *hashedOptions = "")
{
   if (methodLibrary && *methodLibrary && gSystem->Load(methodLibrary) < 0) {
      std::cerr << "cannot load " << methodLibrary << " (the HashedDNN method library)" << std::endl;
      return 1;
   }
   TMVA::Tools::Instance();
   const TString input = *dataFile ? TString(dataFile) : HashedDNNDataFile("Higgs_data.root");
   TFile *in = TFile::Open(input);
   if (!in || in->IsZombie()) {
      std::cerr << "cannot open " << input << std::endl;
      return 1;
   }
   TFile *out = TFile::Open("TMVA_HashedDNN.root", "RECREATE");
   TMVA::Factory factory("TMVAClassification", out, "!V:!Silent:Color:DrawProgressBar:AnalysisType=Classification");
   TMVA::DataLoader loader("dataset");
   for (const auto &v : kHiggsVariables)
      loader.AddVariable(v, 'F');
   loader.AddSignalTree(static_cast<TTree *>(in->Get("sig_tree")), 1.0);
   loader.AddBackgroundTree(static_cast<TTree *>(in->Get("bkg_tree")), 1.0);
   loader.PrepareTrainingAndTestTree(TCut(""), "nTrain_Signal=7000:nTrain_Background=7000:SplitMode=Random:"
                                               "NormMode=NumEvents:!V");
   // 3 x 256 tanh units, hidden layers hashed to 1/8 of their virtual weights.
   TString options = *hashedOptions ? TString(hashedOptions)
                                    : TString("!H:!V:VarTransform=N:Layout=TANH|256,TANH|256,TANH|256,LINEAR:"
                                              "Compression=1/8:TrainingStrategy=LearningRate=1e-3,BatchSize=128,"
                                              "ConvergenceSteps=10,MaxEpochs=40:ValidationSize=20%:RandomSeed=42");
   if (!factory.BookMethod(&loader, "HashedDNN", "HashedDNN", options)) {
      std::cerr << "booking HashedDNN failed" << std::endl;
      return 1;
   }
   factory.TrainAllMethods();
   factory.TestAllMethods();
   factory.EvaluateAllMethods();
   std::cout << "HashedDNN ROC integral: " << factory.GetROCIntegral(&loader, "HashedDNN") << std::endl;
   out->Close();
   in->Close();
   return 0;
}

#if !defined(__CLING__)
int main(int argc, char **argv)
{
   // Compiled: libTMVAHashedDNN is linked, so HashedDNN is already registered.
   return TMVAClassificationHashedDNN("", argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "");
}
#endif
