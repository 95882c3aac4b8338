"""Writes TMVA's output-file layout (docs/tmva_file_layout.md §1) into the user's TFile.

``<D>/CorrelationMatrix*``, ``<D>/InputVariables_Id`` (+ CorrelationPlots),
``<D>/Method_HashedDNN/<T>/`` (TrainingPath, WeightFileName, training
history, response and efficiency histograms, test-variable plots; with
CreateMVAPdfs the PDF histograms and the probability and rarity histograms) and
``<D>/TestTree``, ``<D>/TrainTree``. The numbers come from
:mod:`.performance`; this module only makes ROOT objects and writes them.
"""

from __future__ import annotations

import os

import numpy as np

from . import performance
from ._rootio import detach, fill, make_dir, root, set_contents, write_event_tree, write_object

__all__ = ["write_data_information", "write_method_directory", "write_training_history", "write_variable_plots",
           "write_classification_histograms", "write_pdf_training_histograms", "write_event_trees", "weighted_stats"]

N_BINS_MVA = 40
N_BINS_1D = 40
N_BINS_2D = 300
TIMES_RMS = 8.0
MAX_VARIABLES_FOR_SCATTER = 20


def weighted_stats(values, weights):
    total = weights.sum()
    mean = np.sum(weights[:, None] * values, axis=0) / total
    rms = np.sqrt(np.abs(np.sum(weights[:, None] * values * values, axis=0) / total - mean * mean))
    return mean, rms, values.min(axis=0), values.max(axis=0)


# ---------------------------------------------------------------------- correlation matrices
def _correlation(values, weights) -> np.ndarray:
    x = values.astype(np.float64)
    total = weights.sum()
    mean = np.sum(weights[:, None] * x, axis=0) / total
    cov = (x * weights[:, None]).T @ x / total - np.outer(mean, mean)
    product = np.outer(np.diag(cov), np.diag(cov))
    rho = np.where(product > 0, cov / np.sqrt(np.where(product > 0, product, 1)), 0.0)
    np.fill_diagonal(rho, 1.0)
    return rho


def _matrix_hist(name: str, title: str, rho: np.ndarray, labels):
    ROOT = root()
    n = len(labels)
    hist = detach(ROOT.TH2F(name, title, n, 0, n, n, 0, n))
    for i in range(n):
        for j in range(n):
            hist.SetBinContent(j + 1, i + 1, int(100.0 * rho[i, j]))
    for axis in (hist.GetXaxis(), hist.GetYaxis()):
        for i, label in enumerate(labels):
            axis.SetBinLabel(i + 1, label)
        axis.SetLabelSize(0.055)
        axis.SetLabelOffset(0.011)
    hist.SetStats(0)
    hist.SetMarkerSize(1.5)
    hist.SetMarkerColor(0)
    hist.LabelsOption("d")
    hist.SetMinimum(-100)
    hist.SetMaximum(100)
    return hist


def write_data_information(directory, train, class_names, infos, analysis: str) -> None:
    """CorrelationMatrix* of the training events, per class (``infos``: variables [+ targets])."""
    values, labels = _columns(train, infos, analysis), [v.title for v in infos]
    if analysis == "Classification":
        names = {"Signal": ("CorrelationMatrixS", "Correlation Matrix (signal)"),
                 "Background": ("CorrelationMatrixB", "Correlation Matrix (background)")}
    elif analysis == "Regression":
        names = {"Regression": ("CorrelationMatrix", "Correlation Matrix")}
    else:
        names = {c: (f"CorrelationMatrix{c}", f"Correlation Matrix ({c})") for c in class_names}
    for c, class_name in enumerate(class_names):
        if class_name not in names:
            continue
        mask = train.class_id == c
        rho = _correlation(values[mask], train.weight[mask])
        write_object(directory, _matrix_hist(*names[class_name], rho, labels))


def _columns(sample, infos, analysis: str) -> np.ndarray:
    return np.concatenate([sample.x, sample.targets], axis=1) if analysis == "Regression" else sample.x


# ---------------------------------------------------------------------- variable plots
def _range(mean, rms, low, high, var_type: str):
    if var_type == "I":
        xmin, xmax = round(low), round(high + 1)
        return max(int(xmax - xmin), 1), float(xmin), float(xmax)
    xmin, xmax = max(low, mean - TIMES_RMS * rms), min(high, mean + TIMES_RMS * rms)
    if xmin >= xmax:
        xmax = 1.1 * xmin
        if xmin >= xmax:
            xmax = xmin + 1
    return N_BINS_1D, float(xmin), float(xmax + (xmax - xmin) / N_BINS_1D)


