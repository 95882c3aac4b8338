"""The ``<Transformations>`` node of a TMVA weight file, for the VarTransform chain.

What it is: TMVA's XML of each transformation, element for element, so that a
file written here is read by TMVA's Reader and the other way round
(docs/tmva_file_layout.md §3):

- Normalize (VariableNormalizeTransform::AttachXMLTo): ``<Transform Name="Normalize">``,
  ``<Selection>``, then per class ``<Class ClassIndex><Ranges><Range Index Min Max/>``;
- Decorrelation (VariableDecorrTransform::AttachXMLTo): ``<Selection>``, then per class
  ``<Matrix Rows Columns>`` holding the row-major values as ``%5.15e `` (Tools::WriteTMatrixDToXML);
- PCA (VariablePCATransform::AttachXMLTo): ``<Selection>``, per class ``<Statistics Class
  ClassIndex NRows>`` (the means), then per class ``<Eigenvectors Class ClassIndex NRows NCols>``,
  values as ``%5.8e `` (Tools::StringFromDouble); Class is Signal, Background, then Combined;
- Gauss and Uniform (VariableGaussTransform::AttachXMLTo): ``<Transform Name="Gauss"
  FlatOrGauss="Gauss|Flat">``, ``<Selection>``, then per input ``<Variable VarIndex>`` holding
  per class ``<CumulativePDF_cls<k>>`` with the PDF (PDF::AddXMLTo): ``<PDF Name MinNSmooth
  MaxNSmooth InterpolMethod KDE_type KDE_iter KDE_border KDE_finefactor>``, its
  ``<Histogram Name NBins XMin XMax HasEquidistantBins="0">`` (the cumulative contents, ``%5.8e ``)
  and ``<HistogramBinning NBins>`` (the n + 1 edges).

Entry points: :func:`write_transformations` (into weights_xml's node tree) and
:func:`read_transformations` (an ElementTree node). A file whose transformation
is damaged or unknown is a ``ValueError`` naming the file and the node.

What it is not: the rest of the weight file (``weights_xml.py``), or the
transformations' maths (``transform.py``, ``transforms.py``).
"""

from __future__ import annotations

import numpy as np

from .transform import NormalizeTransform
from .transform_gauss import CumulativePdf, GaussTransform
from .transforms import DecorrelateTransform, PCATransform, TransformChain

__all__ = ["write_transformations", "read_transformations"]

_KNOWN = ("Normalize", "Decorrelation", "PCA", "Gauss")
# The PDF of a Gauss transformation as VariableGaussTransform builds it: PDF::kSpline1, no smoothing; the
# KDE settings of a spline PDF (KDEKernel::kNone, kNonadaptiveKDE, kNoTreatment, fine factor 0).
_GAUSS_PDF = (("MinNSmooth", "0"), ("MaxNSmooth", "0"), ("InterpolMethod", "1"))
_GAUSS_KDE = (("KDE_type", 0), ("KDE_iter", 1), ("KDE_border", 1))


def _double(value: float) -> str:
    return f"{float(value):.16e}"


def _selection(node, inputs: list) -> None:
    selection = node.add("Selection")
    for tag, count in (("Input", "NInputs"), ("Output", "NOutputs")):
        group = selection.add(tag, [(count, len(inputs))])
        for kind, label, expression in inputs:
            group.add(tag, [("Type", kind), ("Label", label), ("Expression", expression)])


def _values(values, digits: int) -> str:
    return "".join(f"{v:.{digits}e} " for v in np.asarray(values, np.float64).ravel()) + "\n"


def _class_label(index: int) -> str:
    return "Signal" if index == 0 else ("Background" if index == 1 else "Combined")


def _write_normalize(node, step: NormalizeTransform) -> None:
    _selection(node, step.inputs)
    for c, (low, high) in enumerate(step.ranges):
        ranges = node.add("Class", [("ClassIndex", c)]).add("Ranges")
        for i, (a, b) in enumerate(zip(low, high)):
            ranges.add("Range", [("Index", i), ("Min", _double(a)), ("Max", _double(b))])


