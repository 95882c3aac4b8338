"""One const network per process for the compatible Reader (evaluator.shared_network):
Readers of one weight file share one snapshot and keep no trainable network
unless the batch path asks for one; several Readers, each in its own thread,
give one Reader's numbers bit for bit; the snapshot goes with its last holder."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from rdf_helpers import VARS, train_weights
from thread_helpers import in_threads

from tmva_hashednet import evaluator
from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()  # these tests are of the compatible Reader's sharing, with or without a real TMVA


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return train_weights(tmp_path_factory.mktemp("shared-class"))


def _reader(weights):
    reader = TMVA.Reader("!Color:Silent")
    for name in VARS:
        reader.AddVariable(name)
    reader.BookMVA("HashedDNN", str(weights))
    return reader


def _inputs(n: int) -> np.ndarray:
    return np.random.default_rng(5).normal(scale=1.5, size=(n, len(VARS))).astype(np.float32)


def test_readers_of_one_file_share_one_snapshot_and_no_trainable_network(weights):
    readers = [_reader(weights) for _ in range(3)]
    methods = [r.methods["HashedDNN"] for r in readers]
    for reader in readers:
        reader.EvaluateMVA([0.1, 0.2, 0.3, 0.4], "HashedDNN")
    assert all(m.shared is methods[0].shared for m in methods)
    assert methods[0].shared.shared_bytes() > 4 * methods[0].shared.n_inputs  # it holds the parameters
    assert all(m._network is None for m in methods)  # the event path needs none
    readers[0].evaluate_batch("HashedDNN", _inputs(4))
    assert methods[0]._network is not None and methods[1]._network is None


def test_readers_in_threads_give_one_readers_numbers(weights):
    x = _inputs(300)
    one = [_reader(weights).EvaluateMVA(list(map(float, row)), "HashedDNN") for row in x]
    readers = [_reader(weights) for _ in range(4)]

    def work(t):  # each Reader in its own thread, walking the events in its own order
        order = np.roll(np.arange(len(x)), 53 * t)
        got = [0.0] * len(x)
        for e in order:
            got[e] = readers[t].EvaluateMVA(list(map(float, x[e])), "HashedDNN")
        return got

    for t, got in enumerate(in_threads(work, 4)):
        assert got == one, f"reader {t}"
    batch = readers[0].evaluate_batch("HashedDNN", x)
    np.testing.assert_allclose(batch, one, rtol=1e-6, atol=1e-7)


def test_the_snapshot_goes_with_its_last_holder(weights):
    reader = _reader(weights)
    reader.EvaluateMVA([0.1, 0.2, 0.3, 0.4], "HashedDNN")
    text = reader.methods["HashedDNN"].shared.text
    assert evaluator.shared_network(text) is reader.methods["HashedDNN"].shared
    del reader
    gc.collect()
    assert not any(n.text == text for n in evaluator._shared_networks.values())


def test_shared_network_refuses_what_is_not_a_network_text():
    with pytest.raises(TypeError, match="text must be str, got bytes"):
        evaluator.shared_network(b"hashednet")
    with pytest.raises(ValueError, match="not a hashednet network"):
        evaluator.shared_network("not a network")


def test_many_threads_booking_and_evaluating_readers_at_once(weights):
    """Evaluations run without the GIL while other threads book Readers (ROOT's interpreter): without ROOT's
    thread safety this crashed inside libCling (50 threads)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent / "threads_booking_readers.py"
    run = subprocess.run([sys.executable, "-W", "ignore", str(script), str(weights), "50"], capture_output=True,
                         text=True, timeout=600, env=dict(os.environ))  # fmt: skip
    assert run.returncode == 0 and "equal 50" in run.stdout, run.stdout[-2000:] + run.stderr[-3000:]
