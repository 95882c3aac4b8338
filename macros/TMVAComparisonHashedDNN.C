// TMVAComparisonHashedDNN.C: HashedDNN against dense networks on ROOT's HIGGS sample,
//   * at equal VIRTUAL size: MLP (and DL, where this ROOT's TMVA has MethodDL) with the
//     same layout as HashedDNN, i.e. the network HashedDNN pretends to be;
//   * at equal REAL size: an MLP whose hidden width is chosen so that its number of
//     weights matches HashedDNN's real parameters (buckets + biases).
//    root -l -b -q 'TMVAComparisonHashedDNN.C("/path/to/libTMVAHashedDNN.so")'
// Prints each method's parameter count and ROC integral; writes TMVA_HashedDNN_comparison.root.
#include "TCut.h"
#include "TClass.h"
#include "TFile.h"
#include "TROOT.h"
#include "TString.h"
#include "TSystem.h"
#include "TTree.h"
#include "TMVA/DataLoader.h"
#include "TMVA/Factory.h"
#include "TMVA/Tools.h"

#include <cmath>
#include <iostream>
#include <vector>

namespace hashednet_comparison {
/// Weights + biases of a dense network n_in -> width x depth -> 1.
long DenseParameters(long nIn, long width, int depth)
{
   long n = (nIn + 1) * width;
   for (int l = 1; l < depth; ++l)
      n += (width + 1) * width;
   return n + width + 1;
}
/// HashedDNN's real parameters for the same layout: hidden weights hashed to
/// `compression` (buckets = round(c * n_in * n_out)), dense biases, dense output layer.
long HashedParameters(long nIn, long width, int depth, double compression)
{
   long n = std::lround(compression * nIn * width) + width;
   for (int l = 1; l < depth; ++l)
      n += std::lround(compression * width * width) + width;
   return n + width + 1;
}
} // namespace hashednet_comparison

int TMVAComparisonHashedDNN(const char *methodLibrary = "libTMVAHashedDNN", int width = 128, int depth = 3,
                            double compression = 1.0 / 8, int maxEpochs = 20)
{
   using namespace hashednet_comparison;
   if (methodLibrary && *methodLibrary && gSystem->Load(methodLibrary) < 0) {
      std::cerr << "cannot load " << methodLibrary << std::endl;
      return 1;
   }
   const std::vector<TString> variables = {
      "lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
      "jet1_pt", "jet1_eta", "jet1_phi", "jet2_pt", "jet2_eta", "jet2_phi",
      "jet3_pt", "jet3_eta", "jet3_phi", "jet4_pt", "jet4_eta", "jet4_phi",
      "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"}; // no "jetN_b-tag": '-' breaks TTreeFormula
   const long nIn = variables.size();
   TMVA::Tools::Instance();
   TFile *in = TFile::Open(TString(gROOT->GetTutorialDir()) + "/machine_learning/data/Higgs_data.root");
   if (!in || in->IsZombie())
      return 1;
   TFile *out = TFile::Open("TMVA_HashedDNN_comparison.root", "RECREATE");
   TMVA::Factory factory("TMVAComparison", out, "!V:!Silent:!Color:!DrawProgressBar:AnalysisType=Classification");
   TMVA::DataLoader loader("dataset");
   for (const auto &v : variables)
      loader.AddVariable(v, 'F');
   loader.AddSignalTree(static_cast<TTree *>(in->Get("sig_tree")), 1.0);
   loader.AddBackgroundTree(static_cast<TTree *>(in->Get("bkg_tree")), 1.0);
   loader.PrepareTrainingAndTestTree(TCut(""), "nTrain_Signal=7000:nTrain_Background=7000:SplitMode=Random:"
                                               "NormMode=NumEvents:!V");

   TString layout, hidden;
   for (int l = 0; l < depth; ++l) {
      layout += Form("TANH|%d,", width);
      hidden += Form("%s%d", l ? "," : "", width);
   }
   layout += "LINEAR";
   const long hashedReal = HashedParameters(nIn, width, depth, compression);
   int smallWidth = 1; // the widest dense network with no more parameters than HashedDNN's real ones
   while (DenseParameters(nIn, smallWidth + 1, depth) <= hashedReal)
      ++smallWidth;
   TString smallHidden;
   for (int l = 0; l < depth; ++l)
      smallHidden += Form("%s%d", l ? "," : "", smallWidth);

   std::vector<std::pair<TString, long>> sizes;
   factory.BookMethod(&loader, "HashedDNN", "HashedDNN",
                      Form("!H:!V:VarTransform=N:Layout=%s:Compression=%g:TrainingStrategy=LearningRate=1e-3,"
                           "BatchSize=128,MaxEpochs=%d,ConvergenceSteps=5:RandomSeed=1",
                           layout.Data(), compression, maxEpochs));
   sizes.push_back({"HashedDNN", hashedReal});
   factory.BookMethod(&loader, "MLP", "MLP_equal_virtual",
                      Form("!H:!V:NeuronType=tanh:VarTransform=N:NCycles=%d:HiddenLayers=%s:TestRate=5:!UseRegulator",
                           maxEpochs * 5, hidden.Data()));
   sizes.push_back({"MLP_equal_virtual", DenseParameters(nIn, width, depth)});
   factory.BookMethod(&loader, "MLP", "MLP_equal_real",
                      Form("!H:!V:NeuronType=tanh:VarTransform=N:NCycles=%d:HiddenLayers=%s:TestRate=5:!UseRegulator",
                           maxEpochs * 5, smallHidden.Data()));
   sizes.push_back({"MLP_equal_real", DenseParameters(nIn, smallWidth, depth)});
   if (TClass::GetClass("TMVA::MethodDL")) { // ROOT >= 6.14
      factory.BookMethod(&loader, "DL", "DL_equal_virtual",
                         Form("!H:!V:VarTransform=N:Layout=%s:TrainingStrategy=LearningRate=1e-3,BatchSize=128,"
                              "MaxEpochs=%d,ConvergenceSteps=5,Optimizer=ADAM:Architecture=CPU",
                              layout.Data(), maxEpochs));
      sizes.push_back({"DL_equal_virtual", DenseParameters(nIn, width, depth)});
   } else {
      std::cout << "This TMVA has no MethodDL: comparing with MLP only" << std::endl;
   }
   factory.TrainAllMethods();
   factory.TestAllMethods();
   factory.EvaluateAllMethods();
   std::cout << "\nmethod               parameters   bytes(float32)   ROC integral\n";
   for (const auto &s : sizes)
      std::cout << Form("%-20s %10ld %14ld   %.4f\n", s.first.Data(), s.second, 4 * s.second,
                        factory.GetROCIntegral(&loader, s.first));
   std::cout << "(HashedDNN has " << DenseParameters(nIn, width, depth) << " virtual weights)" << std::endl;
   out->Close();
   in->Close();
   return 0;
}

#if !defined(__CLING__)
int main() { return TMVAComparisonHashedDNN(""); }
#endif
