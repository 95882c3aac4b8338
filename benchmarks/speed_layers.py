"""speed: one hashed layer against dense BLAS and against "materialise V, then sgemm".

For every virtual shape n x n, batch size and pass (forward, or forward +
backward = y, dx and the bucket gradient), the methods run interleaved on the
same inputs, and the table gives medians and throughput ratios from the same
run:

  dense core      a dense layer of the same virtual shape through our core
                  (compression 1: the same tiles, threads and scipy-openblas32
                  sgemm as the hashed layer, minus the hash)
                  (forward rows: the inference path Network::predict takes,
                  bench method "infer": up to batch 4 the small-batch kernels,
                  cpp/src/small_batch.h; forward+backward: the training path)
  dense BLAS-MT   one multi-threaded sgemm per product (our BLAS, its own threads)
  numpy           numpy's matmul (its own OpenBLAS build and threads)
  fused 1/c       the hashed layer: tiles of V generated from the hash inside the product
  materialized 1/c  the original HashedNets way: build V (D floats), then sgemm;
                  backward builds dV (D floats) and scatters it
  block 1/c       the hashed layer in HashMode=BLOCK (one hash per 16 virtual
                  weights of a row, which take a run of 16 buckets); rows "1/c B16"
                  (at batch 1 also "block 1/64 B32", rows "1/64 B32")

Each method's process CPU time per call is recorded beside its wall clock
(rows' cpu_s; the batch-1 targets print both ratios): on a shared machine
the wall clock counts other processes' time slices, the CPU time does not.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import time

from speed_common import bench, fmt_seconds, interleaved, median, print_table, python_timer, random_inputs

SHAPES = (512, 2048, 4096)
BATCHES = (1, 32, 256)
COMPRESSIONS = (Fraction(1, 8), Fraction(1, 64))
TARGET_SHAPES = (2048, 4096)  # the targets: batch 256, forward+backward, fused >= 0.5 x dense
BLOCK = 16  # HashMode=BLOCK rows: virtual weights per hash
TARGET_BLOCK = 0.9  # the target for block mode (element mode: 0.5)
# Issue 11's targets at batch 1, forward, against numpy's matmul of the same virtual shape: (row, minimum ratio)
SMALL_BATCH_TARGETS = (("block 1/64", 1.5), ("fused 1/64", 0.5), ("dense core", 0.9))
SMALL_BATCH_SHAPE = 4096
SMALL_BATCH_BLOCK = 32  # batch 1 also times BLOCK 1/64 with this block


class LayerCase:
    """Buffers of one (n, batch, compression) case, allocated once."""

    def __init__(self, b, n: int, batch: int, compression, seed: int = 0, block: int = 0):
        import ROOT

        self.b, self.batch = b, batch
        k = n * n if compression == 1 else max(1, round(n * n * compression))
        self.layer = b.make_layout(n, n, k, 1234, block)
        rng = np.random.default_rng(seed)
        self.params = (rng.normal(size=int(self.layer.n_buckets) + n) / np.sqrt(n)).astype(np.float32)
        self.x = random_inputs((batch, n), seed + 1)
        self.dy = random_inputs((batch, n), seed + 2)
        self.y = np.zeros((batch, n), dtype=np.float32)
        self.dx = np.zeros((batch, n), dtype=np.float32)
        self.grad = np.zeros(self.params.size, dtype=np.float32)
        self.null = ROOT.nullptr

    def timer(self, method: str, backward: bool, repetitions: int, threads: int):
        dy = self.dy if backward else self.null
        dx = self.dx if backward else self.null
        if method == "fused" and not backward:
            method = "infer"  # a forward pass alone is inference: the path Network::predict takes

        def run():
            return list(self.b.time_layer(self.layer, self.params, self.x, dy, self.batch, self.y, dx, self.grad,
                                          method, threads, repetitions))  # fmt: skip

        return run


def numpy_timer(n: int, batch: int, backward: bool, repetitions: int):
    v = random_inputs((n, n), 3) / np.float32(np.sqrt(n))
    bias = random_inputs((n,), 4)
    x, dy = random_inputs((batch, n), 1), random_inputs((batch, n), 2)

    def step():
        y = x @ v.T + bias
        if backward:
            dx = dy @ v
            dv = dy.T @ x
            db = dy.sum(axis=0)
            return y, dx, dv, db
        return y

    return python_timer(step, repetitions)


def with_cpu_time(call, cpu: list):
    """`call` (an :func:`interleaved` callable) that also appends its process CPU seconds per call to `cpu`
    (each call of the timers runs one untimed warm-up, counted in the divisor)."""

    def run():
        start = time.process_time()
        seconds = call()
        cpu.append((time.process_time() - start) / (len(seconds) + 1))
        return seconds

    return run


def _repetitions(n: int, batch: int, backward: bool, budget: float) -> int:
    """Repetitions per call so that one call of the dense layer takes about `budget` seconds."""
    flops = 2.0 * n * n * max(batch, 8) * (3 if backward else 1)
    return int(np.clip(budget / (flops / 2e10), 1, 200))


def run_speed(threads: int = 0, rounds: int = 5, shapes=SHAPES, batches=BATCHES, budget: float = 0.05,
              materialized: bool = True) -> dict:  # fmt: skip
    b = bench()
    rows, table = [], []
    for n in shapes:
        for batch in batches:
            cases = {Fraction(1): LayerCase(b, n, batch, 1)}
            for c in COMPRESSIONS:
                cases[c] = LayerCase(b, n, batch, c)
                cases[(c, "block")] = LayerCase(b, n, batch, c, block=BLOCK)
            if batch == 1:
                cases["block wide"] = LayerCase(b, n, batch, Fraction(1, 64), block=SMALL_BATCH_BLOCK)
            for backward in (False, True):
                reps = _repetitions(n, batch, backward, budget)
                calls = {
                    "dense core": cases[1].timer("fused", backward, reps, threads),
                    "dense BLAS-MT": cases[1].timer("materialized", backward, reps, threads),
                    "numpy": numpy_timer(n, batch, backward, reps),
                }
                for c in COMPRESSIONS:
                    calls[f"fused 1/{c.denominator}"] = cases[c].timer("fused", backward, reps, threads)
                    calls[f"block 1/{c.denominator}"] = cases[(c, "block")].timer("fused", backward, reps, threads)
                    if materialized:
                        calls[f"materialized 1/{c.denominator}"] = cases[c].timer("materialized", backward, reps,
                                                                                  threads)  # fmt: skip
                if "block wide" in cases and not backward:
                    calls[f"block 1/64 B{SMALL_BATCH_BLOCK}"] = cases["block wide"].timer("fused", False, reps, threads)
                cpu = {name: [] for name in calls}
                seconds = interleaved({name: with_cpu_time(call, cpu[name]) for name, call in calls.items()}, rounds)
                med = {name: median(s) for name, s in seconds.items()}
                pass_name = "fwd+bwd" if backward else "fwd"
                for name, s in seconds.items():
                    rows.append(dict(n=n, batch=batch, pass_=pass_name, method=name, median_s=med[name],
                                     events_per_s=batch / med[name], samples=len(s), seconds=s,
                                     cpu_s=median(cpu[name])))  # fmt: skip
                best_dense = min(med["dense core"], med["dense BLAS-MT"], med["numpy"])
                for c in COMPRESSIONS:
                    fused = med[f"fused 1/{c.denominator}"]
                    mat = med.get(f"materialized 1/{c.denominator}", float("nan"))
                    table.append([f"{n}x{n}", batch, pass_name, f"1/{c.denominator}", fmt_seconds(med["dense core"]),
                                  fmt_seconds(med["dense BLAS-MT"]), fmt_seconds(med["numpy"]), fmt_seconds(fused),
                                  fmt_seconds(mat), f"{med['dense core'] / fused:.2f}", f"{best_dense / fused:.2f}",
                                  f"{mat / fused:.2f}"])  # fmt: skip
                for c in COMPRESSIONS:
                    block = med[f"block 1/{c.denominator}"]
                    table.append([f"{n}x{n}", batch, pass_name, f"1/{c.denominator} B{BLOCK}",
                                  fmt_seconds(med["dense core"]), fmt_seconds(med["dense BLAS-MT"]),
                                  fmt_seconds(med["numpy"]), fmt_seconds(block), "-",
                                  f"{med['dense core'] / block:.2f}", f"{best_dense / block:.2f}", "-"])  # fmt: skip
                wide = f"block 1/64 B{SMALL_BATCH_BLOCK}"
                if wide in med:
                    table.append([f"{n}x{n}", batch, pass_name, f"1/64 B{SMALL_BATCH_BLOCK}",
                                  fmt_seconds(med["dense core"]), fmt_seconds(med["dense BLAS-MT"]),
                                  fmt_seconds(med["numpy"]), fmt_seconds(med[wide]), "-",
                                  f"{med['dense core'] / med[wide]:.2f}", f"{best_dense / med[wide]:.2f}", "-"])  # fmt: skip
                print(f"  done {n}x{n} batch {batch} {pass_name}", flush=True)
    header = ["shape", "batch", "pass", "compr.", "dense core", "dense BLAS-MT", "numpy", "fused", "materialized",
              "fused/dense core", "fused/best dense", "fused/materialized"]  # fmt: skip
    print_table("speed: one layer, median seconds per call; ratios are throughput ratios (higher = fused faster)",
                header, table)  # fmt: skip
    targets = speed_targets(rows) + small_batch_targets(rows) + dense_targets(rows)
    return {"kernel_isa": str(b.kernel_isa()), "rows": _strip(rows), "table": table, "header": header,
            "targets": targets}  # fmt: skip


def speed_targets(rows) -> list:
    """The issue's target: fwd+bwd at batch 256, 2048^2 and 4096^2, fused >= 0.5 x dense sgemm layer."""
    med = {(r["n"], r["batch"], r["pass_"], r["method"]): r["median_s"] for r in rows}
    out = []
    for n in TARGET_SHAPES:
        for c in COMPRESSIONS:
            key = (n, 256, "fwd+bwd")
            if key + ("dense core",) not in med:
                continue
            fused = med[key + (f"fused 1/{c.denominator}",)]
            dense = med[key + ("dense core",)]
            best = min(dense, med[key + ("dense BLAS-MT",)], med[key + ("numpy",)])
            out.append(dict(target=f"element mode fwd+bwd {n}x{n} batch 256 at 1/{c.denominator} >= 0.5x dense",
                            ratio_vs_dense_core=dense / fused, ratio_vs_best_dense=best / fused,
                            reached=dense / fused >= 0.5))  # fmt: skip
            block = med.get(key + (f"block 1/{c.denominator}",))
            if block is not None:
                out.append(dict(target=f"block mode (B={BLOCK}) fwd+bwd {n}x{n} batch 256 at 1/{c.denominator} >= "
                                       f"{TARGET_BLOCK}x dense",
                                ratio_vs_dense_core=dense / block, ratio_vs_best_dense=best / block,
                                reached=dense / block >= TARGET_BLOCK))  # fmt: skip
    for t in out:
        print(f"  target: {t['target']}: {t['ratio_vs_dense_core']:.2f}x dense core, "
              f"{t['ratio_vs_best_dense']:.2f}x best dense -> {'REACHED' if t['reached'] else 'MISSED'}")  # fmt: skip
    return out


