"""The standalone class (MakeClass) of the compatible workflow with its VarTransform chain inside.

What it is: the network's standalone class (``HashedNetwork.standalone_class``,
the core's generator) with the chain of ``transforms.py`` applied to the raw
inputs first: each step's data written out as arrays and passed to the
functions of ``hashednet/input_transform_steps.h``, which the class embeds
verbatim with the core's other headers and which the core's evaluators run
(the 10000-bin PDF of Gauss and Uniform sampled once, on first use, from the
cumulative histogram), so the class gives the Reader's and the evaluators'
transformed inputs bit for bit. A chain that is a
single Normalize is folded into the network's own input transform (x - offset)
* scale, as before the chain existed, so that class stays unchanged.

What it is not: TMVA's MakeClass frame (``IClassifierReader``, ``Transform_N``
functions); the class keeps the core generator's interface.
"""

from __future__ import annotations

import re

import numpy as np

from .transform import NormalizeTransform
from .transform_gauss import GaussTransform
from .transforms import DecorrelateTransform, PCATransform

__all__ = ["standalone_class_with_transform"]


def _float_literal(value: float) -> str:
    text = f"{value:.9g}"
    return (text if any(c in text for c in ".e") else text + ".0") + "f"  # "1f" is no C++ literal, "1.0f" is


def _floats(values) -> str:
    return ", ".join(_float_literal(float(v)) for v in np.asarray(values, np.float32).ravel())


def _doubles(values) -> str:
    return ", ".join(f"{float(v):.17g}" for v in np.asarray(values, np.float64).ravel())


def _normalize_code(step: NormalizeTransform, n: int, k: int) -> str:
    low, scale = step.offset_scale(slice(0, n))
    return (f"   static const float low{k}[{n}] = {{{_floats(low)}}};\n"
            f"   static const float scale{k}[{n}] = {{{_floats(scale)}}};\n"
            f"   vt::normalize(low{k}, scale{k}, {n}, v);\n")


def _linear_code(matrix: np.ndarray, mean, n: int, k: int) -> str:
    """v'[i] = float(sum_j (v[j] - mean[j]) * matrix[i][j]) (input_transform_steps.h: linear)."""
    code = f"   static const double m{k}[{n * n}] = {{{_doubles(matrix)}}};\n"
    if mean is not None:
        code += f"   static const double mean{k}[{n}] = {{{_doubles(mean)}}};\n"
    centre = f"mean{k}" if mean is not None else "nullptr"
    return code + (f"   vt::linear(m{k}, {centre}, {n}, v, work);\n"
                   f"   for (int j = 0; j < {n}; ++j) v[j] = work[j];\n")


def _gauss_code(step: GaussTransform, n: int, k: int) -> str:
    """The all-classes distribution of each variable (the one applied), sampled once on first use
    (input_transform_steps.h: sample_cumulative, gauss)."""
    code, samples = "", ""
    for j in range(n):
        pdf = step.pdfs[j][-1]
        code += (f"   static const double edges{k}_{j}[{len(pdf.edges)}] = {{{_doubles(pdf.edges)}}};\n"
                 f"   static const float cumulative{k}_{j}[{len(pdf.contents)}] = {{{_floats(pdf.contents)}}};\n")
        samples += (f"      vt::sample_cumulative(edges{k}_{j}, cumulative{k}_{j}, {len(pdf.contents)}, "
                    f"t.data() + {j} * vt::kPdfBins);\n")
    code += (f"   static const std::vector<float> sampled{k} = [] {{\n"
             f"      std::vector<float> t({n} * vt::kPdfBins);\n{samples}      return t;\n   }}();\n")
    flat = "true" if step.flat else "false"
    for j in range(n):
        last = len(step.pdfs[j][-1].contents)
        code += (f"   v[{j}] = vt::gauss(sampled{k}.data() + {j} * vt::kPdfBins, edges{k}_{j}[0], "
                 f"edges{k}_{j}[{last}], {flat}, v[{j}]);\n")
    return code


def _step_code(step, n: int, k: int) -> str:
    if isinstance(step, GaussTransform):
        return _gauss_code(step, n, k)
    if isinstance(step, NormalizeTransform):
        return _normalize_code(step, n, k)
    if isinstance(step, DecorrelateTransform):
        return _linear_code(step.matrices[-1], None, n, k)
    if isinstance(step, PCATransform):
        return _linear_code(step.eigenvectors[-1].T, step.means[-1], n, k)
    raise AssertionError(f"no standalone code for {type(step).__name__}")


def _function(chain, name: str, n: int) -> str:
    body = "".join(_step_code(step, n, k) for k, step in enumerate(chain.steps))
    header = (f"/// The VarTransform chain ({chain.short_name}) on the raw inputs, as the weight file holds it\n"
              "/// (each step's arithmetic: the embedded hashednet/input_transform_steps.h).\n")
    return header + (f"inline std::vector<double> {name}(const std::vector<double> &inputValues)\n{{\n"
                     f"   namespace vt = hashednet::var_transform;\n"
                     f"   float v[{n}], work[{n}];\n"
                     f"   for (int j = 0; j < {n}; ++j) v[j] = static_cast<float>(inputValues[j]);\n"
                     f"{body}   (void)work;\n   return std::vector<double>(v, v + {n});\n}}\n\n")


def _inject(source: str, class_name: str, function: str, name: str) -> str:
    evaluate = re.compile(r"(\w+)::evaluate\(inputValues\.data\(\), out\.data\(\)\);")
    declaration = re.compile(rf"^class {re.escape(class_name)}\b", re.MULTILINE)
    if len(evaluate.findall(source)) != 1 or len(declaration.findall(source)) != 1:
        raise AssertionError("the core's standalone class changed its shape: cannot insert the VarTransform chain")
    source = evaluate.sub(lambda m: f"{m.group(1)}::evaluate({name}(inputValues).data(), out.data());", source)
    start = declaration.search(source).start()
    return source[:start] + function + source[start:]


def standalone_class_with_transform(network, chain, class_name: str, names: list) -> str:
    """C++ source of ``class_name``: ``network`` after ``chain`` (None: the network alone)."""
    n = len(names)
    if chain is not None and len(chain.steps) == 1 and isinstance(chain.steps[0], NormalizeTransform):
        # x' = (x - low) * scale * 2 - 1 = (x - (low + 1 / (2 scale))) * (2 scale)
        low, scale = chain.steps[0].offset_scale(slice(0, n))
        network.set_input_transform(low + np.float32(0.5) / scale, np.float32(2) * scale)
        chain = None
    source = network.standalone_class(class_name, names)
    if chain is None:
        return source
    name = f"{class_name}_var_transform"
    return _inject(source, class_name, _function(chain, name, n), name)
