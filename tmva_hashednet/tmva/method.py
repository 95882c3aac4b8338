"""HashedDNN as booked by the compatible Factory: options, training, weight file.

It does what the C++ MethodHashedDNN does inside TMVA: reads the options
with the C++ parser, applies the VarTransform chain (N, D, P: transforms.py)
the way TMVA would (the network's own input transform then stays the identity), holds out the last
``ValidationSize`` of the training events for early stopping (as MethodDL),
trains a :class:`HashedNetwork` and writes the weight file and the
standalone class (MakeClass).
"""

from __future__ import annotations

import os
import time

import numpy as np

from .._core import core
from .._errors import translate_errors
from ..files import write_text_atomically
from ..network import HashedNetwork
from ..options import describe_options, option_items, parse_options, validation_event_count
from ._log import Logger, is_silent
from ._optstring import option_key
from .standalone_transform import standalone_class_with_transform
from .transforms import TransformChain, parse_var_transform
from .weights_xml import WeightFile, write_weight_file

__all__ = ["MethodHashedDNN"]

_BASE_OPTIONS = ("V", "VerbosityLevel", "VarTransform", "H", "CreateMVAPdfs", "IgnoreNegWeightsInTraining")


def _written_keys(options: str) -> set:
    return {option_key(item).lower() for item in options.split(":") if item.strip()}


_TASKS = {"Classification": "classification", "Multiclass": "multiclass", "Regression": "regression"}


