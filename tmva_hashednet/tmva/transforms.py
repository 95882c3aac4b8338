"""TMVA's variable transformations beyond Normalize, and the VarTransform chain, for the compatible workflow.

What it is: ``VarTransform`` parsed as TMVA's ``MethodBase::CreateVariableTransforms``
does (steps separated by ``,`` or ``+``, each applied to the output of the ones
before it), with

- ``I`` (Identity): nothing;
- ``N`` (Normalize, ``transform.NormalizeTransform``): variables, and targets in
  a regression;
- ``D`` (Decorrelate, TMVA's VariableDecorrTransform): x' = C^-1/2 x with C the
  event-weighted covariance of the variables (``Tools::CalcCovarianceMatrices``:
  sum w x x^T / sum w - mean mean^T), C^-1/2 = S diag(1/sqrt(d)) S^T from its
  eigen-decomposition (``Tools::GetSQRootMatrix``); no centring;
- ``P`` (PCA, TMVA's VariablePCATransform through TPrincipal without
  normalisation): p_i = sum_j (x_j - mean_j) E[j][i], mean and covariance
  unweighted, E's columns the covariance's eigenvectors by decreasing eigenvalue;
- ``G`` (Gauss) and ``U`` (Uniform), TMVA's VariableGaussTransform: each column
  through its cumulative distribution (U), then the inverse error function (G)
  (``transform_gauss.GaussTransform``); G takes the variables, U the variables
  and, in a regression, the targets (whose responses it maps back).

As in TMVA, D and P keep one matrix per class and, with more than one class,
one more over all classes (the last); the last one is applied (what TMVA's
Reader applies). D and P act on the variables only. Their parameters are
rounded to the digits the weight file keeps (``transforms_xml``), so the
responses of training, of the Reader and of the real TMVA reading the same
file agree. Eigenvectors are defined up to sign; here each one has its largest
component positive (TMVA takes what TMatrixDSymEigen returns).

What it is not: a class-specific reference
(``D_Signal``) or a selection of variables (``N(var1,var2)``): those are refused
with a message naming what is missing. No XML here (``transforms_xml.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .transform import NormalizeTransform
from .transform_gauss import GaussTransform

__all__ = ["DecorrelateTransform", "PCATransform", "TransformChain", "parse_var_transform", "SHORT_NAMES"]

# TMVA's names of each transformation (MethodBase::CreateVariableTransforms), by our step letter.
_ALIASES = {"I": ("I", "Ident", "Identity"), "N": ("N", "Norm", "Normalise", "Normalize"),
            "D": ("D", "Deco", "Decorrelate"), "P": ("P", "PCA"), "G": ("G", "Gauss"), "U": ("U", "Uniform")}
# VariableTransformBase::GetShortName, joined by '_' in the axis titles ("var1 (Norm_Deco)").
SHORT_NAMES = {"N": "Norm", "D": "Deco", "P": "PCA", "G": "Gauss", "U": "Uniform"}
_DIGITS = {"D": 15, "P": 8}  # %5.15e (Tools::WriteTMatrixDToXML), %5.8e (Tools::StringFromDouble)


def _step_letter(token: str, where: str) -> str:
    name, _, suffix = token.split("(", 1)[0].partition("_")
    for letter, names in _ALIASES.items():
        if name.lower() in (n.lower() for n in names):
            break
    else:
        raise ValueError(f"{where}: unknown variable transformation '{name}'; TMVA knows I, N, D, P, G and U")
    if "(" in token:
        raise ValueError(f"{where}: a selection of variables ('{token}') is not supported in the compat workflow "
                         "(ROOT without TMVA); transform all variables (e.g. 'N') or use ROOT's TMVA")
    if suffix not in ("", "AllClasses"):
        raise ValueError(f"{where}: a reference class ('{token}') is not supported in the compat workflow (ROOT "
                         "without TMVA, whose Reader applies the all-classes transformation anyway); write "
                         f"'{name}' or '{name}_AllClasses'")
    return letter


def parse_var_transform(text: str) -> list:
    """The steps of a VarTransform value, as letters among N, D, P, G, U ([] for None); identity steps are dropped."""
    text = str(text).strip()
    if text.lower() in ("", "none"):
        return []
    where = f"VarTransform={text}"
    tokens = [t.strip() for t in text.replace("+", ",").split(",")]
    if any(not t for t in tokens):
        raise ValueError(f"{where}: empty transformation (a stray ',' or '+')")
    return [letter for letter in (_step_letter(t, where) for t in tokens) if letter != "I"]


def _rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """Each value as the weight file keeps it ('%.<digits>e', read back as a double)."""
    return np.array([float(f"{v:.{digits}e}") for v in np.asarray(values, np.float64).ravel()]).reshape(values.shape)


def _matrix_count(n_classes: int) -> int:
    return n_classes if n_classes <= 1 else n_classes + 1  # per class, plus all classes when more than one


def _class_rows(class_id: np.ndarray, n_classes: int) -> list:
    rows = [class_id == c for c in range(n_classes)] if n_classes > 1 else []
    return rows + [np.ones(len(class_id), bool)]


def _positive_largest(vectors: np.ndarray) -> np.ndarray:
    """Eigenvectors (columns) with their largest-magnitude component positive."""
    largest = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])]
    return vectors * np.where(largest < 0, -1.0, 1.0)


def _ordered_product(matrix: np.ndarray, x: np.ndarray) -> np.ndarray:
    """out[:, i] = sum_j x[:, j] * matrix[i, j], summed in j order in float64 (TVectorD *= TMatrixD)."""
    out = np.zeros((x.shape[0], matrix.shape[0]))
    for j in range(matrix.shape[1]):
        out += x[:, j : j + 1] * matrix[:, j]
    return out


def _check_columns(step: str, inputs: list, columns: slice) -> bool:
    """True when `columns` are this step's inputs (the variables); False for target columns after them."""
    start, stop = columns.start or 0, columns.stop
    if start == 0 and stop == len(inputs):
        return True
    if start >= len(inputs):
        return False
    raise AssertionError(f"{step} applied to columns {start}:{stop} of its {len(inputs)} inputs")


