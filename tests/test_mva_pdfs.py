"""CreateMVAPdfs in the compatible workflow: what TMVA's MethodBase writes for it.

The output file gets TMVA's keys (``<Type>_tr_S/_B``, the PDF histograms,
``MVA_<T>_Proba_S/_B``, ``MVA_<T>_Rarity_S/_B``, the ``prob_<T>`` branches), the
weight file TMVA's ``<MVAPdfs>`` node, and the Reader ``GetProba``/``GetRarity``.
Probabilities and rarities are checked against plain re-computations from the
PDF histograms written to the file (linear interpolation between bin centres,
the integral of the step function), not against tmva/pdf.py.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from array import array

import numpy as np
import pytest
from tmva_helpers import keys, tree_columns

from tmva_hashednet import datasets
from tmva_hashednet.tmva import compat_namespace, pdf
from tmva_hashednet.tmva.weights_xml import read_weight_file

ROOT = pytest.importorskip("ROOT")
TMVA = compat_namespace()
VARS = ["var1", "var2", "var3", "var4"]
TITLE = "HashedPdf"  # differs from the type so that type-named and title-named keys are told apart
WEIGHTS = f"dataset/weights/TMVAClassification_{TITLE}.weights.xml"
OPTIONS = ("!H:!V:VarTransform=N:CreateMVAPdfs:Layout=TANH|32,LINEAR:"
           "TrainingStrategy=LearningRate=1e-2,BatchSize=128,MaxEpochs=4:RandomSeed=42")
N_TRAIN = 2000


def _job(folder, options: str, title: str = TITLE, n_train: int = N_TRAIN):
    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    output = ROOT.TFile.Open(str(folder / "TMVA.root"), "RECREATE")
    factory = TMVA.Factory("TMVAClassification", output, "!V:Silent:!Color:!DrawProgressBar:"
                                                         "AnalysisType=Classification")
    loader = TMVA.DataLoader("dataset")
    for name in VARS:
        loader.AddVariable(name, "F")
    loader.AddSignalTree(data.Get("TreeS"), 1.0)
    loader.AddBackgroundTree(data.Get("TreeB"), 1.0)
    loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""), f"nTrain_Signal={n_train}:"
                                      f"nTrain_Background={n_train}:SplitMode=Random:NormMode=NumEvents:!V")
    factory.BookMethod(loader, "HashedDNN", title, options)
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    output.Close()
    data.Close()


@pytest.fixture(scope="module")
def pdf_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mvapdfs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        _job(folder, OPTIONS)
    return folder


@pytest.fixture
def output_file(pdf_run):
    handle = ROOT.TFile.Open(str(pdf_run / "TMVA.root"))
    yield handle
    handle.Close()


# ---------------------------------------------------------------------- independent references
def _contents(hist) -> tuple:
    axis = hist.GetXaxis()
    n = hist.GetNbinsX()
    return np.array([hist.GetBinContent(i) for i in range(1, n + 1)]), axis.GetXmin(), axis.GetXmax()


def _pdf_value(hist, x) -> np.ndarray:
    """Linear between the bin centres, extended linearly past the outer centres (what TMVA's PDF::GetVal does)."""
    c, lo, hi = _contents(hist)
    width = (hi - lo) / len(c)
    centres = lo + (np.arange(len(c)) + 0.5) * width
    value = np.interp(x, centres, c)
    left, right = x < centres[0], x > centres[-1]
    value[left] = c[0] + (x[left] - centres[0]) * (c[1] - c[0]) / width
    value[right] = c[-1] + (x[right] - centres[-1]) * (c[-1] - c[-2]) / width
    return np.maximum(value, 1e-12)


def _step_integral(hist, x) -> np.ndarray:
    """The integral of the PDF histogram from its low edge to x (the last bin extended beyond the high edge)."""
    c, lo, hi = _contents(hist)
    width = (hi - lo) / len(c)
    k = np.clip(((x - lo) // width).astype(int), 0, len(c) - 1)
    below = np.concatenate([[0.0], np.cumsum(c * width)])
    return np.where(x < lo, 0.0, below[k] + c[k] * (x - (lo + k * width)))


def _ks_uniform(values) -> float:
    r = np.sort(values)
    n = len(r)
    return float(max(np.max(np.arange(1, n + 1) / n - r), np.max(r - np.arange(n) / n)))


def _test_tree(handle):
    data = tree_columns(handle.Get("dataset/TestTree"), ["classID", "weight", TITLE, f"prob_{TITLE}"] + VARS)
    return data, data["classID"] == 0


# ---------------------------------------------------------------------- the output file
def test_method_folder_has_tmvas_pdf_keys_in_order(output_file):
    t, mva = "HashedDNN", f"MVA_{TITLE}"
    method_keys = keys(output_file.Get(f"dataset/Method_HashedDNN/{TITLE}"))
    names = [k[0] for k in method_keys]
    pdf_keys = [f"{t}_tr_{c}{part}" for c in "SB" for part in ("_original", "_smoothed", "_smoothed_hist_from_spline2")]
    assert names[:6] == ["TrainingPath", "WeightFileName", f"{t}_tr_S", f"{t}_tr_B",
                         f"TrainingHistory_{TITLE}_trainingError", f"TrainingHistory_{TITLE}_valError"]
    assert names[6:18] == pdf_keys + [f"{mva}_S", f"{mva}_B", f"{mva}_Proba_S", f"{mva}_Proba_B", f"{mva}_Rarity_S",
                                      f"{mva}_Rarity_B"]
    assert names[18:20] == [f"{mva}_S_high", f"{mva}_B_high"]
    classes = {n: c for n, c, _ in method_keys}
    assert {classes[k] for k in (f"{t}_tr_S", f"{t}_tr_B", f"{mva}_Proba_S", f"{mva}_Rarity_B")} == {"TH1D"}
    assert {classes[k] for k in pdf_keys} == {"TH1F"}
    assert all(cycle == 1 for _, _, cycle in method_keys)
    for name in (f"{mva}_Proba_S", f"{mva}_Rarity_B"):
        hist = output_file.Get(f"dataset/Method_HashedDNN/{TITLE}/{name}")
        assert (hist.GetNbinsX(), hist.GetXaxis().GetXmin(), hist.GetXaxis().GetXmax()) == (40, 0.0, 1.0)
        assert hist.GetTitle() == name
    curve = output_file.Get(f"dataset/Method_HashedDNN/{TITLE}/{t}_tr_S_smoothed_hist_from_spline2")
    assert curve.GetNbinsX() == pdf.N_PDF_BINS and curve.GetTitle() == f"{t}_tr_S_smoothed_hist from_spline2"


def test_trees_have_the_prob_branch(output_file):
    for name in ("TestTree", "TrainTree"):
        branches = [(b.GetName(), b.GetTitle()) for b in output_file.Get(f"dataset/{name}").GetListOfBranches()]
        assert branches[-2:] == [(TITLE, f"{TITLE}/F"), (f"prob_{TITLE}", f"prob_{TITLE}/F")]


def test_training_histograms_are_the_weight_file_pdf_sources(pdf_run, output_file):
    """<Type>_tr_S/_B: N_train/50 bins over the training responses' range, unit area; the weight file keeps them."""
    content = read_weight_file(pdf_run / WEIGHTS)
    train = tree_columns(output_file.Get("dataset/TrainTree"), [TITLE])[TITLE]
    for kind, stored in zip("SB", content.mva_pdfs):
        hist = output_file.Get(f"dataset/Method_HashedDNN/{TITLE}/HashedDNN_tr_{kind}")
        values, lo, hi = _contents(hist)
        assert len(values) == 2 * N_TRAIN // 50
        assert (lo, hi) == (float(train.min()), float(train.max()))
        assert np.sum(values) * (hi - lo) / len(values) == pytest.approx(1.0, rel=1e-12)
        assert stored.original.name == f"HashedDNN_tr_{kind}_original"
        assert (stored.original.xmin, stored.original.xmax) == (lo, hi)
        np.testing.assert_allclose(stored.original.contents, values, rtol=1e-7)  # written with 9 digits, read as float


def test_pdf_histograms_have_unit_integral_and_follow_the_data(output_file):
    folder = f"dataset/Method_HashedDNN/{TITLE}"
    for kind in "SB":
        curve = output_file.Get(f"{folder}/HashedDNN_tr_{kind}_smoothed_hist_from_spline2")
        c, lo, hi = _contents(curve)
        assert np.sum(c) * (hi - lo) / len(c) == pytest.approx(1.0, abs=1e-5)
        source = output_file.Get(f"{folder}/HashedDNN_tr_{kind}")
        data, s_lo, s_hi = _contents(source)
        assert (lo, hi) == (s_lo, s_hi)
        centres = s_lo + (np.arange(len(data)) + 0.5) * (s_hi - s_lo) / len(data)
        inner = slice(2, -2)  # away from the ends the spline goes through the bin contents closely
        np.testing.assert_allclose(_pdf_value(curve, centres)[inner], data[inner], rtol=0.35, atol=0.02 * data.max())


def test_proba_is_the_pdf_ratio_at_the_response(output_file):
    data, signal = _test_tree(output_file)
    folder = f"dataset/Method_HashedDNN/{TITLE}"
    x = data[TITLE].astype(np.float64)
    p_s = _pdf_value(output_file.Get(f"{folder}/HashedDNN_tr_S_smoothed_hist_from_spline2"), x)
    p_b = _pdf_value(output_file.Get(f"{folder}/HashedDNN_tr_B_smoothed_hist_from_spline2"), x)
    proba = data[f"prob_{TITLE}"]
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba, p_s / (p_s + p_b), rtol=1e-6, atol=1e-7)
    assert proba[signal].mean() > 0.6 > 0.4 > proba[~signal].mean()
    hist = output_file.Get(f"{folder}/MVA_{TITLE}_Proba_S")
    inside = proba[signal] < 1  # a probability of exactly 1 is the overflow of [0, 1)
    expected, _ = np.histogram(proba[signal][inside], bins=40, range=(0, 1), weights=data["weight"][signal][inside])
    np.testing.assert_allclose(_contents(hist)[0], expected / (expected.sum() / 40), rtol=1e-6)  # float weights


def test_background_rarity_is_uniform(output_file):
    data, signal = _test_tree(output_file)
    folder = f"dataset/Method_HashedDNN/{TITLE}"
    background_pdf = output_file.Get(f"{folder}/HashedDNN_tr_B_smoothed_hist_from_spline2")
    rarity = _step_integral(background_pdf, data[TITLE].astype(np.float64))
    assert _ks_uniform(rarity[~signal]) < 0.06
    assert _ks_uniform(rarity[signal]) > 0.3  # the signal is not background-like: the check can fail
    hist = output_file.Get(f"{folder}/MVA_{TITLE}_Rarity_B")
    contents = _contents(hist)[0] / 40  # unit area -> fractions per bin
    expected, _ = np.histogram(rarity[~signal], bins=40, range=(0, 1))
    np.testing.assert_allclose(contents, expected / len(rarity[~signal]), atol=2e-3)


# ---------------------------------------------------------------------- the weight file and the Reader
def test_weight_file_mvapdfs_node_as_tmva_writes_it(pdf_run):
    root = ElementTree.parse(pdf_run / WEIGHTS).getroot()
    assert [c.tag for c in root][-2:] == ["MVAPdfs", "Weights"]
    nodes = root.find("MVAPdfs").findall("PDF")
    assert [n.get("Name") for n in nodes] == [f"{TITLE}_PDFSig", f"{TITLE}_PDFBkg"]
    for node, kind in zip(nodes, "SB"):
        assert list(node.attrib.items()) == [
            ("Name", node.get("Name")), ("MinNSmooth", "0"), ("MaxNSmooth", "0"), ("InterpolMethod", "2"),
            ("KDE_type", "1"), ("KDE_iter", "1"), ("KDE_border", "1"), ("KDE_finefactor", "1.0000000000000000e+00")]
        hist = node.find("Histogram")
        assert list(hist.attrib) == ["Name", "NBins", "XMin", "XMax", "HasEquidistantBins"]
        assert (hist.get("Name"), hist.get("NBins"), hist.get("HasEquidistantBins")) == (
            f"HashedDNN_tr_{kind}_original", str(2 * N_TRAIN // 50), "1")
        assert len(hist.text.split()) == 2 * N_TRAIN // 50
    option = {o.get("name"): (o.get("modified"), o.text) for o in root.find("Options")}
    assert option["CreateMVAPdfs"] == ("Yes", "True")


def _reader(folder, options: str = "!Color:Silent"):
    reader, buffers = TMVA.Reader(options), {name: array("f", [0.0]) for name in VARS}
    for name in VARS:
        reader.AddVariable(name, buffers[name])
    reader.BookMVA(TITLE, str(folder / WEIGHTS))
    return reader, buffers


def test_reader_get_proba_and_rarity_reproduce_the_test_tree(pdf_run, output_file):
    data, _ = _test_tree(output_file)
    reader, buffers = _reader(pdf_run)
    background_pdf = output_file.Get(f"dataset/Method_HashedDNN/{TITLE}/HashedDNN_tr_B_smoothed_hist_from_spline2")
    for i in range(0, len(data[TITLE]), 97):
        for name in VARS:
            buffers[name][0] = float(data[name][i])
        response = reader.EvaluateMVA(TITLE)
        # The Reader evaluates one event on the event path (evaluator.h), the TestTree was filled in
        # batch through sgemm: the responses agree to float rounding; the PDF of a given response bit for bit.
        assert np.float32(response) == pytest.approx(data[TITLE][i], rel=1e-5, abs=1e-6)
        assert np.float32(reader.GetProba(TITLE, 0.5, float(data[TITLE][i]))) == data[f"prob_{TITLE}"][i]
        assert reader.GetProba(TITLE, 0.5, response) == reader.GetProba(TITLE)
        rarity = reader.GetRarity(TITLE)
        assert rarity == pytest.approx(_step_integral(background_pdf, np.array([response]))[0], abs=2e-4)
    low, high = reader.GetProba(TITLE, 0.1, 0.5), reader.GetProba(TITLE, 0.9, 0.5)
    assert 0 < low < reader.GetProba(TITLE, 0.5, 0.5) < high < 1  # the prior moves the probability


def test_reader_nan_input_gives_minus_999(pdf_run):
    reader, buffers = _reader(pdf_run)
    for name in VARS:
        buffers[name][0] = float("nan")
    assert reader.GetProba(TITLE) == -999.0
    assert reader.GetRarity(TITLE) == -999.0


# ---------------------------------------------------------------------- without CreateMVAPdfs, other analyses
def test_without_pdfs_the_reader_warns_and_returns_tmvas_defaults(tmp_path, capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        _job(tmp_path, OPTIONS.replace("CreateMVAPdfs:", ""), n_train=300)
    content = read_weight_file(tmp_path / WEIGHTS)
    assert content.mva_pdfs is None
    reader, _ = _reader(tmp_path, "!Color:!Silent")
    capsys.readouterr()
    assert reader.GetProba(TITLE) == -1.0 and reader.GetRarity(TITLE) == 0.0
    assert "MVA PDFs for Signal and Background don't exist" in capsys.readouterr().out
    handle = ROOT.TFile.Open(str(tmp_path / "TMVA.root"))
    names = [k[0] for k in keys(handle.Get(f"dataset/Method_HashedDNN/{TITLE}"))]
    assert not [n for n in names if "_tr_" in n or "Proba" in n or "Rarity" in n]
    handle.Close()


@pytest.mark.parametrize("analysis", ["Multiclass", "Regression"])
def test_create_mva_pdfs_outside_two_class_classification_is_refused(analysis):
    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    loader = TMVA.DataLoader("pdfs_" + analysis)
    for name in VARS[:3]:
        loader.AddVariable(name, "F")
    if analysis == "Regression":
        loader.AddTarget("var4")
        loader.AddRegressionTree(data.Get("TreeS"), 1.0)
    else:
        loader.AddTree(data.Get("TreeS"), "Signal")
        loader.AddTree(data.Get("TreeB"), "Background")
    classes = ["Regression"] if analysis == "Regression" else ["Signal", "Background"]
    loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ":".join(f"nTrain_{c}=200" for c in classes))
    factory = TMVA.Factory("job", f"!V:Silent:AnalysisType={analysis}")
    with pytest.raises(ValueError, match=f"booked for {analysis}, but TMVA builds the MVA PDFs of a two-class"):
        factory.BookMethod(loader, "HashedDNN", "T", "CreateMVAPdfs:Layout=TANH|4,LINEAR")
    assert factory.booked == {}
    data.Close()


def test_damaged_or_unsupported_pdf_nodes_are_refused(pdf_run, tmp_path):
    text = (pdf_run / WEIGHTS).read_text()
    cases = {"KDE": text.replace('InterpolMethod="2"', 'InterpolMethod="5"', 1),
             "smoothing": text.replace('MaxNSmooth="0"', 'MaxNSmooth="2"', 1),
             "bins": text.replace(f'NBins="{2 * N_TRAIN // 50}"', 'NBins="7"', 1),
             "one PDF": text[:text.rfind("<PDF ")] + text[text.rfind("</PDF>") + len("</PDF>"):]}
    messages = {"KDE": "reads TMVA's default MVA PDF only", "smoothing": "reads TMVA's default MVA PDF only",
                "bins": "is damaged", "one PDF": "must hold no node or two <PDF> nodes"}
    for name, damaged in cases.items():
        assert damaged != text, name
        path = tmp_path / f"{name.replace(' ', '_')}.weights.xml"
        path.write_text(damaged)
        with pytest.raises(ValueError, match=messages[name]):
            read_weight_file(path)


# ---------------------------------------------------------------------- the numpy pieces against ROOT and references
def test_axis_helpers_match_root_taxis():
    rng = np.random.default_rng(3)
    for nbins, lo, hi in ((40, -0.3, 1.7), (10000, 0.0123, 0.98765), (3, -5.0, 5.0)):
        axis = ROOT.TAxis(nbins, lo, hi)
        x = np.concatenate([rng.uniform(lo - 0.5, hi + 0.5, 2000), [lo, hi, np.nextafter(hi, lo)],
                            lo + np.arange(nbins + 1) * (hi - lo) / nbins])
        np.testing.assert_array_equal(pdf.find_bin(x, nbins, lo, hi), [axis.FindBin(float(v)) for v in x])
        bins = np.arange(1, nbins + 1)
        np.testing.assert_array_equal(pdf.bin_centre(bins, nbins, lo, hi), [axis.GetBinCenter(int(b)) for b in bins])


def test_fill_and_norm_hist_match_root_th1d():
    rng = np.random.default_rng(4)
    values, weights = rng.normal(size=3000), rng.uniform(0.5, 1.5, 3000)
    lo, hi = float(values.min()), float(values.max())
    contents, sumw2 = pdf.norm_hist(*pdf.fill(values, weights, 60, lo, hi), lo, hi)
    hist = ROOT.TH1D("norm_check", "", 60, lo, hi)
    hist.SetDirectory(ROOT.nullptr)
    hist.Sumw2()
    for v, w in zip(values, weights):
        hist.Fill(float(v), float(w))
    hist.Scale(1.0 / (hist.GetSumOfWeights() * (hi - lo) / 60))
    np.testing.assert_array_equal(contents, [hist.GetBinContent(i) for i in range(62)])
    np.testing.assert_array_equal(sumw2, [hist.GetSumw2()[i] for i in range(62)])
    assert contents[-1] > 0  # the largest value falls into the overflow, as in TMVA's [min, max] histogram


def _lagrange(x, xs, ys) -> float:
    return sum(ys[j] * np.prod([(x - xs[m]) / (xs[j] - xs[m]) for m in range(3) if m != j]) for j in range(3))


def test_spline2_against_a_float64_parabola_reference():
    rng = np.random.default_rng(5)
    gx = np.sort(rng.uniform(0, 1, 12))
    gy = rng.uniform(0.5, 2.0, 12)
    x = np.concatenate([rng.uniform(-0.1, 1.1, 500), gx])
    expected = []
    for v in x:
        i = min(max(int(np.searchsorted(gx, v, side="right")) - 1, 0), 11)
        if i == 0:
            expected.append(_lagrange(v, gx[:3], gy[:3]))
        elif i >= 10:
            expected.append(_lagrange(v, gx[-3:], gy[-3:]))
        else:
            expected.append(0.5 * (_lagrange(v, gx[i - 1:i + 2], gy[i - 1:i + 2]) +
                                   _lagrange(v, gx[i:i + 3], gy[i:i + 3])))
    np.testing.assert_allclose(pdf.spline2(x, gx, gy), expected, rtol=2e-4, atol=2e-4)  # TMVA computes in float


def test_pdf_histogram_in_the_file_is_the_numpy_pdf(pdf_run, output_file):
    """ROOT's TH1F::Scale of the raw PDF (what the file holds) equals the numpy normalisation bit for bit."""
    signal_pdf, _ = read_weight_file(pdf_run / WEIGHTS).mva_pdfs
    curve = output_file.Get(f"dataset/Method_HashedDNN/{TITLE}/HashedDNN_tr_S_smoothed_hist_from_spline2")
    np.testing.assert_array_equal(_contents(curve)[0], signal_pdf.contents.astype(np.float64))
    assert signal_pdf.integral() == pytest.approx(1.0, abs=1e-5)
    x = np.linspace(signal_pdf.xmin - 0.05, signal_pdf.xmax + 0.05, 777)
    np.testing.assert_allclose(signal_pdf.value(x), _pdf_value(curve, x), rtol=1e-9)
    np.testing.assert_allclose(signal_pdf.rarity(x), _step_integral(curve, x), atol=2 * signal_pdf.contents.max() / 1e4)
