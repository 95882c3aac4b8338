"""VarTransform=G and U (tmva/transform_gauss.py) against a reference written here from TMVA's
VariableGaussTransform and PDF: TMVA's own steps as plain loops in float/double, ROOT's TH1F,
TH1::Smooth, TGraph and TMath::ErfInverse for what TMVA leaves to ROOT; their weight-file XML
and its damage. The workflow end to end (Factory, Reader, standalone class): test_transforms.py;
cross-reading with the real TMVA: test_tmva_real.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from array import array

import numpy as np
import pytest

from tmva_hashednet.tmva.transform_gauss import GaussTransform, erf_inverse, smooth_array
from tmva_hashednet.tmva.transforms import TransformChain, parse_var_transform
from tmva_hashednet.tmva.transforms_xml import read_transformations
from tmva_hashednet.tmva.weights_xml import read_weight_file, render_weight_file

ROOT = pytest.importorskip("ROOT")
F = np.float32
COLUMNS = [("Variable", f"v{i}", f"v{i}") for i in range(3)]


def _events(n=3000, seed=3):
    """Three columns: a skewed continuous one, a discrete one (ties, a flat cumulative), a wide one;
    two classes; weights of two sizes (the binning's 10 x smallest-weight rule)."""
    rng = np.random.default_rng(seed)
    class_id = (rng.random(n) < 0.45).astype(np.int64)
    x = np.stack([rng.exponential(1.0 + class_id, n), rng.integers(0, 6, n).astype(float),
                  rng.normal(100.0, 30.0, n) * (1 + 0.5 * class_id)], axis=1).astype(F)  # fmt: skip
    return x, class_id, np.where(rng.random(n) < 0.3, 2.0, 0.5).astype(F)


# ---------------------------------------------------------------------- the reference
def _reference_edges(values, weights):
    """GetCumulativeDist's binning, event by event as TMVA loops (Float_t sums, a stable sort)."""
    total, smallest = F(0), F(10e10)
    for w in weights:
        total, smallest = F(total + F(w)), min(smallest, F(w))
    per_bin = max(F(smallest * F(10)), F(total / F(2000)))
    order = sorted(range(len(values)), key=lambda i: values[i])
    last = values[order[0]]
    edges, running = [F(last - F(1e-4)), last], F(0)
    for i in order:
        running = F(running + F(weights[i]))
        if running >= per_bin and values[i] > last:
            edges.append(values[i])
            running, last = F(0), values[i]
    if running != 0:
        edges.append(values[order[-1]])
    return np.array(edges, F)


def _reference_cumulative(values, weights, edges):
    """The float TH1F over those edges, filled, Smooth()ed by ROOT, then summed up as TMVA does."""
    h = ROOT.TH1F("reference_cumulative", "", len(edges) - 1, array("f", edges))
    h.SetDirectory(0)
    for v, w in zip(values, weights):
        h.Fill(float(v), float(w))
    h.Smooth()
    n = h.GetNbinsX()
    total = sum(h.GetBinContent(i) for i in range(1, n + 1) if F(h.GetBinContent(i)) > 0)
    running, out = 0.0, []
    for i in range(1, n + 1):
        val = F(h.GetBinContent(i))
        running += float(val) if val > 0 else 0.0
        out.append(F(running / total))
    return np.array(out, F)


class _ReferencePdf:
    """TMVA::PDF(hist, kSpline1) of a cumulative histogram read from a weight file (double edges)."""

    def __init__(self, edges, contents):
        h = ROOT.TH1F("reference_pdf_source", "", len(contents), array("d", edges))
        h.SetDirectory(0)
        for i, c in enumerate(contents):
            h.SetBinContent(i + 1, float(c))
        graph = ROOT.TGraph(h)
        self.gx = [graph.GetX()[i] for i in range(graph.GetN())]
        self.gy = [graph.GetY()[i] for i in range(graph.GetN())]
        self.hist = ROOT.TH1F("reference_pdf", "", 10000, h.GetXaxis().GetXmin(), h.GetXaxis().GetXmax())
        self.hist.SetDirectory(0)
        for b in range(1, 10001):
            x = self.hist.GetBinCenter(b)
            y = self._spline1(x)
            if y <= 1e-12:
                y = h.GetBinContent(h.FindBin(x))
            self.hist.SetBinContent(b, max(y, 1e-12))

    def _spline1(self, x):
        """TMVA::TSpline1::Eval with TMath::BinarySearch."""
        n = len(self.gx)
        i = int(ROOT.TMath.BinarySearch(n, array("d", self.gx), x))
        i = min(max(i, 0), n - 1)
        j = i + 1 if (x > self.gx[i] and i != n - 1) or i == 0 else i - 1
        return self.gy[i] + (x - self.gx[i]) * (self.gy[i] - self.gy[j]) / (self.gx[i] - self.gx[j])

    def value(self, x):
        """PDF::GetVal."""
        h, n = self.hist, self.hist.GetNbinsX()
        b = min(max(h.FindBin(x), 1), n)
        c = h.GetBinCenter(b)
        nb = b + 1 if (x > c and b != n) or b == 1 else b - 1
        dy = h.GetBinContent(b) - h.GetBinContent(nb)
        return max(h.GetBinContent(b) + (x - c) * dy / (c - h.GetBinCenter(nb)), 1e-12)


def _reference_transform(pdf: _ReferencePdf, x: float, flat: bool) -> float:
    """VariableGaussTransform::Transform of one value."""
    c = max(min(pdf.value(float(x)), 1.0 - 10e-10), 0.0 + 10e-10)
    if flat:
        return F(c)
    arg = max(min(2.0 * c - 1.0, 0.99999999), -0.99999999)
    return F(1.414213562 * ROOT.TMath.ErfInverse(arg))


def _ulps(a, b):
    a, b = np.asarray(a, F), np.asarray(b, F)
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


# ---------------------------------------------------------------------- the pieces against ROOT
def test_smooth_array_is_roots():
    rng = np.random.default_rng(5)
    cases = [rng.poisson(20, 200).astype(float), np.repeat(rng.integers(0, 5, 40), 3).astype(float),
             rng.normal(0, 1, 50), np.array([3.0, 1.0, 7.0]),
             np.array([1.0, 2.0, 2.0, 2.0, 1.0, 5.0, 0.0])]  # fmt: skip
    for t in range(200):  # short arrays, where the end points' rules decide most values
        n = int(rng.integers(3, 14))
        cases.append(rng.integers(0, 6, n).astype(float) if t % 2 else rng.exponential(1.0, n))
    for xx in cases:
        expected = array("d", xx)
        ROOT.TH1.SmoothArray(len(xx), expected, 1)
        np.testing.assert_array_equal(smooth_array(xx), np.array(expected))


def test_erf_inverse_is_tmaths():
    x = np.concatenate([np.linspace(-0.99999999, 0.99999999, 2001), [0.0, 1e-15, -3e-15, 0.5, 1.0, -1.0, 2.0]])
    expected = np.array([ROOT.TMath.ErfInverse(float(v)) for v in x])
    np.testing.assert_allclose(erf_inverse(x), expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("flat", [False, True], ids=["gauss", "uniform"])
def test_fit_and_apply_equal_the_reference(flat):
    x, class_id, w = _events()
    step = GaussTransform.fit(x, class_id, 2, COLUMNS, w, flat=flat)
    assert step.name == ("Uniform" if flat else "Gauss")
    assert [len(p) for p in step.pdfs] == [3, 3, 3]  # signal, background, all classes (TMVA's order)
    groups = [class_id == 0, class_id == 1, np.ones(len(x), bool)]
    for j in range(3):
        for c, rows in enumerate(groups):
            edges = _reference_edges(x[rows, j], w[rows])
            kept = np.array([float(f"{float(e):.8e}") for e in edges])  # the weight file's digits
            np.testing.assert_array_equal(step.pdfs[j][c].edges, kept)
            np.testing.assert_array_equal(step.pdfs[j][c].contents, _reference_cumulative(x[rows, j], w[rows], edges))
    probe = np.concatenate([x[::37], np.array([[-5.0, -1.0, -50.0], [40.0, 9.0, 400.0]], F)])  # and outside
    got = step.apply(probe)
    for j in (0, 1, 2):
        pdf = _ReferencePdf(step.pdfs[j][-1].edges, step.pdfs[j][-1].contents)
        expected = np.array([_reference_transform(pdf, v, flat) for v in probe[:, j]], F)
        assert _ulps(got[:, j], expected).max() <= (0 if flat else 1), j  # G: ROOT's erf is not glibc's


def test_one_class_has_one_distribution_and_the_all_classes_one_is_applied():
    x, class_id, w = _events()
    single = GaussTransform.fit(x[class_id == 1], class_id[class_id == 1] * 0, 1, COLUMNS, w[class_id == 1])
    assert [len(p) for p in single.pdfs] == [1, 1, 1]
    both = GaussTransform.fit(x, class_id, 2, COLUMNS, w)
    np.testing.assert_array_equal(single.pdfs[0][0].contents, both.pdfs[0][1].contents)  # class 1 alone
    alone = GaussTransform(COLUMNS, False, [[p[-1]] for p in both.pdfs])
    np.testing.assert_array_equal(alone.apply(x), both.apply(x))


def test_uniform_outputs_are_flat_and_gauss_outputs_normal():
    x, class_id, w = _events(n=6000)
    w = np.ones_like(w)
    flat = GaussTransform.fit(x, class_id, 2, COLUMNS, w, flat=True).apply(x)
    gauss = GaussTransform.fit(x, class_id, 2, COLUMNS, w).apply(x)
    for j in (0, 2):  # the continuous columns
        assert np.histogram(flat[:, j], bins=10, range=(0, 1))[0].min() > 0.08 * len(x)
        assert abs(gauss[:, j].mean()) < 0.05 and abs(gauss[:, j].std() - 1) < 0.05


def test_uniform_inverse_maps_targets_back():
    """U takes a regression's targets: InverseTransform (PDF::GetValInverse) undoes Transform to the
    resolution of the 10000-bin PDF."""
    rng = np.random.default_rng(2)
    values = np.stack([rng.normal(size=4000), rng.gamma(2.0, 3.0, 4000)], axis=1).astype(F)
    columns = [("Variable", "x", "x"), ("Target", "t", "t")]
    chain = TransformChain.fit(["U"], values, np.zeros(4000, np.int64), 1, columns, 1)
    assert len(chain.inputs) == 2  # the target too, as TMVA's "_V_,_T_"
    t = values[:200, 1:]
    forward = chain.apply(t, slice(1, 2))
    assert np.all((forward > 0) & (forward < 1))
    back = chain.inverse(forward, slice(1, 2))
    width = (values[:, 1].max() - values[:, 1].min()) / 10000
    np.testing.assert_allclose(back, t, atol=3 * width)
    gauss = TransformChain.fit(["G"], values, np.zeros(4000, np.int64), 1, columns, 1)
    assert len(gauss.inputs) == 1  # G: the variables only
    np.testing.assert_array_equal(gauss.apply(t, slice(1, 2)), t)


@pytest.mark.parametrize("constant", [3.5, 4096.0], ids=["constant", "constant-large"])
def test_constant_variable_is_a_clear_error(constant):
    x, class_id, w = _events()
    x[:, 1] = constant
    with pytest.raises(ValueError, match=r"VarTransform=G: 'v1' in class '0': .*cumulative distribution is undefined"):
        GaussTransform.fit(x, class_id, 2, COLUMNS, w)


def test_not_finite_training_input_is_a_clear_error():
    x, class_id, w = _events()
    x[7, 2] = np.inf
    with pytest.raises(ValueError, match="VarTransform=U: the training inputs hold a value that is not finite"):
        GaussTransform.fit(x, class_id, 2, COLUMNS, w, flat=True)


@pytest.mark.parametrize(("text", "steps"), [("G", ["G"]), ("Gauss,D", ["G", "D"]), ("N+Uniform", ["N", "U"]),
                                             ("U_AllClasses", ["U"])], ids=["g", "gauss-d", "n-uniform", "allclasses"])
def test_parse_var_transform_accepts_gauss_and_uniform(text, steps):
    assert parse_var_transform(text) == steps


# ---------------------------------------------------------------------- the XML
def _content(chain):
    from tmva_hashednet.tmva.variables import VariableInfo
    from tmva_hashednet.tmva.weights_xml import WeightFile

    variables = [VariableInfo(e, e, e, "", "F", 0.0, 1.0) for _, _, e in COLUMNS]
    return WeightFile(method_type="HashedDNN", title="t", analysis_type="Classification", variables=variables,
                      classes=["Signal", "Background"], network_text="", transform=chain)  # fmt: skip


@pytest.mark.parametrize("text", ["G", "U", "G,D", "N,G", "D,U"])
def test_weight_file_xml_round_trip(text):
    x, class_id, w = _events()
    chain = TransformChain.fit(parse_var_transform(text), x, class_id, 2, COLUMNS, 3, w)
    node = ElementTree.fromstring(render_weight_file(_content(chain))).find("Transformations")
    names = {"N": "Normalize", "D": "Decorrelation", "P": "PCA", "G": "Gauss", "U": "Gauss"}
    assert [t.get("Name") for t in node.findall("Transform")] == [names[s] for s in parse_var_transform(text)]
    back = read_transformations(node, "w.xml")
    assert back.short_name == chain.short_name
    np.testing.assert_array_equal(back.apply(x, slice(0, 3)), chain.apply(x, slice(0, 3)))


def test_weight_file_xml_is_tmvas_layout():
    """VariableGaussTransform::AttachXMLTo and PDF::AddXMLTo, attribute for attribute."""
    x, class_id, w = _events()
    step = GaussTransform.fit(x, class_id, 2, COLUMNS, w, flat=True)
    node = ElementTree.fromstring(render_weight_file(_content(TransformChain([step])))).find("Transformations")
    transform = node.find("Transform")
    assert transform.attrib == {"Name": "Gauss", "FlatOrGauss": "Flat"}
    assert [child.tag for child in transform] == ["Selection", "Variable", "Variable", "Variable"]
    variable = transform.findall("Variable")[1]
    assert variable.attrib == {"VarIndex": "1"}
    assert [c.tag for c in variable] == ["CumulativePDF_cls0", "CumulativePDF_cls1", "CumulativePDF_cls2"]
    pdf = variable.find("CumulativePDF_cls2/PDF")
    assert pdf.attrib == {"Name": "GaussTransform var1 cls2", "MinNSmooth": "0", "MaxNSmooth": "0",
                          "InterpolMethod": "1", "KDE_type": "0", "KDE_iter": "1", "KDE_border": "1",
                          "KDE_finefactor": "0.0000000000000000e+00"}  # fmt: skip
    histogram, binning = pdf.find("Histogram"), pdf.find("HistogramBinning")
    n = len(step.pdfs[1][2].contents)
    assert histogram.attrib == {"Name": "Cumulative_Var1_cls2_original", "NBins": str(n),
                                "XMin": f"{step.pdfs[1][2].edges[0]:.16e}", "XMax": f"{step.pdfs[1][2].edges[-1]:.16e}",
                                "HasEquidistantBins": "0"}  # fmt: skip
    assert binning.attrib == {"NBins": str(n)}
    assert histogram.text.split() == [f"{float(c):.8e}" for c in step.pdfs[1][2].contents]
    assert binning.text.split() == [f"{e:.8e}" for e in step.pdfs[1][2].edges]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('FlatOrGauss="Gauss"', 'FlatOrGauss="Gaus"', r"has FlatOrGauss='Gaus', not 'Flat' or 'Gauss'"),
    ('InterpolMethod="1"', 'InterpolMethod="2"', r"InterpolMethod=2; TMVA's Gauss transformation writes"),
    ('<CumulativePDF_cls1>', '<CumulativePDF_cls7>', r"holds \['CumulativePDF_cls0', 'CumulativePDF_cls7'"),
    ('HasEquidistantBins="0"', 'HasEquidistantBins="1"', r"HasEquidistantBins=1; TMVA writes at least 2"),
    ('<Variable VarIndex="1">', '<Variable VarIndex="2">', r"<Variable> nodes with VarIndex \['0', '2', '2'\]"),
], ids=["flat-or-gauss", "interpolation", "class-node", "equidistant", "var-index"])  # fmt: skip
def test_damaged_gauss_xml_is_named(tmp_path, old, new, message):
    x, class_id, w = _events()
    text = render_weight_file(_content(TransformChain.fit(["G"], x, class_id, 2, COLUMNS, 3, w)))
    text = re.sub(r' TransformationsChecksum="[^"]*"', "", text)  # as before the checksum, which names the section
    close = text.replace("</CumulativePDF_cls1>", "</CumulativePDF_cls7>", 1) if "cls7" in new else text
    path = tmp_path / "w.xml"
    path.write_text(close.replace(old, new, 1))
    with pytest.raises(ValueError, match=message):
        read_weight_file(path)