@dataclass
class DecorrelateTransform:
    """inputs: (Type, Label, Expression) of the variables; matrices: C^-1/2 (n, n) float64 per class index."""

    inputs: list
    matrices: list
    name = "Decorrelation"

    @classmethod
    def fit(cls, values: np.ndarray, class_id: np.ndarray, n_classes: int, inputs: list, weights) -> "DecorrelateTransform":
        x = np.asarray(values, np.float64)[:, : len(inputs)]
        w = np.ones(len(x)) if weights is None else np.asarray(weights, np.float64)
        matrices = []
        for rows in _class_rows(np.asarray(class_id), n_classes):
            total = w[rows].sum()
            if not total > 0:
                raise ValueError(f"VarTransform=D: the event weights of a class sum to {total}; a covariance needs "
                                 "a positive sum of weights")
            mean = (w[rows, None] * x[rows]).sum(axis=0) / total
            covariance = (w[rows, None, None] * x[rows, :, None] * x[rows, None, :]).sum(axis=0) / total
            matrices.append(_inverse_square_root(covariance - np.outer(mean, mean)))
        return cls(list(inputs), [_rounded(m, _DIGITS["D"]) for m in matrices])

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        if not _check_columns(self.name, self.inputs, columns):
            return values
        x = np.asarray(values, np.float32).astype(np.float64)
        return np.ascontiguousarray(_ordered_product(self.matrices[-1], x), dtype=np.float32)

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        _check_columns(self.name, self.inputs, columns)  # only target columns come here, and D has none
        return values


def _inverse_square_root(covariance: np.ndarray) -> np.ndarray:
    eigenvalues, vectors = np.linalg.eigh(covariance)
    if not np.all(eigenvalues > 0):
        raise ValueError("VarTransform=D: the covariance matrix of the variables is not positive definite "
                         f"(eigenvalues {eigenvalues.tolist()}); a variable is constant or a linear combination "
                         "of others, which cannot be decorrelated")
    return (vectors / np.sqrt(eigenvalues)) @ vectors.T


