"""stream: one epoch over a HIGGS-sized TTree, trained chunk by chunk.

The TTree (default 11M events, 28 variables, branch ``x[28]/F`` and label
``y/F``) is synthesised once into a folder (default /tmp) by resampling the
20k events of ROOT's Higgs_data.root with a small Gaussian smearing (2% of
each variable's spread); an existing file with the right number of events
is reused. A child process then reads it in ranges of `chunk` events
(TTree::GetEntry into numpy, in C++) and calls HashedNetwork.partial_fit on
each chunk (one pass of mini-batches, optimizer state kept between chunks):
memory is one chunk plus the model, whatever the number of events. The
child reports its peak RSS (VmHWM, the whole process including ROOT) and
events per second; the target is peak RSS < 1.5 GB.
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

_HELPERS = """
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
std::int64_t hashednet_bench_read(TTree *t, std::int64_t start, std::int64_t n, std::int64_t d, float *x, float *y) {
   std::vector<float> row(d);
   float label = 0;
   t->SetBranchAddress("x", row.data());
   t->SetBranchAddress("y", &label);
   const std::int64_t end = std::min<std::int64_t>(start + n, t->GetEntries());
   for (std::int64_t e = start; e < end; ++e) {
      t->GetEntry(e);
      for (std::int64_t j = 0; j < d; ++j) x[(e - start) * d + j] = row[j];
      y[e - start] = label;
   }
   t->ResetBranchAddresses();
   return end - start;
}
"""


def _declare():
    import ROOT

    if not hasattr(ROOT, "hashednet_bench_read"):
        ROOT.gInterpreter.Declare(_HELPERS)
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
    import numpy as np

    ROOT = _declare()
    from speed_common import bench

    from tmva_hashednet import HashedNetwork, TrainingConfig
    from tmva_hashednet.evaluation import roc_auc

    b = bench()
    f = ROOT.TFile.Open(path)
    tree = f.Get("higgs")
    n_events = int(tree.GetEntries())
    net = HashedNetwork(N_VARIABLES, LAYOUT, compression=COMPRESSION, seed=1, num_threads=threads)
    config = TrainingConfig(learning_rate=1e-3, batch_size=BATCH, seed=1)
    x = np.empty((chunk, N_VARIABLES), np.float32)
    y = np.empty(chunk, np.float32)
    read_s = train_s = 0.0
    losses = []
    start = time.perf_counter()
    for s in range(0, n_events, chunk):
        t0 = time.perf_counter()
        n = int(ROOT.hashednet_bench_read(tree, s, chunk, N_VARIABLES, x, y))
        t1 = time.perf_counter()
        if s == 0:
            net.standardize_inputs(x[:n])
        losses.append(net.partial_fit(x[:n], y[:n], training=config))
        read_s += t1 - t0
        train_s += time.perf_counter() - t1
    seconds = time.perf_counter() - start
    hx, hy = _higgs()
    return dict(events=n_events, chunk=chunk, seconds=seconds, read_seconds=read_s, train_seconds=train_s,
                events_per_s=n_events / seconds, train_events_per_s=n_events / train_s,
                peak_rss=int(b.peak_resident_bytes()), first_chunk_loss=losses[0], last_chunk_loss=losses[-1],
                auc_on_bundled_higgs=roc_auc(hy, net.predict(hx)), real_params=net.n_params,
                layout=LAYOUT, compression=COMPRESSION, batch_size=BATCH)  # fmt: skip


def run_stream(threads: int = 0, n_events: int = 11_000_000, chunk: int = 500_000, folder: Path = Path("/tmp")) -> dict:
    path = Path(folder) / f"hashednet_higgs_{n_events}.root"
    print(f"stream: TTree {path} ({n_events:,} events)", flush=True)
    write_s = synthesize(path, n_events)
    if write_s:
        print(f"  wrote it in {write_s:.0f} s ({path.stat().st_size / 2**30:.2f} GiB)", flush=True)
    command = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child", str(path), str(chunk),
               str(threads)]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"stream child failed:\n{out.stdout}\n{out.stderr}")
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
    print(f"  target: streaming {n_events:,} events, peak RSS < 1.5 GB: {fmt_bytes(r['peak_rss'])} -> "
          f"{'REACHED' if reached else 'MISSED'}")  # fmt: skip
    r["targets"] = [dict(target="streaming peak RSS < 1.5 GB", peak_rss=r["peak_rss"], reached=reached)]
    return r


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--child":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
