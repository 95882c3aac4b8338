"""Shared piece of the Ctrl-C tests: a child Python process that is sent SIGINT.

The child sets Python's own SIGINT handler first (a shell's background job
starts with SIGINT ignored, an interactive Python never does), prints READY
just before the long call, and must end with KeyboardInterrupt; the parent
measures how long after the signal it ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

PROLOGUE = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def _drain(stream, into: list) -> threading.Thread:
    """Reads `stream` to its end in a thread, into `into`: a child that writes much to a pipe
    nobody reads blocks in write() and never sees the signal (a real TMVA's job writes much to stderr)."""
    thread = threading.Thread(target=lambda: into.extend(stream), daemon=True)
    thread.start()
    return thread


def interrupt_child(code: str, cwd, delay: float = 2.0, bound: float = 10.0):
    """Runs ``code`` in a child, sends SIGINT ``delay`` s after it printed READY;
    returns (seconds from the signal to the child's end, return code, stderr).
    A child still running ``bound`` s after the signal is killed (seconds = inf)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH")) if p))
    child = subprocess.Popen([sys.executable, "-c", PROLOGUE + textwrap.dedent(code)], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    err_lines, out_lines = [], []
    readers = [_drain(child.stderr, err_lines)]
    try:
        for line in child.stdout:  # the job's own output until READY
            if line.strip() == "READY":
                break
        else:
            child.wait()
            readers[0].join()
            raise AssertionError("the child ended before READY: " + "".join(err_lines)[-3000:])
        readers.append(_drain(child.stdout, out_lines))
        time.sleep(delay)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=bound)
            seconds = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            seconds = float("inf")
    finally:  # on every path, the error ones included: no child, thread or pipe outlives the call
        if child.poll() is None:
            child.kill()
            child.wait()
        for reader in readers:
            reader.join()
        child.stdout.close()
        child.stderr.close()
    print(f"SIGINT to end of the child: {seconds:.2f} s")
    return seconds, child.returncode, "".join(err_lines)
