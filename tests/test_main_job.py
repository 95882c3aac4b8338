"""The README's main job, shortened: TMVA-style HIGGS classification writes
the output file, the weight file and the standard plots, and prints a summary
whose numbers agree with the files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tmva_helpers import macro

from tmva_hashednet import HashedNetwork, plotting
from tmva_hashednet.tmva import _real_tmva
from tmva_hashednet.tmva.weights_xml import read_weight_file

MACRO = Path(__file__).resolve().parents[1] / "macros" / "higgs_classification.py"


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("main")
    result = subprocess.run(
        [sys.executable, str(MACRO), "--output", str(out), "--epochs", "20", "--learning-rate", "3e-3", "--ntrain", "1500",
         "--layout", "RELU|64,RELU|64,LINEAR", "--dropout", "0.0+0.2"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout


def test_the_defaults_train_to_convergence_on_standardised_inputs():
    """Issue 12: MaxEpochs=60 with VarTransform=N stopped while the validation loss still fell (ROC 0.749);
    up to 300 epochs with early stopping on inputs the network standardises reach what the model can."""
    job = macro("higgs_classification")
    options = job.method_options(job.argument_parser().parse_args([]))
    assert "MaxEpochs=300," in options and "ConvergenceSteps=10," in options
    assert "VarTransform" not in options
    assert "VarTransform=N:" in job.method_options(job.argument_parser().parse_args(["--var-transform", "N"]))


def test_writes_output_weights_and_plots(main_job):
    out, _ = main_job
    assert (out / "TMVA_Higgs.root").stat().st_size > 10_000
    assert (out / "dataset/weights/TMVA_Higgs_HashedDNN.weights.xml").exists()
    for name in ("roc.png", "overtrain_HashedDNN.png", "history_HashedDNN.png"):
        png = out / "plots" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    assert not list(out.glob("*.tmp-*")), "a temporary file was left behind"


def test_summary_matches_files(main_job):
    out, stdout = main_job
    auc = float(re.search(r"ROC integral \(test sample\):\s+([0-9.]+)", stdout).group(1))
    assert 0.6 < auc < 0.9
    assert re.search(r"ROC integral \(test sample\):\s+[0-9.]+   \(reference: 0\.769, gradient boosting", stdout)
    network = HashedNetwork.from_text(read_weight_file(out / "dataset/weights/TMVA_Higgs_HashedDNN.weights.xml").network_text)
    model_bytes = int(re.search(r"model bytes:\s+(\d+)", stdout).group(1))
    assert model_bytes == network.memory_report().bytes == 4 * network.n_params


def test_overtraining_check_probabilities(main_job):
    """The KS probabilities of the plot equal a numpy Kolmogorov-Smirnov test of the file's test and training
    histograms (the same statistic as TH1::KolmogorovTest, with the exact Kolmogorov distribution)."""
    out, _ = main_job
    _, drawn, (ks_signal, ks_background) = plotting.plot_classifier_output(out / "TMVA_Higgs.root")
    assert all(h.GetEntries() > 0 for h in drawn[:4])
    test_s, test_b, train_s, train_b = _histograms(out / "TMVA_Higgs.root", ("_S", "_B", "_Train_S", "_Train_B"))
    assert ks_signal == pytest.approx(_ks_probability(test_s, train_s), abs=1e-6)
    assert ks_background == pytest.approx(_ks_probability(test_b, train_b), abs=1e-6)


def _histograms(path, suffixes) -> list:
    """(bin contents, bin errors) of MVA_HashedDNN<suffix>, read from the file with numpy."""
    import ROOT

    handle = ROOT.TFile.Open(str(path))
    result = []
    for suffix in suffixes:
        hist = handle.Get(f"dataset/Method_HashedDNN/HashedDNN/MVA_HashedDNN{suffix}")
        n = hist.GetNbinsX()
        result.append((np.array([hist.GetBinContent(i) for i in range(1, n + 1)]),
                       np.array([hist.GetBinError(i) for i in range(1, n + 1)])))  # fmt: skip
    handle.Close()
    return result


def _ks_probability(first, second) -> float:
    """P(KS distance >= observed) of two binned distributions: the largest distance of the normalised cumulative
    sums, scaled by the effective entries sum^2 / sum(error^2) of each, through the Kolmogorov distribution."""
    (c1, e1), (c2, e2) = first, second
    distance = np.max(np.abs(np.cumsum(c1) / c1.sum() - np.cumsum(c2) / c2.sum()))
    n1, n2 = c1.sum() ** 2 / np.sum(e1**2), c2.sum() ** 2 / np.sum(e2**2)
    z = distance * np.sqrt(n1 * n2 / (n1 + n2))
    if z < 0.1:  # 1 - 1e-53
        return 1.0
    if z < 1.0:  # the theta-function form converges fast for small z
        k = np.arange(1, 50)
        return float(1.0 - np.sqrt(2 * np.pi) / z * np.sum(np.exp(-((2 * k - 1) ** 2) * np.pi**2 / (8 * z**2))))
    k = np.arange(1, 100)
    return float(2.0 * np.sum((-1.0) ** (k - 1) * np.exp(-2.0 * k**2 * z**2)))


def test_comparison_macro_at_equal_virtual_and_real_size(tmp_path):
    macro = MACRO.parent / "tmva_comparison.py"
    result = subprocess.run(
        [sys.executable, str(macro), "--epochs", "2", "--ntrain", "500", "--width", "32", "--depth", "2"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = {m.group(1): (int(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^(\w+)\s+(\d+)\s+\d+\s+([0-9.]+)$", result.stdout, re.MULTILINE)}  # fmt: skip
    assert {"HashedDNN", "DenseVirtual", "DenseReal"} <= set(rows)
    hashed, virtual, real = rows["HashedDNN"][0], rows["DenseVirtual"][0], rows["DenseReal"][0]
    assert virtual > 3 * hashed and abs(real - hashed) < 0.15 * hashed
    assert all(0.0 < auc < 1.0 for _, auc in rows.values())  # 2 epochs: bookkeeping, not quality
    if _real_tmva() is not None:  # TMVA's MLP beside them, with finite responses (NaN gave ROC 1.0)
        assert "MLP" in rows and 0.5 < rows["MLP"][1] < 1.0, result.stdout[-3000:]
    assert (tmp_path / "TMVA_Comparison.root").exists()
