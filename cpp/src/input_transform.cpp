// input_transform.cpp: see input_transform.h. Compiled with -ffp-contract=off (CMakeLists.txt):
// each step must round as numpy and the standalone class do (input_transform_steps.h).
#include "hashednet/input_transform.h"

#include "hashednet/common.h"
#include "hashednet/input_transform_steps.h"

#include <algorithm>
#include <cmath>

namespace hashednet {

namespace {

bool all_finite(const double *values, std::int64_t n)
{
   return std::all_of(values, values + n, [](double v) { return std::isfinite(v); });
}

bool all_finite(const float *values, std::int64_t n)
{
   return std::all_of(values, values + n, [](float v) { return std::isfinite(v); });
}

} // namespace

bool InputTransform::transforms_targets() const
{
   return std::any_of(steps_.begin(), steps_.end(), [this](const Step &s) { return s.columns > n_variables_; });
}

std::string InputTransform::name() const
{
   std::string out;
   for (const Step &step : steps_) {
      const char *part = step.kind == Kind::Normalize ? "Norm"
                         : step.kind == Kind::Gauss   ? "Gauss"
                         : step.kind == Kind::Uniform ? "Uniform"
                         : step.mean.empty()          ? "Deco"
                                                      : "PCA";
      out += (out.empty() ? "" : "_") + std::string(part);
   }
   return out;
}

void InputTransform::apply(const float *x, float *out, float *work) const
{
   if (out != x)
      std::copy(x, x + n_variables_, out);
   for (const Step &step : steps_)
      apply_step(step, out, work);
}

void InputTransform::apply_step(const Step &step, float *v, float *work) const
{
   const int n = static_cast<int>(n_variables_);
   switch (step.kind) {
   case Kind::Normalize:
      var_transform::normalize(step.low.data(), step.scale.data(), n, v);
      return;
   case Kind::Linear:
      var_transform::linear(step.matrix.data(), step.mean.empty() ? nullptr : step.mean.data(), n, v, work);
      std::copy(work, work + n, v);
      return;
   case Kind::Gauss:
   case Kind::Uniform:
      for (int j = 0; j < n; ++j)
         v[j] = var_transform::gauss(step.tables.data() + std::size_t(j) * var_transform::kPdfBins, step.lo[j],
                                     step.hi[j], step.kind == Kind::Uniform, v[j]);
      return;
   }
   HASHEDNET_ASSERT(false);
}

void InputTransform::inverse_targets(float *t) const
{
   const std::size_t first = static_cast<std::size_t>(n_variables_);
   for (auto step = steps_.rbegin(); step != steps_.rend(); ++step) {
      if (step->columns <= n_variables_)
         continue; // Decorrelation, PCA and Gauss take the variables only
      if (step->kind == Kind::Normalize) {
         var_transform::normalize_inverse(step->low.data() + first, step->scale.data() + first,
                                          static_cast<int>(n_targets_), t);
         continue;
      }
      HASHEDNET_ASSERT(step->kind == Kind::Uniform);
      for (std::int64_t k = 0; k < n_targets_; ++k) {
         const std::size_t column = first + static_cast<std::size_t>(k);
         t[k] = var_transform::pdf_inverse(step->tables.data() + column * var_transform::kPdfBins, step->lo[column],
                                           step->hi[column], t[k]);
      }
   }
}

std::int64_t InputTransform::shared_bytes() const
{
   std::size_t bytes = sizeof(*this);
   for (const Step &s : steps_)
      bytes += sizeof(Step) + (s.low.size() + s.scale.size() + s.tables.size()) * sizeof(float) +
               (s.matrix.size() + s.mean.size() + s.lo.size() + s.hi.size()) * sizeof(double);
   return static_cast<std::int64_t>(bytes);
}

InputTransformBuilder::InputTransformBuilder(std::int64_t n_variables, std::int64_t n_targets)
{
   HASHEDNET_CHECK(n_variables >= 1 && n_variables <= (1 << 20),
                   "an input transformation needs 1 to 2^20 variables, got " << n_variables);
   HASHEDNET_CHECK(n_targets >= 0 && n_targets <= (1 << 20),
                   "an input transformation takes 0 to 2^20 targets, got " << n_targets);
   chain_.n_variables_ = n_variables;
   chain_.n_targets_ = n_targets;
}

void InputTransformBuilder::check_columns(const char *step, std::int64_t n_columns, bool targets_allowed) const
{
   const std::int64_t n = chain_.n_variables_, all = n + chain_.n_targets_;
   HASHEDNET_CHECK(n_columns == n || (targets_allowed && chain_.n_targets_ > 0 && n_columns == all),
                   "the " << step << " transformation covers " << n_columns << " columns; the network has " << n
                          << " input variables"
                          << (targets_allowed && chain_.n_targets_ > 0
                                  ? " (and " + std::to_string(chain_.n_targets_) + " targets: " + std::to_string(n) +
                                        " or " + std::to_string(all) + " columns)"
                                  : std::string(", so it must cover exactly those"))
                          << "; the weight file's <Transformations> is damaged");
}

void InputTransformBuilder::add_normalize(const float *low, const float *scale, std::int64_t n_columns)
{
   check_columns("Normalize", n_columns, true);
   HASHEDNET_CHECK(all_finite(low, n_columns), "a Normalize minimum is not finite; the weight file's "
                                               "<Transformations> is damaged");
   InputTransform::Step step{InputTransform::Kind::Normalize, n_columns, {}, {}, {}, {}, {}, {}, {}};
   step.low.assign(low, low + n_columns);
   step.scale.assign(scale, scale + n_columns);
   chain_.steps_.push_back(std::move(step));
}

void InputTransformBuilder::add_decorrelate(const double *matrix, std::int64_t n)
{
   check_columns("Decorrelation", n, false);
   HASHEDNET_CHECK(all_finite(matrix, n * n), "the Decorrelation matrix holds a value that is not finite; the "
                                              "weight file's <Transformations> is damaged");
   InputTransform::Step step{InputTransform::Kind::Linear, n, {}, {}, {}, {}, {}, {}, {}};
   step.matrix.assign(matrix, matrix + n * n);
   chain_.steps_.push_back(std::move(step));
}

void InputTransformBuilder::add_pca(const double *means, const double *eigenvectors, std::int64_t n)
{
   check_columns("PCA", n, false);
   HASHEDNET_CHECK(all_finite(means, n) && all_finite(eigenvectors, n * n),
                   "the PCA means or eigenvectors hold a value that is not finite; the weight file's "
                   "<Transformations> is damaged");
   InputTransform::Step step{InputTransform::Kind::Linear, n, {}, {}, {}, {}, {}, {}, {}};
   step.matrix.resize(static_cast<std::size_t>(n * n));
   for (std::int64_t i = 0; i < n; ++i) // row i of the step's matrix: the i-th principal axis
      for (std::int64_t j = 0; j < n; ++j)
         step.matrix[i * n + j] = eigenvectors[j * n + i];
   step.mean.assign(means, means + n);
   chain_.steps_.push_back(std::move(step));
}

void InputTransformBuilder::add_gauss(bool flat, const double *edges, const float *contents,
                                      const std::int64_t *n_bins, std::int64_t n_columns)
{
   const char *name = flat ? "Uniform" : "Gauss";
   check_columns(name, n_columns, flat);
   InputTransform::Step step{flat ? InputTransform::Kind::Uniform : InputTransform::Kind::Gauss, n_columns, {}, {}, {},
                             {}, {}, {}, {}};
   step.tables.resize(static_cast<std::size_t>(n_columns) * var_transform::kPdfBins);
   for (std::int64_t c = 0; c < n_columns; ++c) {
      const std::int64_t n = n_bins[c];
      HASHEDNET_CHECK(n >= 2 && n <= (1 << 24), "the " << name << " transformation's column " << c << " has " << n
                                                       << " bins; TMVA writes 2 or more; the weight file's "
                                                          "<Transformations> is damaged");
      HASHEDNET_CHECK(all_finite(edges, n + 1) && all_finite(contents, n) && std::is_sorted(edges, edges + n + 1),
                      "the " << name << " transformation's column " << c << " has bin edges that are not finite "
                             << "and ascending, or contents that are not finite; the weight file's "
                                "<Transformations> is damaged");
      var_transform::sample_cumulative(edges, contents, static_cast<int>(n),
                                       step.tables.data() + std::size_t(c) * var_transform::kPdfBins);
      step.lo.push_back(edges[0]);
      step.hi.push_back(edges[n]);
      edges += n + 1;
      contents += n;
   }
   chain_.steps_.push_back(std::move(step));
}

std::shared_ptr<const InputTransform> InputTransformBuilder::build()
{
   auto chain = std::make_shared<InputTransform>(std::move(chain_));
   chain_ = InputTransform();
   chain_.n_variables_ = chain->n_variables_;
   chain_.n_targets_ = chain->n_targets_;
   return chain;
}

} // namespace hashednet