def _report(out: list) -> list:
    for t in out:
        print(f"  target: {t['target']}: {t['ratio']:.2f}x -> {'PASS' if t['reached'] else 'MISS'}")
    return out


def small_batch_targets(rows) -> list:
    """Issue 11: 4096^2 forward at batch 1 against numpy's matmul: BLOCK 1/64 >= 1.5x, ELEMENT 1/64 >= 0.5x,
    our dense layer >= 0.9x (throughput ratios, numpy time / ours; wall clock, and process CPU time beside)."""
    med = {(r["n"], r["batch"], r["pass_"], r["method"]): r["median_s"] for r in rows}
    cpu = {(r["n"], r["batch"], r["pass_"], r["method"]): r.get("cpu_s") for r in rows}
    key = (SMALL_BATCH_SHAPE, 1, "fwd")
    if key + ("numpy",) not in med:
        return []
    out = []
    for method, minimum in SMALL_BATCH_TARGETS:
        ratio = med[key + ("numpy",)] / med[key + (method,)]
        out.append(dict(target=f"{method} fwd {SMALL_BATCH_SHAPE}x{SMALL_BATCH_SHAPE} batch 1 >= {minimum}x numpy",
                        ratio=ratio, reached=ratio >= minimum,
                        cpu_ratio=cpu[key + ("numpy",)] / cpu[key + (method,)]))  # fmt: skip
    for name in ("numpy", "dense core", "fused 1/64", "block 1/64", f"block 1/64 B{SMALL_BATCH_BLOCK}"):
        if key + (name,) in cpu:
            print(f"  batch 1 {SMALL_BATCH_SHAPE}x{SMALL_BATCH_SHAPE} fwd {name}: wall {med[key + (name,)] * 1e3:.2f} ms,"
                  f" CPU {cpu[key + (name,)] * 1e3:.2f} ms")  # fmt: skip
    for t in out:
        print(f"  (CPU time ratio {t['cpu_ratio']:.2f}x: {t['target']})")
    return _report(out)


def dense_targets(rows) -> list:
    """Issue 11: our dense layer at batch 256 at least as fast as numpy's matmul (forward, forward+backward)."""
    med = {(r["n"], r["batch"], r["pass_"], r["method"]): r["median_s"] for r in rows}
    out = []
    for n in TARGET_SHAPES:
        for pass_name in ("fwd", "fwd+bwd"):
            key = (n, 256, pass_name)
            if key + ("numpy",) not in med:
                continue
            ratio = med[key + ("numpy",)] / med[key + ("dense core",)]
            out.append(dict(target=f"dense core {pass_name} {n}x{n} batch 256 >= 1.0x numpy", ratio=ratio,
                            reached=ratio >= 1.0))  # fmt: skip
    return _report(out)


def _strip(rows):
    return [{("pass" if k == "pass_" else k): v for k, v in r.items()} for r in rows]
