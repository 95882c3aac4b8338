"""TMVA weight files (``<dataset>/weights/<job>_<title>.weights.xml``) of HashedDNN.

Writes and reads TMVA's ``MethodSetup`` XML (docs/tmva_file_layout.md §3):
GeneralInfo, Options, Variables, Spectators, Classes, Targets,
Transformations (``transforms_xml.py``), MVAPdfs (TMVA's ``<PDF>`` nodes of the
signal and background MVA PDFs, with ``CreateMVAPdfs``) and a ``Weights`` node
whose text is the core's network text (docs/weight_file.md). The file is
written atomically. Reading reports a damaged file as ``ValueError``; a changed
``<Transformations>`` section is caught by its checksum (an attribute of
``<Weights>``; files written before it existed load unverified).
"""

from __future__ import annotations

import getpass
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

from .._core import core
from ..files import write_text_atomically
from .pdf import FINE_FACTOR, KDE_GAUSS, KDE_NO_BORDER, KDE_NONADAPTIVE, SPLINE2, Histogram, MvaPdf
from .transforms import TransformChain
from .transforms_xml import read_transformations, write_transformations
from .variables import VariableInfo

__all__ = ["WeightFile", "write_weight_file", "read_weight_file", "parse_weight_text", "WEIGHTS_FORMAT",
           "HASH_DEFINITION", "TRANSFORMATIONS_CHECKSUM"]

WEIGHTS_FORMAT = "hashednet-1"
#: The <Weights> attribute with the checksum of <Transformations> (hashednet/section_digest.h).
TRANSFORMATIONS_CHECKSUM = "TransformationsChecksum"
_ANALYSIS_TYPES = ("Classification", "Multiclass", "Regression")
HASH_DEFINITION = "xxh32-v1"
TMVA_RELEASE = "4.2.1 [262657]"


@dataclass
class WeightFile:
    method_type: str
    title: str
    analysis_type: str  # Classification | Multiclass | Regression
    variables: list
    classes: list
    network_text: str
    spectators: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    transform: TransformChain | None = None
    options: list = field(default_factory=list)  # (name, modified, value)
    training_events: int = 0
    training_time: float = 0.0
    mva_pdfs: tuple | None = None  # (signal, background) MvaPdf, with CreateMVAPdfs
    transformations_checked: bool = True  # read: False for a file without TransformationsChecksum (older files)


# ---------------------------------------------------------------------- writing
class _Node:
    def __init__(self, tag: str, attributes=(), text: str | None = None, raw: str | None = None):
        self.tag, self.attributes, self.text, self.raw, self.children = tag, list(attributes), text, raw, []

    def add(self, tag: str, attributes=(), text: str | None = None, raw: str | None = None) -> "_Node":
        child = _Node(tag, attributes, text, raw)
        self.children.append(child)
        return child

    def render(self, level: int = 0) -> str:
        pad = " " * (2 * level)
        attrs = "".join(f' {k}="{escape(str(v), {chr(34): "&quot;"})}"' for k, v in self.attributes)
        if self.raw is not None:  # TXMLEngine raw line: indented once, then verbatim
            return f"{pad}<{self.tag}{attrs}>\n{pad}  {self.raw}{pad}</{self.tag}>\n"
        if self.text is not None:
            return f"{pad}<{self.tag}{attrs}>{escape(self.text)}</{self.tag}>\n"
        if not self.children:
            return f"{pad}<{self.tag}{attrs}/>\n"
        inner = "".join(child.render(level + 1) for child in self.children)
        return f"{pad}<{self.tag}{attrs}>\n{inner}{pad}</{self.tag}>\n"


def _double(value: float) -> str:
    return f"{float(value):.16e}"


def _general_info(node: _Node, content: WeightFile) -> None:
    import ROOT

    code = int(ROOT.gROOT.GetVersionCode())
    info = node.add("GeneralInfo")
    items = [
        ("TMVA Release", TMVA_RELEASE),
        ("ROOT Release", f"{code >> 16}.{(code >> 8) & 0xFF:02d}/{code & 0xFF:02d} [{code}]"),
        ("Creator", getpass.getuser()),
        ("Date", str(ROOT.TDatime().AsString())),
        ("Host", str(ROOT.gSystem.GetBuildNode())),
        ("Dir", os.getcwd()),
        ("Training events", str(content.training_events)),
        ("TrainingTime", f"{content.training_time:5.8e}"),
        ("AnalysisType", content.analysis_type),
    ]
    for name, value in items:
        info.add("Info", [("name", name), ("value", value)])