def _class_labels(class_names, n_var: int, n_columns: int, analysis: str):
    """Per column, the class-name part of the histogram names (targets: 'Regression_target')."""
    if analysis != "Regression":
        return [class_names] * n_columns
    return [["Regression"]] * n_var + [["Regression_target"]] * (n_columns - n_var)


def write_variable_plots(directory, values, weights, class_id, class_names, infos, analysis: str, n_var: int,
                         suffix: str = "_Id", axis_suffix: str = "") -> list:
    """TransformationHandler::PlotVariables; returns the all-classes (mean, rms, min, max) table."""
    ROOT = root()
    mean, rms, low, high = weighted_stats(values, weights)
    labels = _class_labels(class_names, n_var, values.shape[1], analysis)
    for i, info in enumerate(infos):
        nbins, xmin, xmax = _range(mean[i], rms[i], low[i], high[i], info.type)
        for c, class_name in enumerate(labels[i]):
            mask = class_id == c if analysis != "Regression" else np.ones(len(class_id), bool)
            hist = detach(ROOT.TH1F(f"{info.internal}__{class_name}{suffix}", info.title, nbins, xmin, xmax))
            hist.GetXaxis().SetTitle(_axis_title(info, axis_suffix))
            hist.GetYaxis().SetTitle(f"dN_{{ }}/^{{ }}{(xmax - xmin) / nbins:.3g} {info.unit}")
            fill(hist, values[mask, i], weights[mask])
            write_object(directory, hist)
    if values.shape[1] <= MAX_VARIABLES_FOR_SCATTER:
        _write_scatter_plots(make_dir(directory, "CorrelationPlots"), values, weights, class_id, labels, infos,
                             low, high, suffix, analysis, axis_suffix)
    return list(zip(infos, mean, rms, low, high))


def _axis_title(info, axis_suffix: str = "") -> str:
    """gTools().GetXTitleWithUnit(GetVariableAxisTitle(info), unit): the title, then the unit in brackets."""
    return info.title + axis_suffix + (f"  [{info.unit}]" if info.unit else "")


def _write_scatter_plots(directory, values, weights, class_id, labels, infos, low, high, suffix, analysis,
                         axis_suffix) -> None:
    """TransformationHandler::PlotVariables' scatter and profile plots, x: variable i, y: variable j."""
    ROOT = root()
    for i in range(len(infos)):
        for j in range(i + 1, len(infos)):
            for c, class_name in enumerate(labels[j]):
                mask = class_id == c if analysis != "Regression" else np.ones(len(class_id), bool)
                vi, vj = infos[i], infos[j]
                name = f"{vj.internal}_vs_{vi.internal}_{class_name}{suffix}"
                title = f"{vj.title} versus {vi.title} ({class_name}){suffix}"
                scatter = detach(ROOT.TH2F(f"scat_{name}", title, N_BINS_2D, low[i], high[i], N_BINS_2D, low[j],
                                           high[j]))
                profile = detach(ROOT.TProfile(f"prof_{name}", f"profile {title}", N_BINS_1D, low[i], high[i]))
                for hist in (scatter, profile):
                    hist.GetXaxis().SetTitle(_axis_title(vi, axis_suffix))
                    hist.GetYaxis().SetTitle(_axis_title(vj, axis_suffix))
                    fill(hist, values[mask, i], weights[mask], values[mask, j])
                    write_object(directory, hist)


# ---------------------------------------------------------------------- the method directory
def write_method_directory(dataset_dir, method_type: str, title: str, weight_file: str):
    ROOT = root()
    method_dir = make_dir(dataset_dir, f"Method_{method_type}", f"Directory for all {method_type} methods")
    directory = make_dir(method_dir, title)
    write_object(directory, ROOT.TObjString(os.getcwd()), "TrainingPath")
    write_object(directory, ROOT.TObjString(weight_file), "WeightFileName")
    return directory


