"""The GPU benchmark (issue 10): ``python benchmarks/run.py gpu``.

What it measures, on CUDA device 0, side by side in one run:
- one n x n linear layer, forward and forward+backward (dx and the
  parameter gradient), batch 1, 32 and 512, n = 4096 and 10240: dense
  (cuBLAS sgemm on W), ELEMENT and BLOCK hashed at 1/8, each by
  "materialise a tile of V, then cuBLAS" and by the fused kernel;
- the device memory the hashed layer's forward+backward takes (CuPy's
  memGetInfo before and after: buffers, workspace, cuBLAS) against its
  buckets' bytes and against the dense W's bytes;
- HIGGS training (Higgs_data.root) in events/s: the GPU backend against the
  CPU backend, and against PyTorch on the GPU when torch sees a GPU.
It prints one summary with the issue's goals as ratios (fused ELEMENT
forward+backward within 2x of dense cuBLAS, fused BLOCK within 1.25x, at
batch 512) and returns everything for the JSON of ``--json``.

Layer times are host wall-clock over `repetitions` enqueued calls between two
stream synchronisations (a 4-byte copy to the host), so launch overheads
count, as they do in training. The whole suite is sized to finish in a few
minutes on one data-centre GPU (scripts/run.sh gpu-check allows 8).

What it is not: a test (tests/test_gpu.py checks the values) or a CPU
benchmark (speed_layers.py).
"""

from __future__ import annotations

import time

import numpy as np
from speed_common import core, fmt_bytes, fmt_seconds, print_table

__all__ = ["run_gpu", "gpu_reason"]

SHAPES = (4096, 10240)
BATCHES = (1, 32, 512)
COMPRESSION = 1 / 8
GOALS = {"ELEMENT": 2.0, "BLOCK": 1.25}  # fused forward+backward / dense cuBLAS, batch 512

HELPERS = r"""
#include "hashednet/device.h"
#include "hashednet/model.h"
#include <chrono>
#include <memory>
namespace gpu_bench {
using namespace hashednet;
/// One n x n LINEAR layer on the GPU backend, its products timed by host wall-clock.
class LayerTimer {
public:
   LayerTimer(std::int64_t n, double compression, int hash_mode, std::int64_t batch, const std::string &method)
      : batch_(batch)
   {
      NetworkSpec spec;
      spec.n_inputs = n;
      spec.n_outputs = n;
      spec.task = Task::Regression;
      LayerSpec layer;
      layer.activation = Activation::Linear;
      layer.width = n;
      layer.compression = compression;
      spec.layers = {layer};
      spec.compression = compression;
      spec.hash_output_layer = compression < 1.0;
      spec.hash_mode = static_cast<HashMode>(hash_mode);
      spec.hash_block = 16;
      GpuSettings settings; // the option GpuProduct
      settings.product = method == "MATERIALIZE" ? GpuProduct::Materialize : GpuProduct::Fused;
      model_ = std::make_unique<Model>(spec, WeightInit::XavierNormal, 1, 0, Architecture::Gpu, settings);
      Backend &b = backend();
      x_ = b.allocate(batch * n);
      y_ = b.allocate(batch * n);
      dx_ = b.allocate(batch * n);
      grad_ = b.allocate(model_->n_params());
   }
   std::int64_t n_params() const { return model_->n_params(); }
   /// Seconds per call: forward, or forward + backward (dx and dparams).
   double seconds(int repetitions, bool backward)
   {
      run(backward); // warm-up: workspaces, cuBLAS heuristics
      synchronize();
      const auto start = std::chrono::steady_clock::now();
      for (int r = 0; r < repetitions; ++r)
         run(backward);
      synchronize();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repetitions;
   }

private:
   Backend &backend() { return model_->network().backend(); }
   void run(bool backward)
   {
      const FullyConnected &layer = model_->network().fully_connected(0);
      const float *params = model_->network().params().data();
      backend().linear_forward(layer, params, x_.data(), batch_, y_.data());
      if (backward)
         backend().linear_backward(layer, params, x_.data(), y_.data(), batch_, dx_.data(), grad_.data());
   }
   void synchronize()
   {
      float value;
      backend().copy_to_host(y_, 0, 1, &value);
   }
   std::int64_t batch_;
   std::unique_ptr<Model> model_;
   Buffer x_, y_, dx_, grad_;
};
} // namespace gpu_bench
"""

