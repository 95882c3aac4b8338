"""memory: peak resident memory of one forward+backward of one layer.

Each method runs in a child process of its own. The child loads the core,
allocates and touches the caller's arrays (x, dy, y, dx, the parameters and
their gradient), warms the BLAS up on a tiny layer (its thread pool and
buffers exist in every method alike), then resets the kernel's peak-RSS mark
(/proc/self/clear_refs) and runs one cold forward+backward. "work" is the
peak resident memory above the level just before that pass: the memory the
method itself needs, beside the buckets.

The fused hashed layer needs per thread one tile of V, one of slots and one
of dV (3 x 256 x 256 x 4 B = 768 KiB) and, when several threads share the
backward pass, one K-float bucket-gradient buffer each (one thread adds
into the gradient itself): bounded by 768 KiB on one thread and by
threads x (768 KiB + 4 K) bytes on several, never O(D). "materialized" (the
original code) needs V and dV (2 x 4 D bytes); PyTorch's way keeps an int64
index and a sign per virtual weight (12 D bytes) plus V and dV.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from speed_common import fmt_bytes, print_table

TILE_BYTES = 3 * 256 * 256 * 4  # per thread: V, slots and dV tiles (cpu_backend.cpp)
METHODS = ("dense core", "dense BLAS-MT", "fused", "materialized", "torch-gather", "torch-dense")


def _child(method: str, n: int, compression: str, batch: int, threads: int) -> dict:
    import numpy as np

    c = Fraction(compression)
    k = n * n if c == 1 else max(1, round(n * n * c))
    rng = np.random.default_rng(0)
    if method.startswith("torch"):
        return _torch_child(method, n, k, batch, threads, rng)
    import ROOT
    from speed_common import bench

    b = bench()
    core_method = "materialized" if method in ("materialized", "dense BLAS-MT") else "fused"
    small = b.make_layout(64, 64, 512, 1)
    for m in ("fused", "materialized"):  # warm-up: BLAS threads and buffers, OpenMP pool
        p = np.ones(int(small.n_buckets) + 64, np.float32)
        xs = np.ones((8, 64), np.float32)
        b.layer_pass(small, p, xs, xs, 8, xs.copy(), xs.copy(), p.copy(), m, threads)
    layer = b.make_layout(n, n, k, 1234)
    params = rng.normal(size=int(layer.n_buckets) + n).astype(np.float32)
    grad = np.ones_like(params)
    x, dy = rng.normal(size=(batch, n)).astype(np.float32), rng.normal(size=(batch, n)).astype(np.float32)
    y, dx = np.ones((batch, n), np.float32), np.ones((batch, n), np.float32)
    before = int(b.resident_bytes())
    reset = bool(b.reset_peak_resident())
    b.layer_pass(layer, params, x, dy, batch, y, dx, grad, core_method, threads)
    peak = int(b.peak_resident_bytes())
    del ROOT
    return dict(before=before, peak=peak, work=peak - before, peak_reset=reset, buckets_bytes=4 * int(layer.n_buckets),
                state_bytes=params.nbytes + grad.nbytes)  # fmt: skip


def _torch_child(method, n, k, batch, threads, rng):
    import torch

    torch.set_num_threads(threads or os.cpu_count())
    from speed_common import bench

    b = bench()  # only for the /proc readers
    x = torch.from_numpy(rng.normal(size=(batch, n)).astype("float32"))
    dy = torch.from_numpy(rng.normal(size=(batch, n)).astype("float32"))
    (torch.ones(64, 64, requires_grad=True) @ torch.ones(64, 8)).sum().backward()  # warm-up
    if method == "torch-dense":
        weight = torch.nn.Parameter(torch.from_numpy(rng.normal(size=(n, n)).astype("float32")))
        index = sign = None
    else:
        weight = torch.nn.Parameter(torch.from_numpy(rng.normal(size=k).astype("float32")))
        gen = torch.Generator().manual_seed(0)
        index = torch.randint(0, k, (n * n,), generator=gen, dtype=torch.int64)  # the PyTorch ports' index
        sign = torch.randint(0, 2, (n * n,), generator=gen).float() * 2 - 1
    bias = torch.nn.Parameter(torch.zeros(n))
    xr = x.clone().requires_grad_(True)
    before = int(b.resident_bytes())
    reset = bool(b.reset_peak_resident())
    v = weight if index is None else (weight[index] * sign).view(n, n)
    y = torch.nn.functional.linear(xr, v, bias)
    y.backward(dy)
    peak = int(b.peak_resident_bytes())
    index_bytes = 0 if index is None else index.numel() * 8 + sign.numel() * 4  # kept for the layer's life
    return dict(before=before, peak=peak, work=peak - before, peak_reset=reset, buckets_bytes=4 * k,
                state_bytes=2 * 4 * (weight.numel() + n) + index_bytes)  # fmt: skip


def run_memory(threads: int = 0, n: int = 4096, batch: int = 256) -> dict:
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("memory: PyTorch is not installed; its rows are skipped (pip install torch)")
    n_threads = threads or os.cpu_count()
    cases = [("dense core", "1"), ("dense BLAS-MT", "1")]
    for c in ("1/8", "1/64"):
        cases += [("fused", c), ("materialized", c)]
        if have_torch:
            cases.append(("torch-gather", c))
    if have_torch:
        cases.append(("torch-dense", "1"))
    rows, table = [], []
    for method, c in cases:
        result = _spawn(method, n, c, batch, threads)
        k = n * n if c == "1" else round(n * n * Fraction(c))
        bucket_buffers = 4 * k if n_threads > 1 else 0  # one thread scatters into the gradient itself
        bound = n_threads * (TILE_BYTES + bucket_buffers) if method == "fused" else float("nan")
        result.update(method=method, compression=c, n=n, batch=batch, threads=n_threads, fused_bound_bytes=bound,
                      dense_weights_bytes=4 * n * n)  # fmt: skip
        rows.append(result)
        table.append([method, c, fmt_bytes(result["buckets_bytes"]), fmt_bytes(result["state_bytes"]),
                      fmt_bytes(result["work"]),
                      f"{result['work'] / (4 * n * n):.2f}", fmt_bytes(bound) if bound == bound else "-",
                      "-" if bound != bound else ("yes" if result["work"] <= bound else "NO"), fmt_bytes(result["peak"])])  # fmt: skip
    print_table(f"memory: one forward+backward, {n}x{n}, batch {batch}, {n_threads} threads "
                f"(state = parameters + gradient [+ index and sign]; work = peak RSS above the level before the pass; "
                f"D floats = {fmt_bytes(4 * n * n)})",
                ["method", "compr.", "buckets", "state", "work", "work / 4D", "fused bound", "within bound", "process peak"],
                table)  # fmt: skip
    return {"rows": rows, "table": table}


def _spawn(method, n, compression, batch, threads) -> dict:
    command = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child", method, str(n), compression,
               str(batch), str(threads)]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"memory child {method} {compression} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1])


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "--child":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    _, _, method_, n_, c_, batch_, threads_ = sys.argv
    print(json.dumps(_child(method_, int(n_), c_, int(batch_), int(threads_))))
