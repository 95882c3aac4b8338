"""TMVA's DataLoader for the compatible workflow: variables, trees, cuts, weights.

The call signatures are TMVA's (``AddVariable``, ``AddSignalTree``,
``AddTree``, ``PrepareTrainingAndTestTree``, ...). The events are read when
the data set is first needed (at ``BookMethod``), as in TMVA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._log import Logger
from .dataset import DataSet, build_dataset, parse_prepare_options
from .trees import tree_label
from .variables import VariableInfo, make_variable

__all__ = ["DataLoader"]

_VARIABLE_TYPES = ("F", "I", "D")


@dataclass
class TreeEntry:
    tree: object
    class_name: str
    weight: float
    cut: str


def _cut_text(cut) -> str:
    if cut is None:
        return ""
    return str(cut.GetTitle() if hasattr(cut, "GetTitle") else cut).strip()


class DataLoader:
    """``TMVA.DataLoader(name)``: ``name`` is the dataset folder in the output and weight files."""

    def __init__(self, name: str = "default"):
        self.name = str(name)
        self.variables: list[VariableInfo] = []
        self.spectators: list[VariableInfo] = []
        self.targets: list[VariableInfo] = []
        self.trees: list[TreeEntry] = []
        self.class_names: list[str] = []
        self._weight_expressions: dict = {}
        self._cuts: dict = {}
        self.prepare_options: dict | None = None
        self._dataset: DataSet | None = None
        self._log = Logger("DataSetInfo")

    def GetName(self) -> str:
        return self.name

    # ------------------------------------------------------------------ variables
    def AddVariable(self, expression, *args) -> None:
        """``(expr, type='F')``, ``(expr, title, unit, type='F', min, max)`` or ``(expr, type, min, max)``."""
        if args and len(str(args[0])) == 1 and str(args[0]) in _VARIABLE_TYPES:
            title, unit, var_type = "", "", str(args[0])
        else:
            title = str(args[0]) if args else ""
            unit = str(args[1]) if len(args) > 1 else ""
            var_type = str(args[2]) if len(args) > 2 else "F"
        self._add(self.variables, make_variable(expression, title, unit, var_type), "variable")

    def AddVariablesArray(self, expression, size: int, var_type: str = "F", *_range) -> None:
        """``AddVariablesArray("img", 784)``: variables ``img[0]`` .. ``img[783]``, the elements of a
        fixed-size array branch ``img`` (TMVA's DataLoader::AddVariablesArray), e.g. an image's pixels
        in the order InputLayout=depth|height|width reads them."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"AddVariablesArray('{expression}', {size!r}): the size must be a positive integer")
        name = str(expression.GetTitle() if hasattr(expression, "GetTitle") else expression).strip()
        if not name or any(c in name for c in "[]:= "):
            raise ValueError(f"AddVariablesArray: '{name}' is not an array branch name (no brackets, ':=' or blanks)")
        for i in range(size):
            self.AddVariable(f"{name}[{i}]", str(var_type))

    def AddSpectator(self, expression, title: str = "", unit: str = "", *_range) -> None:
        self._add(self.spectators, make_variable(expression, title, unit, "F"), "spectator")

    def AddTarget(self, expression, title: str = "", unit: str = "", *_range) -> None:
        self._add(self.targets, make_variable(expression, title, unit, "F"), "target")

    def _add(self, collection: list, info: VariableInfo, what: str) -> None:
        if self._dataset is not None:
            raise ValueError(f"cannot add {what} '{info.expression}' after the data set was built")
        if any(v.label == info.label for v in self.variables + self.targets + self.spectators):
            raise ValueError(f"{what} '{info.label}' is already declared")
        collection.append(info)

    # ------------------------------------------------------------------ trees
    def AddTree(self, tree, className: str, weight: float = 1.0, cut="", treetype="") -> None:
        if not hasattr(tree, "GetEntries"):
            raise TypeError(f"AddTree for class '{className}' needs a ROOT TTree, got {tree!r} "
                            "(a null pointer means the tree was not found in its file)")
        if str(treetype) not in ("", "None"):
            raise ValueError(f"tree type '{treetype}' is not supported in the compat workflow; add the trees without "
                             "one and let PrepareTrainingAndTestTree split them")
        if not math.isfinite(float(weight)):
            raise ValueError(f"AddTree for class '{className}': the tree weight is {weight}; it must be finite")
        if className not in self.class_names:
            self.class_names.append(str(className))
            Logger("DataSetInfo").header(f"[{self.name}] : Added class \"{className}\"")
        self.trees.append(TreeEntry(tree, str(className), float(weight), _cut_text(cut)))
        self._log.info(f"Add Tree {tree.GetName()} of type {className} with {tree.GetEntries()} events")

    def AddSignalTree(self, tree, weight: float = 1.0, treetype="") -> None:
        self.AddTree(tree, "Signal", weight, "", treetype)

    def AddBackgroundTree(self, tree, weight: float = 1.0, treetype="") -> None:
        self.AddTree(tree, "Background", weight, "", treetype)

    def AddRegressionTree(self, tree, weight: float = 1.0, treetype="") -> None:
        self.AddTree(tree, "Regression", weight, "", treetype)

    # ------------------------------------------------------------------ weights and cuts
    def SetWeightExpression(self, expression, className: str = "") -> None:
        """Per-event weight; for every class if ``className`` is empty."""
        self._weight_expressions[str(className)] = _cut_text(expression)

    def SetSignalWeightExpression(self, expression) -> None:
        self.SetWeightExpression(expression, "Signal")

    def SetBackgroundWeightExpression(self, expression) -> None:
        self.SetWeightExpression(expression, "Background")

    def weight_expression(self, class_name: str) -> str:
        return self._weight_expressions.get(class_name, self._weight_expressions.get("", ""))

    def AddCut(self, cut, className: str = "") -> None:
        self._cuts[str(className)] = _cut_text(cut)

    def cut(self, class_name: str) -> str:
        return self._cuts.get(class_name, self._cuts.get("", ""))

    def PrepareTrainingAndTestTree(self, *args) -> None:
        """``(cutSig, cutBkg, options)``, ``(cut, options)`` or ``(cut, nS, nB, nStest, nBtest, options)``."""
        if len(args) == 6:
            cut, n_s, n_b, n_st, n_bt, options = args
            args = (cut, f"nTrain_Signal={n_s}:nTrain_Background={n_b}:nTest_Signal={n_st}:"
                         f"nTest_Background={n_bt}:{options}")
        if len(args) == 3:
            self._cuts["Signal"], self._cuts["Background"] = _cut_text(args[0]), _cut_text(args[1])
        elif len(args) == 2:
            self._cuts[""] = _cut_text(args[0])
            for i, name in enumerate(self.class_names):
                self._log.info(f"Dataset[{self.name}] : Class index : {i}  name : {name}")
        else:
            raise TypeError("PrepareTrainingAndTestTree takes (cutSig, cutBkg, options), (cut, options) "
                            "or (cut, nTrainS, nTrainB, nTestS, nTestB, options)")
        if not self.class_names:
            raise ValueError(f"DataLoader '{self.name}' has no trees; add them before PrepareTrainingAndTestTree")
        self.prepare_options = parse_prepare_options(args[-1], self.class_names)
        self._dataset = None

    # ------------------------------------------------------------------ the data set
    def dataset(self) -> DataSet:
        """The training and test samples (built once, on first use)."""
        if self._dataset is None:
            self._check_ready()
            if self.prepare_options is None:
                self.prepare_options = parse_prepare_options("", self.class_names)
            self._dataset = build_dataset(self, Logger("DataSetFactory"))
            self._set_ranges()
        return self._dataset

    def _check_ready(self) -> None:
        if not self.variables:
            raise ValueError(f"DataLoader '{self.name}' has no variables; call AddVariable first")
        if not self.trees:
            raise ValueError(f"DataLoader '{self.name}' has no trees; call AddSignalTree/AddBackgroundTree/AddTree")

    def _set_ranges(self) -> None:
        """VariableInfo Min/Max: the range over the training events."""
        train = self._dataset.train
        for infos, values in ((self.variables, train.x), (self.targets, train.targets),
                              (self.spectators, train.spectators)):
            for i, info in enumerate(infos):
                info.min, info.max = float(values[:, i].min()), float(values[:, i].max())

    def describe_trees(self) -> str:
        return ", ".join(f"{tree_label(t.tree)} as {t.class_name}" for t in self.trees)
