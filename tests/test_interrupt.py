"""Ctrl-C (SIGINT) during training: it stops within about a mini-batch and
comes out as KeyboardInterrupt, and the caller's SIGINT handler is back after
training (the C++ side: tests/cpp/test_interrupt.cpp; the TMVA workflow:
tests/test_tmva_errors.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from signal_helpers import interrupt_child

from tmva_hashednet import HashedNetwork, TrainingConfig

BOUND = 10.0  # s from the signal to the child's end; ~0.5 s measured, generous for a loaded machine

# A training of many minutes: 10^6 events (one epoch alone is longer than
# BOUND, so only the check after each mini-batch can pass), 2x256 hidden, no early stopping.
LONG_TRAINING = """
import numpy as np
from tmva_hashednet import HashedNetwork, TrainingConfig
rng = np.random.default_rng(1)
x = rng.normal(size=(1000000, 10)).astype(np.float32)
y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
net = HashedNetwork(10, layout="TANH|256,TANH|256,LINEAR", compression=1 / 8, num_threads=1)
config = TrainingConfig(max_epochs=100000, convergence_steps=100000, batch_size=64)
print("READY", flush=True)
"""


def test_ctrl_c_stops_fit_with_keyboard_interrupt(tmp_path):
    # the split and standardisation done here, so that fit is in C++ almost at once after READY
    fit = ("net.fit(x[:800000], y[:800000], validation_data=(x[800000:], y[800000:]), standardize=False, "
           "training=config, verbose=False)\n")
    seconds, code, err = interrupt_child(LONG_TRAINING + fit, tmp_path)
    assert seconds < BOUND, err[-3000:]
    assert code == -signal.SIGINT, err[-3000:]  # an uncaught KeyboardInterrupt ends Python by SIGINT
    assert "KeyboardInterrupt: training interrupted (SIGINT) after epoch " in err, err[-3000:]
    assert "the network keeps its weights from before this training phase (no epoch was completed)" in err


def test_ctrl_c_stops_partial_fit_within_its_chunk(tmp_path):
    seconds, code, err = interrupt_child(LONG_TRAINING + "net.partial_fit(x, y, training=config)\n", tmp_path)
    assert seconds < BOUND, err[-3000:]
    assert code == -signal.SIGINT, err[-3000:]
    assert "KeyboardInterrupt: training interrupted (SIGINT) after chunk 1, batch " in err, err[-3000:]


def _small_fit():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    net = HashedNetwork(3, layout="TANH|8,LINEAR", num_threads=1)
    net.fit(x, (x[:, 0] > 0).astype(np.float32), training=TrainingConfig(max_epochs=2), verbose=False)


def test_the_callers_sigint_handler_is_back_after_training():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: calls.append(number))
    try:
        _small_fit()
        os.kill(os.getpid(), signal.SIGINT)  # reaches a Python handler only if the C-level one is Python's again
        signal.getsignal(signal.SIGINT)  # a bytecode boundary: the handler runs
    finally:
        signal.signal(signal.SIGINT, previous)
    assert calls == [signal.SIGINT]


def test_the_callers_sigint_handler_is_back_after_an_interrupted_training():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: calls.append(number))
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20000, 10)).astype(np.float32)
    net = HashedNetwork(10, layout="TANH|256,TANH|256,LINEAR", compression=1 / 8, num_threads=1)
    killer = subprocess.Popen([sys.executable, "-c", f"import os, signal, time; time.sleep(1.0); "
                                                     f"os.kill({os.getpid()}, signal.SIGINT)"])  # fmt: skip
    try:
        with pytest.raises(KeyboardInterrupt, match=r"training interrupted \(SIGINT\) after epoch \d+, batch \d+"):
            net.fit(x, (x[:, 0] > 0).astype(np.float32), verbose=False,
                    training=TrainingConfig(max_epochs=100000, convergence_steps=100000, batch_size=64))
        killer.wait()
        assert calls == []  # the SIGINT stopped the training; it is not handed on a second time
        os.kill(os.getpid(), signal.SIGINT)
        signal.getsignal(signal.SIGINT)
    finally:
        killer.wait()
        signal.signal(signal.SIGINT, previous)
    assert calls == [signal.SIGINT]
