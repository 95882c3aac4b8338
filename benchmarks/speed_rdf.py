"""rdf: a weight file's scores inside RDataFrame (tmva_hashednet.rdf), events/s; the Reader's memory.

A TTree of N events (default 10M) with 8 float branches is synthesised once
(uncompressed, by RDataFrame itself) into a folder (default /tmp); an
existing file with the right number of events is reused. A HashedDNN weight
file (8 inputs, TANH|64 x3 at 1/8, VarTransform=N ranges from the tree's
definition) is written beside it. Child processes then time, each alone on
the machine: the score column (``Scorer.functor`` with ``DefineSlot``: the
event path, one evaluator per slot; compiled before the timed event loop)
summed over the tree with ``ROOT.EnableImplicitMT(1)`` and ``(2)``; ROOT's own
ceiling, a compiled functor that adds the same 8 columns (reading and the
event loop alone), with IMT 1 and 2; and the same network's batch path,
``HashedNetwork.load(...).predict`` on the arrays of ``AsNumpy`` (reading
timed apart). The RDataFrame runs alternate (baseline 1, 2, score 1, 2, and
again: the load of a shared machine falls on all alike), ``repeats`` rounds
(3 at 1M events and more, else 1), medians reported, with the process's CPU
seconds: on a machine whose other work takes the second core, 2 threads can
only be as fast as their share of it, while 2 x CPU(1 thread) / CPU(2 threads)
says what two free cores would give. Target: 2 threads at least 1.7x the
events/s of 1 thread. The two scores agree within float rounding (checked on
the first 10,000 events).

The Reader's memory: the resident memory each further compatible ``TMVA.Reader``
of one weight file costs (HIGGS' 28 inputs, 3x256 TANH at 1/8, 73 kB of
parameters; each Reader booked and evaluated in a thread of its own), and each
further thread of one Reader.
"""

from __future__ import annotations

import json
import os
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


def write_weight_file(path: Path, n_variables: int = N_VARIABLES, layout: str = LAYOUT,
                      compression: str = COMPRESSION) -> None:
    """A HashedDNN weight file of a seeded (untrained) network with a Normalize transform over [-2, 2]."""
    import numpy as np

    from tmva_hashednet import HashedNetwork
    from tmva_hashednet.tmva.transform import NormalizeTransform
    from tmva_hashednet.tmva.transforms import TransformChain
    from tmva_hashednet.tmva.variables import make_variable
    from tmva_hashednet.tmva.weights_xml import WeightFile, write_weight_file as write

    variables = [f"x{k}" for k in range(n_variables)]
    net = HashedNetwork(n_variables, layout, compression=compression, seed=3, num_threads=1)
    low, high = np.full(n_variables, -2, np.float32), np.full(n_variables, 2, np.float32)
    transform = TransformChain([NormalizeTransform([("Variable", v, v) for v in variables], [(low, high)] * 3)])
    write(path, WeightFile(method_type="HashedDNN", title="HashedDNN", analysis_type="Classification",
                           variables=[make_variable(v) for v in variables], classes=["Signal", "Background"],
                           network_text=net.to_text(), transform=transform))  # fmt: skip


_BASELINE = """
namespace hashednet_bench {
/// ROOT's ceiling: the benchmark's 8 columns added, so the event loop reads them and does nothing else.
struct AddColumns {
   float operator()(unsigned, float a, float b, float c, float d, float e, float f, float g, float h) const
   {
      return a + b + c + d + e + f + g + h;
   }
};
}
"""


