// rdf_score.h: a trained network as an RDataFrame column, one evaluator per slot.
//
// What it is: the few lines ROOT's interpreter needs to call evaluator.h's
// SlotEvaluators from RDataFrame, declared by tmva_hashednet.rdf (never
// compiled into the core: it includes ROOT's RVec). A Model holds the slot
// evaluators of one weight file under a name the Python side chooses;
// score(model, output, rdfslot_, columns...) is the response `output` of one
// event given as scalar columns of any arithmetic type, or as one
// RVec<float>/RVec<double> of the inputs; scores(...) returns every output.
// ScoreFunctor<Columns...> is the same as a functor for DefineSlot (or Define
// with "rdfslot_" as first column). Values are converted to float first, as
// TMVA's Reader and numpy's float32 do.
// What it is not: a second evaluation path: the transform, the network and the
// summation order are evaluator.h's, so each event's response equals the
// Reader's EvaluateMVA bit for bit; and not a checker of column counts, which
// tmva_hashednet.rdf does before the event loop (an RVec of the wrong length
// throws here, per event).
#ifndef HASHEDNET_RDF_SCORE_H
#define HASHEDNET_RDF_SCORE_H

#include "hashednet/evaluator.h"

#include "ROOT/RVec.hxx"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hashednet {
namespace rdf {

/// One network's evaluators, one per slot, with a float buffer per slot for converted RVec inputs.
struct Model {
   std::string name; ///< the weight file, for messages
   std::shared_ptr<SlotEvaluators> slots;
   std::vector<std::vector<float>> buffers;

   void reset(const std::string &weight_file, std::shared_ptr<const EventNetwork> network,
              const NormalizeInputs &normalize, bool inverse_targets, unsigned n_slots)
   {
      reset_slots(weight_file, std::make_shared<SlotEvaluators>(std::move(network), normalize, inverse_targets,
                                                                n_slots));
   }
   /// The weight file's network with its input transformation (any VarTransform chain, input_transform.h).
   void reset(const std::string &weight_file, std::shared_ptr<const EventNetwork> network,
              std::shared_ptr<const InputTransform> transform, unsigned n_slots)
   {
      reset_slots(weight_file, std::make_shared<SlotEvaluators>(std::move(network), std::move(transform), n_slots));
   }
   void reset_slots(const std::string &weight_file, std::shared_ptr<SlotEvaluators> evaluators)
   {
      slots = std::move(evaluators);
      const unsigned n_slots = slots->n_slots();
      const auto n = static_cast<std::size_t>(slots->n_inputs());
      buffers.assign(n_slots, {});
      for (std::vector<float> &buffer : buffers) { // a spare cache line each: slots never write one line
         buffer.reserve(n + kCacheLineFloats);
         buffer.resize(n);
      }
      name = weight_file;
   }
   const float *evaluate(unsigned slot, const float *x) const
   {
      if (!slots)
         throw std::runtime_error("tmva_hashednet.rdf: the model of this column was not loaded in this process "
                                  "(on a distributed worker: pass tmva_hashednet.rdf.initialize to "
                                  "ROOT.RDF.Distributed.initialize)");
      return slots->evaluate(slot, x);
   }
   template <class T>
   const float *evaluate(unsigned slot, const ROOT::RVec<T> &inputs)
   {
      const std::size_t n = slots ? static_cast<std::size_t>(slots->n_inputs()) : 0;
      if (inputs.size() != n)
         throw std::runtime_error("tmva_hashednet.rdf: the input column holds " + std::to_string(inputs.size()) +
                                  " values in this event; the network of " + name + " takes " + std::to_string(n));
      if (slot >= buffers.size())
         return evaluate(slot, static_cast<const float *>(nullptr)); // SlotEvaluators names the slot range
      std::vector<float> &x = buffers[slot];
      for (std::size_t j = 0; j < n; ++j)
         x[j] = static_cast<float>(inputs[j]);
      return evaluate(slot, x.data());
   }
};

/// Output `output` of one event given as scalar columns.
template <class... Columns>
float score(Model &model, int output, unsigned slot, const Columns &...columns)
{
   const float x[] = {static_cast<float>(columns)...};
   return model.evaluate(slot, x)[output];
}

/// Output `output` of one event given as one RVec of its inputs.
template <class T>
float score(Model &model, int output, unsigned slot, const ROOT::RVec<T> &inputs)
{
   return model.evaluate(slot, inputs)[output];
}

/// Every output of one event (class probabilities, regression targets), scalar columns.
template <class... Columns>
ROOT::RVecF scores(Model &model, unsigned slot, const Columns &...columns)
{
   const float x[] = {static_cast<float>(columns)...};
   const float *out = model.evaluate(slot, x);
   return ROOT::RVecF(out, out + model.slots->n_outputs());
}

/// Every output of one event given as one RVec of its inputs.
template <class T>
ROOT::RVecF scores(Model &model, unsigned slot, const ROOT::RVec<T> &inputs)
{
   const float *out = model.evaluate(slot, inputs);
   return ROOT::RVecF(out, out + model.slots->n_outputs());
}

/// score() as a functor of (slot, columns...) for DefineSlot.
template <class... Columns>
struct ScoreFunctor {
   Model *model;
   int output;
   float operator()(unsigned slot, const Columns &...columns) const { return score(*model, output, slot, columns...); }
};

} // namespace rdf
} // namespace hashednet

#endif // HASHEDNET_RDF_SCORE_H
