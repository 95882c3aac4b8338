"""TMVA's Factory for the compatible workflow (ROOT without TMVA).

Books HashedDNN (the only method there is without TMVA), trains it, tests
the method recreated from its weight file, evaluates it, prints TMVA's logs
and tables, and writes TMVA's output-file layout into the user's TFile.
"""

from __future__ import annotations

import time

import numpy as np

from . import _optstring, output, pdf, performance
from ._log import Logger, set_global_style
from ._rootio import make_dir, root
from .method import MethodHashedDNN
from .response import MethodResponse
from .transforms import TransformChain, parse_var_transform

__all__ = ["Factory"]

_ANALYSIS_TYPES = ("Classification", "Multiclass", "Regression", "Auto")
_FACTORY_OPTIONS = {"V": False, "Silent": False, "Color": True, "DrawProgressBar": True, "Transformations": "I",
                    "AnalysisType": "Auto", "Correlations": False, "ROC": True, "ModelPersistence": True,
                    "VerboseLevel": "Info", "Jobname": ""}
_LONG_NAMES = {"Classification": "Classification", "Multiclass": "Multiclass classification",
               "Regression": "Regression"}
_RULE = "-" * 115


class _Booked:
    """A booked method with what training and testing produced."""

    def __init__(self, method: MethodHashedDNN, loader):
        self.method, self.loader = method, loader
        self.directory = None
        self.results = {}  # "train"/"test" -> responses
        self.evaluation = {}
        self.probabilities = {}  # CreateMVAPdfs: "train"/"test" -> prob_<title> values
        self.test_pdfs = None  # CreateMVAPdfs: the (signal, background) PDFs read back from the weight file


_ONE_CLASS = ("dataset '{name}' has one class only ({classes}): classification needs events of a 'Signal' and a "
              "'Background' class; add the other tree (loader.AddSignalTree / loader.AddBackgroundTree)")