def write_training_history(directory, title: str, history) -> None:
    """TrainingHistory_<T>_trainingError / _valError, stage = epoch number
    (1-based, as MethodDL records it: bin i is centred on epoch i)."""
    ROOT = root()
    epochs = history.epochs
    if not epochs:
        return
    stages = np.array([r.epoch for r in epochs], np.float64)
    for prop, values in (("trainingError", [r.train_loss for r in epochs]),
                         ("valError", [r.validation_loss for r in epochs])):
        n = len(values)
        width = (stages[-1] - stages[0]) / (n - 1) if n > 1 else 1.0
        name = f"TrainingHistory_{title}_{prop}"
        hist = detach(ROOT.TH1D(name, name, n, stages[0] - 0.5 * width, stages[-1] + 0.5 * width))
        set_contents(hist, values)
        write_object(directory, hist)


# ---------------------------------------------------------------------- classification
def _norm_hist(hist) -> None:
    """Tools::NormHist: unit area (over- and underflow excluded)."""
    total = hist.GetSumOfWeights()
    if total > 0:
        axis = hist.GetXaxis()
        hist.Scale(1.0 / (total * (axis.GetXmax() - axis.GetXmin()) / hist.GetNbinsX()))


def _response_hist(name: str, nbins: int, xmin: float, xmax: float, values, weights):
    ROOT = root()
    hist = detach(ROOT.TH1D(name, name, nbins, xmin, xmax))
    hist.Sumw2()
    fill(hist, values, weights)
    _norm_hist(hist)
    return hist


def _curve_hist(name: str, title: str, contents, nbins: int, xmin: float, xmax: float, axis_titles=None):
    ROOT = root()
    hist = detach(ROOT.TH1D(name, title, nbins, xmin, xmax))
    set_contents(hist, contents)
    if axis_titles:
        hist.GetXaxis().SetTitle(axis_titles[0])
        hist.GetYaxis().SetTitle(axis_titles[1])
    return hist


def _efficiency_set(prefix: str, values, weights, is_signal, stats, high_max: float) -> tuple:
    eff_s = performance.efficiency_histogram(values[is_signal], weights[is_signal], stats.xmin, high_max,
                                             stats.positive)
    eff_b = performance.efficiency_histogram(values[~is_signal], weights[~is_signal], stats.xmin, high_max,
                                             stats.positive)
    return eff_s, eff_b, performance.eff_b_vs_s(eff_s, eff_b, stats.xmin, stats.xmax, stats.positive)


def write_pdf_training_histograms(directory, training_hists, values, weights, is_signal) -> None:
    """<Type>_tr_S and _tr_B (MethodBase::CreateMVAPdfs): training responses, unit area, into the method's folder."""
    for hist, mask in zip(training_hists, (is_signal, ~is_signal)):
        write_object(directory, _response_hist(hist.name, len(hist.cells) - 2, hist.xmin, hist.xmax, values[mask],
                                               weights[mask]))


def _pdf_hists(pdf) -> list:
    """The original, smoothed and PDF histograms of a PDF read from the weight file (WriteEvaluationHistosToFile)."""
    ROOT = root()
    h = pdf.original
    hists = [detach(ROOT.TH1F(name, name, h.nbins, h.xmin, h.xmax)) for name in (h.name, pdf.smoothed_name)]
    for hist in hists:
        set_contents(hist, h.contents)
    curve = detach(ROOT.TH1F(pdf.hist_name, pdf.smoothed_name + "_hist from_spline2", len(pdf.raw), h.xmin, h.xmax))
    set_contents(curve, pdf.raw)
    curve.Scale(pdf.scale)
    return hists + [curve]


def _probability_hists(mva: str, values, weights, is_signal, pdfs: tuple) -> list:
    """MVA_T_Proba_S/_B and MVA_T_Rarity_S/_B (TestClassification): the rarity is the background one."""
    pdf_s, pdf_b, probabilities = pdfs
    rarity = pdf_b.rarity(values)
    return [_response_hist(f"{mva}_{kind}_{c}", N_BINS_MVA, 0.0, 1.0, column[mask], weights[mask])
            for kind, column in (("Proba", probabilities), ("Rarity", rarity))
            for c, mask in (("S", is_signal), ("B", ~is_signal))]


