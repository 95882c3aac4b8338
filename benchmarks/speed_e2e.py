"""e2e and latency: whole networks, ours against PyTorch (CPU).

e2e (HIGGS): Higgs_data.root (ROOT's bundled 20k events), a seeded 75/25
split, standardized inputs, Adam 1e-3, batch 128, a fixed number of epochs
(no early stop), then the test ROC AUC. Networks: 3x64 TANH dense, 3x64 TANH
at 1/8 and 3x512 TANH at 1/64 (every hidden layer hashed, output dense), each
by
  ours            HashedNetwork
  torch dense     nn.Linear layers of the same (virtual) architecture
  torch gather    the PyTorch ports' hashed layer: V = w[index] * sign with an
                  int64 index and a sign per virtual weight, then F.linear
The target: ours at least as many events/s as torch dense of the same
architecture, with the AUC of the same model in torch (torch dense for a
dense net, torch gather for a hashed one) within 0.005. The AUC against
torch dense is printed beside it: a hashed net has far fewer parameters.
e2e (MNIST shape): one epoch of 784-1000-10 RELU (dropout 0.2, 0.5; SGD 0.05,
momentum 0.9; batch 128) on 60000 synthetic events, dense against 1/8; the
epoch time does not depend on the pixels.

latency: Model::predict_one (the TMVA Reader case) timed in a C++ loop, and
the same call from Python, per event; hashed nets in ELEMENT mode and in
BLOCK mode (B16: one hash per 16 virtual weights), against the dense net.
PyTorch rows are skipped with a message when torch is not installed.
"""

from __future__ import annotations

import os
import time

import numpy as np
from speed_common import core, fmt_seconds, median, print_table

from tmva_hashednet import HashedNetwork, TrainingConfig, datasets
from tmva_hashednet.evaluation import roc_auc

HIGGS_NETS = {  # name: (layout, compression)
    "3x64 TANH dense": ("TANH|64,TANH|64,TANH|64,LINEAR", "1"),
    "3x64 TANH 1/8": ("TANH|64,TANH|64,TANH|64,LINEAR", "1/8"),
    "3x512 TANH 1/64": ("TANH|512,TANH|512,TANH|512,LINEAR", "1/64"),
}


def _torch():
    try:
        import torch

        return torch
    except ImportError:
        print("PyTorch is not installed: its rows are skipped (pip install torch)")
        return None


def _torch_net(torch, n_inputs, widths, n_outputs, compression, activation, seed):
    """Sequential of Linear (or gathered hashed) layers; hidden layers hashed when compression < 1."""
    torch.manual_seed(seed)
    nn = torch.nn

    class GatherHashedLinear(nn.Module):
        def __init__(self, n_in, n_out, k):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(torch.randn(k) * np.sqrt(2.0 / (n_in + n_out)))
            self.bias = nn.Parameter(torch.zeros(n_out))
            self.register_buffer("index", torch.randint(0, k, (n_out * n_in,), dtype=torch.int64))
            self.register_buffer("sign", torch.randint(0, 2, (n_out * n_in,)).float() * 2 - 1)

        def forward(self, x):
            v = (self.weight[self.index] * self.sign).view(self.n_out, self.n_in)
            return nn.functional.linear(x, v, self.bias)

    layers, n_in = [], n_inputs
    for width in widths:
        k = max(1, round(compression * n_in * width))
        layers.append(GatherHashedLinear(n_in, width, k) if compression < 1 else nn.Linear(n_in, width))
        layers.append(activation())
        n_in = width
    layers.append(nn.Linear(n_in, n_outputs))
    return nn.Sequential(*layers)