def _variable_attributes(index_name: str, index: int, v: VariableInfo) -> list:
    return [(index_name, index), ("Expression", v.expression), ("Label", v.label), ("Title", v.title),
            ("Unit", v.unit), ("Internal", v.internal), ("Type", v.type), ("Min", f"{v.min:5.8e}"),
            ("Max", f"{v.max:5.8e}")]


def _collection(parent: _Node, tag: str, count_name: str, child: str, index_name: str, infos: list) -> None:
    node = parent.add(tag, [(count_name, len(infos))])
    for i, v in enumerate(infos):
        node.add(child, _variable_attributes(index_name, i, v))


def _mva_pdfs(node: _Node, pdfs) -> None:
    """PDF::AddXMLTo for the signal, then the background PDF (MethodBase::WriteStateToXML)."""
    for pdf in pdfs or ():
        h = pdf.original
        child = node.add("PDF", [("Name", pdf.name), ("MinNSmooth", 0), ("MaxNSmooth", 0), ("InterpolMethod", SPLINE2),
                                 ("KDE_type", KDE_GAUSS), ("KDE_iter", KDE_NONADAPTIVE), ("KDE_border", KDE_NO_BORDER),
                                 ("KDE_finefactor", _double(FINE_FACTOR))])
        contents = "".join(f"{v:5.8e} " for v in h.contents)  # Tools::StringFromDouble, each followed by a blank
        child.add("Histogram", [("Name", h.name), ("NBins", h.nbins), ("XMin", _double(h.xmin)),
                                ("XMax", _double(h.xmax)), ("HasEquidistantBins", 1)], raw=contents + "\n")


def _section_digest(node, tag, attributes, text, children) -> str:
    """The core's SectionDigest (hashednet/section_digest.h) of an XML subtree,
    walked with the accessors given (a _Node when writing, an ElementTree element when reading)."""
    digest = core().SectionDigest()

    def walk(item) -> None:
        digest.open(tag(item))
        for name, value in attributes(item):
            digest.attribute(str(name), str(value))
        digest.text(text(item) or "")
        for child in children(item):
            walk(child)
        digest.close()

    walk(node)
    return str(digest.hex())


def _written_digest(node: _Node) -> str:
    return _section_digest(node, lambda n: n.tag, lambda n: n.attributes,
                           lambda n: n.text if n.text is not None else n.raw, lambda n: n.children)  # fmt: skip


def _read_digest(element) -> str:
    return _section_digest(element, lambda e: e.tag, lambda e: e.attrib.items(), lambda e: e.text, list)


def render_weight_file(content: WeightFile) -> str:
    root = _Node("MethodSetup", [("Method", f"{content.method_type}::{content.title}")])
    _general_info(root, content)
    options = root.add("Options")
    for name, modified, value in content.options:
        options.add("Option", [("name", name), ("modified", "Yes" if modified else "No")], text=str(value))
    _collection(root, "Variables", "NVar", "Variable", "VarIndex", content.variables)
    _collection(root, "Spectators", "NSpec", "Spectator", "SpecIndex", content.spectators)
    classes = root.add("Classes", [("NClass", len(content.classes))])
    for i, name in enumerate(content.classes):
        classes.add("Class", [("Name", name), ("Index", i)])
    if content.analysis_type == "Regression":
        _collection(root, "Targets", "NTrgt", "Target", "TargetIndex", content.targets)
    write_transformations(root, content.transform)
    _mva_pdfs(root.add("MVAPdfs"), content.mva_pdfs)
    text = content.network_text if content.network_text.endswith("\n") else content.network_text + "\n"
    checksum = _written_digest(root.children[-2])  # <Transformations>, covered as the network text is
    root.add("Weights", [("Format", WEIGHTS_FORMAT), ("HashDefinition", HASH_DEFINITION),
                         (TRANSFORMATIONS_CHECKSUM, checksum)], raw=text)  # fmt: skip
    return '<?xml version="1.0"?>\n' + root.render()