def _child_rdf(tree: str, weights: str, threads: int, kind: str = "score") -> dict:
    """The event loop alone: the functor (DefineSlot) and Sum's type are compiled before it starts,
    so nothing is jitted inside the timed GetValue (Scorer.define's string would be). kind "baseline"
    is ROOT's ceiling: a compiled functor adding the same columns."""
    import ROOT

    from tmva_hashednet import rdf

    ROOT.EnableImplicitMT(threads)
    scorer = rdf.Scorer(weights)
    df = ROOT.RDataFrame(TREE, tree)
    if kind == "baseline":
        ROOT.gInterpreter.Declare(_BASELINE)
        df = df.DefineSlot("score", ROOT.hashednet_bench.AddColumns(), VARIABLES)
    else:
        df = df.DefineSlot("score", scorer.functor(df, VARIABLES), VARIABLES)
    total = df.Sum["float"]("score")
    cpu, start = time.process_time(), time.perf_counter()
    value = total.GetValue()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    n = int(df.Count().GetValue())
    first = []
    if threads == 1 and kind == "score":  # the first events in order (Range needs IMT off), for predict
        ROOT.DisableImplicitMT()
        head = scorer.define(ROOT.RDataFrame(TREE, tree).Range(10_000), "score")
        first = list(head.AsNumpy(["score"])["score"])
    method = "RDataFrame, baseline (add the 8 columns)" if kind == "baseline" else "RDataFrame, score column"
    return dict(method=f"{method}, IMT {threads}", kind=kind, threads=threads, events=n, seconds=seconds,
                cpu_seconds=cpu, events_per_s=n / seconds, sum=value, first=[float(v) for v in first],
                load_average=os.getloadavg()[0])  # fmt: skip


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


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child_readers(weights: str, n: int) -> dict:
    """Resident bytes of n further Readers of one weight file, each booked and evaluated in a thread of its own,
    then of one Reader evaluated in n further threads (after a first round of threads has warmed up). The
    compatible Reader's (evaluator.shared_network), also where ROOT has a real TMVA."""
    import gc
    import threading

    from tmva_hashednet.tmva import compat_namespace
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    names = [v.expression for v in read_weight_file(weights).variables]
    event = [0.1] * len(names)

    def reader():
        r = compat_namespace().Reader("!Color:Silent")
        for name in names:
            r.AddVariable(name)
        r.BookMVA("m", weights)
        return r

    def grow(work) -> float:
        """Resident bytes per thread of n threads that each ran `work` and are all still alive."""
        gc.collect()
        before = _resident_bytes()
        ready, release = threading.Barrier(n + 1), threading.Event()

        def run():
            work()
            ready.wait()
            release.wait()  # a thread's evaluator lives as long as the thread

        threads = [threading.Thread(target=run) for _ in range(n)]
        for t in threads:
            t.start()
        ready.wait()
        gc.collect()
        grown = (_resident_bytes() - before) / n
        release.set()
        for t in threads:
            t.join()
        return grown

    first = reader()
    grow(lambda: first.EvaluateMVA(event, "m"))  # warms up one thread's memory (glibc arena, stacks)
    readers = []
    per_reader = grow(lambda: readers.append(reader()) or readers[-1].EvaluateMVA(event, "m"))
    per_thread = grow(lambda: first.EvaluateMVA(event, "m"))
    shared = first.methods["m"].shared.shared_bytes()
    return dict(readers=n, bytes_per_reader=per_reader, bytes_per_thread=per_thread, shared_bytes=shared)


def _child(kind: str, tree: str, weights: str, threads: int) -> dict:
    if kind == "readers":
        return _child_readers(weights, threads)
    if kind == "numpy":
        return _child_numpy(tree, weights, threads)
    return _child_rdf(tree, weights, threads, kind)