class MethodHashedDNN:
    type_name = "HashedDNN"

    def __init__(self, job_name: str, loader, title: str, option_text: str, analysis_type: str):
        self.job_name, self.loader, self.title, self.analysis_type = job_name, loader, str(title), analysis_type
        self.option_text = str(option_text)
        self.task = _TASKS[analysis_type]
        self.options = parse_options(self.option_text, len(loader.variables), self.task)
        self.log = Logger(self.title)
        if self.options.help:
            self.log.raw(describe_options())
        for warning in self.options.warnings:
            self.log.warning(warning)
        self.transform_steps = parse_var_transform(self.options.var_transform)  # e.g. ['N', 'D']
        if self.options.create_mva_pdfs and analysis_type != "Classification":
            raise ValueError(f"CreateMVAPdfs: method '{self.title}' is booked for {analysis_type}, but TMVA builds the "
                             "MVA PDFs of a two-class classifier only (MethodBase::TrainMethod); remove CreateMVAPdfs")
        self.mva_pdfs = None  # (signal, background) MvaPdf once the Factory built them (CreateMVAPdfs)
        self.history = None
        self.training_time = 0.0
        self.transform = None

    # ------------------------------------------------------------------ paths
    @property
    def weight_file(self) -> str:
        return os.path.join(self.loader.name, "weights", f"{self.job_name}_{self.title}.weights.xml")

    @property
    def class_file(self) -> str:
        return os.path.join(self.loader.name, "weights", f"{self.job_name}_{self.title}.class.C")

    # ------------------------------------------------------------------ training
    def _targets(self, sample) -> np.ndarray:
        if self.task == "classification":
            return (sample.class_id == self.loader.class_names.index("Signal")).astype(np.float32)
        if self.task == "multiclass":
            return sample.class_id.astype(np.float32)
        return sample.targets

    def _fit_transform(self, sample) -> None:
        n_classes = len(self.loader.class_names)
        columns = [("Variable", v.label, v.expression) for v in self.loader.variables]
        values = sample.x
        if self.task == "regression":
            columns += [("Target", t.label, t.expression) for t in self.loader.targets]
            values = np.concatenate([sample.x, sample.targets], axis=1)
        for letter in self.transform_steps:
            self.log.info(f"Dataset[{self.loader.name}] : Create Transformation \"{letter}\" with events from all "
                          "classes.")
        self.transform = TransformChain.fit(self.transform_steps, values, sample.class_id, n_classes, columns,
                                            len(self.loader.variables), sample.weight, self.loader.class_names)

    def _inputs(self, sample):
        x, y = sample.x, self._targets(sample)
        if self.transform is not None:
            n_var = len(self.loader.variables)
            x = self.transform.apply(x, slice(0, n_var))
            if self.task == "regression":
                y = self.transform.apply(y, slice(n_var, n_var + y.shape[1]))
        return x, y

    def _network(self) -> HashedNetwork:
        """The network of the options for this data, through the core's network_spec (as the C++ method)."""
        n_outputs = {"classification": 1, "multiclass": len(self.loader.class_names),
                     "regression": len(self.loader.targets)}[self.task]
        n_inputs = len(self.loader.variables)
        hn = core()
        with translate_errors():
            options = hn.parse_method_options(self.option_text, n_inputs)
            model = hn.python_api.make_model(options, n_inputs, self.task, n_outputs)
        return HashedNetwork._wrap(model)

    def train(self, sample) -> None:
        """Trains on the training sample; the last ValidationSize events validate (MethodDL)."""
        if self.options.ignore_neg_weights:
            sample = sample.take(sample.weight >= 0)
        if self.transform_steps:
            self._fit_transform(sample)
        x, y = self._inputs(sample)
        n_valid = validation_event_count(self.options.validation_size, len(x))
        n_fit = len(x) - n_valid
        self.log.info(f"Using {n_fit} events for training and {n_valid} for testing")
        if n_valid == 0:
            self.log.info(f"ValidationSize={self.options.validation_size}: no validation sample; the training loss "
                          "picks the best epoch and decides early stopping (ConvergenceSteps)")
        self.network = self._network()
        warning = self.network.cost_warning()  # the training header prints every network's cost
        if warning:
            self.log.warning(warning)
        start = time.perf_counter()
        w = sample.weight.astype(np.float32)
        validation = (x[n_fit:], y[n_fit:], w[n_fit:]) if n_valid > 0 else None
        self.history = self.network.fit(
            x[:n_fit], y[:n_fit], w[:n_fit], validation_data=validation, validation_fraction=0.0,
            training=self.options.training, standardize=not self.transform_steps,
            verbose=self.options.verbosity > 0 and not is_silent())
        self.training_time = time.perf_counter() - start
        self.n_training_events = len(sample)

    # ------------------------------------------------------------------ weight file
    def _option_list(self) -> list:
        written = _written_keys(self.option_text)
        items = dict(option_items(self.options.canonical))
        order = list(_BASE_OPTIONS) + [k for k in items if k not in _BASE_OPTIONS]
        rows = [(name, name.lower() in written, items[name]) for name in order]
        return rows

    def weight_file_content(self) -> WeightFile:
        analysis = self.analysis_type
        return WeightFile(
            method_type=self.type_name, title=self.title, analysis_type=analysis,
            variables=self.loader.variables, classes=self.loader.class_names,
            network_text=self.network.to_text(), spectators=self.loader.spectators,
            targets=self.loader.targets if analysis == "Regression" else [],
            transform=self.transform, options=self._option_list(),
            training_events=self.n_training_events, training_time=self.training_time, mva_pdfs=self.mva_pdfs)

    def write_weight_file(self) -> str:
        self.log.info(f"Creating xml weight file: {self.weight_file}")
        write_weight_file(self.weight_file, self.weight_file_content())
        return self.weight_file

    def write_standalone_class(self) -> str | None:
        """TMVA's MakeClass response, ``<dataset>/weights/<job>_<title>.class.C``:
        a class ``Read<title>`` of raw inputs (the VarTransform chain applied
        inside, standalone_transform.py). Like TMVA's Factory, for
        classification and multiclass only (None for a regression)."""
        if self.task == "regression":
            return None
        class_name = "Read" + "".join(c if c.isalnum() or c == "_" else "_" for c in self.title)
        source = standalone_class_with_transform(HashedNetwork.from_text(self.network.to_text()), self.transform,
                                                 class_name, [v.expression for v in self.loader.variables])
        self.log.info(f"Creating standalone class: {self.class_file}")
        write_text_atomically(self.class_file, source)
        return self.class_file