def write_weight_file(path, content: WeightFile) -> None:
    write_text_atomically(path, render_weight_file(content))


# ---------------------------------------------------------------------- reading
def _child(node, tag: str, path: str):
    found = node.find(tag)
    if found is None:
        raise ValueError(f"weight file {path!r} has no <{tag}> node in <{node.tag}>; it is damaged or not a TMVA file")
    return found


def _number(node, name: str, path: str, default=None, kind=float):
    """Attribute `name` of `node` as a number; ValueError naming the node if it is missing or not a number."""
    value = node.get(name, default)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"weight file {path!r}: <{node.tag} {name}=...> should be a number, got {value!r}; "
                         "the file is damaged") from None


def _read_infos(node, child: str, path: str) -> list:
    infos = []
    for item in node.findall(child):
        a = item.attrib
        infos.append(VariableInfo(a.get("Expression", ""), a.get("Label", ""), a.get("Title", ""),
                                  a.get("Unit", ""), a.get("Type", "F"), _number(item, "Min", path, 0),
                                  _number(item, "Max", path, 0)))
    return infos


def _pdf_attribute(node, name: str, path: str) -> str:
    value = node.get(name)
    if value is None:
        raise ValueError(f"weight file {path!r}: <{node.tag}> in <MVAPdfs> has no attribute {name}; it is damaged")
    return value


def _read_pdf(node, path: str) -> MvaPdf:
    """PDF::ReadXML of the default MVA PDF (Spline2, no smoothing); other PDF settings are refused."""
    method, low, high = (int(_pdf_attribute(node, a, path)) for a in ("InterpolMethod", "MinNSmooth", "MaxNSmooth"))
    if method != SPLINE2 or (high > 0 and low >= 0):
        raise ValueError(f"weight file {path!r}: MVA PDF '{node.get('Name')}' uses InterpolMethod={method}, "
                         f"MinNSmooth={low}, MaxNSmooth={high}; the compat workflow reads TMVA's default MVA PDF only "
                         f"(InterpolMethod={SPLINE2} = Spline2, no smoothing)")
    hist = node.find("Histogram")
    if hist is None or _pdf_attribute(hist, "HasEquidistantBins", path) != "1":
        raise ValueError(f"weight file {path!r}: MVA PDF '{node.get('Name')}' needs a <Histogram> of equidistant "
                         "bins (HasEquidistantBins=\"1\")")
    nbins = int(_pdf_attribute(hist, "NBins", path))
    try:
        values = np.array((hist.text or "").split(), np.float64).astype(np.float32)  # TH1F::SetBinContent
    except ValueError:
        raise ValueError(f"weight file {path!r}: the <Histogram> of MVA PDF '{node.get('Name')}' holds a value that "
                         "is not a number; it is damaged") from None
    xmin, xmax = float(_pdf_attribute(hist, "XMin", path)), float(_pdf_attribute(hist, "XMax", path))
    if nbins < 1 or values.size != nbins or not (np.isfinite(values).all() and xmin < xmax):
        raise ValueError(f"weight file {path!r}: the <Histogram> of MVA PDF '{node.get('Name')}' is damaged (NBins="
                         f"{nbins}, {values.size} values, XMin={xmin}, XMax={xmax})")
    original = Histogram(_pdf_attribute(hist, "Name", path), values.astype(np.float64), xmin, xmax)
    return MvaPdf.build(_pdf_attribute(node, "Name", path), original)


def _read_mva_pdfs(node, path: str) -> tuple | None:
    """MethodBase::ReadStateFromXML: no child, or the signal PDF then the background PDF."""
    if node is None:
        return None
    children = list(node)
    if not children:
        return None
    if len(children) != 2 or any(c.tag != "PDF" for c in children):
        raise ValueError(f"weight file {path!r}: <MVAPdfs> must hold no node or two <PDF> nodes (signal, then "
                         f"background), not {[c.tag for c in children]}")
    return _read_pdf(children[0], path), _read_pdf(children[1], path)


def _general(node) -> dict:
    return {i.get("name"): i.get("value") for i in node.findall("Info")}