class Factory:
    """``TMVA.Factory(jobName, outputFile, options)``."""

    def __init__(self, job_name: str, output_file=None, options: str = ""):
        if isinstance(output_file, str) and not options:  # Factory(job, options) without a file
            output_file, options = None, output_file
        self.job_name = str(job_name)
        self.options = _optstring.parse(options, _FACTORY_OPTIONS, "Factory", {"AnalysisType": _ANALYSIS_TYPES})
        set_global_style(self.options["Color"], self.options["Silent"])
        self.output_file = output_file
        self.booked: dict = {}
        self.log = Logger("Factory")
        self._written_datasets: set = set()

    # ------------------------------------------------------------------ booking
    def _analysis_type(self, loader) -> str:
        requested = self.options["AnalysisType"]
        if requested != "Auto":
            return requested
        if loader.targets:
            return "Regression"
        if sorted(loader.class_names) == ["Background", "Signal"]:
            return "Classification"
        if len(loader.class_names) >= 2:
            return "Multiclass"
        if len(loader.class_names) == 1:
            raise ValueError(_ONE_CLASS.format(name=loader.name, classes=loader.class_names))
        raise ValueError(f"cannot tell the analysis type of dataset '{loader.name}' (classes {loader.class_names}); "
                         "set AnalysisType in the Factory options")

    def BookMethod(self, loader, method_type, title: str, options: str = ""):
        method_type = str(method_type)
        if method_type not in ("HashedDNN", "kHashedDNN"):
            raise ValueError(f"TMVA is not available in this ROOT; only HashedDNN can be booked (got method type "
                             f"'{method_type}'). Use factory.BookMethod(loader, \"HashedDNN\", \"<title>\", options)")
        key = (loader.name, str(title))
        if key in self.booked:
            raise ValueError(f"a method titled '{title}' is already booked for dataset '{loader.name}'")
        analysis = self._analysis_type(loader)
        if analysis == "Classification" and len(loader.class_names) == 1:
            raise ValueError(_ONE_CLASS.format(name=loader.name, classes=loader.class_names))
        if analysis == "Classification" and "Signal" not in loader.class_names:
            raise ValueError(f"classification needs a class named 'Signal'; dataset '{loader.name}' has "
                             f"{loader.class_names}")
        if analysis == "Multiclass" and len(loader.class_names) < 2:
            raise ValueError(f"multiclass classification needs at least 2 classes; dataset '{loader.name}' has "
                             f"{loader.class_names}: add a tree per class (loader.AddTree(tree, 'ClassName'))")
        loader.dataset()
        self.log.header(f"Booking method: {title}")
        self.log.info()
        self.booked[key] = _Booked(MethodHashedDNN(self.job_name, loader, title, options, analysis), loader)
        return self.booked[key].method

    def GetMethod(self, dataset_name: str, title: str):
        return self._find(dataset_name, title).method

    def HasMethod(self, dataset_name: str, title: str) -> bool:
        return (str(dataset_name), str(title)) in self.booked

    def DeleteAllMethods(self) -> None:
        self.booked.clear()

    def _find(self, loader_or_name, title: str) -> _Booked:
        name = loader_or_name if isinstance(loader_or_name, str) else loader_or_name.name
        booked = self.booked.get((name, str(title)))
        if booked is None:
            known = ", ".join(f"{d}/{t}" for d, t in self.booked) or "none"
            raise ValueError(f"no method '{title}' is booked for dataset '{name}'; booked: {known}")
        return booked

    # ------------------------------------------------------------------ training
    def _dataset_dir(self, loader):
        if self.output_file is None:
            return None
        return make_dir(self.output_file, loader.name)

    def _write_data_information(self, booked: _Booked) -> None:
        loader = booked.loader
        if self.output_file is None or loader.name in self._written_datasets:
            return
        self._written_datasets.add(loader.name)
        directory, dataset = self._dataset_dir(loader), loader.dataset()
        analysis = booked.method.analysis_type
        infos = loader.variables + (loader.targets if analysis == "Regression" else [])
        output.write_data_information(directory, dataset.train, loader.class_names, infos, analysis)
        for transformation in self.options["Transformations"].split(";"):
            try:
                steps = parse_var_transform(transformation if transformation.strip() else "I")
            except ValueError as error:
                self.log.warning(f"Transformations entry '{transformation}' is not plotted: {error}")
                continue
            self._plot_input_variables(directory, dataset.train, loader, infos, analysis, steps)

    def _plot_input_variables(self, directory, sample, loader, infos, analysis, steps: list) -> None:
        """InputVariables_<name>: the training events after the chain `steps` (Id: none), fitted on them."""
        values = np.concatenate([sample.x, sample.targets], axis=1) if analysis == "Regression" else sample.x
        name, axis_suffix = "Id", ""
        if steps:
            columns = [("Variable", v.label, v.expression) for v in loader.variables]
            columns += [("Target", t.label, t.expression) for t in loader.targets] if analysis == "Regression" else []
            chain = TransformChain.fit(steps, values, sample.class_id, len(loader.class_names), columns,
                                       len(loader.variables), sample.weight, loader.class_names)
            values = chain.apply_to_all(values, len(loader.variables))
            name, axis_suffix = chain.short_name, f" ({chain.short_name})"
        plots = make_dir(directory, f"InputVariables_{name}")
        rows = output.write_variable_plots(plots, values, sample.weight, sample.class_id, loader.class_names, infos,
                                           analysis, len(loader.variables), suffix=f"_{name}", axis_suffix=axis_suffix)
        _print_stats_table(Logger("TFHandler_Factory"), rows)

    def TrainAllMethods(self) -> None:
        self.log.header("Train all methods")
        for booked in self.booked.values():
            self._write_data_information(booked)
            self._train(booked)
        self.log.header("Training finished")
        self.log.info()

    def _train(self, booked: _Booked) -> None:
        method, dataset = booked.method, booked.loader.dataset()
        self.log.header(f"Train method: {method.title} for {_LONG_NAMES[method.analysis_type]}")
        self.log.info()
        if self.output_file is not None:
            booked.directory = output.write_method_directory(self._dataset_dir(booked.loader), method.type_name,
                                                             method.title, method.weight_file)
        method.train(dataset.train)
        self.log.info(f"Elapsed time for training with {len(dataset.train)} events: {method.training_time:.3g} sec")
        start = time.perf_counter()
        method.log.header(f"[{booked.loader.name}] : Evaluation of {method.title} on training sample "
                          f"({len(dataset.train)} events)")
        if method.options.create_mva_pdfs:
            self._create_mva_pdfs(booked, dataset.train)
        method.write_weight_file()
        method.write_standalone_class()
        booked.results["train"] = MethodResponse.from_file(method.weight_file).evaluate(dataset.train.x)
        self.log.info(f"Elapsed time for evaluation of {len(dataset.train)} events: "
                      f"{time.perf_counter() - start:.3g} sec")
        if booked.directory is not None:
            output.write_training_history(booked.directory, method.title, method.history)

    def _create_mva_pdfs(self, booked: _Booked, sample) -> None:
        """MethodBase::CreateMVAPdfs and AddClassifierOutputProb(kTraining), before the weight file is written."""
        method, signal, name = booked.method, self._is_signal(booked, sample), booked.loader.name
        responses = MethodResponse(method.weight_file_content()).evaluate(sample.x)
        weights = np.where(method.options.ignore_neg_weights & (sample.weight < 0), 0.0, sample.weight)
        pdf_s, pdf_b, tr_s, tr_b = pdf.create_mva_pdfs(method.type_name, method.title, responses, weights, signal)
        method.mva_pdfs = (pdf_s, pdf_b)
        if booked.directory is not None:
            output.write_pdf_training_histograms(booked.directory, (tr_s, tr_b), responses, weights, signal)
        separation = pdf.histogram_separation(tr_s.as_histogram(tr_s.name), tr_b.as_histogram(tr_b.name))
        # TMVA prints 0 for the PDFs: its GetSeparation(PDF*, PDF*) needs splines that only testing makes
        method.log.info(f"Dataset[{name}] : <CreateMVAPdfs> Separation from histogram (PDF): {separation:1.3f} "
                        f"({0.0:1.3f})")
        method.log.info(f"Dataset[{name}] : Evaluation of {method.title} on training sample")
        booked.probabilities["train"] = pdf.proba(pdf_s, pdf_b, responses).astype(np.float32)

    # ------------------------------------------------------------------ testing
    def TestAllMethods(self) -> None:
        self.log.header("=== Destroy and recreate all methods via weight files for testing ===")
        self.log.info()
        self.log.header("Test all methods")
        for booked in self.booked.values():
            method, dataset = booked.method, booked.loader.dataset()
            self._require_trained(booked)
            self.log.header(f"Test method: {method.title} for {_LONG_NAMES[method.analysis_type]} performance")
            self.log.info()
            method.log.header(f"[{booked.loader.name}] : Evaluation of {method.title} on testing sample "
                              f"({len(dataset.test)} events)")
            response = MethodResponse.from_file(method.weight_file)
            booked.results["test"] = response.evaluate(dataset.test.x)
            if response.content.mva_pdfs is not None:  # AddClassifierOutputProb(kTesting), with the PDFs of the file
                method.log.info(f"Dataset[{booked.loader.name}] : Evaluation of {method.title} on testing sample")
                booked.test_pdfs = response.content.mva_pdfs
                booked.probabilities["test"] = pdf.proba(*booked.test_pdfs, booked.results["test"]).astype(np.float32)

    def _require_trained(self, booked: _Booked) -> None:
        if "train" not in booked.results:
            raise RuntimeError(f"method '{booked.method.title}' is not trained; call TrainAllMethods first")

    # ------------------------------------------------------------------ evaluation
    def EvaluateAllMethods(self) -> None:
        self.log.header("Evaluate all methods")
        for booked in self.booked.values():
            if "test" not in booked.results:
                raise RuntimeError(f"method '{booked.method.title}' is not tested; call TestAllMethods first")
            self._evaluate(booked)
        self._print_tables()
        self._write_trees()

    def _evaluate(self, booked: _Booked) -> None:
        method, dataset = booked.method, booked.loader.dataset()
        kind = {"Classification": "classifier", "Multiclass": "classifier", "Regression": "regression"}
        self.log.header(f"Evaluate {kind[method.analysis_type]}: {method.title}")
        self.log.info()
        if method.analysis_type == "Classification":
            booked.evaluation = self._evaluate_classification(booked, dataset)
        elif method.analysis_type == "Multiclass" and booked.directory is not None:
            output.write_multiclass_histograms(booked.directory, method.title, self._multiclass_inputs(booked, "test"),
                                               self._multiclass_inputs(booked, "train"), booked.loader.class_names)
        elif booked.directory is not None:
            loader = booked.loader
            output.write_regression_histograms(booked.directory, method.title, self._regression_inputs(booked, "test"),
                                               self._regression_inputs(booked, "train"),
                                               [v.title for v in loader.variables], [t.title for t in loader.targets])
        if booked.directory is not None:
            self._plot_method_variables(booked, dataset.test)

    def _is_signal(self, booked: _Booked, sample) -> np.ndarray:
        return sample.class_id == booked.loader.class_names.index("Signal")

    def _evaluate_classification(self, booked: _Booked, dataset) -> dict:
        test = (booked.results["test"], dataset.test.weight, self._is_signal(booked, dataset.test))
        train = (booked.results["train"], dataset.train.weight, self._is_signal(booked, dataset.train))
        booked.method.log.header(f"[{booked.loader.name}] : Loop over test events and fill histograms with "
                                 "classifier response...")
        booked.method.log.info()
        pdfs = None if booked.test_pdfs is None else (*booked.test_pdfs, booked.probabilities["test"])
        if pdfs is not None:
            booked.method.log.info("Also filling probability and rarity histograms (on request)...")
        if booked.directory is not None:
            return output.write_classification_histograms(booked.directory, booked.method.title, test, train, pdfs)
        stats = performance.response_stats(*test)
        curves = {}
        for name, (values, weights, signal) in (("test_curve", test), ("train_curve", train)):
            eff = [performance.efficiency_histogram(values[m], weights[m], stats.xmin, stats.xmax + 1e-5,
                                                    stats.positive) for m in (signal, ~signal)]
            curves[name] = performance.eff_b_vs_s(*eff, stats.xmin, stats.xmax, stats.positive)
        return {"stats": stats, **curves}

    def _multiclass_inputs(self, booked: _Booked, which: str) -> tuple:
        sample = getattr(booked.loader.dataset(), which)
        return booked.results[which], sample.weight, sample.class_id

    def _regression_inputs(self, booked: _Booked, which: str) -> tuple:
        sample = getattr(booked.loader.dataset(), which)
        responses = np.asarray(booked.results[which]).reshape(len(sample), -1)
        return sample.x, sample.targets, responses, sample.weight

    def _plot_method_variables(self, booked: _Booked, sample) -> None:
        method, loader = booked.method, booked.loader
        analysis = method.analysis_type
        values = np.concatenate([sample.x, sample.targets], axis=1) if analysis == "Regression" else sample.x
        infos = loader.variables + (loader.targets if analysis == "Regression" else [])
        chain = method.transform
        if chain is not None:
            values = chain.apply_to_all(values, len(loader.variables))
        rows = output.write_variable_plots(booked.directory, values, sample.weight, sample.class_id,
                                           loader.class_names, infos, analysis, len(loader.variables), suffix="",
                                           axis_suffix=f" ({chain.short_name})" if chain is not None else "")
        _print_stats_table(Logger(f"TFHandler_{method.title}"), rows)

    def _write_trees(self) -> None:
        if self.output_file is None:
            return
        for name in dict.fromkeys(loader_name for loader_name, _ in self.booked):
            methods = [b for (d, _), b in self.booked.items() if d == name]
            loader = methods[0].loader
            results = {which: {b.method.title: b.results[which] for b in methods} for which in ("train", "test")}
            for b in methods:  # CreateMVAPdfs: the prob_<title> branches
                for which, values in b.probabilities.items():
                    results[which][f"prob_{b.method.title}"] = values
            directory = self._dataset_dir(loader)
            output.write_event_trees(directory, loader.dataset(), loader, methods[0].method.analysis_type, results)
            for tree, sample in (("TestTree", loader.dataset().test), ("TrainTree", loader.dataset().train)):
                Logger("Factory").info(f"Dataset[{name}] : Created tree '{tree}' with {len(sample)} events")
        self.output_file.cd()

    # ------------------------------------------------------------------ tables
    def _print_tables(self) -> None:
        classifiers = [b for b in self.booked.values() if b.method.analysis_type == "Classification"]
        if classifiers:
            _print_classification_tables(self, classifiers)
        for booked in self.booked.values():
            if booked.method.analysis_type == "Multiclass":
                _print_multiclass_table(self, booked)
            elif booked.method.analysis_type == "Regression":
                _print_regression_table(booked)

    # ------------------------------------------------------------------ ROC
    def _roc_inputs(self, booked: _Booked, class_index: int) -> tuple:
        if "test" not in booked.results:
            raise RuntimeError(f"method '{booked.method.title}' is not tested; call TestAllMethods first")
        sample = booked.loader.dataset().test
        responses = np.asarray(booked.results["test"])
        analysis = booked.method.analysis_type
        if analysis == "Regression":
            raise ValueError("GetROCIntegral/GetROCCurve are for classification and multiclass, not regression")
        if analysis == "Multiclass":
            return responses[:, class_index], sample.weight, sample.class_id == class_index
        return responses, sample.weight, self._is_signal(booked, sample)

    def GetROCIntegral(self, loader_or_name, title: str, iClass: int = 0) -> float:
        """The exact weighted ROC integral on the test sample (TMVA's ROCCurve)."""
        return performance.roc(*self._roc_inputs(self._find(loader_or_name, title), iClass))[2]

    def GetROCCurve(self, loader_or_name, title: str, setTitles: bool = True, iClass: int = 0):
        """A TGraph: x = signal efficiency, y = background rejection."""
        ROOT = root()
        sens, spec, _ = performance.roc(*self._roc_inputs(self._find(loader_or_name, title), iClass))
        graph = ROOT.TGraph(len(sens), np.ascontiguousarray(sens), np.ascontiguousarray(spec))
        if setTitles:
            graph.GetYaxis().SetTitle("Background rejection (Specificity)")
            graph.GetXaxis().SetTitle("Signal efficiency (Sensitivity)")
            graph.SetTitle(f"Signal efficiency vs. Background rejection ({title})")
        return graph


