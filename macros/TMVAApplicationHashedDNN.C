// TMVAApplicationHashedDNN.C: applies the HashedDNN weight file of TMVAClassificationHashedDNN.C
// with TMVA::Reader to ROOT's HIGGS sample and fills the response histograms.
//    root -l -b -q 'TMVAApplicationHashedDNN.C("/path/to/libTMVAHashedDNN.so")'
// or compiled as TMVAClassificationHashedDNN.C. Writes TMVA_HashedDNN_application.root.
#include "TFile.h"
#include "TH1F.h"
#include "TROOT.h"
#include "TString.h"
#include "TSystem.h"
#include "TTree.h"
#include "TMVA/Reader.h"
#include "TMVA/Tools.h"

#include <iostream>
#include <vector>

int TMVAApplicationHashedDNN(const char *methodLibrary = "libTMVAHashedDNN", const char *dataFile = "",
                             const char *weightFile = "dataset/weights/TMVAClassification_HashedDNN.weights.xml")
{
   if (methodLibrary && *methodLibrary && gSystem->Load(methodLibrary) < 0) {
      std::cerr << "cannot load " << methodLibrary << " (the HashedDNN method library)" << std::endl;
      return 1;
   }
   const std::vector<TString> variables = {
      "lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
      "jet1_pt", "jet1_eta", "jet1_phi", "jet2_pt", "jet2_eta", "jet2_phi",
      "jet3_pt", "jet3_eta", "jet3_phi", "jet4_pt", "jet4_eta", "jet4_phi",
      "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"};
   TMVA::Tools::Instance();
   TMVA::Reader reader("!Color:!Silent");
   std::vector<Float_t> values(variables.size());
   for (std::size_t j = 0; j < variables.size(); ++j)
      reader.AddVariable(variables[j], &values[j]);
   if (!reader.BookMVA("HashedDNN", weightFile)) {
      std::cerr << "cannot book " << weightFile << std::endl;
      return 1;
   }
   const TString input =
      *dataFile ? TString(dataFile) : TString(gROOT->GetTutorialDir()) + "/machine_learning/data/Higgs_data.root";
   TFile *in = TFile::Open(input);
   if (!in || in->IsZombie())
      return 1;
   TFile out("TMVA_HashedDNN_application.root", "RECREATE");
   for (const char *treeName : {"sig_tree", "bkg_tree"}) {
      TTree *tree = static_cast<TTree *>(in->Get(treeName));
      std::vector<Float_t> buffer(variables.size());
      for (std::size_t j = 0; j < variables.size(); ++j)
         tree->SetBranchAddress(variables[j], &buffer[j]);
      TH1F h(TString("MVA_HashedDNN_") + treeName, TString("HashedDNN response, ") + treeName, 50, 0, 1);
      double sum = 0;
      for (Long64_t i = 0; i < tree->GetEntries(); ++i) {
         tree->GetEntry(i);
         values = buffer;
         const double r = reader.EvaluateMVA("HashedDNN");
         h.Fill(r);
         sum += r;
      }
      std::cout << treeName << ": " << tree->GetEntries() << " events, mean HashedDNN response "
                << sum / tree->GetEntries() << std::endl;
      tree->ResetBranchAddresses();
      out.cd();
      h.Write();
   }
   out.Close();
   in->Close();
   return 0;
}

#if !defined(__CLING__)
int main(int argc, char **argv)
{
   return TMVAApplicationHashedDNN("", argc > 1 ? argv[1] : "",
                                   argc > 2 ? argv[2] : "dataset/weights/TMVAClassification_HashedDNN.weights.xml");
}
#endif
