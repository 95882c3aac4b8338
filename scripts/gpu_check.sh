#!/usr/bin/env bash
# gpu-check (called by `bash scripts/run.sh gpu-check [--out DIR]`, with ./.venv made):
# does the CUDA backend work on this machine?
#   1. installs the [gpu] extra (cuBLAS, NVRTC, CuPy) and rebuilds the package with
#      -DHASHEDNET_CUDA=ON (on a GPU machine for its own architecture only, to keep
#      the whole check under 8 minutes; without a GPU for every architecture: the
#      fat binary is the compile check);
#   2. asks the core whether Architecture=GPU can run (tmva_hashednet: the reason, or none);
#   3. GPU: the GPU tests (pytest -m gpu) and `benchmarks/run.py gpu` with its JSON in DIR;
#      no GPU: the compile checks (ptxas figures, host emulation, the image kernels' values, the backend's tests),
#      then "no GPU: <reason>; compile checks passed", exit 0.
# The default test run never installs the [gpu] extra; `bash scripts/run.sh test`
# reinstalls the CPU-only package afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

out=output/gpu-check
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    *) echo "usage: bash scripts/run.sh gpu-check [--out DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
py=.venv/bin/python  # with -P below: the installed package, not ./tmva_hashednet of the source tree
start=$(date +%s)

echo "==> installing the GPU extra (nvidia-cublas, nvidia-cuda-nvrtc, cupy-cuda13x)"
$py -m pip install --quiet --disable-pip-version-check "nvidia-cublas>=13" "nvidia-cuda-nvrtc>=13" "cupy-cuda13x>=13"
cublas_root=$($py -P -c 'import nvidia.cu13, os; print(list(nvidia.cu13.__path__)[0])')

if [ -n "${HASHEDNET_CUDA_ARCHITECTURES:-}" ]; then
  architectures="$HASHEDNET_CUDA_ARCHITECTURES"  # the caller's list (e.g. 75-real for a quick compile check)
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  architectures=native     # this GPU's architecture: the build is minutes shorter
else
  architectures=""         # cmake/HashednetCuda.cmake's full list: sm_75 .. newest, plus PTX
fi
echo "==> building tmva-hashednet with -DHASHEDNET_CUDA=ON${architectures:+ (CUDA architectures: $architectures)}"
config=(-Ccmake.define.HASHEDNET_CUDA=ON "-Ccmake.define.HASHEDNET_CUBLAS_ROOT=$cublas_root")
if [ -n "$architectures" ]; then
  config+=("-Ccmake.define.HASHEDNET_CUDA_ARCHITECTURES=$architectures")
fi
$py -m pip install --quiet --disable-pip-version-check "${config[@]}" ".[root,test,gpu]"

library=$($py -P -c 'from tmva_hashednet._core import library_path; print(library_path().parent / "libhashednet_cuda.so")')
if [ ! -f "$library" ]; then
  echo "error: the build made no CUDA library ($library): see the CMake output above (HASHEDNET_CUDA=ON)" >&2
  exit 1
fi
reason=$($py -P - <<'PY'
import ROOT
from tmva_hashednet._core import core
core()
ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
print(str(core().gpu_unavailable_reason()))
PY
)
reason=$(printf '%s\n' "$reason" | tail -n 1)

if [ -n "$reason" ]; then
  echo "==> no usable GPU; the compile checks"
  $py -P -m pytest -q tests/test_cuda_compile.py tests/test_device_errors.py tests/test_gpu_interface.py \
    tests/test_gpu_emulation.py tests/test_gpu_image_ops.py tests/test_gpu_whole_ops.py \
    $(ls tests/test_cuda_*.py | grep -v test_cuda_compile.py)
  printf '{"gpu": false, "reason": %s}\n' "$($py -P -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$reason")" \
    > "$out/gpu-check.json"
  echo "no GPU: $reason; compile checks passed"
  exit 0
fi

echo "==> GPU tests (every layer kind and operation, GPU against CPU)"
$py -P -m pytest -q -m gpu tests/
echo "==> benchmarks/run.py gpu"
$py benchmarks/run.py gpu --json "$out/gpu.json"
echo "==> gpu-check passed in $(( $(date +%s) - start )) s; JSON in $out/gpu.json"