def _print_stats_table(log: Logger, rows) -> None:
    width = max([8] + [len(info.label) for info, *_ in rows])
    value_width = width + 2
    line = "-" * (width + 4 * value_width + 11)
    log.header(f"{'Variable':>{width}}  {'Mean':>{value_width}} {'RMS':>{value_width}}   "
               f"{'[        Min ':>{value_width}}  {'    Max ]':>{value_width}}")
    log.info(line)
    for info, mean, rms, low, high in rows:
        log.info(f"{info.label:>{width}}:{mean:>#{value_width}.5g}{rms:>#{value_width}.5g}   "
                 f"[{low:>#{value_width}.5g}{high:>#{value_width}.5g} ]")
    log.info(line)


def _print_classification_tables(factory: Factory, classifiers) -> None:
    log = Logger("Factory")
    rows = sorted(classifiers, key=lambda b: -performance.efficiency_area(b.evaluation["test_curve"]))
    log.info()
    log.info("Evaluation results ranked by best signal efficiency and purity (area)")
    log.info(_RULE)
    log.info("DataSet       MVA                       ")
    log.info("Name:         Method:          ROC-integ")
    for b in rows:
        log.info(f"{b.loader.name:<13} {b.method.title:<15}: {factory.GetROCIntegral(b.loader, b.method.title):#1.3f}")
    log.info(_RULE)
    log.info()
    log.info("Testing efficiency compared to training efficiency (overtraining check)")
    log.info(_RULE)
    log.info("DataSet              MVA              Signal efficiency: from test sample (from training sample) ")
    log.info("Name:                Method:          @B=0.01             @B=0.10            @B=0.30   ")
    log.info(_RULE)
    for b in rows:
        test = [performance.efficiency_at(b.evaluation["test_curve"], x) for x in (0.01, 0.10, 0.30)]
        train = [performance.efficiency_at(b.evaluation["train_curve"], x) for x in (0.01, 0.10, 0.30)]
        log.info(f"{b.loader.name:<20} {b.method.title:<15}: {test[0]:#1.3f} ({train[0]:#1.3f})       "
                 f"{test[1]:#1.3f} ({train[1]:#1.3f})      {test[2]:#1.3f} ({train[2]:#1.3f})")
    log.info(_RULE)
    log.info()