def _write_decorrelation(node, step: DecorrelateTransform) -> None:
    _selection(node, step.inputs)
    for matrix in step.matrices:
        node.add("Matrix", [("Rows", matrix.shape[0]), ("Columns", matrix.shape[1])], raw=_values(matrix, 15))


def _write_pca(node, step: PCATransform) -> None:
    _selection(node, step.inputs)
    for c, mean in enumerate(step.means):
        node.add("Statistics", [("Class", _class_label(c)), ("ClassIndex", c), ("NRows", len(mean))],
                 raw=_values(mean, 8))
    for c, vectors in enumerate(step.eigenvectors):
        node.add("Eigenvectors", [("Class", _class_label(c)), ("ClassIndex", c), ("NRows", vectors.shape[0]),
                                  ("NCols", vectors.shape[1])], raw=_values(vectors, 8))  # fmt: skip


def _write_gauss(node, step: GaussTransform) -> None:
    node.attributes.append(("FlatOrGauss", "Flat" if step.flat else "Gauss"))
    _selection(node, step.inputs)
    for i, per_class in enumerate(step.pdfs):
        variable = node.add("Variable", [("VarIndex", i)])
        for c, pdf in enumerate(per_class):
            n = len(pdf.contents)
            attributes = [("Name", f"GaussTransform var{i} cls{c}"), *_GAUSS_PDF, *_GAUSS_KDE,
                          ("KDE_finefactor", _double(0))]  # fmt: skip
            child = variable.add(f"CumulativePDF_cls{c}").add("PDF", attributes)
            child.add("Histogram", [("Name", f"Cumulative_Var{i}_cls{c}_original"), ("NBins", n),
                                    ("XMin", _double(pdf.xmin)), ("XMax", _double(pdf.xmax)),
                                    ("HasEquidistantBins", 0)], raw=_values(pdf.contents, 8))  # fmt: skip
            child.add("HistogramBinning", [("NBins", n)], raw=_values(pdf.edges, 8))


_WRITERS = {NormalizeTransform: ("Normalize", _write_normalize), DecorrelateTransform: ("Decorrelation",
            _write_decorrelation), PCATransform: ("PCA", _write_pca),
            GaussTransform: ("Gauss", _write_gauss)}  # fmt: skip


def write_transformations(parent, chain: TransformChain | None) -> None:
    """TransformationHandler::AddXMLTo: ``<Transformations NTransformations>`` and one ``<Transform>`` per step."""
    steps = [] if chain is None else chain.steps
    node = parent.add("Transformations", [("NTransformations", len(steps))])
    for step in steps:
        name, write = _WRITERS[type(step)]
        write(node.add("Transform", [("Name", name)]), step)


# ---------------------------------------------------------------------- reading
def _child(node, tag: str, path: str):
    found = node.find(tag)
    if found is None:
        raise ValueError(f"weight file {path!r} has no <{tag}> node in <{node.tag}>; it is damaged or not a TMVA file")
    return found


def _number(node, name: str, path: str, kind=float):
    value = node.get(name)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"weight file {path!r}: <{node.tag} {name}=...> should be a number, got {value!r}; "
                         "the file is damaged") from None


def _inputs(node, path: str) -> list:
    return [(i.get("Type"), i.get("Label"), i.get("Expression"))
            for i in _child(_child(node, "Selection", path), "Input", path).findall("Input")]


def _finite_values(node, count: int, path: str, what: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in (node.text or "").split()], np.float64)
    except ValueError:
        raise ValueError(f"weight file {path!r}: the {what} holds a value that is not a number; "
                         "the file is damaged") from None
    if values.size != count or not np.all(np.isfinite(values)):
        raise ValueError(f"weight file {path!r}: the {what} should hold {count} finite numbers, it holds "
                         f"{values.size} ({np.count_nonzero(~np.isfinite(values))} not finite); the file is damaged")
    return values