def _info_number(node, name: str, path: str, kind):
    """The value of <Info name=`name`> of GeneralInfo as a number (0 when there is none)."""
    for info in node.findall("Info"):
        if info.get("name") == name:
            return _number(info, "value", path, kind=kind)
    return kind(0)


def _network_text(node, path: str) -> str:
    if node.get("Format") != WEIGHTS_FORMAT:
        raise ValueError(f"weight file {path!r}: <Weights Format=\"{node.get('Format')}\"> is not supported; "
                         f"expected Format=\"{WEIGHTS_FORMAT}\"")
    return (node.text or "").strip() + "\n"


def _check_transformations(root, path: str) -> bool:
    """True when <Weights> carries the checksum of <Transformations> and it matches; ValueError naming the
    section when it does not; False for a file written before the checksum existed (not verified)."""
    stored = _child(root, "Weights", path).get(TRANSFORMATIONS_CHECKSUM)
    if stored is None:
        return False
    computed = _read_digest(_child(root, "Transformations", path))
    if stored != computed:
        raise ValueError(f"weight file {path!r}: the <Transformations> section does not match its checksum "
                         f"({TRANSFORMATIONS_CHECKSUM}=\"{stored}\", computed \"{computed}\"): it was changed after "
                         "it was written (e.g. a normalisation range); the file is damaged, restore it or retrain")
    return True


def read_weight_file(path) -> WeightFile:
    """The content of a HashedDNN weight file; ValueError if it is damaged or of another method."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"weight file {path!r} does not exist")
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ValueError(f"weight file {path!r} is not valid XML ({error}); it is truncated or damaged") from None
    return _content(root, path)


def parse_weight_text(text: str, path: str) -> WeightFile:
    """The content of a HashedDNN weight file's text (read from `path` elsewhere: a Dask worker's copy)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ValueError(f"weight file {path!r} is not valid XML ({error}); it is truncated or damaged") from None
    return _content(root, path)


def _content(root, path: str) -> WeightFile:
    if root.tag != "MethodSetup" or "::" not in root.get("Method", ""):
        raise ValueError(f"weight file {path!r} is not a TMVA weight file (no <MethodSetup Method=\"Type::Title\">)")
    method_type, title = root.get("Method").split("::", 1)
    method_type = (method_type.split() or [""])[-1]
    if method_type != "HashedDNN":
        raise ValueError(f"weight file {path!r} is for a TMVA method of type '{method_type}'; without TMVA only "
                         "HashedDNN weight files can be read")
    general_node = _child(root, "GeneralInfo", path)
    general = _general(general_node)
    analysis_type = str(general.get("AnalysisType", "Classification")).capitalize()  # an Info without value: "None"
    if analysis_type not in _ANALYSIS_TYPES:
        raise ValueError(f"weight file {path!r}: AnalysisType {analysis_type!r} is not one of "
                         f"{', '.join(_ANALYSIS_TYPES)}; the file is damaged")
    options = [(o.get("name"), o.get("modified") == "Yes", o.text or "") for o in _child(root, "Options", path)]
    targets = root.find("Targets")
    variables = _read_infos(_child(root, "Variables", path), "Variable", path)
    transformations_checked = _check_transformations(root, path)
    transform = read_transformations(_child(root, "Transformations", path), path)
    if transform is not None and len(transform.inputs) < len(variables):
        raise ValueError(f"weight file {path!r}: the transformations have {len(transform.inputs)} inputs for "
                         f"{len(variables)} variables; the file is damaged")
    return WeightFile(
        method_type=method_type, title=title,
        analysis_type=analysis_type,
        variables=variables,
        classes=[c.get("Name") for c in _child(root, "Classes", path).findall("Class")],
        network_text=_network_text(_child(root, "Weights", path), path),
        spectators=(_read_infos(root.find("Spectators"), "Spectator", path)
                    if root.find("Spectators") is not None else []),
        targets=_read_infos(targets, "Target", path) if targets is not None else [],
        transform=transform,
        options=options,
        training_events=_info_number(general_node, "Training events", path, int),
        training_time=_info_number(general_node, "TrainingTime", path, float),
        mva_pdfs=_read_mva_pdfs(root.find("MVAPdfs"), path),
        transformations_checked=transformations_checked,
    )
