"""The README's main job, shortened: TMVA-style HIGGS classification writes
the output file, the weight file and the standard plots, and prints a summary
whose numbers agree with the files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tmva_hashednet import HashedNetwork, plotting
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
    network = HashedNetwork.from_text(read_weight_file(out / "dataset/weights/TMVA_Higgs_HashedDNN.weights.xml").network_text)
    model_bytes = int(re.search(r"model bytes:\s+(\d+)", stdout).group(1))
    assert model_bytes == network.memory_report().bytes == 4 * network.n_params


def test_overtraining_check_probabilities(main_job):
    out, _ = main_job
    _, drawn, (ks_signal, ks_background) = plotting.plot_classifier_output(out / "TMVA_Higgs.root")
    assert 0.0 <= ks_signal <= 1.0 and 0.0 <= ks_background <= 1.0
    assert all(h.GetEntries() > 0 for h in drawn[:4])


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
    assert (tmp_path / "TMVA_Comparison.root").exists()
