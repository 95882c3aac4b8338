"""Reads the DataLoader's trees into numpy, as TMVA's DataSetFactory does.

Every expression (variable, target, spectator, weight, cut) is a
``TTreeFormula`` read by the package's one TTree reader
(``tmva_hashednet._tree_source``): ``var4^2``, ``Sum$(x)`` and ``Entry$``
work as in TMVA and in ``streaming``; an expression that is none gives a
``ValueError`` naming it and listing the tree's branches; a NaN or inf in an
event passing the cut names the expression, the tree and the entry (TMVA:
"How am I supposed to train a NaN or +-inf?!"). A cut passes when its value
is >= 0.5 (TMVA's rule). Each expression must give one value per entry: TMVA
would make one event per element of an array expression, which is not done
here.
"""

from __future__ import annotations

import numpy as np

from .._tree_source import Column, TreeSource, tree_object_label
from .._treereader import SELECTION, W, X

__all__ = ["branch_names", "read_tree_columns", "tree_label"]

tree_label = tree_object_label


def branch_names(tree) -> list:
    return [str(leaf.GetName()) for leaf in tree.GetListOfLeaves()]


def read_tree_columns(tree, columns, cut: str = "", weight: str = "") -> tuple:
    """(values float32 (n, k), weights float64 (n,)) for the events passing ``cut``.

    ``columns``: (what, expression) pairs, e.g. ("variable", "var4^2"), read
    in that order; ``weight``: the weight expression ("" gives 1)."""
    specs = [Column(what, expression, X) for what, expression in columns]
    specs += [Column("weight", weight, W)] if weight else []
    specs += [Column("cut", cut, SELECTION)] if cut else []
    values, _, weights = TreeSource.from_tree(tree, specs, one_value=True, tmva_cuts=True).read_all()
    return values, np.ones(len(values)) if weights is None else weights