CASES = {  # name: (compression, hash mode index (config.h HashMode), method)
    "dense cuBLAS": (1.0, 0, "FUSED"),
    "ELEMENT materialise": (COMPRESSION, 0, "MATERIALIZE"),
    "ELEMENT fused": (COMPRESSION, 0, "FUSED"),
    "BLOCK materialise": (COMPRESSION, 1, "MATERIALIZE"),
    "BLOCK fused": (COMPRESSION, 1, "FUSED"),
}


def gpu_reason() -> str:
    """Empty when the GPU backend can run here, else the core's reason."""
    import ROOT

    core()
    assert ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
    return str(ROOT.hashednet.gpu_unavailable_reason())


def _device_used_bytes(cupy) -> int:
    free, total = cupy.cuda.runtime.memGetInfo()
    return total - free


def _layers(shapes, batches, repetitions: int) -> tuple:
    import ROOT

    assert ROOT.gInterpreter.Declare(HELPERS)
    try:
        import cupy
    except ImportError:
        cupy = None
    rows, records = [], []
    for n in shapes:
        for batch in batches:
            times = {}
            for name, (compression, mode, method) in CASES.items():
                before = _device_used_bytes(cupy) if cupy else 0
                timer = ROOT.gpu_bench.LayerTimer(n, compression, mode, batch, method)
                forward = timer.seconds(repetitions, False)
                both = timer.seconds(repetitions, True)
                used = _device_used_bytes(cupy) - before if cupy else float("nan")
                params_bytes = 4 * int(timer.n_params())
                del timer
                times[name] = (forward, both)
                records.append(dict(n=n, batch=batch, case=name, forward_s=forward, forward_backward_s=both,
                                    device_bytes=used, param_bytes=params_bytes, dense_bytes=4 * (n * n + n)))  # fmt: skip
            dense = times["dense cuBLAS"]
            for name, (forward, both) in times.items():
                rows.append([n, batch, name, fmt_seconds(forward), f"{forward / dense[0]:.2f}", fmt_seconds(both),
                             f"{both / dense[1]:.2f}"])  # fmt: skip
    print_table("one n x n layer on the GPU (ratio = time / dense cuBLAS)",
                ["n", "batch", "method", "forward", "x dense", "fwd+bwd", "x dense"], rows)  # fmt: skip
    return records


def _higgs(epochs: int) -> list:
    from tmva_hashednet import HashedNetwork, TrainingConfig, datasets

    x, y = datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)
    results = []
    for layout, compression, batch in (("TANH|64,TANH|64,TANH|64,LINEAR", "1/8", 128),
                                       ("TANH|512,TANH|512,TANH|512,LINEAR", "1/64", 512)):  # fmt: skip
        config = TrainingConfig(learning_rate=1e-3, batch_size=batch, max_epochs=epochs, convergence_steps=epochs,
                                seed=1)  # fmt: skip
        row = dict(layout=layout, compression=compression, batch=batch)
        for device in ("cpu", "cuda"):
            net = HashedNetwork(28, layout, compression=compression, seed=1, device=device)
            start = time.perf_counter()
            net.fit(x, y, validation_fraction=0.0, training=config, verbose=False)
            row[f"{device}_events_per_s"] = epochs * len(x) / (time.perf_counter() - start)
        row["torch_cuda_events_per_s"] = _torch_higgs(x, y, layout, batch, epochs)
        results.append(row)
    print_table("HIGGS training (events/s)", ["layout", "compression", "batch", "CPU backend", "GPU backend",
                                               "torch GPU (dense)", "GPU / CPU"],
                [[r["layout"], r["compression"], r["batch"], f"{r['cpu_events_per_s']:.0f}",
                  f"{r['cuda_events_per_s']:.0f}", f"{r['torch_cuda_events_per_s']:.0f}",
                  f"{r['cuda_events_per_s'] / r['cpu_events_per_s']:.2f}"] for r in results])  # fmt: skip
    return results