def _read_normalize(node, path: str) -> NormalizeTransform:
    inputs, ranges = _inputs(node, path), []
    for cls in node.findall("Class"):
        rows = _child(cls, "Ranges", path).findall("Range")
        if len(rows) != len(inputs):
            raise ValueError(f"weight file {path!r}: the Normalize transform has {len(inputs)} inputs but "
                             f"{len(rows)} ranges in one <Class>; the file is damaged")
        low, high = (np.array([_number(r, name, path) for r in rows]) for name in ("Min", "Max"))
        if not np.all(np.abs(np.concatenate([low, high])) <= np.finfo(np.float32).max):
            raise ValueError(f"weight file {path!r}: a Normalize range is not a finite float32 (Min {low.tolist()}, "
                             f"Max {high.tolist()}); the file is damaged")
        ranges.append((low.astype(np.float32), high.astype(np.float32)))
    if not ranges:
        raise ValueError(f"weight file {path!r}: the Normalize transform has no <Class> ranges; the file is damaged")
    return NormalizeTransform(inputs, ranges)


def _square(node, rows: str, columns: str, n: int, path: str, what: str) -> np.ndarray:
    shape = (_number(node, rows, path, int), _number(node, columns, path, int))
    if shape != (n, n):
        raise ValueError(f"weight file {path!r}: the {what} is {shape[0]} x {shape[1]} but the transformation has "
                         f"{n} inputs; the file is damaged")
    return _finite_values(node, n * n, path, what).reshape(n, n)


def _read_decorrelation(node, path: str) -> DecorrelateTransform:
    inputs = _inputs(node, path)
    matrices = [_square(m, "Rows", "Columns", len(inputs), path, "decorrelation <Matrix>")
                for m in node.findall("Matrix")]
    if not matrices:
        raise ValueError(f"weight file {path!r}: the Decorrelation transform has no <Matrix>; the file is damaged")
    return DecorrelateTransform(inputs, matrices)


def _by_class_index(nodes, path: str, what: str) -> list:
    indices = [_number(n, "ClassIndex", path, int) for n in nodes]
    if not nodes or sorted(indices) != list(range(len(nodes))):
        raise ValueError(f"weight file {path!r}: the PCA transform's <{what}> class indices are {indices}, not "
                         f"0, 1, ...; the file is damaged")
    return [n for _, n in sorted(zip(indices, nodes), key=lambda pair: pair[0])]


def _read_pca(node, path: str) -> PCATransform:
    inputs = _inputs(node, path)
    n = len(inputs)
    means = []
    for s in _by_class_index(node.findall("Statistics"), path, "Statistics"):
        if _number(s, "NRows", path, int) != n:
            raise ValueError(f"weight file {path!r}: a PCA <Statistics> has NRows={s.get('NRows')} for {n} inputs; "
                             "the file is damaged")
        means.append(_finite_values(s, n, path, "PCA <Statistics>"))
    vectors = [_square(e, "NRows", "NCols", n, path, "PCA <Eigenvectors>")
               for e in _by_class_index(node.findall("Eigenvectors"), path, "Eigenvectors")]
    if len(vectors) != len(means):
        raise ValueError(f"weight file {path!r}: the PCA transform has {len(means)} <Statistics> but {len(vectors)} "
                         "<Eigenvectors>; the file is damaged")
    return PCATransform(inputs, means, vectors)


