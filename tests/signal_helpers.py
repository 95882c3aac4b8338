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
import time

PROLOGUE = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def interrupt_child(code: str, cwd, delay: float = 2.0, bound: float = 10.0):
    """Runs ``code`` in a child, sends SIGINT ``delay`` s after it printed READY;
    returns (seconds from the signal to the child's end, return code, stderr).
    A child still running ``bound`` s after the signal is killed (seconds = inf)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH")) if p))
    child = subprocess.Popen([sys.executable, "-c", PROLOGUE + textwrap.dedent(code)], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for line in child.stdout:  # the job's own output until READY
            if line.strip() == "READY":
                break
        else:
            raise AssertionError("the child ended before READY: " + child.communicate()[1][-3000:])
        time.sleep(delay)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        try:
            _, err = child.communicate(timeout=bound)
            seconds = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            child.kill()
            _, err = child.communicate()
            seconds = float("inf")
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    print(f"SIGINT to end of the child: {seconds:.2f} s")
    return seconds, child.returncode, err
