"""Hardening step of CI: the sanitizer build, the regression inputs and a short fuzzing run.

What it is: the core and its C++ tests built with clang, ASan and UBSan
(tests/fuzz/driver.py, into a temporary folder), ctest under them, the
Python tests of the core's paths with that core (driver.PYTHON_CORE_TESTS), every
input that once crashed a reader replayed, each libFuzzer target run for
FUZZ_SECONDS from its committed corpus, and the atheris target of the XML
weight-file reader likewise. Separately, and without any of those tools, the
XML reader's regression inputs and structure-aware mutations of real weight
files (hypothesis) must give a ValueError or a usable method, nothing else.
What it is not: the long fuzzing run (``bash scripts/run.sh fuzz [seconds]``).

Without clang's libFuzzer runtime (or atheris) the sanitizer tests are
skipped with the reason, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))
import driver  # noqa: E402

from tmva_hashednet.tmva.response import MethodResponse  # noqa: E402
from tmva_hashednet.tmva.weights_xml import read_weight_file  # noqa: E402

FUZZ_SECONDS = 15  # per libFuzzer target; the atheris target gets the same
IN_CI = os.environ.get("CI") == "true"


def require(missing: str | None) -> None:
    if missing is None:
        return
    if IN_CI:
        pytest.fail(f"CI must run the hardening step, but {missing}")
    pytest.skip(missing)


def report(result) -> str:
    return (result.stdout or "")[-3000:] + (result.stderr or "")[-6000:]


@pytest.fixture(scope="module")
def sanitized_build(tmp_path_factory):
    require(driver.fuzzer_runtime_missing())
    return driver.build(tmp_path_factory.mktemp("sanitized"))


# ---------------------------------------------------------------------- under ASan + UBSan
def test_cpp_tests_pass_under_asan_and_ubsan(sanitized_build):
    result = driver.run_ctest(sanitized_build)
    assert result.returncode == 0, report(result)
    assert "100% tests passed" in result.stdout


def test_python_core_paths_pass_under_asan_and_ubsan(sanitized_build, tmp_path):
    result = driver.run_python_core_tests(sanitized_build, tmp_path / "prefix")
    assert result.returncode == 0, report(result)
    assert " passed" in result.stdout and "Sanitizer" not in result.stderr, report(result)


@pytest.mark.parametrize("target", driver.CPP_TARGETS)
def test_regression_inputs_pass_under_sanitizers(sanitized_build, target):
    inputs = driver.regressions(target)
    assert inputs, f"tests/fuzz/regressions/{target.removeprefix('fuzz_')} holds no input"
    result = driver.replay(sanitized_build, target, inputs)
    assert result.returncode == 0, report(result)
    assert result.stderr.count("Executed ") == len(inputs), report(result)


@pytest.mark.parametrize("target", driver.CPP_TARGETS)
def test_short_libfuzzer_run_finds_nothing(sanitized_build, target, tmp_path):
    result = driver.fuzz_cpp(sanitized_build, target, FUZZ_SECONDS, tmp_path, capture_output=True)
    findings = sorted(p.name for p in tmp_path.glob("*-*"))
    assert result.returncode == 0 and not findings, f"findings {findings} in {tmp_path}\n" + report(result)
    assert "Done " in result.stderr and "stat::number_of_executed_units" in result.stderr, report(result)


def test_short_atheris_run_finds_nothing(tmp_path):
    require(driver.atheris_missing())
    result = driver.fuzz_python("fuzz_weights_xml", FUZZ_SECONDS, tmp_path, capture_output=True)
    findings = sorted(p.name for p in tmp_path.glob("*-*"))
    assert result.returncode == 0 and not findings, f"findings {findings} in {tmp_path}\n" + report(result)
    assert "Done " in result.stderr, report(result)


# ---------------------------------------------------------------------- the XML reader, in this process
def load_and_evaluate(path) -> str:
    """'refused' (a ValueError) or 'loaded' (a method that evaluated one event); anything else raises."""
    try:
        method = MethodResponse(read_weight_file(path), num_threads=1)
    except ValueError:
        return "refused"
    with np.errstate(all="ignore"):
        method.evaluate(np.zeros((1, method.n_variables), np.float32))
    return "loaded"


@pytest.mark.parametrize("path", driver.regressions("fuzz_weights_xml"), ids=lambda p: p.name)
def test_weight_file_regression_is_refused_clearly(path):
    with pytest.raises(ValueError, match=re.escape(f"weight file '{path}'")):
        read_weight_file(path)


SEEDS = sorted(driver.corpus("fuzz_weights_xml").glob("*.xml"))


def mutate(draw, root) -> None:
    """One structural change of a node (of a tag drawn uniformly): an attribute or text replaced or dropped,
    a child dropped or duplicated."""
    nodes = [n for n in root.iter() if n.tag != "Weights"]  # the network text has its own checksum and fuzzer
    tag = draw(st.sampled_from(sorted({n.tag for n in nodes})))
    node = draw(st.sampled_from([n for n in nodes if n.tag == tag]))
    noise = draw(st.sampled_from(["", "nan", "-inf", "1e999", "-1", "0", "abc", "3.5", "99999999999999999999"]))
    action = draw(st.sampled_from(["drop-attribute", "set-attribute", "drop-child", "set-text", "duplicate-child"]))
    if action in ("drop-attribute", "set-attribute") and node.attrib:
        name = draw(st.sampled_from(sorted(node.attrib)))
        if action == "drop-attribute":
            del node.attrib[name]
        else:
            node.set(name, noise)
    elif action in ("drop-child", "duplicate-child") and len(node):
        child = draw(st.sampled_from(list(node)))
        node.remove(child) if action == "drop-child" else node.append(child)
    else:
        node.text = noise


@st.composite
def damaged_weight_files(draw):
    """A real weight file with one to three structural changes (mutate)."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.parse(draw(st.sampled_from(SEEDS))).getroot()
    for _ in range(draw(st.integers(1, 3))):
        mutate(draw, root)
    return ElementTree.tostring(root, encoding="unicode")


@given(text=damaged_weight_files())
@example(text="<MethodSetup Method='::x'/>")
def test_damaged_weight_file_is_refused_or_still_loads(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("damaged") / "damaged.weights.xml"
    path.write_text(text)
    assert load_and_evaluate(path) in ("refused", "loaded")