def write_classification_histograms(directory, title: str, test: tuple, train: tuple,
                                    pdfs: tuple | None = None) -> dict:
    """MVA_T_* histograms of §1.5 in TMVA's Store() order; returns the curves for the tables.
    ``pdfs`` (CreateMVAPdfs): (signal PDF, background PDF, test-sample probabilities)."""
    (values, weights, is_signal), (t_values, t_weights, t_signal) = test, train
    stats = performance.response_stats(values, weights, is_signal)
    mva, high_max, n_high = f"MVA_{title}", stats.xmax + 0.00001, performance.N_HIGH
    objects = [hist for pdf in (pdfs or ())[:2] for hist in _pdf_hists(pdf)]
    objects += [
        _response_hist(f"{mva}_S", N_BINS_MVA, stats.xmin, high_max, values[is_signal], weights[is_signal]),
        _response_hist(f"{mva}_B", N_BINS_MVA, stats.xmin, high_max, values[~is_signal], weights[~is_signal]),
    ]
    if pdfs is not None:
        objects += _probability_hists(mva, values, weights, is_signal, pdfs)
    objects += [
        _response_hist(f"{mva}_S_high", n_high, stats.xmin, high_max, values[is_signal], weights[is_signal]),
        _response_hist(f"{mva}_B_high", n_high, stats.xmin, high_max, values[~is_signal], weights[~is_signal]),
    ]
    eff_s, eff_b, curve = _efficiency_set(mva, values, weights, is_signal, stats, high_max)
    inverse = np.where(curve > np.finfo(float).eps, 1.0 / np.maximum(curve, np.finfo(float).eps), 0.0)
    objects += [
        _curve_hist(f"{mva}_effS", f"{mva} (signal)", eff_s, n_high, stats.xmin, high_max),
        _curve_hist(f"{mva}_effB", f"{mva} (background)", eff_b, n_high, stats.xmin, high_max),
        _curve_hist(f"{mva}_effBvsS", mva, curve, 100, 0, 1, ("Signal eff", "Backgr eff")),
        _curve_hist(f"{mva}_rejBvsS", mva, 1 - curve, 100, 0, 1, ("Signal eff", "Backgr rejection (1-eff)")),
        _curve_hist(f"{mva}_invBeffvsSeff", mva, inverse, 100, 0, 1, ("Signal eff", "Inverse backgr. eff (1/eff)")),
    ]
    t_eff_s, t_eff_b, t_curve = _efficiency_set(mva, t_values, t_weights, t_signal, stats, high_max)
    objects += [
        _response_hist(f"{mva}_Train_S", N_BINS_MVA, stats.xmin, high_max, t_values[t_signal], t_weights[t_signal]),
        _response_hist(f"{mva}_Train_B", N_BINS_MVA, stats.xmin, high_max, t_values[~t_signal], t_weights[~t_signal]),
        _curve_hist(f"{mva}_trainingEffS", f"{mva} (signal)", t_eff_s, n_high, stats.xmin, high_max),
        _curve_hist(f"{mva}_trainingEffB", f"{mva} (background)", t_eff_b, n_high, stats.xmin, high_max),
        _curve_hist(f"{mva}_trainingEffBvsS", mva, t_curve, 100, 0, 1),
        _curve_hist(f"{mva}_trainingRejBvsS", mva, 1 - t_curve, 100, 0, 1),
    ]
    for obj in objects:
        write_object(directory, obj)
    return {"stats": stats, "test_curve": curve, "train_curve": t_curve}


# ---------------------------------------------------------------------- multiclass
def _roc_graph(name: str, title: str, values, weights, is_signal):
    ROOT = root()
    sens, spec, _ = performance.roc(values, weights, is_signal)
    graph = ROOT.TGraph(len(sens), np.ascontiguousarray(sens), np.ascontiguousarray(spec))
    graph.SetName(name)
    graph.SetTitle(title)
    return graph


def _multiclass_set(directory, prefix: str, responses, weights, class_id, class_names) -> None:
    ROOT = root()
    for i, cls_i in enumerate(class_names):
        for j, cls_j in enumerate(class_names):
            name = f"{prefix}_{cls_j}_prob_for_{cls_i}"
            hist = detach(ROOT.TH1F(name, name, N_BINS_MVA, -0.0002, 1.0002))
            hist.Sumw2()
            mask = class_id == i
            fill(hist, responses[mask, j], weights[mask])
            _norm_hist(hist)
            write_object(directory, hist)
    for k, cls in enumerate(class_names):
        write_object(directory, _roc_graph(f"{prefix}_rejBvsS_{cls}", f"{prefix}_{cls}", responses[:, k], weights,
                                           class_id == k))
    for i, cls_i in enumerate(class_names):
        for j, cls_j in enumerate(class_names):
            if i == j:
                continue
            mask = (class_id == i) | (class_id == j)
            write_object(directory, _roc_graph(f"{prefix}_1v1rejBvsS_{cls_i}_vs_{cls_j}", f"{prefix}_{cls_i}_vs_{cls_j}",
                                               responses[mask, i], weights[mask], class_id[mask] == i))


