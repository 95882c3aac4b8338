"""Builds the sanitizer variant of the core and runs its C++ tests and fuzzers.

What it is: the one place that knows how: configure and build with clang,
``HASHEDNET_SANITIZE=address,undefined`` and ``HASHEDNET_FUZZ=ON`` into a
folder of its own, run the C++ tests (ctest) and the Python tests of the
core's paths under the sanitizers, replay the regression inputs, and run each
fuzz target over its committed seed corpus for a while. tests/test_fuzz.py calls it for CI's short run; ``bash
scripts/run.sh fuzz [seconds]`` calls it (``main``) for a long one.
What it is not: a fuzzer. The C++ targets are libFuzzer programs
(tests/fuzz/fuzz_*.cpp); the Python one (weight files) is fuzz_weights_xml.py.

Command line: python tests/fuzz/driver.py [seconds per target] [--build DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FUZZ_DIR = Path(__file__).resolve().parent
ROOT_DIR = FUZZ_DIR.parents[1]
CPP_TARGETS = ("fuzz_options", "fuzz_network_text")
PYTHON_TARGETS = ("fuzz_weights_xml",)
CLANG = "clang++"
# Python tests of the core's paths (layers, kernels, training, text, errors) that also run under ASan + UBSan,
# in a Python whose core is the sanitized build (LD_PRELOAD of clang's ASan runtime).
PYTHON_CORE_TESTS = ("test_layers.py", "test_kernels.py", "test_activations.py", "test_block_mode.py", "test_hash.py",
                     "test_serialize.py", "test_training.py", "test_streaming.py", "test_errors.py")  # fmt: skip
# The first report ends the program; leaks are findings too (LSan).
SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=0:detect_leaks=1:allocator_may_return_null=0:strict_string_checks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
# Per input: a hang is anything over 10 s, a memory blow-up anything over 1 GiB.
LIBFUZZER_LIMITS = ["-timeout=10", "-rss_limit_mb=1024", "-malloc_limit_mb=1024"]


def fuzzer_runtime_missing() -> str | None:
    """Why this machine cannot build the libFuzzer targets, or None."""
    clang = shutil.which(CLANG)
    if clang is None:
        return f"{CLANG} is not on PATH (Debian: apt-get install clang)"
    probe = subprocess.run([clang, "-print-file-name=libclang_rt.fuzzer-x86_64.a"], capture_output=True, text=True)
    if not Path(probe.stdout.strip()).is_file():
        return "clang's libFuzzer runtime is missing (Debian: apt-get install libclang-rt-14-dev)"
    return None


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in command), flush=True)
    env = {**os.environ, **SANITIZER_ENV, **kwargs.pop("env", {})}
    return subprocess.run([str(c) for c in command], env=env, text=True, **kwargs)


def build(build_dir: Path, python: str = sys.executable) -> Path:
    """Configures and builds the sanitized core, C++ tests and fuzz targets; returns build_dir."""
    run(["cmake", "-S", ROOT_DIR, "-B", build_dir, f"-DCMAKE_CXX_COMPILER={CLANG}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
         "-DHASHEDNET_SANITIZE=address,undefined", "-DHASHEDNET_FUZZ=ON", "-DHASHEDNET_TESTS=ON",
         # clang here has no OpenMP runtime (libomp); the sanitized core runs single-threaded.
         "-DHASHEDNET_OPENMP=OFF", "-DHASHEDNET_TMVA=OFF", f"-DPython_EXECUTABLE={python}"],
        check=True, capture_output=True)  # fmt: skip
    run(["cmake", "--build", build_dir, "-j2"], check=True, capture_output=True)
    return build_dir


def run_ctest(build_dir: Path) -> subprocess.CompletedProcess:
    return run(["ctest", "--test-dir", build_dir, "--output-on-failure"], capture_output=True)


def run_python_core_tests(build_dir: Path, prefix: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    """PYTHON_CORE_TESTS with the sanitized core (installed into `prefix`) under ASan + UBSan.
    Leak checking is off: CPython and cling keep their allocations until exit by design."""
    run(["cmake", "--install", build_dir, "--prefix", prefix], check=True, capture_output=True)
    runtime = subprocess.run([CLANG, "-print-file-name=libclang_rt.asan-x86_64.so"], capture_output=True, text=True)
    env = {"LD_PRELOAD": runtime.stdout.strip(), "TMVA_HASHEDNET_PREFIX": str(prefix),
           "ASAN_OPTIONS": SANITIZER_ENV["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")}  # fmt: skip
    tests = [ROOT_DIR / "tests" / name for name in PYTHON_CORE_TESTS]
    return run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT_DIR, env=env,
               capture_output=True)  # fmt: skip


def replay(build_dir: Path, target: str, inputs: list) -> subprocess.CompletedProcess:
    """Runs a C++ fuzz target once on each input file (no fuzzing)."""
    return run([build_dir / "tests" / "fuzz" / target, *LIBFUZZER_LIMITS, *inputs], capture_output=True)


def corpus(target: str) -> Path:
    return FUZZ_DIR / "corpus" / target.removeprefix("fuzz_")


def regressions(target: str) -> list:
    """Inputs that once crashed, hung or blew up `target`: each must now pass."""
    folder = FUZZ_DIR / "regressions" / target.removeprefix("fuzz_")
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


def dictionary(target: str) -> list:
    """libFuzzer's -dict= flag for `target` (tests/fuzz/<name>.dict: its keywords), if it has one."""
    path = FUZZ_DIR / f"{target.removeprefix('fuzz_')}.dict"
    return [f"-dict={path}"] if path.is_file() else []


