"""The standalone class (MakeClass) of the compatible workflow with its VarTransform chain inside.

What it is: the network's standalone class (``HashedNetwork.standalone_class``,
the core's generator) with the chain of ``transforms.py`` applied to the raw
inputs first, in the arithmetic of the Python side (float inputs; Normalize in
float, Decorrelation and PCA summed in double in TMVA's order, each result
rounded to float), so the class gives the Reader's responses. A chain that is a
single Normalize is folded into the network's own input transform (x - offset)
* scale, as before the chain existed, so that class stays unchanged.

What it is not: TMVA's MakeClass frame (``IClassifierReader``, ``Transform_N``
functions); the class keeps the core generator's interface.
"""

from __future__ import annotations

import re

import numpy as np

from .transform import NormalizeTransform
from .transforms import DecorrelateTransform, PCATransform

__all__ = ["standalone_class_with_transform"]


def _floats(values) -> str:
    return ", ".join(f"{float(v):.9g}f" for v in np.asarray(values, np.float32).ravel())


def _doubles(values) -> str:
    return ", ".join(f"{float(v):.17g}" for v in np.asarray(values, np.float64).ravel())


def _normalize_code(step: NormalizeTransform, n: int, k: int) -> str:
    low, scale = step.offset_scale(slice(0, n))
    return (f"   static const float low{k}[{n}] = {{{_floats(low)}}};\n"
            f"   static const float scale{k}[{n}] = {{{_floats(scale)}}};\n"
            f"   for (int j = 0; j < {n}; ++j)\n"
            f"      v[j] = (static_cast<float>(v[j]) - low{k}[j]) * scale{k}[j] * 2.0f - 1.0f;\n")


def _linear_code(matrix: np.ndarray, mean, n: int, k: int) -> str:
    """v'[i] = float(sum_j (float(v[j]) - mean[j]) * matrix[i][j]), summed in j order."""
    centre = f" - mean{k}[j]" if mean is not None else ""
    code = f"   static const double m{k}[{n}][{n}] = {{{_doubles(matrix)}}};\n"
    if mean is not None:
        code += f"   static const double mean{k}[{n}] = {{{_doubles(mean)}}};\n"
    return code + (f"   {{\n      std::vector<double> t({n});\n"
                   f"      for (int i = 0; i < {n}; ++i) {{\n         double sum = 0;\n"
                   f"         for (int j = 0; j < {n}; ++j)\n"
                   f"            sum += (static_cast<double>(static_cast<float>(v[j])){centre}) * m{k}[i][j];\n"
                   f"         t[i] = static_cast<float>(sum);\n      }}\n"
                   f"      for (int i = 0; i < {n}; ++i) v[i] = t[i];\n   }}\n")


def _step_code(step, n: int, k: int) -> str:
    if isinstance(step, NormalizeTransform):
        return _normalize_code(step, n, k)
    if isinstance(step, DecorrelateTransform):
        return _linear_code(step.matrices[-1], None, n, k)
    if isinstance(step, PCATransform):
        return _linear_code(step.eigenvectors[-1].T, step.means[-1], n, k)
    raise AssertionError(f"no standalone code for {type(step).__name__}")


def _function(chain, name: str, n: int) -> str:
    body = "".join(_step_code(step, n, k) for k, step in enumerate(chain.steps))
    return (f"/// The VarTransform chain ({chain.short_name}) on the raw inputs, as the weight file holds it.\n"
            f"inline std::vector<double> {name}(const std::vector<double> &inputValues)\n{{\n"
            f"   std::vector<double> v(inputValues);\n{body}   return v;\n}}\n\n")


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
