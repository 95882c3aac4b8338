"""A weight file's VarTransform chain handed to the core's event evaluators (``hashednet/input_transform.h``).

What it is: :func:`core_input_transform`, the one translation of a parsed chain
(``transforms.TransformChain``: Normalize, Decorrelation, PCA, Gauss, Uniform in
the file's order) into the core's const ``InputTransform``, as plain arrays: the
distribution TMVA's Reader applies of each step (the last, over all classes),
Normalize's float low and scale, the Decorrelation matrix, PCA's means and
eigenvectors, each Gauss/Uniform column's cumulative histogram (edges and
contents; the core samples its 10000-bin PDF as ``transform_gauss`` does). The
core checks what it is given (sizes, finite values, ascending edges) and names
the step; the evaluators, ``tmva_hashednet.rdf`` and the compatible Reader share
the result.

What it is not: a parser (``transforms_xml.py`` reads the XML, once) or a second
implementation of the steps: the per-event arithmetic is
``hashednet/input_transform_steps.h``, equal bit for bit to the numpy steps.
"""

from __future__ import annotations

import numpy as np

from .._core import core
from .._errors import translate_errors
from .transform import NormalizeTransform
from .transform_gauss import GaussTransform
from .transforms import DecorrelateTransform, PCATransform

__all__ = ["core_input_transform"]


def _add_step(builder, step) -> None:
    if isinstance(step, NormalizeTransform):
        low, scale = (np.ascontiguousarray(a, np.float32) for a in step.offset_scale(slice(None)))
        builder.add_normalize(low, scale, len(low))
    elif isinstance(step, DecorrelateTransform):
        matrix = np.ascontiguousarray(step.matrices[-1], np.float64)
        builder.add_decorrelate(matrix, len(step.inputs))
    elif isinstance(step, PCATransform):
        means = np.ascontiguousarray(step.means[-1], np.float64)
        builder.add_pca(means, np.ascontiguousarray(step.eigenvectors[-1], np.float64), len(step.inputs))
    elif isinstance(step, GaussTransform):
        pdfs = [column[-1] for column in step.pdfs]
        edges = np.ascontiguousarray(np.concatenate([p.edges for p in pdfs]), np.float64)
        contents = np.ascontiguousarray(np.concatenate([p.contents for p in pdfs]), np.float32)
        bins = np.array([len(p.contents) for p in pdfs], np.int64)
        if len(edges) != int(bins.sum()) + len(pdfs):
            raise ValueError(f"the {step.name} transformation has a column whose bin edges are not one more than its "
                             "bins; the weight file's <Transformations> is damaged")
        builder.add_gauss(step.flat, edges, contents, bins, len(pdfs))
    else:
        raise AssertionError(f"no core input transformation for {type(step).__name__}")


def core_input_transform(chain, n_variables: int, n_targets: int = 0):
    """The core's ``std::shared_ptr<const InputTransform>`` of ``chain`` (None: an empty chain) over
    n_variables inputs and, for a regression whose chain takes them, n_targets targets."""
    hn = core()
    with translate_errors():
        builder = hn.InputTransformBuilder(int(n_variables), int(n_targets))
        for step in [] if chain is None else chain.steps:
            _add_step(builder, step)
        return builder.build()