def _torch_higgs(x, y, layout: str, batch: int, epochs: int) -> float:
    """Dense PyTorch MLP of the same widths on the GPU, Adam, events/s; NaN without torch or its GPU."""
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: its GPU row is skipped")
        return float("nan")
    if not torch.cuda.is_available():
        print("PyTorch sees no GPU (a CPU build?): its GPU row is skipped")
        return float("nan")
    widths = [int(part.split("|")[1]) for part in layout.split(",")[:-1]]
    layers, n_in = [], 28
    for w in widths:
        layers += [torch.nn.Linear(n_in, w), torch.nn.Tanh()]
        n_in = w
    net = torch.nn.Sequential(*layers, torch.nn.Linear(n_in, 1)).cuda()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    xs = torch.from_numpy(((x - x.mean(0)) / x.std(0)).astype(np.float32))
    ys = torch.from_numpy(y.reshape(-1, 1).astype(np.float32))
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(xs))
        for a in range(0, len(xs), batch):
            idx = order[a : a + batch]
            xb, yb = xs[idx].cuda(non_blocking=True), ys[idx].cuda(non_blocking=True)  # from the host, as ours
            optimizer.zero_grad()
            loss_fn(net(xb), yb).backward()
            optimizer.step()
    torch.cuda.synchronize()
    return epochs * len(xs) / (time.perf_counter() - start)


def _summary(records: list, shapes) -> list:
    """The goals of issue 10 as ratios at batch 512."""
    by = {(r["n"], r["batch"], r["case"]): r for r in records}
    goals, rows = [], []
    for n in shapes:
        dense = by.get((n, 512, "dense cuBLAS"))
        if dense is None:
            continue
        for scheme, limit in GOALS.items():
            fused = by[(n, 512, f"{scheme} fused")]
            ratio = fused["forward_backward_s"] / dense["forward_backward_s"]
            forward = fused["forward_s"] / dense["forward_s"]
            memory = fused["device_bytes"] / fused["param_bytes"]
            goal = dict(n=n, scheme=scheme, forward_backward_ratio=ratio, forward_ratio=forward, goal=limit,
                        met=ratio <= limit, device_bytes_per_param_byte=memory)  # fmt: skip
            goals.append(goal)
            rows.append([f"{n}^2", scheme, f"{forward:.2f}", f"{ratio:.2f}", f"<= {limit}",
                         "met" if goal["met"] else "MISSED", f"{memory:.2f}",
                         fmt_bytes(fused["device_bytes"]), fmt_bytes(fused["dense_bytes"])])  # fmt: skip
    print_table("issue 10 goals, batch 512 (fused / dense cuBLAS; memory = device bytes used / buckets' bytes)",
                ["layer", "scheme", "fwd x", "fwd+bwd x", "goal", "", "memory x", "used", "dense W"], rows)  # fmt: skip
    return goals


def run_gpu(quick: bool = False, epochs: int | None = None) -> dict:
    reason = gpu_reason()
    if reason:
        print(f"no GPU: {reason}")
        return {"skipped": reason}
    shapes = (1024, 2048) if quick else SHAPES
    start = time.perf_counter()
    records = _layers(shapes, BATCHES, repetitions=3 if quick else 10)
    higgs = _higgs(epochs or (1 if quick else 3))
    goals = _summary(records, shapes)
    return {"device": _device_name(), "layers": records, "higgs": higgs, "goals": goals,
            "seconds": time.perf_counter() - start, "shapes": list(shapes), "compression": COMPRESSION}  # fmt: skip


def _device_name() -> str:
    import tmva_hashednet as t

    return str(t.HashedNetwork(2, "LINEAR|1", device="cuda")._model.backend_name())

