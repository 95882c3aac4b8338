#!/usr/bin/env bash
# Sets everything up in ./.venv (ROOT from PyPI, this package built by CMake
# through pip) and runs one job:
#   main        train HashedDNN on ROOT's bundled HIGGS data (output in ./output)
#   test        the whole test suite (C++ and Python)
#   benchmark   the quality and speed benchmarks (minutes; see benchmarks/README.md)
#   fuzz        sanitizer build + fuzzing of the option parser and weight-file readers
#               ([seconds per target], default 600; tests/fuzz/driver.py --help)
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-}"
case "$job" in
  main | test | benchmark | fuzz) shift ;;
  *) echo "usage: bash scripts/run.sh main|test|benchmark|fuzz [arguments]" >&2; exit 2 ;;
esac

# The root wheel exists for CPython 3.11 only.
python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python="$candidate"; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "error: Python 3.11 is needed (ROOT's PyPI wheel root==0.1a12 is built for it); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi
echo "==> installing tmva-hashednet (builds the C++ core) with ROOT from PyPI"
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".[root,test]"

case "$job" in
  main) exec .venv/bin/python macros/higgs_classification.py "$@" ;;
  test) exec .venv/bin/pytest "$@" ;;
  benchmark) exec .venv/bin/python benchmarks/run.py "$@" ;;
  fuzz) exec .venv/bin/python tests/fuzz/driver.py "$@" ;;
esac