def _run_child(kind: str, tree: Path, weights: Path, threads: int) -> dict:
    command = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child", kind, str(tree), str(weights),
               str(threads)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode != 0 or not lines:
        raise RuntimeError(f"rdf child {kind} {threads} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return json.loads(lines[-1])


def _rdf_rounds(tree: Path, weights: Path, repeats: int) -> list:
    """Per (kind, threads) the median run of `repeats` alternating rounds (baseline 1, 2, score 1, 2)."""
    import numpy as np

    runs = {(kind, threads): [] for kind in ("baseline", "score") for threads in (1, 2)}
    for _ in range(repeats):
        for kind, threads in runs:
            runs[(kind, threads)].append(_run_child(kind, tree, weights, threads))
    rows = []
    for key, results in runs.items():
        order = np.argsort([r["seconds"] for r in results])
        row = dict(results[order[len(order) // 2]])
        row["all_seconds"] = [r["seconds"] for r in results]
        row["all_cpu_seconds"] = [r["cpu_seconds"] for r in results]
        rows.append(row)
    return rows


def _print_rdf(rows: list, n_events: int) -> None:
    print_table(f"rdf: score column over {n_events:,} events, {N_VARIABLES} inputs, {LAYOUT} at {COMPRESSION}",
                ["method", "events", "seconds (all rounds)", "CPU s", "events/s", "events/s with reading"],
                [[r["method"], f"{r['events']:,}", " ".join(f"{v:.2f}" for v in r.get("all_seconds", [r["seconds"]])),
                  f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else "-", f"{r['events_per_s']:,.0f}",
                  f"{r.get('events_per_s_with_read', r['events_per_s']):,.0f}"] for r in rows])  # fmt: skip


def _scaling(rows: list, kind: str) -> tuple:
    """(events/s ratio of 2 threads to 1, 2 x CPU seconds of 1 thread / CPU seconds of 2) of one kind."""
    one, two = (next(r for r in rows if r.get("kind") == kind and r["threads"] == t) for t in (1, 2))
    return two["events_per_s"] / one["events_per_s"], 2 * one["cpu_seconds"] / two["cpu_seconds"]


def run_readers(weights: Path, n: int = 50) -> dict:
    """Resident memory per further Reader of one weight file and per further thread of one Reader."""
    write_weight_file(weights, 28, "TANH|256,TANH|256,TANH|256,LINEAR", "1/8")
    result = _run_child("readers", weights, weights, n)
    print_table("Reader memory: 28 inputs, TANH|256 x3 at 1/8", ["what", "resident KiB each"],
                [[f"a further Reader (of {n}), booked and evaluated in its own thread",
                  f"{result['bytes_per_reader'] / 1024:.1f}"],
                 [f"a further thread (of {n}) of one Reader", f"{result['bytes_per_thread'] / 1024:.1f}"],
                 ["the network snapshot all of them share (once)", f"{result['shared_bytes'] / 1024:.1f}"]])  # fmt: skip
    return result


def run_rdf(n_events: int = 10_000_000, folder: Path = Path("/tmp"), repeats: int | None = None) -> dict:
    import numpy as np

    tree = Path(folder) / f"hashednet_rdf_{n_events}.root"
    weights = Path(folder) / "hashednet_rdf_HashedDNN.weights.xml"
    print(f"rdf: TTree {tree} ({n_events:,} events, {N_VARIABLES} float branches)", flush=True)
    write_s = synthesize(tree, n_events)
    if write_s:
        print(f"  wrote it in {write_s:.0f} s ({tree.stat().st_size / 2**30:.2f} GiB)", flush=True)
    write_weight_file(weights)
    repeats = repeats or (3 if n_events >= 1_000_000 else 1)
    rows = _rdf_rounds(tree, weights, repeats)
    rows += [_run_child("numpy", tree, weights, 1), _run_child("numpy", tree, weights, 2)]
    one = next(r for r in rows if r.get("kind") == "score" and r["threads"] == 1)
    batch = next(r for r in rows if r["method"].startswith("AsNumpy"))
    agree = float(np.max(np.abs(np.array(one["first"]) - np.array(batch["first"][: len(one["first"])]))))
    _print_rdf(rows, n_events)
    ratio, cpu_ratio = _scaling(rows, "score")
    ceiling, ceiling_cpu = _scaling(rows, "baseline")
    reached = ratio >= 1.7
    print(f"  RDataFrame scores against predict's, first {len(one['first'])} events: max |difference| {agree:.2e}")
    print(f"  ROOT's ceiling (baseline) IMT 2 / IMT 1: {ceiling:.2f}x events/s, {ceiling_cpu:.2f}x from CPU seconds")
    print(f"  score column 2 x CPU(1 thread) / CPU(2 threads): {cpu_ratio:.2f}x (what two free cores would give)")
    print(f"  target: IMT 2 threads >= 1.7x the events/s of 1 thread: {ratio:.2f}x -> "
          f"{'REACHED' if reached else 'MISSED'} ({ratio / ceiling:.2f} of the baseline's ratio)")  # fmt: skip
    readers = run_readers(Path(folder) / "hashednet_rdf_readers.weights.xml")
    for r in rows:
        r.pop("first")
    return dict(events=n_events, file=str(tree), write_seconds=write_s, rows=rows, max_difference=agree,
                repeats=repeats, baseline_ratio=ceiling, cpu_ratio=cpu_ratio, readers=readers,
                targets=[dict(target="RDataFrame IMT 2 threads >= 1.7x 1 thread", ratio=ratio, reached=reached)])


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "--child":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(_child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