def _train_torch(torch, net, x, y, epochs, batch, optimizer, loss_fn, dropout=()):
    opt = optimizer(net.parameters())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        for s in range(0, len(xt), batch):
            idx = order[s : s + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return time.perf_counter() - start


def _standardize(x_train, x_test):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1
    return ((x_train - mean) / std).astype(np.float32), ((x_test - mean) / std).astype(np.float32)


def run_higgs(threads: int, epochs: int) -> tuple:
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(threads or os.cpu_count())
    x, y = datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)
    order = np.random.default_rng(1).permutation(len(x))
    n_train = int(0.75 * len(x))
    x_train, y_train, x_test, y_test = x[order[:n_train]], y[order[:n_train]], x[order[n_train:]], y[order[n_train:]]
    xs_train, xs_test = _standardize(x_train, x_test)
    rows, table = [], []
    for name, (layout, compression) in HIGGS_NETS.items():
        c = float(eval(compression))  # "1" or "1/64"
        widths = [int(part.split("|")[1]) for part in layout.split(",")[:-1]]
        results = {}
        net = HashedNetwork(28, layout, compression=compression, seed=1, num_threads=threads)
        config = TrainingConfig(learning_rate=1e-3, batch_size=128, max_epochs=epochs, convergence_steps=epochs,
                                seed=1)  # fmt: skip
        start = time.perf_counter()
        net.fit(x_train, y_train, validation_fraction=0.0, training=config, verbose=False)
        results["ours"] = (time.perf_counter() - start, roc_auc(y_test, net.predict(x_test)), net.n_params)
        if torch is not None:
            variants = [("torch dense", 1.0)] + ([("torch gather", c)] if c < 1 else [])
            for label, tc in variants:
                tnet = _torch_net(torch, 28, widths, 1, tc, torch.nn.Tanh, seed=1)
                seconds = _train_torch(torch, tnet, xs_train, y_train.reshape(-1, 1).astype(np.float32), epochs, 128,
                                       lambda p: torch.optim.Adam(p, lr=1e-3), torch.nn.BCEWithLogitsLoss())  # fmt: skip
                tnet.eval()
                with torch.no_grad():
                    score = torch.sigmoid(tnet(torch.from_numpy(xs_test))).numpy().ravel()
                n_params = sum(p.numel() for p in tnet.parameters())
                results[label] = (seconds, roc_auc(y_test, score), n_params)
        for label, (seconds, auc, n_params) in results.items():
            eps = epochs * n_train / seconds
            rows.append(dict(network=name, method=label, seconds=seconds, events_per_s=eps, test_auc=auc,
                             real_params=n_params, epochs=epochs, n_train=n_train))  # fmt: skip
        base = results.get("torch dense")
        for label, (seconds, auc, n_params) in results.items():
            ratio = f"{base[0] / seconds:.2f}" if base else "-"
            table.append([name, label, n_params, f"{epochs * n_train / seconds:,.0f}", f"{auc:.4f}", ratio])
    print_table(f"e2e HIGGS: {epochs} epochs of {n_train} events, test AUC on {len(x) - n_train}",
                ["network", "method", "real params", "events/s", "test AUC", "speed / torch dense"], table)
    targets = []
    for name, (_, compression) in HIGGS_NETS.items():
        by = {r["method"]: r for r in rows if r["network"] == name}
        if "torch dense" not in by:
            continue
        # the same model: dense against torch dense; a hashed one against torch's gathered hashed layers
        same = by["torch dense"] if compression == "1" else by["torch gather"]
        ours, dense = by["ours"], by["torch dense"]
        reached = ours["events_per_s"] >= dense["events_per_s"] and ours["test_auc"] >= same["test_auc"] - 0.005
        targets.append(dict(target=f"{name}: events/s >= torch dense, AUC >= the same model's in torch - 0.005",
                            ratio=ours["events_per_s"] / dense["events_per_s"],
                            auc_difference=ours["test_auc"] - same["test_auc"],
                            auc_difference_to_dense=ours["test_auc"] - dense["test_auc"], reached=reached))  # fmt: skip
        t = targets[-1]
        print(f"  target: {t['target']}: {t['ratio']:.2f}x, AUC {t['auc_difference']:+.4f} "
              f"(against torch dense {t['auc_difference_to_dense']:+.4f}) -> {'REACHED' if reached else 'MISSED'}")
    return rows, table, targets


