"""Small image TTrees for the CNN tests of both TMVA workflows (compatible and real).

What it is: 8x8 noise images with one bright bar, vertical for signal (TreeS) and
horizontal for background (TreeB), written as a fixed-size array branch ``img[64]/F``,
as TMVA users give images. What it is not: a data set for quality claims."""

from __future__ import annotations

from array import array

import numpy as np

SIDE = 8
N_PIXELS = SIDE * SIDE
PIXEL_VARIABLES = [f"img[{j}]" for j in range(N_PIXELS)]  # what AddVariablesArray("img", 64) adds
PIXEL_BRANCHES = [f"img_{j}_" for j in range(N_PIXELS)]  # TMVA's internal names of img[j] (TestTree branches)


def images(rng, n: int, vertical: bool):
    """Noise with one bright bar: vertical (signal) or horizontal (background)."""
    result = rng.normal(0, 0.6, (n, SIDE, SIDE)).astype(np.float32)
    at = rng.integers(1, SIDE - 1, n)
    for e in range(n):
        if vertical:
            result[e, :, at[e]] += 1.5
        else:
            result[e, at[e], :] += 1.5
    return result.reshape(n, N_PIXELS)


def write_image_trees(path, n: int = 300):
    """`path` gets trees TreeS and TreeB of `n` images each, branch ``img[64]/F``."""
    import ROOT

    rng = np.random.default_rng(2)
    handle = ROOT.TFile(str(path), "RECREATE")
    for name, vertical in (("TreeS", True), ("TreeB", False)):
        tree = ROOT.TTree(name, name)
        buffer = array("f", [0.0] * N_PIXELS)
        tree.Branch("img", buffer, f"img[{N_PIXELS}]/F")
        for row in images(rng, n, vertical):
            buffer[:] = array("f", row)
            tree.Fill()
        tree.Write()
    handle.Close()
