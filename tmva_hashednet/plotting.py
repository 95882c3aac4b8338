"""Standard TMVA plots drawn with ROOT from a TMVA-layout output file.

What it is: the ROC curve, the classifier output with the overtraining check
(test vs training distributions with Kolmogorov-Smirnov probabilities) and the
training history, read from the keys TMVA writes (so it works on files from
the real TMVA and from the compatible workflow alike), drawn in batch mode.
Each function takes an optional target pad and returns what it drew (the
canvas and the objects that must stay alive).

What it is not: a replacement for TMVAGui, which opens the same files.
"""

from __future__ import annotations

from pathlib import Path

from .files import open_root_file

__all__ = ["plot_roc", "plot_classifier_output", "plot_training_history", "save_standard_plots"]

_SIGNAL_COLOR = 38  # TMVA's blue
_BACKGROUND_COLOR = 2  # TMVA's red
_CURVE_COLORS = (4, 2, 8, 6, 7, 9, 28, 46)


def _root():
    import ROOT

    ROOT.gROOT.SetBatch(True)
    ROOT.gStyle.SetOptStat(0)
    return ROOT


def _open(path):
    _root()
    return open_root_file(path, "TMVA output file")


def _get(handle, key: str):
    obj = handle.Get(key)
    if not obj:
        raise KeyError(f"{key!r} is not in {handle.GetName()}; was the method trained, tested and evaluated?")
    if hasattr(obj, "SetDirectory"):
        obj.SetDirectory(0)
    return obj


def _method_dirs(handle, dataset: str):
    """[(type, title)] of every method in the dataset directory."""
    found = []
    top = handle.Get(dataset)
    if not top:
        raise KeyError(f"dataset directory {dataset!r} is not in {handle.GetName()}")
    for key in top.GetListOfKeys():
        name = key.GetName()
        if name.startswith("Method_"):
            for sub in top.Get(name).GetListOfKeys():
                found.append((name[len("Method_") :], sub.GetName()))
    return found


def _canvas(target, name: str):
    ROOT = _root()
    if target is not None:
        target.cd()
        return target
    return ROOT.TCanvas(name, name, 800, 600)


def plot_roc(path, dataset: str = "dataset", target=None):
    """Background rejection against signal efficiency of every method."""
    ROOT = _root()
    handle = _open(path)
    canvas = _canvas(target, "roc")
    curves = []
    legend = ROOT.TLegend(0.15, 0.15, 0.45, 0.15 + 0.05 * max(1, len(_method_dirs(handle, dataset))))
    legend.SetTextSize(0.035)
    for index, (kind, title) in enumerate(_method_dirs(handle, dataset)):
        curve = _get(handle, f"{dataset}/Method_{kind}/{title}/MVA_{title}_rejBvsS")
        curve.SetLineColor(_CURVE_COLORS[index % len(_CURVE_COLORS)])
        curve.SetLineWidth(3)
        curve.SetTitle("Background rejection versus signal efficiency")
        curve.GetXaxis().SetTitle("Signal efficiency")
        curve.GetYaxis().SetTitle("Background rejection")
        curve.GetYaxis().SetRangeUser(0.0, 1.05)
        curve.Draw("C" if index == 0 else "C SAME")
        legend.AddEntry(curve, title, "l")
        curves.append(curve)
    legend.Draw()
    handle.Close()
    return canvas, curves + [legend]


def _styled(hist, color: int, filled: bool):
    hist.Scale(1.0 / max(hist.Integral("width"), 1e-30))
    hist.SetLineColor(color)
    hist.SetMarkerColor(color)
    if filled:
        hist.SetFillColor(color)
        hist.SetFillStyle(1001 if color == _SIGNAL_COLOR else 3554)
    else:
        hist.SetMarkerStyle(20)
        hist.SetMarkerSize(0.7)
    return hist


