"""Reads expressions of a ROOT TTree into numpy, with clear errors.

Each expression is checked with a TTreeFormula first, so a misspelled
branch gives a ``ValueError`` that names it and lists the tree's branches;
the values are then read in one RDataFrame event loop per tree.
"""

from __future__ import annotations

import numpy as np

__all__ = ["branch_names", "read_tree_columns", "tree_label"]


def tree_label(tree) -> str:
    directory = tree.GetDirectory()
    where = directory.GetFile().GetName() if directory and directory.GetFile() else "memory"
    return f"tree '{tree.GetName()}' ({where})"


def branch_names(tree) -> list:
    return [str(leaf.GetName()) for leaf in tree.GetListOfLeaves()]


def _check_expression(tree, expression: str, what: str) -> None:
    import ROOT

    if expression in branch_names(tree):
        return
    previous = ROOT.gErrorIgnoreLevel
    ROOT.gErrorIgnoreLevel = ROOT.kFatal
    try:
        formula = ROOT.TTreeFormula("hashednet_check", expression, tree)
        valid = formula.GetNdim() > 0
    finally:
        ROOT.gErrorIgnoreLevel = previous
    if not valid:
        raise ValueError(
            f"{what} '{expression}' cannot be evaluated on {tree_label(tree)}; its branches are: "
            f"{', '.join(branch_names(tree))}"
        )


def _is_tree(tree) -> bool:
    return hasattr(tree, "GetListOfLeaves") and hasattr(tree, "GetEntries")


def read_tree_columns(tree, expressions, cut: str = "", weight: str = "") -> tuple:
    """(values float32 (n, k), weights float64 (n,)) for the events passing ``cut``."""
    import ROOT

    if not _is_tree(tree):
        raise TypeError(f"expected a ROOT TTree, got {type(tree).__name__} (a null pointer means the tree was not found)")
    for expression in expressions:
        _check_expression(tree, expression, "expression")
    if cut:
        _check_expression(tree, cut, "cut")
    if weight:
        _check_expression(tree, weight, "weight expression")
    frame = ROOT.RDataFrame(tree)
    try:
        if cut:
            frame = frame.Filter(cut)
        names, branches = [], set(branch_names(tree))
        for i, expression in enumerate(expressions):
            if expression in branches:  # any branch name, even one that is not a C++ identifier
                names.append(expression)
                continue
            names.append(f"__hn_col{i}")
            frame = frame.Define(names[-1], f"static_cast<float>({expression})")
        frame = frame.Define("__hn_weight", f"static_cast<double>({weight or '1.0'})")
        arrays = frame.AsNumpy(list(dict.fromkeys(names)) + ["__hn_weight"])
    except Exception as error:  # a TTreeFormula expression that is not C++
        raise ValueError(f"cannot read {list(expressions)} (cut '{cut}', weight '{weight}') from {tree_label(tree)}: "
                         f"{error}") from None
    n = len(arrays["__hn_weight"])
    columns = [np.asarray(arrays[name], dtype=np.float32) for name in names]
    values = np.stack(columns, axis=1) if names else np.zeros((n, 0), np.float32)
    return np.ascontiguousarray(values, dtype=np.float32), np.asarray(arrays["__hn_weight"], dtype=np.float64)