def fuzz_cpp(build_dir: Path, target: str, seconds: int, work_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    """libFuzzer on `target` for `seconds`; new inputs go to work_dir/corpus, findings to work_dir/."""
    (work_dir / "corpus").mkdir(parents=True, exist_ok=True)
    return run([build_dir / "tests" / "fuzz" / target, *LIBFUZZER_LIMITS, *dictionary(target),
                f"-max_total_time={seconds}", "-print_final_stats=1", f"-artifact_prefix={work_dir}/",
                work_dir / "corpus", corpus(target)], **kwargs)  # fmt: skip


def fuzz_python(target: str, seconds: int, work_dir: Path, python: str = sys.executable,
                **kwargs) -> subprocess.CompletedProcess:  # fmt: skip
    """atheris on tests/fuzz/<target>.py, as fuzz_cpp."""
    (work_dir / "corpus").mkdir(parents=True, exist_ok=True)
    return run([python, FUZZ_DIR / f"{target}.py", "-timeout=10", "-rss_limit_mb=2048", f"-max_total_time={seconds}",
                "-print_final_stats=1", f"-artifact_prefix={work_dir}/", work_dir / "corpus", corpus(target)],
               cwd=ROOT_DIR, **kwargs)  # fmt: skip


def atheris_missing(python: str = sys.executable) -> str | None:
    probe = subprocess.run([python, "-c", "import atheris"], capture_output=True, text=True)
    return None if probe.returncode == 0 else "atheris is not installed (pip install atheris)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=int, default=600, help="fuzzing time per target (default 600)")
    parser.add_argument("--build", type=Path, default=Path(tempfile.gettempdir()) / "tmva-hashednet-fuzz",
                        help="build folder of the sanitizer variant (kept between runs)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT_DIR / "fuzz-findings",
                        help="new corpus entries and crashing inputs, one folder per target")  # fmt: skip
    args = parser.parse_args(argv)
    missing = fuzzer_runtime_missing()
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    build(args.build)
    failed = [] if run_ctest(args.build).returncode == 0 else ["ctest"]
    if run_python_core_tests(args.build, args.build / "prefix").returncode != 0:
        failed.append("Python core tests under ASan")
    for target in CPP_TARGETS:
        if regressions(target) and replay(args.build, target, regressions(target)).returncode != 0:
            failed.append(f"{target} regressions")
        if fuzz_cpp(args.build, target, args.seconds, args.out / target).returncode != 0:
            failed.append(target)
    for target in PYTHON_TARGETS:
        if atheris_missing():
            print(f"skipped {target}: {atheris_missing()}", file=sys.stderr)
        elif fuzz_python(target, args.seconds, args.out / target).returncode != 0:
            failed.append(target)
    print(f"fuzzing done; findings and new corpus entries in {args.out}")
    if failed:
        print("FAILED: " + ", ".join(failed) + f" (crashing inputs: {args.out}/<target>/crash-*, oom-*, timeout-*)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
