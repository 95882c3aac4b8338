"""The one benchmark command of tmva-hashednet (issue 3; quality: issue 2).

    python benchmarks/run.py SUITE [SUITE ...] [--json out.json] [options]

Suites:
  speed    one layer, forward and forward+backward: hashed (fused) against a
           dense sgemm layer and against "materialise V, then sgemm"
  memory   peak resident memory of one forward+backward (child processes)
           against the buckets' size, 4096 x 4096
  e2e      training throughput (events/s) and test ROC AUC on Higgs_data.root,
           ours against PyTorch (dense, and hashed by gathering from an index);
           MNIST-shaped 784-1000-10 epoch time, hashed 1/8 against dense
  latency  single-event evaluation (Model::predict_one, the TMVA Reader case)
  stream   one epoch over an 11M-event TTree, trained in chunks: peak RSS, events/s
  rdf      a weight file's scores in RDataFrame (IMT 1 and 2 threads) against
           numpy predict on AsNumpy arrays, over a 10M-event TTree: events/s
  conv     one convolution layer (32 filters 3x3 on 16x28x28, batch 256): dense and
           hashed filters against PyTorch's conv2d (skipped without torch)
  gpu      the CUDA backend on GPU 0 (speed_gpu.py): one layer dense / materialise /
           fused, ELEMENT and BLOCK, device memory, HIGGS events/s GPU vs CPU
           (vs PyTorch on the GPU); the issue-10 goals as ratios. Not in `all`;
           without a usable GPU it prints the reason and records it
  quality  benchmarks/quality.py (test error and AUC against compression);
           the arguments after `--` go to it
  all      speed memory e2e latency stream rdf

Every ratio is measured side by side in the same run (methods interleaved,
medians of repetitions): the machine may be shared, absolute figures are
noisy. Run from the repository with the package importable, e.g.
TMVA_HASHEDNET_PREFIX=/tmp/prefix PYTHONPATH=. python benchmarks/run.py speed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SUITES = ("speed", "memory", "e2e", "latency", "stream", "rdf", "conv", "gpu", "quality")
ALL = ("speed", "memory", "e2e", "latency", "stream", "rdf")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])  # fmt: skip
    p.add_argument("suites", nargs="+", choices=SUITES + ("all",), metavar="SUITE", help=", ".join(SUITES + ("all",)))
    p.add_argument("--json", type=Path, help="write settings, raw figures and ratios to this file")
    p.add_argument("--threads", type=int, default=0, help="CPU threads of our core (0 = all), default 0")
    p.add_argument("--quick", action="store_true", help="fewer repetitions, shapes and events (a smoke run)")
    p.add_argument("--rounds", type=int, help="speed: interleaved rounds per case (default 5, quick 2)")
    p.add_argument("--shapes", type=int, nargs="+", help="speed: virtual n for n x n layers (default 512 2048 4096)")
    p.add_argument("--batches", type=int, nargs="+", help="speed: batch sizes (default 1 32 256)")
    p.add_argument("--epochs", type=int, help="e2e: HIGGS epochs (default 10, quick 2)")
    p.add_argument("--stream-events", type=int, help="stream: events in the TTree (default 11000000)")
    p.add_argument("--stream-chunk", type=int, help="stream: events per chunk (default 500000)")
    p.add_argument("--stream-dir", type=Path, help="stream: folder of the TTree file (default /tmp)")
    p.add_argument("--rdf-events", type=int, help="rdf: events in the TTree (default 10000000, quick 200000)")
    p.add_argument("--rdf-dir", type=Path, help="rdf: folder of the TTree and weight file (default /tmp)")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    quality_args = []
    if "--" in argv:
        cut = argv.index("--")
        argv, quality_args = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    if args.threads > 0:  # numpy's and PyTorch's BLAS read these when they load
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, str(args.threads))
    suites = []
    for s in args.suites:
        suites.extend(ALL if s == "all" else (s,))
    from speed_common import cpu_description

    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
              "machine": cpu_description(), "threads": args.threads, "quick": args.quick, "results": {}}  # fmt: skip
    for suite in dict.fromkeys(suites):
        start = time.perf_counter()
        print(f"\n=== {suite} ===", flush=True)
        report["results"][suite] = _run(suite, args, quality_args)
        report["results"][suite]["wall_seconds"] = time.perf_counter() - start
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
        print(f"\nwrote {args.json}")
    return 0


def _run(suite: str, args, quality_args) -> dict:
    if suite == "speed":
        from speed_layers import BATCHES, SHAPES, run_speed

        shapes = args.shapes or ((512, 2048) if args.quick else SHAPES)
        return run_speed(threads=args.threads, rounds=args.rounds or (2 if args.quick else 5), shapes=shapes,
                         batches=args.batches or BATCHES, budget=0.02 if args.quick else 0.05)  # fmt: skip
    if suite == "memory":
        from speed_memory import run_memory

        return run_memory(threads=args.threads, n=1024 if args.quick else 4096)
    if suite == "e2e":
        from speed_e2e import run_e2e

        return run_e2e(threads=args.threads, epochs=args.epochs or (2 if args.quick else 10), quick=args.quick)
    if suite == "latency":
        from speed_e2e import run_latency

        return run_latency(threads=args.threads, events=200 if args.quick else 20000, rounds=2 if args.quick else 5)
    if suite == "stream":
        from speed_stream import run_stream

        return run_stream(threads=args.threads, n_events=args.stream_events or (500_000 if args.quick else 11_000_000),
                          chunk=args.stream_chunk or 500_000, folder=args.stream_dir or Path("/tmp"))  # fmt: skip
    if suite == "rdf":
        from speed_rdf import run_rdf

        return run_rdf(n_events=args.rdf_events or (200_000 if args.quick else 10_000_000),
                       folder=args.rdf_dir or Path("/tmp"))  # fmt: skip
    if suite == "conv":
        from speed_conv import run_conv

        rounds = args.rounds or (2 if args.quick else 5)
        return run_conv(threads=args.threads, batch=32 if args.quick else 256, rounds=rounds)
    if suite == "gpu":
        from speed_gpu import run_gpu

        return run_gpu(quick=args.quick, epochs=args.epochs)
    if suite == "quality":
        return _run_quality(quality_args)
    raise AssertionError(suite)


def _run_quality(quality_args) -> dict:
    """Dispatches to benchmarks/quality.py (owned by the quality benchmark)."""
    path = Path(__file__).resolve().parent / "quality.py"
    if not path.exists():
        print("quality: benchmarks/quality.py is not present; skipped")
        return {"skipped": "benchmarks/quality.py not present"}
    import quality

    if not quality_args:
        quality_args = ["all"]
    status = quality.main(quality_args) if hasattr(quality, "main") else None
    return {"args": quality_args, "status": status}


if __name__ == "__main__":
    sys.exit(main())
