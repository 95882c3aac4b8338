"""Small TTrees written with ROOT from numpy arrays, for the reader tests."""

from __future__ import annotations

import numpy as np


def write_tree(path, name: str, branches: dict, mode: str = "UPDATE") -> None:
    """``branches``: name -> (leaf list, values); values (n,) or (n, k), the
    numpy dtype matching the leaf list's type (F float32, D float64, I int32)."""
    import ROOT

    handle = ROOT.TFile(str(path), mode)
    tree = ROOT.TTree(name, name)
    buffers = {}
    for branch, (leaflist, values) in branches.items():
        values = np.asarray(values)
        buffers[branch] = np.zeros(max(values.shape[1] if values.ndim == 2 else 1, 1), dtype=values.dtype)
        tree.Branch(branch, buffers[branch], leaflist)
    n = len(next(iter(branches.values()))[1])
    for e in range(n):
        for branch, (_, values) in branches.items():
            buffers[branch][: np.size(values[e])] = values[e]
        tree.Fill()
    tree.Write()
    handle.Close()