@dataclass
class PCATransform:
    """inputs as DecorrelateTransform; means (n,) and eigenvectors (n, n), float64, per class index."""

    inputs: list
    means: list
    eigenvectors: list
    name = "PCA"

    @classmethod
    def fit(cls, values: np.ndarray, class_id: np.ndarray, n_classes: int, inputs: list, weights=None) -> "PCATransform":
        if len(inputs) <= 1:
            raise ValueError(f"VarTransform=P: PCA needs at least two variables, got {len(inputs)} (as TMVA)")
        x = np.asarray(values, np.float64)[:, : len(inputs)]
        means, vectors = [], []
        for rows in _class_rows(np.asarray(class_id), n_classes):
            if rows.sum() < 2:
                raise ValueError(f"VarTransform=P: a class has {rows.sum()} training events; a covariance needs two")
            mean = x[rows].mean(axis=0)
            eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x[rows], rowvar=False, bias=True))
            means.append(_rounded(mean, _DIGITS["P"]))
            vectors.append(_rounded(_positive_largest(eigenvectors[:, ::-1]), _DIGITS["P"]))
        return cls(list(inputs), means, vectors)

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        if not _check_columns(self.name, self.inputs, columns):
            return values
        centred = np.asarray(values, np.float32).astype(np.float64) - self.means[-1]
        return np.ascontiguousarray(_ordered_product(self.eigenvectors[-1].T, centred), dtype=np.float32)

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        _check_columns(self.name, self.inputs, columns)
        return values


def _apply_to_all(step, values: np.ndarray, n_variables: int) -> np.ndarray:
    return np.concatenate([step.apply(values[:, :n_variables], slice(0, n_variables)),
                           step.apply(values[:, n_variables:], slice(n_variables, values.shape[1]))], axis=1)


_FITS = {"N": NormalizeTransform.fit, "D": DecorrelateTransform.fit, "P": PCATransform.fit}


@dataclass
class TransformChain:
    """The steps of VarTransform in order, each fitted on the output of the ones before it."""

    steps: list

    @classmethod
    def fit(cls, letters: list, values: np.ndarray, class_id, n_classes: int, columns: list, n_variables: int,
            weights=None, class_names=None) -> "TransformChain":
        """columns: (Type, Label, Expression) of `values`' columns, variables first (targets after them in a
        regression: Normalize and Uniform take those too, D, P and Gauss the variables only)."""
        steps, values = [], np.asarray(values, np.float32)
        for letter in letters:
            if letter == "N":
                step = NormalizeTransform.fit(values, class_id, n_classes, columns, weights, class_names)
            elif letter == "U":  # TMVA's Uniform takes the targets too ("_V_,_T_"), Gauss the variables only
                step = GaussTransform.fit(values, class_id, n_classes, columns, weights, True, class_names)
            elif letter == "G":
                step = GaussTransform.fit(values, class_id, n_classes, columns[:n_variables], weights, False,
                                          class_names)  # fmt: skip
            else:
                step = _FITS[letter](values, class_id, n_classes, columns[:n_variables], weights)
            values = _apply_to_all(step, values, n_variables)
            steps.append(step)
        return cls(steps)

    def apply_to_all(self, values: np.ndarray, n_variables: int) -> np.ndarray:
        """Every column of `values`: the variables, then the targets (if any) after them."""
        for step in self.steps:
            values = _apply_to_all(step, values, n_variables)
        return values

    @property
    def inputs(self) -> list:
        """The widest step's inputs: the variables, and the targets when Normalize takes them."""
        return max((step.inputs for step in self.steps), key=len)

    @property
    def short_name(self) -> str:
        """TransformationHandler::GetName: the steps' short names joined by '_' (e.g. 'Norm_Deco')."""
        names = {NormalizeTransform: "Norm", DecorrelateTransform: "Deco", PCATransform: "PCA"}
        return "_".join(step.name if isinstance(step, GaussTransform) else names[type(step)] for step in self.steps)

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        for step in self.steps:
            values = step.apply(values, columns)
        return np.ascontiguousarray(values, dtype=np.float32)

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        for step in reversed(self.steps):
            values = step.inverse(values, columns)
        return values
