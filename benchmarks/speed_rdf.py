"""rdf: a weight file's scores inside RDataFrame (tmva_hashednet.rdf), events/s.

A TTree of N events (default 10M) with 8 float branches is synthesised once
(uncompressed, by RDataFrame itself) into a folder (default /tmp); an
existing file with the right number of events is reused. A HashedDNN weight
file (8 inputs, TANH|64 x3 at 1/8, VarTransform=N ranges from the tree's
definition) is written beside it. Child processes then time, each alone on
the machine: the score column (``Scorer.functor`` with ``DefineSlot``: the
event path, one evaluator per slot; compiled before the timed event loop)
summed over the tree with ``ROOT.EnableImplicitMT(1)`` and ``(2)``; and the same network's batch path, ``HashedNetwork.load(...)``
``.predict`` on the arrays of ``AsNumpy`` (reading timed apart). Target: 2
threads at least 1.7x the events/s of 1 thread. The two scores agree within
float rounding (checked on the first 10,000 events).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from speed_common import print_table

N_VARIABLES = 8
LAYOUT, COMPRESSION = "TANH|64,TANH|64,TANH|64,LINEAR", "1/8"
TREE = "events"
VARIABLES = [f"x{k}" for k in range(N_VARIABLES)]


def _variable_expression(k: int) -> str:
    """x_k of entry e: deterministic, in [-2, 2], different per variable."""
    return f"float(2.0 * sin(0.001 * rdfentry_ * {k + 1} + {k}))"


def synthesize(path: Path, n_events: int) -> float:
    """Writes the TTree unless `path` already holds n_events; returns seconds spent."""
    import ROOT

    if path.exists():
        f = ROOT.TFile.Open(str(path))
        tree = f.Get(TREE) if f and not f.IsZombie() else None
        ok = bool(tree) and tree.GetEntries() == n_events
        if f:
            f.Close()
        if ok:
            return 0.0
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    options = ROOT.RDF.RSnapshotOptions()
    options.fCompressionLevel = 0  # reading should cost little next to the scores
    options.fAutoFlush = 100_000  # clusters: what IMT hands out to threads
    df = ROOT.RDataFrame(n_events)
    for k, name in enumerate(VARIABLES):
        df = df.Define(name, _variable_expression(k))
    df.Snapshot(TREE, str(path), VARIABLES, options)
    return time.perf_counter() - start


def write_weight_file(path: Path) -> None:
    """A HashedDNN weight file of a seeded (untrained) network with a Normalize transform over [-2, 2]."""
    import numpy as np

    from tmva_hashednet import HashedNetwork
    from tmva_hashednet.tmva.transform import NormalizeTransform
    from tmva_hashednet.tmva.transforms import TransformChain
    from tmva_hashednet.tmva.variables import make_variable
    from tmva_hashednet.tmva.weights_xml import WeightFile, write_weight_file as write

    net = HashedNetwork(N_VARIABLES, LAYOUT, compression=COMPRESSION, seed=3, num_threads=1)
    low, high = np.full(N_VARIABLES, -2, np.float32), np.full(N_VARIABLES, 2, np.float32)
    transform = TransformChain([NormalizeTransform([("Variable", v, v) for v in VARIABLES], [(low, high)] * 3)])
    write(path, WeightFile(method_type="HashedDNN", title="HashedDNN", analysis_type="Classification",
                           variables=[make_variable(v) for v in VARIABLES], classes=["Signal", "Background"],
                           network_text=net.to_text(), transform=transform))  # fmt: skip


def _child_rdf(tree: str, weights: str, threads: int) -> dict:
    """The event loop alone: the functor (DefineSlot) and Sum's type are compiled before it starts,
    so nothing is jitted inside the timed GetValue (Scorer.define's string would be)."""
    import ROOT

    from tmva_hashednet import rdf

    ROOT.EnableImplicitMT(threads)
    scorer = rdf.Scorer(weights)
    df = ROOT.RDataFrame(TREE, tree)
    df = df.DefineSlot("score", scorer.functor(df, VARIABLES), VARIABLES)
    total = df.Sum["float"]("score")
    start = time.perf_counter()
    value = total.GetValue()
    seconds = time.perf_counter() - start
    n = int(df.Count().GetValue())
    first = []
    if threads == 1:  # the first events in order (Range needs IMT off), for the comparison with predict
        ROOT.DisableImplicitMT()
        head = scorer.define(ROOT.RDataFrame(TREE, tree).Range(10_000), "score")
        first = list(head.AsNumpy(["score"])["score"])
    return dict(method=f"RDataFrame, IMT {threads} thread(s)", threads=threads, events=n, seconds=seconds,
                events_per_s=n / seconds, sum=value, first=[float(v) for v in first])  # fmt: skip


def _child_numpy(tree: str, weights: str, threads: int) -> dict:
    import numpy as np
    import ROOT

    from tmva_hashednet import HashedNetwork

    net = HashedNetwork.load(weights, num_threads=threads)
    start = time.perf_counter()
    columns = ROOT.RDataFrame(TREE, tree).AsNumpy(VARIABLES)
    x = np.ascontiguousarray(np.stack([columns[v] for v in VARIABLES], axis=1), dtype=np.float32)
    read = time.perf_counter() - start
    start = time.perf_counter()
    scores = net.predict(x)
    seconds = time.perf_counter() - start
    n = len(x)
    return dict(method=f"AsNumpy + predict, {threads} thread(s)", threads=threads, events=n, seconds=seconds,
                read_seconds=read, events_per_s=n / seconds, events_per_s_with_read=n / (seconds + read),
                sum=float(scores.astype(np.float64).sum()), first=[float(v) for v in scores[:10_000]])  # fmt: skip


def _child(kind: str, tree: str, weights: str, threads: int) -> dict:
    return (_child_rdf if kind == "rdf" else _child_numpy)(tree, weights, threads)


def _run_child(kind: str, tree: Path, weights: Path, threads: int) -> dict:
    command = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child", kind, str(tree), str(weights),
               str(threads)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode != 0 or not lines:
        raise RuntimeError(f"rdf child {kind} {threads} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return json.loads(lines[-1])


def run_rdf(n_events: int = 10_000_000, folder: Path = Path("/tmp")) -> dict:
    import numpy as np

    tree = Path(folder) / f"hashednet_rdf_{n_events}.root"
    weights = Path(folder) / "hashednet_rdf_HashedDNN.weights.xml"
    print(f"rdf: TTree {tree} ({n_events:,} events, {N_VARIABLES} float branches)", flush=True)
    write_s = synthesize(tree, n_events)
    if write_s:
        print(f"  wrote it in {write_s:.0f} s ({tree.stat().st_size / 2**30:.2f} GiB)", flush=True)
    write_weight_file(weights)
    rows = [_run_child("rdf", tree, weights, 1), _run_child("rdf", tree, weights, 2),
            _run_child("numpy", tree, weights, 1), _run_child("numpy", tree, weights, 2)]  # fmt: skip
    one, two = rows[0], rows[1]
    ratio = two["events_per_s"] / one["events_per_s"]
    agree = float(np.max(np.abs(np.array(one["first"]) - np.array(rows[2]["first"][: len(one["first"])]))))
    print_table(f"rdf: score column over {n_events:,} events, {N_VARIABLES} inputs, {LAYOUT} at {COMPRESSION}",
                ["method", "events", "seconds", "events/s", "events/s with reading"],
                [[r["method"], f"{r['events']:,}", f"{r['seconds']:.2f}", f"{r['events_per_s']:,.0f}",
                  f"{r.get('events_per_s_with_read', r['events_per_s']):,.0f}"] for r in rows])  # fmt: skip
    reached = ratio >= 1.7
    print(f"  RDataFrame scores against predict's, first {len(one['first'])} events: max |difference| {agree:.2e}")
    print(f"  target: IMT 2 threads >= 1.7x the events/s of 1 thread: {ratio:.2f}x -> "
          f"{'REACHED' if reached else 'MISSED'}")  # fmt: skip
    for r in rows:
        r.pop("first")
    return dict(events=n_events, file=str(tree), write_seconds=write_s, rows=rows, max_difference=agree,
                targets=[dict(target="RDataFrame IMT 2 threads >= 1.7x 1 thread", ratio=ratio, reached=reached)])


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "--child":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(_child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