def plot_classifier_output(path, title: str = "HashedDNN", kind: str = "HashedDNN", dataset: str = "dataset",
                           target=None):  # fmt: skip
    """Test distributions (filled) over training distributions (points), with
    the Kolmogorov-Smirnov probabilities of the overtraining check."""
    ROOT = _root()
    handle = _open(path)
    base = f"{dataset}/Method_{kind}/{title}/MVA_{title}"
    test_s, test_b = _get(handle, base + "_S"), _get(handle, base + "_B")
    train_s, train_b = _get(handle, base + "_Train_S"), _get(handle, base + "_Train_B")
    handle.Close()
    ks_s, ks_b = test_s.KolmogorovTest(train_s), test_b.KolmogorovTest(train_b)
    canvas = _canvas(target, "overtrain")
    for hist, color, filled in ((test_s, _SIGNAL_COLOR, True), (test_b, _BACKGROUND_COLOR, True),
                                (train_s, _SIGNAL_COLOR, False), (train_b, _BACKGROUND_COLOR, False)):  # fmt: skip
        _styled(hist, color, filled)
    top = max(h.GetMaximum() for h in (test_s, test_b, train_s, train_b))
    test_s.SetMaximum(1.45 * top)
    test_s.SetTitle(f"TMVA overtraining check for classifier: {title}")
    test_s.GetXaxis().SetTitle(f"{title} response")
    test_s.GetYaxis().SetTitle("(1/N) dN/dx")
    test_s.Draw("HIST")
    test_b.Draw("HIST SAME")
    train_s.Draw("E1 SAME")
    train_b.Draw("E1 SAME")
    legend = ROOT.TLegend(0.12, 0.74, 0.5, 0.89)
    legend.SetTextSize(0.03)
    legend.AddEntry(test_s, "Signal (test sample)", "f")
    legend.AddEntry(train_s, "Signal (training sample)", "p")
    legend.AddEntry(test_b, "Background (test sample)", "f")
    legend.AddEntry(train_b, "Background (training sample)", "p")
    legend.Draw()
    text = ROOT.TLatex(0.52, 0.85, f"KS test: signal (background) prob. = {ks_s:.3g} ({ks_b:.3g})")
    text.SetNDC()
    text.SetTextSize(0.025)
    text.Draw()
    return canvas, [test_s, test_b, train_s, train_b, legend, text], (ks_s, ks_b)


def plot_training_history(path, title: str = "HashedDNN", kind: str = "HashedDNN", dataset: str = "dataset",
                          target=None):  # fmt: skip
    """Training and validation loss per epoch."""
    ROOT = _root()
    handle = _open(path)
    base = f"{dataset}/Method_{kind}/{title}/TrainingHistory_{title}"
    train, valid = _get(handle, base + "_trainingError"), _get(handle, base + "_valError")
    handle.Close()
    canvas = _canvas(target, "history")
    train.SetLineColor(4)
    valid.SetLineColor(2)
    for hist in (train, valid):
        hist.SetLineWidth(2)
    low = min(train.GetMinimum(), valid.GetMinimum())
    high = max(train.GetMaximum(), valid.GetMaximum())
    train.GetYaxis().SetRangeUser(low - 0.05 * (high - low), high + 0.05 * (high - low))
    train.SetTitle(f"Training history: {title}")
    train.GetXaxis().SetTitle("Epoch")
    train.GetYaxis().SetTitle("Loss")
    train.Draw("HIST L")
    valid.Draw("HIST L SAME")
    legend = ROOT.TLegend(0.65, 0.78, 0.88, 0.88)
    legend.SetTextSize(0.035)
    legend.AddEntry(train, "training", "l")
    legend.AddEntry(valid, "validation", "l")
    legend.Draw()
    return canvas, [train, valid, legend]


def save_standard_plots(path, out_dir, title: str = "HashedDNN", kind: str = "HashedDNN",
                        dataset: str = "dataset") -> list:  # fmt: skip
    """Writes roc.png, overtrain_<title>.png and history_<title>.png; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (
        ("roc.png", lambda: plot_roc(path, dataset)),
        (f"overtrain_{title}.png", lambda: plot_classifier_output(path, title, kind, dataset)),
        (f"history_{title}.png", lambda: plot_training_history(path, title, kind, dataset)),
    ):
        drawn = draw()
        target = out_dir / name
        drawn[0].SaveAs(str(target))
        written.append(target)
    return written
