// input_transform.h: a weight file's VarTransform chain (N, D, P, G, U in any
// order) for the event evaluators, const and shared by every slot.
//
// What it is: InputTransform, the steps of a TMVA weight file's
// <Transformations> with their data as plain arrays, applied per event to the
// input variables in the file's order and, for regression, inverted on the
// targets in the reverse order by the steps that took them (Normalize and
// Uniform, as TMVA's "_V_,_T_"); the arithmetic of each step is
// input_transform_steps.h's (which the standalone class embeds), so the
// evaluators, the compatible Reader (numpy, transforms.py) and MakeClass agree
// bit for bit. InputTransformBuilder collects the steps (the Python side reads
// the XML, once, and hands the arrays over), checks them and hands back one
// std::shared_ptr<const InputTransform> for any number of threads: nothing is
// written after build(), and apply() allocates nothing (the caller lends the
// scratch).
//
// What it is not: a parser of the weight file (tmva_hashednet/tmva/transforms_xml.py
// is the one), a fit of the steps (transforms.py), or class-specific
// transformations: each step holds the distribution TMVA's Reader applies
// (the last, all classes).
#ifndef HASHEDNET_INPUT_TRANSFORM_H
#define HASHEDNET_INPUT_TRANSFORM_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

/// A const VarTransform chain over n_variables() inputs (and, for regression, n_targets() targets).
class InputTransform {
public:
   std::int64_t n_variables() const { return n_variables_; }
   std::int64_t n_targets() const { return n_targets_; }
   std::int64_t n_steps() const { return static_cast<std::int64_t>(steps_.size()); }
   bool empty() const { return steps_.empty(); }
   /// True when some step takes the targets too (Normalize or Uniform in a regression): the responses are mapped back.
   bool transforms_targets() const;
   /// TMVA's name of the chain (TransformationHandler::GetName: "Norm_Deco", "Gauss", ...; "" when empty).
   std::string name() const;
   /// Floats of scratch apply() needs besides its output.
   std::int64_t work_floats() const { return n_variables_; }
   /// The n_variables() values of one raw event x into out, through every step in order; work holds
   /// work_floats() floats. x and out may be the same array.
   void apply(const float *x, float *out, float *work) const;
   /// The n_targets() responses t of one event mapped back in place (the steps that took them, last first).
   void inverse_targets(float *t) const;
   /// Bytes of the steps' data (the sampled PDFs of G and U dominate: 40 kB per column).
   std::int64_t shared_bytes() const;

private:
   friend class InputTransformBuilder;
   enum class Kind { Normalize, Linear, Gauss, Uniform };
   struct Step {
      Kind kind;
      std::int64_t columns;         ///< the variables, or the variables and the targets
      std::vector<float> low, scale; ///< Normalize
      std::vector<double> matrix;   ///< Linear: n x n, row-major
      std::vector<double> mean;     ///< Linear: PCA's means (empty: Decorrelation)
      std::vector<float> tables;    ///< Gauss/Uniform: kPdfBins floats per column
      std::vector<double> lo, hi;   ///< Gauss/Uniform: each column's range
   };
   void apply_step(const Step &step, float *v, float *work) const;

   std::int64_t n_variables_ = 0, n_targets_ = 0;
   std::vector<Step> steps_;
};

/// Collects and checks the steps of a chain (in the order applied), then builds it once.
class InputTransformBuilder {
public:
   /// n_variables >= 1 inputs; n_targets >= 0 regression targets (0 for classification and multiclass).
   InputTransformBuilder(std::int64_t n_variables, std::int64_t n_targets);

   /// Normalize of n_columns (the variables, or the variables then the targets): TMVA's float low and
   /// scale = float(1 / (max - min)).
   void add_normalize(const float *low, const float *scale, std::int64_t n_columns);
   /// Decorrelation: out = C^-1/2 v, `matrix` n x n row-major (n = n_variables).
   void add_decorrelate(const double *matrix, std::int64_t n);
   /// PCA: out[i] = sum_j (v[j] - means[j]) * eigenvectors[j * n + i], the weight file's n x n
   /// <Eigenvectors> (row-major, column i the i-th principal axis) and <Statistics> means.
   void add_pca(const double *means, const double *eigenvectors, std::int64_t n);
   /// Gauss (flat: Uniform) of n_columns: column c's cumulative histogram has n_bins[c] >= 2 bins,
   /// its n_bins[c] + 1 ascending edges next in `edges` and its n_bins[c] contents next in `contents`.
   void add_gauss(bool flat, const double *edges, const float *contents, const std::int64_t *n_bins,
                  std::int64_t n_columns);
   /// The chain (the builder is empty afterwards).
   std::shared_ptr<const InputTransform> build();

private:
   void check_columns(const char *step, std::int64_t n_columns, bool targets_allowed) const;

   InputTransform chain_;
};

} // namespace hashednet

#endif // HASHEDNET_INPUT_TRANSFORM_H
