"""Shared fixtures: the loaded core and ROOT's bundled data sets."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tmva_hashednet import datasets

# Property tests (hypothesis): few examples in CI, no deadline (the machine is
# shared, and the first call loads the core), no example database in the tree.
for _name, _examples in (("ci", 50), ("long", 2000)):
    settings.register_profile(_name, max_examples=_examples, deadline=None, database=None,
                              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def hn():
    """The hashednet C++ namespace (loads the library through PyROOT)."""
    from tmva_hashednet._core import core

    return core()


@pytest.fixture(scope="session")
def bench(hn):
    """hashednet::bench (bench.h): kernels by instruction set, layer passes, timers."""
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/bench.h"')
    return hn.bench


@pytest.fixture(params=["scalar", "avx2", "avx512"])
def isa(request, bench):
    """Each instruction set of the CPU kernels; skipped where this CPU or build lacks it."""
    if not bench.kernel_isa_available(request.param):
        pytest.skip(f"{request.param} is not available on this CPU or build")
    return request.param


@pytest.fixture(params=["reference", "cpu"])
def backend(request):
    """Each backend a network runs on: "reference" (every V materialised through
    the weight scheme's host reference, loops in double) and "cpu" (fused)."""
    return request.param


@pytest.fixture(scope="session")
def class_example():
    """TMVA's toy two-class data: (x, y), 6000 signal + 6000 background, 4 variables."""
    return datasets.load_two_class("tmva_class_example.root", "TreeS", "TreeB", datasets.CLASS_EXAMPLE_VARIABLES)


def split_half(x, y, seed=1):
    """A seeded 50/50 train/test split."""
    order = np.random.default_rng(seed).permutation(len(x))
    half = len(x) // 2
    return x[order[:half]], y[order[:half]], x[order[half:]], y[order[half:]]


def pytest_terminal_summary(terminalreporter):
    """Says once when test_golden compared within tolerances instead of bit for bit (another BLAS kernel)."""
    notes = {value for reports in terminalreporter.stats.values() for report in reports
             for name, value in getattr(report, "user_properties", ()) if name == "golden"}  # fmt: skip
    for note in sorted(notes):
        terminalreporter.write_line(note, yellow=True)
