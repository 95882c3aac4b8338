"""Issue 12, enormous layouts: the cost of a network is printed before it
trains and is a warning above hashednet::kExpensiveMultiplyAdds, a long epoch
prints its progress, and Ctrl-C stops such a training within a tile of the
running mini-batch, not after it (a single mini-batch of a 10^9
multiply-add network takes tens of seconds)."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from signal_helpers import PROLOGUE, interrupt_child

from tmva_hashednet import CostWarning, HashedNetwork, TrainingConfig

BOUND = 10.0  # s from SIGINT to the child's end; a tile takes milliseconds, generous for a loaded machine

# 3 inputs, two hidden layers of 30000 at 1/1000: 9.0e8 virtual multiply-adds per event.
HUGE = 'HashedNetwork(3, "TANH|30000,TANH|30000,LINEAR", compression="1/1000", num_threads=1)'
HUGE_FORWARD = 3 * 30000 + 30000 * 30000 + 30000


def test_the_cost_is_counted_from_the_layer_shapes():
    net = HashedNetwork(7, "TANH|256,TANH|256,LINEAR", compression="1/8", num_threads=1)
    cost = net.cost_estimate()
    assert cost["forward_multiply_adds"] == 7 * 256 + 256 * 256 + 256 == cost["virtual_weights"]
    assert cost["training_multiply_adds"] == 3 * cost["forward_multiply_adds"]
    assert cost["real_bytes"] == net.memory_report().bytes == 4 * net.n_params
    assert not cost["expensive"] and cost["threshold"] == 10**8
    assert net.cost_warning() == ""
    assert cost["text"] == (f"cost per event: {cost['forward_multiply_adds']:.3g} virtual multiply-adds forward (one "
                            f"response), {cost['training_multiply_adds']:.3g} in training (per epoch); real parameters "
                            f"{cost['real_bytes']} bytes")  # fmt: skip


def test_a_cnn_costs_its_filters_at_every_output_position():
    # CONV: filters x depth*fh*fw multiply-adds at each of the out_height x out_width positions; MAXPOOL and
    # RESHAPE none (they were once counted as dense n_in x n_out matrices: 9.4e8 here, a false CostWarning)
    layout = "CONV|32|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,LINEAR"
    net = HashedNetwork(16 * 28 * 28, layout, input_layout=(16, 28, 28))
    cost = net.cost_estimate()
    assert cost["forward_multiply_adds"] == 32 * 16 * 3 * 3 * 28 * 28 + 32 * 14 * 14
    assert cost["virtual_weights"] == 32 * 16 * 3 * 3 + 32 * 14 * 14
    assert not cost["expensive"]


def test_an_enormous_layout_warns_at_construction():
    with pytest.warns(CostWarning, match=r"this network needs 9e\+08 virtual multiply-adds per event \(more than "
                                         r"1e\+08\): one response may take seconds"):  # fmt: skip
        net = eval(HUGE)
    assert net.cost_estimate()["forward_multiply_adds"] == HUGE_FORWARD
    assert net.cost_estimate()["expensive"]


def test_fit_prints_the_cost_before_training(capfd):
    x = np.random.default_rng(1).normal(size=(100, 3)).astype(np.float32)
    net = HashedNetwork(3, "TANH|8,LINEAR", num_threads=1)
    net.fit(x, (x[:, 0] > 0).astype(np.float32), training=TrainingConfig(max_epochs=1), verbose=True)
    out = capfd.readouterr().out
    assert f"HashedDNN: {net.cost_estimate()['text']}\n" in out
    assert "WARNING" not in out


# A child training the huge network on a few events: the data are nothing, the network everything.
HUGE_TRAINING = f"""
import warnings
import numpy as np
from tmva_hashednet import HashedNetwork, TrainingConfig
warnings.simplefilter("ignore")
x = np.random.default_rng(1).normal(size=(N_EVENTS, 3)).astype(np.float32)
y = (x[:, 0] > 0).astype(np.float32)
net = {HUGE}
"""


def test_ctrl_c_stops_an_enormous_network_within_its_mini_batch(tmp_path):
    """One mini-batch of 64 events is 1.7e11 multiply-adds (minutes here, tens of seconds on a fast core); the
    SIGINT 2 s into it must end the child within BOUND: the kernels poll between tiles (main polled only after
    each mini-batch)."""
    code = HUGE_TRAINING.replace("N_EVENTS", "64") + textwrap.dedent("""
        config = TrainingConfig(max_epochs=1000, convergence_steps=1000, batch_size=64)
        print("READY", flush=True)
        net.fit(x, y, validation_fraction=0.0, standardize=False, training=config, verbose=False)
        """)
    seconds, code, err = interrupt_child(code, tmp_path, delay=2.0, bound=BOUND)
    assert seconds < BOUND, err[-3000:]
    assert code == -signal.SIGINT, err[-3000:]
    assert "KeyboardInterrupt: training interrupted (SIGINT) after epoch 1, batch 0; the network keeps its weights " \
           "from before this training phase" in err, err[-3000:]


PROGRESS_BOUND = 240.0  # s to the first progress line: 5 s and one mini-batch (seconds) here, generous under load


def _wait_for_line(child, pattern, lines, deadline) -> bool:
    """Reads the child's stdout (unbuffered, from its descriptor) into ``lines`` until a line matches
    ``pattern`` (True) or the deadline or the end of the output comes (False); never blocks past the deadline."""
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                return False
            *complete, pending = (pending + chunk).split(b"\n")
            for line in complete:
                lines.append(line.decode(errors="replace") + "\n")
                if pattern.match(lines[-1].rstrip("\n")):
                    return True
    return False


def test_a_long_epoch_prints_its_progress_and_ctrl_c_stops_it(tmp_path):
    """Mini-batches of one event (about a second each here): after 5 s the epoch prints events done and the time
    left; a SIGINT after that line ends the child with KeyboardInterrupt."""
    code = HUGE_TRAINING.replace("N_EVENTS", "8") + textwrap.dedent("""
        config = TrainingConfig(max_epochs=1000, convergence_steps=1000, batch_size=1)
        net.fit(x, y, validation_fraction=0.0, standardize=False, training=config, verbose=True)
        """)
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH")) if p))
    child = subprocess.Popen([sys.executable, "-u", "-c", PROLOGUE + code], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    progress = re.compile(r"^   epoch \d+, training: (\d) of 8 events \(\d+(\.\d+)?%\) in [\d.]+ s, about [\d.e+]+ s "
                          r"left in this pass$")  # fmt: skip
    lines = []
    try:
        if not _wait_for_line(child, progress, lines, deadline=time.monotonic() + PROGRESS_BOUND):
            child.kill()
            raise AssertionError(f"no progress line within {PROGRESS_BOUND} s: " + "".join(lines)
                                 + child.communicate()[1][-3000:].decode(errors="replace"))  # fmt: skip
        assert any("HashedDNN: WARNING: this network needs 9e+08 virtual multiply-adds" in l for l in lines), lines
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=BOUND)
        err = err.decode(errors="replace")
        assert time.monotonic() - sent < BOUND
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == -signal.SIGINT, err[-3000:]
    assert "KeyboardInterrupt: training interrupted (SIGINT) after epoch " in err, err[-3000:]