def _read_cumulative_pdf(node, path: str, what: str) -> CumulativePdf:
    """PDF::ReadXML of a Gauss transformation's PDF: a Spline1 PDF of a variable-bin cumulative histogram."""
    pdf = _child(node, "PDF", path)
    settings = [(name, pdf.get(name)) for name, _ in _GAUSS_PDF]
    if settings != list(_GAUSS_PDF):
        raise ValueError(f"weight file {path!r}: the {what} PDF has {', '.join(f'{k}={v}' for k, v in settings)}; "
                         "TMVA's Gauss transformation writes MinNSmooth=0, MaxNSmooth=0, InterpolMethod=1 (Spline1), "
                         "the only PDF the compat workflow reads here; the file is damaged or not TMVA's")
    histogram = _child(pdf, "Histogram", path)
    n = _number(histogram, "NBins", path, int)
    if histogram.get("HasEquidistantBins") != "0" or n < 2:
        raise ValueError(f"weight file {path!r}: the {what} histogram has NBins={histogram.get('NBins')} and "
                         f"HasEquidistantBins={histogram.get('HasEquidistantBins')}; TMVA writes at least 2 "
                         "variable bins (HasEquidistantBins=0); the file is damaged")
    binning = _child(pdf, "HistogramBinning", path)
    if _number(binning, "NBins", path, int) != n:
        raise ValueError(f"weight file {path!r}: the {what} <HistogramBinning NBins={binning.get('NBins')}> differs "
                         f"from its <Histogram NBins={n}>; the file is damaged")
    contents = _finite_values(histogram, n, path, f"{what} <Histogram>").astype(np.float32)
    edges = _finite_values(binning, n + 1, path, f"{what} <HistogramBinning>")
    if np.any(np.diff(edges) < 0):
        raise ValueError(f"weight file {path!r}: the {what} bin edges are not in increasing order; the file is damaged")
    return CumulativePdf(edges, contents)


def _read_gauss(node, path: str) -> GaussTransform:
    flat_or_gauss = node.get("FlatOrGauss")
    if flat_or_gauss not in ("Flat", "Gauss"):
        raise ValueError(f"weight file {path!r}: <Transform Name={node.get('Name')!r}> has FlatOrGauss="
                         f"{flat_or_gauss!r}, not 'Flat' or 'Gauss'; the file is damaged")
    inputs = _inputs(node, path)
    variables = node.findall("Variable")
    if [_number(v, "VarIndex", path, int) for v in variables] != list(range(len(inputs))):
        raise ValueError(f"weight file {path!r}: the Gauss transform has {len(inputs)} inputs but <Variable> nodes "
                         f"with VarIndex {[v.get('VarIndex') for v in variables]}; the file is damaged")
    pdfs = []
    for i, variable in enumerate(variables):
        holders = list(variable)
        if not holders or [h.tag for h in holders] != [f"CumulativePDF_cls{c}" for c in range(len(holders))]:
            raise ValueError(f"weight file {path!r}: <Variable VarIndex={i}> of the Gauss transform holds "
                             f"{[h.tag for h in holders]}, not CumulativePDF_cls0, 1, ...; the file is damaged")
        pdfs.append([_read_cumulative_pdf(h, path, f"Gauss transform's variable {i} {h.tag}") for h in holders])
    if len({len(p) for p in pdfs}) > 1:
        raise ValueError(f"weight file {path!r}: the Gauss transform's variables have different numbers of class "
                         "distributions; the file is damaged")
    return GaussTransform(inputs, flat_or_gauss == "Flat", pdfs)


# TransformationHandler::ReadFromXML: "Uniform" is read by the same class (FlatOrGauss decides, as in TMVA).
_READERS = {"Normalize": _read_normalize, "Decorrelation": _read_decorrelation, "PCA": _read_pca,
            "Gauss": _read_gauss, "Uniform": _read_gauss}  # fmt: skip


def read_transformations(node, path: str) -> TransformChain | None:
    """TransformationHandler::ReadFromXML: the chain of ``<Transform>`` nodes, or None when there is none."""
    transforms = node.findall("Transform")
    if not transforms:
        return None
    unknown = [t.get("Name", "?") for t in transforms if t.get("Name") not in _READERS]
    if unknown:
        raise ValueError(f"weight file {path!r} uses the transformation(s) {', '.join(unknown)}; the compat workflow "
                         f"(ROOT without TMVA) reads {', '.join(_KNOWN)} (use ROOT's TMVA for the others)")
    return TransformChain([_READERS[t.get("Name")](t, path) for t in transforms])
