"""The conv suite of benchmarks/run.py: one convolution layer, forward and
forward+backward, our dense filters against hashed ones (ELEMENT 1/8, BLOCK
1/8, FreshNets 1/8) and against PyTorch's conv2d on the CPU (benchmark-only: skipped with a
message when torch is not importable; ``pip install torch==2.13.0``).

The layer: 32 filters of 3 x 3 with padding 1 on 16 x 28 x 28 images, batch
256 (``--quick``: batch 32). Ours is timed as the network
``CONV|32|3|3|1|1|1|1|LINEAR,RESHAPE|FLAT,LINEAR`` (the reshape copies the
output, the 1-output dense layer after it adds 1/144 of the conv's
multiply-adds); PyTorch's as ``conv2d`` then the same linear layer and loss.
Ratios are measured side by side (interleaved rounds, medians). Each call is
timed in wall-clock and in process CPU time (``time.process_time``: all of the
process's threads): on a shared machine a 2-thread run may get one core's
share, so wall / CPU says how much of the two cores a method had. The targets
are judged on wall-clock medians. Not a test.
"""

from __future__ import annotations

import time

import numpy as np
from speed_common import fmt_seconds, interleaved, median, print_table

DEPTH, SIDE, FILTERS, KERNEL = 16, 28, 32, 3
LAYOUT = f"CONV|{FILTERS}|{KERNEL}|{KERNEL}|1|1|1|1|LINEAR,RESHAPE|FLAT,LINEAR"
SCHEMES = {"dense": dict(compression=1.0), "element 1/8": dict(compression=1 / 8),
           "block 1/8": dict(compression=1 / 8, hash_mode="BLOCK", hash_block=9),
           "freshnets 1/8": dict(compression=1 / 8, hash_mode="FRESH")}  # fmt: skip


def _ours(scheme: dict, x, y, threads: int):
    from tmva_hashednet import HashedNetwork

    net = HashedNetwork(DEPTH * SIDE * SIDE, LAYOUT, input_layout=(DEPTH, SIDE, SIDE), seed=1, num_threads=threads,
                        **scheme)  # fmt: skip
    return {"forward": lambda: net.predict(x), "forward+backward": lambda: net.gradient(x, y)}


def _torch(x, y, threads: int):
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    images = torch.from_numpy(x.reshape(-1, DEPTH, SIDE, SIDE))
    target = torch.from_numpy(y)
    weight = torch.randn(FILTERS, DEPTH, KERNEL, KERNEL, requires_grad=True)
    bias = torch.zeros(FILTERS, requires_grad=True)
    out_weight = torch.randn(1, FILTERS * SIDE * SIDE, requires_grad=True)

    def forward():
        z = torch.nn.functional.conv2d(images, weight, bias, padding=1)
        return torch.nn.functional.linear(z.reshape(len(images), -1), out_weight)[:, 0]

    def step():
        loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(), target)
        loss.backward()

    def no_grad_forward():
        with torch.no_grad():
            forward()

    return {"forward": no_grad_forward, "forward+backward": step}


def _timer(function, repetitions: int, cpu_seconds: list):
    """A callable for :func:`interleaved` timing ``function()`` in wall-clock (returned) and process CPU time
    (appended to ``cpu_seconds``), after a warm-up."""

    def run():
        function()
        out = []
        for _ in range(repetitions):
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            cpu_seconds.append(time.process_time() - cpu)
            out.append(time.perf_counter() - wall)
        return out

    return run


def run_conv(threads: int = 0, batch: int = 256, rounds: int = 5, repetitions: int = 3) -> dict:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, DEPTH * SIDE * SIDE)).astype(np.float32)
    y = rng.integers(0, 2, batch).astype(np.float32)
    methods = {name: _ours(scheme, x, y, threads) for name, scheme in SCHEMES.items()}
    torch_calls = _torch(x, y, threads)
    if torch_calls is None:
        print("conv: torch is not importable; the PyTorch column is skipped (pip install torch==2.13.0)")
    else:
        methods["torch conv2d"] = torch_calls
    rows, table = [], []
    for kind in ("forward", "forward+backward"):
        cpu = {name: [] for name in methods}
        calls = {name: _timer(calls[kind], repetitions, cpu[name]) for name, calls in methods.items()}
        medians = {name: median(s) for name, s in interleaved(calls, rounds).items()}
        cpu_medians = {name: median(s) for name, s in cpu.items()}
        dense, cpu_dense = medians["dense"], cpu_medians["dense"]
        for name, t in medians.items():
            c = cpu_medians[name]
            rows.append({"pass": kind, "method": name, "seconds": t, "ratio_to_our_dense": t / dense,
                         "cpu_seconds": c, "cpu_ratio_to_our_dense": c / cpu_dense})  # fmt: skip
            table.append([kind, name, fmt_seconds(t), f"{t / dense:.2f}", fmt_seconds(c), f"{c / cpu_dense:.2f}"])
    print_table(f"conv layer: {FILTERS} filters {KERNEL}x{KERNEL}, pad 1, on {DEPTH}x{SIDE}x{SIDE}, batch {batch}",
                ["pass", "method", "median", "/ our dense", "cpu median", "cpu / our dense"], table)  # fmt: skip
    targets = []
    if torch_calls is not None:
        for kind in ("forward", "forward+backward"):
            ours = next(r for r in rows if r["pass"] == kind and r["method"] == "dense")["seconds"]
            theirs = next(r for r in rows if r["pass"] == kind and r["method"] == "torch conv2d")["seconds"]
            cpu_ours = next(r for r in rows if r["pass"] == kind and r["method"] == "dense")["cpu_seconds"]
            cpu_theirs = next(r for r in rows if r["pass"] == kind and r["method"] == "torch conv2d")["cpu_seconds"]
            targets.append({"name": f"dense conv within 1.5x of PyTorch's conv2d ({kind})",
                            "ratio_ours_to_torch": ours / theirs, "cpu_ratio_ours_to_torch": cpu_ours / cpu_theirs,
                            "reached": bool(ours / theirs <= 1.5)})  # fmt: skip
    for kind in ("forward", "forward+backward"):
        fresh = next(r for r in rows if r["pass"] == kind and r["method"] == "freshnets 1/8")["ratio_to_our_dense"]
        targets.append({"name": f"FreshNets conv at most 1.3x our dense conv ({kind})",
                        "ratio_to_our_dense": fresh, "reached": bool(fresh <= 1.3)})  # fmt: skip
    for target in targets:
        ratio = target.get("ratio_ours_to_torch", target.get("ratio_to_our_dense"))
        print(f"  target: {target['name']}: {ratio:.2f} {'PASS' if target['reached'] else 'MISS'}")
    return {"batch": batch, "layout": LAYOUT, "rows": rows, "targets": targets, "torch": torch_calls is not None}
