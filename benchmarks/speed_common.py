"""Shared pieces of the speed and memory benchmarks: the core's benchmark
entry points (``hashednet/bench.h``), repeated interleaved timing, medians,
and the printed tables. Not a test and not part of the package."""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

__all__ = ["bench", "core", "median", "interleaved", "print_table", "fmt_seconds", "fmt_bytes", "cpu_description"]


def core():
    from tmva_hashednet._core import core as load

    return load()


def bench():
    """The ``hashednet::bench`` namespace (benchmark entry points of the core)."""
    import ROOT

    hn = core()
    if not hasattr(hn, "bench"):
        if not ROOT.gInterpreter.Declare('#include "hashednet/bench.h"'):
            raise ImportError("could not parse hashednet/bench.h")
    return hn.bench


def median(values) -> float:
    return float(statistics.median(list(values)))


def interleaved(calls: dict, rounds: int) -> dict:
    """Runs each callable once per round, in turn (A B C A B C ...), so that
    the load of a shared machine falls on all of them alike. Each callable
    returns a list of seconds; the result maps name -> all seconds."""
    seconds = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            seconds[name].extend(call())
    return seconds


def python_timer(function, repetitions: int):
    """A callable for :func:`interleaved` timing ``function()`` with perf_counter (after a warm-up)."""

    def run():
        function()
        out = []
        for _ in range(repetitions):
            start = time.perf_counter()
            function()
            out.append(time.perf_counter() - start)
        return out

    return run


def fmt_seconds(s: float) -> str:
    if s != s:  # NaN
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_bytes(b: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(b) >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b:.0f} B"


def print_table(title: str, header: list, rows: list) -> None:
    """A plain aligned text table."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print(f"CPU: {_cpu_line()}")
    line = "  ".join(h.rjust(w) for h, w in zip(cells[0], widths))
    print(line)
    print("-" * len(line))
    for row in cells[1:]:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def _cpu_line() -> str:
    """The CPU model, its core count and the load average now (printed above every table)."""
    d = cpu_description()
    load = ", ".join(f"{v:.2f}" for v in d["load_average_at_start"])
    return f"{d['cpu']}, {d['cores']} cores, load average {load}"


def cpu_description() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"cpu": model, "cores": os.cpu_count(), "load_average_at_start": list(load)}


def random_inputs(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)