def run_mnist_shape(threads: int, n_events: int, rounds: int) -> tuple:
    torch = _torch()
    rng = np.random.default_rng(0)
    x = rng.random((n_events, 784), dtype=np.float32)
    y = rng.integers(0, 10, n_events).astype(np.float32)
    config = TrainingConfig(learning_rate=0.05, momentum=0.9, optimizer="SGD", batch_size=128, max_epochs=1,
                            convergence_steps=1, dropout=(0.2, 0.5), seed=1)  # fmt: skip
    seconds = {"ours dense": [], "ours 1/8": []}
    if torch is not None:
        torch.set_num_threads(threads or os.cpu_count())
        seconds.update({"torch dense": [], "torch gather 1/8": []})
    for _ in range(rounds):
        for label, c in (("ours dense", "1"), ("ours 1/8", "1/8")):
            net = HashedNetwork(784, "RELU|1000,LINEAR", task="multiclass", n_outputs=10, compression=c, seed=1,
                                num_threads=threads)  # fmt: skip
            start = time.perf_counter()
            net.fit(x, y, validation_fraction=0.0, standardize=False, training=config, verbose=False)
            seconds[label].append(time.perf_counter() - start)
        if torch is not None:
            for label, c in (("torch dense", 1.0), ("torch gather 1/8", 1 / 8)):
                tnet = _torch_net(torch, 784, [1000], 10, c, torch.nn.ReLU, seed=1)
                seconds[label].append(_train_torch(torch, tnet, x, y.astype(np.int64), 1, 128,
                                                   lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
                                                   torch.nn.CrossEntropyLoss()))  # fmt: skip
    med = {k: median(v) for k, v in seconds.items()}
    table = [[k, fmt_seconds(v), f"{v / med['ours dense']:.2f}"] for k, v in med.items()]
    print_table(f"e2e MNIST shape 784-1000-10: one epoch of {n_events} events, median of {rounds}",
                ["method", "epoch", "/ ours dense"], table)  # fmt: skip
    ratio = med["ours 1/8"] / med["ours dense"]
    target = dict(target="MNIST 784-1000-10 at 1/8: hashed epoch <= 2x our dense epoch", ratio=ratio,
                  reached=ratio <= 2.0)  # fmt: skip
    print(f"  target: {target['target']}: {ratio:.2f}x -> {'REACHED' if target['reached'] else 'MISSED'}")
    rows = [dict(method=k, epoch_seconds=v, all_seconds=seconds[k], events=n_events) for k, v in med.items()]
    return rows, table, [target]


def run_e2e(threads: int = 0, epochs: int = 10, quick: bool = False) -> dict:
    higgs_rows, higgs_table, higgs_targets = run_higgs(threads, epochs)
    mnist_rows, mnist_table, mnist_targets = run_mnist_shape(threads, 10000 if quick else 60000, 1 if quick else 2)
    return {"higgs": higgs_rows, "mnist_shape": mnist_rows, "targets": higgs_targets + mnist_targets,
            "tables": {"higgs": higgs_table, "mnist_shape": mnist_table}}  # fmt: skip


_LATENCY_LOOP = """
#include "hashednet/model.h"
#include <chrono>
#include <ctime>
// seconds[0]: wall-clock, seconds[1]: process CPU time, per event
void hashednet_bench_predict_one_times(hashednet::Model &model, const float *x, std::int64_t n, std::int64_t d,
                                       double *seconds) {
   float sink = 0.0f;
   std::timespec cpu0, cpu1;
   clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
   const auto start = std::chrono::steady_clock::now();
   for (std::int64_t e = 0; e < n; ++e) sink += model.predict_one(x + e * d, d)[0];
   const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
   clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
   const double cpu = double(cpu1.tv_sec - cpu0.tv_sec) + 1e-9 * double(cpu1.tv_nsec - cpu0.tv_nsec);
   seconds[0] = (sink == sink ? s : s) / n;
   seconds[1] = cpu / n;
}
"""