def _print_multiclass_table(factory: Factory, booked: _Booked) -> None:
    log = Logger("Factory")
    log.info()
    log.info(f"1-vs-rest performance metrics per class ({booked.loader.name} / {booked.method.title})")
    log.info(_RULE)
    log.info(f"{'Class':<20} ROC-integ")
    for k, name in enumerate(booked.loader.class_names):
        log.info(f"{name:<20} {factory.GetROCIntegral(booked.loader, booked.method.title, k):#1.3f}")
    log.info(_RULE)
    log.info()


def _print_regression_table(booked: _Booked) -> None:
    log = Logger("Factory")
    sample = booked.loader.dataset().test
    responses = np.asarray(booked.results["test"]).reshape(len(sample), -1)
    deviation = responses - sample.targets
    log.info()
    log.info(f"Evaluation results of regression ({booked.loader.name} / {booked.method.title}), test sample")
    log.info(_RULE)
    log.info(f"{'Target':<20} {'Bias':>12} {'RMS':>12}")
    for t, info in enumerate(booked.loader.targets):
        bias = float(np.average(deviation[:, t], weights=sample.weight))
        rms = float(np.sqrt(np.average((deviation[:, t] - bias) ** 2, weights=sample.weight)))
        log.info(f"{info.label:<20} {bias:>12.4g} {rms:>12.4g}")
    log.info(_RULE)
    log.info()