def test_damaged_gauss_values_are_named(tmp_path):
    x, class_id, w = _events()
    text = re.sub(r' TransformationsChecksum="[^"]*"', "", render_weight_file(
        _content(TransformChain.fit(["U"], x, class_id, 2, COLUMNS, 3, w))))  # fmt: skip
    start = text.index("<HistogramBinning")
    path = tmp_path / "w.xml"
    path.write_text(text[:start] + text[start:].replace("e+00 ", "e+00 nan ", 1))
    with pytest.raises(ValueError, match=r"<HistogramBinning> should hold \d+ finite numbers"):
        read_weight_file(path)


def test_transformations_checksum_covers_gauss(tmp_path):
    """One changed digit of a cumulative histogram is caught by TransformationsChecksum."""
    x, class_id, w = _events()
    text = render_weight_file(_content(TransformChain.fit(["G"], x, class_id, 2, COLUMNS, 3, w)))
    path = tmp_path / "w.xml"
    path.write_text(text)
    read_weight_file(path)
    start = text.index("<Histogram ")
    content_start = text.index(">", start) + 1
    match = re.compile(r"\d\.\d{8}e").search(text, content_start)
    digit = match.start() + 3
    damaged = text[:digit] + ("1" if text[digit] != "1" else "2") + text[digit + 1 :]
    path.write_text(damaged)
    with pytest.raises(ValueError, match="the <Transformations> section does not match its checksum"):
        read_weight_file(path)
