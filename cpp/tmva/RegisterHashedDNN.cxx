// RegisterHashedDNN.cxx: makes "HashedDNN" a TMVA method name when
// libTMVAHashedDNN is loaded (a static initializer; nothing to call).
//
// Which route, and why. TMVA has no enum value for an external method, so it
// runs as Types::kPlugins. Three registrations are made:
//
//   1. ClassifierFactory "HashedDNN" -> our creator, so that
//        factory.BookMethod(loader, "HashedDNN", "HashedDNN", options)
//      books it (Factory::BookMethod creates methods by name);
//   2. Types mapping kPlugins <-> "HashedDNN". Factory::TrainAllMethods
//      re-creates every method from its weight file, and Reader::BookMVA
//      creates one, through Types::GetMethodName(method type); that returns
//      the alphabetically first name mapped to kPlugins, and "HashedDNN" sorts
//      before "Plugins". So the method type name is "HashedDNN" everywhere:
//      weight files say Method="HashedDNN::<title>", the output directory is
//      <dataset>/Method_HashedDNN/<title> (what TMVAGui expects and what the
//      Python workflow writes), and both re-creations reach our creator.
//      Without this mapping the re-creation goes to "Plugins" and, with no
//      plugin handler, crashes; with the handlers only (3.), everything works
//      but is named Method_Plugins/... and Method="Plugins::<title>".
//   3. Two TMVA@@MethodBase plugin handlers, so that booking through
//      Types::kPlugins / "Plugins" with a title beginning with HashedDNN also
//      reaches this class (MethodPlugins asks the plugin manager; the two
//      regular expressions must each match only their own case, see below).
//
// Caveat of 2.: any other kPlugins method in the same process is also named
// "HashedDNN" and would be re-created by our creator. Registration happens
// once per process; loading a second copy of the library changes nothing.
#include "MethodHashedDNN.h"

#include "TMVA/ClassifierFactory.h"
#include "TMVA/Types.h"
#include "TPluginManager.h"
#include "TROOT.h"

#include <algorithm>

// TMVA::Types is a singleton class (Types::Instance()) in TMVA 4.2.1 and in
// ROOT 6.x up to at least 6.26 (MethodBase.h and REGISTER_METHOD there call
// Types::Instance()); only the newest ROOT dropped Instance() and made
// AddTypeMapping callable as TMVA::Types::AddTypeMapping. No header tells the
// two apart (TrainingHistory.h exists in both kinds of ROOT 6), so CMake
// detects it; without CMake the singleton, by far the most common, is assumed.
#ifndef HASHEDNET_TMVA_TYPES_IS_CLASS
#define HASHEDNET_TMVA_TYPES_IS_CLASS 1
#endif

namespace {

constexpr const char *kName = "HashedDNN";

/// The creator ClassifierFactory calls: empty job and title mean "from a weight file" (option = its path).
/// TMVA takes ownership of the returned method.
TMVA::IMethod *CreateHashedDNN(const TString &job, const TString &title, TMVA::DataSetInfo &dsi, const TString &option)
{
   if (job == "" && title == "")
      return new TMVA::MethodHashedDNN(dsi, option);
   return new TMVA::MethodHashedDNN(job, title, dsi, option);
}

bool AddPluginsTypeMapping()
{
#if HASHEDNET_TMVA_TYPES_IS_CLASS
   return TMVA::Types::Instance().AddTypeMapping(TMVA::Types::kPlugins, kName); // TMVA 4.2.1 .. ROOT 6.2x: a singleton
#else
   return TMVA::Types::AddTypeMapping(TMVA::Types::kPlugins, kName); // newest ROOT: no Instance()
#endif
}

struct Registration {
   Registration()
   {
      auto &factory = TMVA::ClassifierFactory::Instance();
      const auto names = factory.List();
      if (std::find(names.begin(), names.end(), kName) != names.end())
         return; // already registered in this process
      factory.Register(kName, CreateHashedDNN);
      AddPluginsTypeMapping();
      TPluginManager *plugins = gROOT->GetPluginManager();
      // Training: MethodPlugins passes the title, e.g. "HashedDNN" or "HashedDNN_small".
      plugins->AddHandler("TMVA@@MethodBase", "^HashedDNN", "TMVA::MethodHashedDNN", "libTMVAHashedDNN",
                          "MethodHashedDNN(const TString&,const TString&,TMVA::DataSetInfo&,const TString&)");
      // Weight file: MethodPlugins derives a title like "n_HashedDNN.weights" from
      // ".../<job>_HashedDNN.weights.xml"; it never begins with "HashedDNN".
      plugins->AddHandler("TMVA@@MethodBase", "_HashedDNN.*\\.weights$", "TMVA::MethodHashedDNN",
                          "libTMVAHashedDNN", "MethodHashedDNN(TMVA::DataSetInfo&,const TString&)");
   }
};

const Registration gRegistration;

} // namespace