def run_latency(threads: int = 0, events: int = 20000, rounds: int = 5) -> dict:
    """Per event: wall-clock and process CPU time of the C++ loop (the ratios to dense from CPU time, which
    the other jobs of a shared machine do not inflate), and the wall-clock time of the call from Python."""
    import ROOT

    core()
    if not hasattr(ROOT, "hashednet_bench_predict_one_times"):
        ROOT.gInterpreter.Declare(_LATENCY_LOOP)
    x = np.random.default_rng(0).normal(size=(events, 28)).astype(np.float32)
    nets = {  # name: (layout, compression, hash mode)
        "3x64 dense": ("TANH|64,TANH|64,TANH|64,LINEAR", "1", "ELEMENT"),
        "3x64 1/8": ("TANH|64,TANH|64,TANH|64,LINEAR", "1/8", "ELEMENT"),
        "3x64 1/8 B16": ("TANH|64,TANH|64,TANH|64,LINEAR", "1/8", "BLOCK"),
        "3x512 dense": ("TANH|512,TANH|512,TANH|512,LINEAR", "1", "ELEMENT"),
        "3x512 1/64": ("TANH|512,TANH|512,TANH|512,LINEAR", "1/64", "ELEMENT"),
        "3x512 1/64 B16": ("TANH|512,TANH|512,TANH|512,LINEAR", "1/64", "BLOCK"),
    }
    wall = {name: [] for name in nets}
    cpu = {name: [] for name in nets}
    py_seconds = {name: [] for name in nets}
    models = {name: HashedNetwork(28, layout, compression=c, hash_mode=mode, seed=1, num_threads=threads)
              for name, (layout, c, mode) in nets.items()}  # fmt: skip
    times = np.zeros(2)
    for _ in range(rounds):  # interleaved rounds
        for name, net in models.items():
            ROOT.hashednet_bench_predict_one_times(net._model, x, events, 28, times)
            wall[name].append(float(times[0]))
            cpu[name].append(float(times[1]))
            start = time.perf_counter()
            for e in range(min(events, 2000)):
                net._model.predict_one(x[e], 28)
            py_seconds[name].append((time.perf_counter() - start) / min(events, 2000))
    rows, table = [], []
    for name in nets:
        c_med, w_med, py_med = median(cpu[name]), median(wall[name]), median(py_seconds[name])
        dense = median(cpu[name.split(" ")[0] + " dense"])
        rows.append(dict(network=name, seconds_per_event=c_med, wall_seconds_per_event=w_med,
                         python_seconds_per_event=py_med, ratio_to_dense=c_med / dense))  # fmt: skip
        table.append([name, fmt_seconds(c_med), f"{1 / c_med:,.0f}", f"{c_med / dense:.2f}", fmt_seconds(w_med),
                      fmt_seconds(py_med)])  # fmt: skip
    print_table(f"latency: Model::predict_one per event (C++ loop over {events} events, median of {rounds})",
                ["network", "CPU per event", "events/CPU s", "/ dense", "wall per event", "from Python"],
                table)  # fmt: skip
    return {"rows": rows, "table": table, "targets": latency_targets(rows)}


#: Issue 11's single-event targets: (network, at most this many times the dense network's time per event)
LATENCY_TARGETS = (("3x512 1/64 B16", 1.0), ("3x512 1/64", 2.0), ("3x64 1/8", 1.5))


def latency_targets(rows) -> list:
    by = {r["network"]: r for r in rows}
    out = []
    for name, maximum in LATENCY_TARGETS:
        ratio = by[name]["ratio_to_dense"]
        out.append(dict(target=f"latency {name} <= {maximum}x dense", ratio=ratio, reached=ratio <= maximum))
        print(f"  target: {out[-1]['target']}: {ratio:.2f}x -> {'PASS' if out[-1]['reached'] else 'MISS'}")
    return out
