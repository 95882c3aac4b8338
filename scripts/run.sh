#!/usr/bin/env bash
# Sets everything up in ./.venv (ROOT from PyPI, this package built by CMake
# through pip) and runs one job:
#   main        train HashedDNN on ROOT's bundled HIGGS data (output in ./output)
#   test        the whole test suite (C++ and Python)
#   benchmark   the quality and speed benchmarks (minutes; see benchmarks/README.md)
#   fuzz        sanitizer build + fuzzing of the option parser and weight-file readers
#               ([seconds per target], default 600; tests/fuzz/driver.py --help)
#   gpu-check   [--out DIR] the CUDA backend (docs/cuda.md): builds with -DHASHEDNET_CUDA=ON
#               and the [gpu] extra; on a machine with an NVIDIA GPU runs the GPU tests and
#               `benchmarks/run.py gpu` (JSON to DIR, default output/gpu-check); without one
#               runs the compile checks and says why there is no GPU (exit 0)
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-}"
case "$job" in
  main | test | benchmark | fuzz | gpu-check) shift ;;
  *) echo "usage: bash scripts/run.sh main|test|benchmark|fuzz|gpu-check [arguments]" >&2; exit 2 ;;
esac

# ROOT's PyPI wheel (root==0.1a12) is built for CPython 3.11 and 3.12.
python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "error: Python 3.11 or 3.12 is needed (ROOT's PyPI wheel root==0.1a12 is built for them);" \
       "set PYTHON=/path/to/python3.12" >&2
  exit 1
fi

# The hardening step of the tests (tests/test_fuzz.py: sanitizer build, libFuzzer)
# needs clang and its runtime, which only Debian serves; installed when missing
# and we may (root with apt-get), else that step is skipped with the reason.
if [ "$job" = test ] || [ "$job" = fuzz ]; then
  if ! command -v clang++ >/dev/null || [ ! -f "$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> installing clang and its sanitizer/libFuzzer runtime (Debian: clang libclang-rt-14-dev)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
    else
      echo "==> clang with libclang-rt-14-dev not found (not root, or no apt-get): the hardening step will be skipped"
    fi
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi
if [ "$job" = gpu-check ]; then
  exec bash scripts/gpu_check.sh "$@"
fi
echo "==> installing tmva-hashednet (builds the C++ core) with ROOT from PyPI"
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".[root,test]"
# Where nvcc is installed, the tests compile the CUDA backend's sources (tests/test_cuda_backend_compile.py),
# which include cuBLAS's headers: only PyPI's nvidia-cublas wheel serves them (about 580 MB unpacked).
if [ "$job" = test ] && command -v nvcc >/dev/null; then
  echo "==> nvcc found: installing nvidia-cublas (cuBLAS headers for the CUDA backend's compile tests)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "nvidia-cublas>=13"
fi

case "$job" in
  main) exec .venv/bin/python macros/higgs_classification.py "$@" ;;
  test) exec .venv/bin/pytest "$@" ;;
  benchmark) exec .venv/bin/python benchmarks/run.py "$@" ;;
  fuzz) exec .venv/bin/python tests/fuzz/driver.py "$@" ;;
esac