def write_multiclass_histograms(directory, title: str, test: tuple, train: tuple, class_names) -> None:
    _multiclass_set(directory, f"MVA_{title}_Test", *test, class_names)
    _multiclass_set(directory, f"MVA_{title}_Train", *train, class_names)


# ---------------------------------------------------------------------- regression
def _deviation_range(values):
    low, high = float(np.min(values)), float(np.max(values))
    margin = 1.01 * abs(high - low) / 49
    return low - margin, high + margin


def _regression_set(directory, prefix: str, titles: tuple, x, targets, responses, weights) -> None:
    """ResultsRegression::CreateDeviationHistograms, with its axis titles."""
    ROOT = root()
    variable_titles, target_titles = titles
    for t in range(targets.shape[1]):
        deviation = responses[:, t] - targets[:, t]
        target = target_titles[t]
        for kind, columns, x_titles in (("var", x, variable_titles), ("tgt", targets, target_titles)):
            for i in range(columns.shape[1]):
                name = f"{prefix}_reg_{kind}{i}_rtgt{t}"
                hist = detach(ROOT.TH2F(name, name, 50, *_deviation_range(columns[:, i]), 50,
                                        *_deviation_range(deviation)))
                hist.GetXaxis().SetTitle(x_titles[i])
                hist.GetYaxis().SetTitle(f"{target}_{{regression}} - {target}_{{true}}")
                fill(hist, columns[:, i], np.ones(len(deviation)), deviation)
                write_object(directory, hist)
        squared = deviation.astype(np.float64) ** 2
        cut90 = float(np.quantile(squared, 0.9))
        for name, keep in ((f"{prefix}_Quadr_Deviation_target_{t}_", squared >= 0),
                           (f"{prefix}_Quadr_Dev_best90perc_target_{t}_", squared <= cut90)):
            upper = 1.1 * max(float(squared[keep].max()), 1e-30)
            hist = detach(ROOT.TH1F(name, name, 500, 0, upper))
            hist.GetXaxis().SetTitle("Quadratic Deviation")
            hist.GetYaxis().SetTitle("Weighted Entries")
            fill(hist, squared[keep], weights[keep])
            write_object(directory, hist)


def write_regression_histograms(directory, title: str, test: tuple, train: tuple, variable_titles,
                                target_titles) -> None:
    """The test and training sets' deviation histograms; the titles label their axes as TMVA does."""
    titles = (list(variable_titles), list(target_titles))
    _regression_set(directory, f"MVA_{title}test", titles, *test)
    _regression_set(directory, f"MVA_{title}train", titles, *train)


# ---------------------------------------------------------------------- trees
def write_event_trees(directory, dataset, loader, analysis: str, results: dict) -> None:
    """TestTree then TrainTree; ``results``: tree type -> {title: responses}, sorted by title."""
    for tree_name, sample_name in (("TestTree", "test"), ("TrainTree", "train")):
        sample = getattr(dataset, sample_name)
        branches = [(v.internal, [v.internal], sample.x[:, i]) for i, v in enumerate(loader.variables)]
        branches += [(v.internal, [v.internal], sample.targets[:, i]) for i, v in enumerate(loader.targets)]
        branches += [(v.internal, [v.internal], sample.spectators[:, i]) for i, v in enumerate(loader.spectators)]
        branches.append(("weight", ["weight"], sample.weight))
        for title in sorted(results[sample_name]):
            branches.append((title, _result_leaves(title, loader, analysis), results[sample_name][title]))
        write_event_tree(directory, tree_name, sample.class_id, loader.class_names, branches)


def _result_leaves(title: str, loader, analysis: str) -> list:
    if analysis == "Multiclass":
        return list(loader.class_names)
    if analysis == "Regression":
        return [t.internal for t in loader.targets]
    return [title]
