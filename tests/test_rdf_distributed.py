"""tmva_hashednet.rdf on distributed RDataFrame (Dask): a trained model applied
to a chain of three files by a LocalCluster of two worker processes gives the
local run's histogram of scores and, in its Snapshot, the local run's score
for every event, bit for bit. Needs the [distributed] extra (dask, distributed)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from rdf_helpers import VARS, by_id, train_weights, write_tree

from tmva_hashednet import rdf

dask = pytest.importorskip("dask", reason="dask is not installed: pip install 'tmva-hashednet[distributed]'")
distributed = pytest.importorskip("distributed",
                                  reason="distributed is not installed: pip install 'tmva-hashednet[distributed]'")

N_PER_FILE = 700
HISTOGRAM = ("h", "scores", 40, 0.0, 1.0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=logging.ERROR)  # fmt: skip
    with distributed.Client(cluster) as connection:
        yield connection
    cluster.close()


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def test_dask_run_equals_the_local_run(client, tmp_path):
    import ROOT

    weights = train_weights(tmp_path)
    files = [str(tmp_path / f"part{i}.root") for i in range(3)]
    for i, path in enumerate(files):
        write_tree(path, N_PER_FILE, first_id=i * N_PER_FILE)
    scorer = rdf.Scorer(weights)
    rdf.distribute(scorer)

    remote = scorer.define(ROOT.RDataFrame("events", files, executor=client, npartitions=3), "score", VARS)
    remote_histogram = remote.Histo1D(HISTOGRAM, "score")
    remote.Snapshot("scored", str(tmp_path / "scored.root"), ["id", "score"])

    local = scorer.define(ROOT.RDataFrame("events", files), "score", VARS)
    local_histogram = local.Histo1D(HISTOGRAM, "score")
    expected = by_id(local.AsNumpy(["id", "score"]))

    bins = range(HISTOGRAM[2] + 2)  # with under- and overflow
    assert [remote_histogram.GetBinContent(b) for b in bins] == [local_histogram.GetBinContent(b) for b in bins]
    assert remote_histogram.GetEntries() == 3 * N_PER_FILE
    written = sorted(str(p) for p in tmp_path.glob("scored*.root"))
    assert written, "the distributed Snapshot wrote no file"
    got = by_id(ROOT.RDataFrame("scored", written).AsNumpy(["id", "score"]))
    assert np.array_equal(got["id"], np.arange(3 * N_PER_FILE))
    assert np.array_equal(_bits(got["score"]), _bits(expected["score"]))
