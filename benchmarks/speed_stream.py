"""stream: one epoch over a HIGGS-sized TTree, trained chunk by chunk.

The TTree (default 11M events, 28 variables, branch ``x[28]/F`` and label
``y/F``) is synthesised once into a folder (default /tmp) by resampling the
20k events of ROOT's Higgs_data.root with a small Gaussian smearing (2% of
each variable's spread); an existing file with the right number of events
is reused. A child process then trains on it with the package's streaming
API: ``streaming.tree_chunks(path, "higgs", ["x"], target="y")`` reads
ranges of `chunk` events (the array branch ``x`` expands to its 28 columns)
and ``HashedNetwork.fit_stream`` calls partial_fit on each chunk (one pass
of mini-batches, optimizer state kept between chunks; inputs standardised
on the first chunk): memory is one chunk plus the model, whatever the
number of events. The child reports its peak RSS (VmHWM, the whole process
including ROOT) and events per second; the target is peak RSS < 1.5 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from speed_common import fmt_bytes, print_table

LAYOUT, COMPRESSION, BATCH = "TANH|64,TANH|64,TANH|64,LINEAR", "1/8", 256
N_VARIABLES = 28

_FILL = """
#include "TTree.h"
#include <cstdint>
#include <vector>
void hashednet_bench_fill(TTree *t, const float *x, const float *y, std::int64_t n, std::int64_t d) {
   std::vector<float> row(d);
   float label = 0;
   t->SetBranchAddress("x", row.data());
   t->SetBranchAddress("y", &label);
   for (std::int64_t e = 0; e < n; ++e) {
      for (std::int64_t j = 0; j < d; ++j) row[j] = x[e * d + j];
      label = y[e];
      t->Fill();
   }
   t->ResetBranchAddresses();
}
"""


def _declare():
    import ROOT

    if not hasattr(ROOT, "hashednet_bench_fill"):
        ROOT.gInterpreter.Declare(_FILL)
    return ROOT


def _higgs():
    from tmva_hashednet import datasets

    return datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)


def synthesize(path: Path, n_events: int, chunk: int = 500_000, seed: int = 0) -> float:
    """Writes the TTree unless `path` already holds n_events; returns seconds spent."""
    import numpy as np

    ROOT = _declare()
    if path.exists():
        f = ROOT.TFile.Open(str(path))
        tree = f.Get("higgs") if f and not f.IsZombie() else None
        ok = bool(tree) and tree.GetEntries() == n_events
        if f:
            f.Close()
        if ok:
            return 0.0
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    x, y = _higgs()
    spread = x.std(axis=0) * 0.02
    rng = np.random.default_rng(seed)
    f = ROOT.TFile(str(path), "RECREATE", "", 0)  # uncompressed: faster to write and to read
    tree = ROOT.TTree("higgs", "HIGGS resampled with smearing")
    row, label = np.zeros(N_VARIABLES, np.float32), np.zeros(1, np.float32)
    tree.Branch("x", row, f"x[{N_VARIABLES}]/F")
    tree.Branch("y", label, "y/F")
    for s in range(0, n_events, chunk):
        n = min(chunk, n_events - s)
        pick = rng.integers(0, len(x), n)
        xs = np.ascontiguousarray(x[pick] + rng.normal(size=(n, N_VARIABLES)) * spread, dtype=np.float32)
        ROOT.hashednet_bench_fill(tree, xs, np.ascontiguousarray(y[pick], dtype=np.float32), n, N_VARIABLES)
    tree.Write()
    f.Close()
    return time.perf_counter() - start


def _child(path: str, chunk: int, threads: int) -> dict:
    from speed_common import bench

    from tmva_hashednet import HashedNetwork, TrainingConfig, streaming
    from tmva_hashednet.evaluation import roc_auc

    b = bench()
    chunks = streaming.tree_chunks(path, "higgs", ["x"], target="y", chunk_size=chunk)
    net = HashedNetwork(N_VARIABLES, LAYOUT, compression=COMPRESSION, seed=1, num_threads=threads)
    config = TrainingConfig(learning_rate=1e-3, batch_size=BATCH, seed=1)
    start = time.perf_counter()
    history = net.fit_stream(chunks, training=config, standardize="first_chunk", verbose=True)
    seconds = time.perf_counter() - start
    n_events = history.events
    hx, hy = _higgs()
    return dict(events=n_events, chunk=chunk, seconds=seconds, read_seconds=history.read_seconds,
                train_seconds=history.train_seconds, events_per_s=n_events / seconds,
                train_events_per_s=n_events / history.train_seconds, read_events_per_s=n_events / history.read_seconds,
                peak_rss=int(b.peak_resident_bytes()), first_chunk_loss=history.chunks[0].loss,
                last_chunk_loss=history.chunks[-1].loss, auc_on_bundled_higgs=roc_auc(hy, net.predict(hx)),
                real_params=net.n_params, layout=LAYOUT, compression=COMPRESSION, batch_size=BATCH)  # fmt: skip


def run_stream(threads: int = 0, n_events: int = 11_000_000, chunk: int = 500_000, folder: Path = Path("/tmp")) -> dict:
    path = Path(folder) / f"hashednet_higgs_{n_events}.root"
    print(f"stream: TTree {path} ({n_events:,} events)", flush=True)
    write_s = synthesize(path, n_events)
    if write_s:
        print(f"  wrote it in {write_s:.0f} s ({path.stat().st_size / 2**30:.2f} GiB)", flush=True)
    command = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child", str(path), str(chunk),
               str(threads)]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, output = [], []
    for line in child.stdout:  # fit_stream's progress, shown as it comes
        output.append(line)
        if line.startswith("{"):
            lines.append(line)
        else:
            print(f"  {line.rstrip()}", flush=True)
    if child.wait() != 0 or not lines:
        raise RuntimeError(f"stream child failed:\n{''.join(output)}")
    r = json.loads(lines[-1])
    r.update(file=str(path), file_bytes=path.stat().st_size, write_seconds=write_s,
             in_memory_bytes=4 * (N_VARIABLES + 1) * n_events)  # fmt: skip
    reached = r["peak_rss"] < 1.5e9
    print_table(f"stream: one epoch over {n_events:,} events in chunks of {chunk:,}, {LAYOUT} at {COMPRESSION}, "
                f"batch {BATCH}",
                ["events", "seconds", "events/s", "train-only events/s", "peak RSS", "data in memory would be",
                 "loss first/last chunk", "AUC (bundled HIGGS)"],
                [[f"{r['events']:,}", f"{r['seconds']:.0f}", f"{r['events_per_s']:,.0f}",
                  f"{r['train_events_per_s']:,.0f}", fmt_bytes(r["peak_rss"]), fmt_bytes(r["in_memory_bytes"]),
                  f"{r['first_chunk_loss']:.4f}/{r['last_chunk_loss']:.4f}", f"{r['auc_on_bundled_higgs']:.4f}"]])
    print(f"  reading the tree (tree_chunks): {r['read_seconds']:.1f} s, {r['read_events_per_s']:,.0f} events/s; "
          f"training: {r['train_seconds']:.1f} s")  # fmt: skip
    print(f"  target: streaming {n_events:,} events, peak RSS < 1.5 GB: {fmt_bytes(r['peak_rss'])} -> "
          f"{'REACHED' if reached else 'MISSED'}")  # fmt: skip
    r["targets"] = [dict(target="streaming peak RSS < 1.5 GB", peak_rss=r["peak_rss"], reached=reached)]
    return r


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--child":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
