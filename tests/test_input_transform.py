"""The core's VarTransform chain for the event evaluators (hashednet/input_transform.h, built by
tmva/input_transform.py) against the compatible Reader's numpy steps (tmva/transform.py, transforms.py,
transform_gauss.py, which test_transforms.py and test_tmva_real.py tie to TMVA), bit for bit: every chain
the Python side fits, two and three classes, regression targets mapped back, on the training events,
values far outside the training range, and exactly at each Gauss/Uniform bin edge and sampled-bin centre;
damaged chains refused with the step named."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet.tmva.input_transform import core_input_transform
from tmva_hashednet.tmva.pdf import N_PDF_BINS, bin_centre
from tmva_hashednet.tmva.transform_gauss import CumulativePdf, GaussTransform
from tmva_hashednet.tmva.transforms import DecorrelateTransform, TransformChain, parse_var_transform

N_VARIABLES = 3
VARIABLES = [("Variable", f"v{i}", f"v{i}") for i in range(N_VARIABLES)]
TARGET = [("Target", "t", "t")]
CLASSIFICATION_CHAINS = ["N", "D", "P", "G", "U", "N,D", "D,P", "G,D", "N,G", "D,U", "P,G", "U,P,N", "G,G"]
REGRESSION_CHAINS = ["N", "U", "N,U", "U,N", "D,U", "G,N", "P,U", "N,D,G"]


def _bits(a) -> np.ndarray:
    """The float32 bits, every NaN as one pattern (a NaN's sign and payload depend on operand order; huge
    probes overflow into inf and NaN in both implementations)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    return np.where(np.isnan(a), np.float32(np.nan), a).view(np.uint32)


def _events(n: int = 3000, n_classes: int = 2, seed: int = 1):
    """Correlated, offset inputs (a heavy tail in v2, repeated values in v1), classes of different shape;
    with a target column after the variables (a function of them)."""
    rng = np.random.default_rng(seed)
    class_id = rng.integers(0, n_classes, n)
    x = rng.normal(size=(n, N_VARIABLES)) @ np.array([[1, 0.6, 0], [0, 1, 0.4], [0, 0, 2]]) + np.array([5.0, -3, 1])
    x[:, 1] = np.round(x[:, 1] + class_id, 1)
    x[:, 2] = x[:, 2] + rng.standard_cauchy(n) * 0.1
    target = np.sin(x[:, 0]) + 0.3 * x[:, 2] ** 2
    return np.column_stack([x, target]).astype(np.float32), class_id, rng.uniform(0.5, 2.0, n)


def _probes(x: np.ndarray) -> np.ndarray:
    """The training events, far outside their range, zero and huge values."""
    x = np.asarray(x, np.float32)
    extra = [x[:300] * np.float32(3) - np.float32(10), x[:300] * np.float32(-4), np.zeros((1, x.shape[1])),
             np.full((1, x.shape[1]), 1e30), np.full((1, x.shape[1]), -1e30)]  # fmt: skip
    return np.concatenate([x, *extra]).astype(np.float32)


def _pdf_probes(pdf: CumulativePdf) -> np.ndarray:
    """Each bin edge of a cumulative histogram, the centres and edges of its 10000 sampled bins, the range's
    ends and their float neighbours (the float values TMVA's Reader would see there)."""
    sampled = np.arange(1, N_PDF_BINS + 1)
    edges = pdf.xmin + (np.arange(N_PDF_BINS + 1) * ((pdf.xmax - pdf.xmin) / N_PDF_BINS))
    values = np.concatenate([pdf.edges, bin_centre(sampled, N_PDF_BINS, pdf.xmin, pdf.xmax), edges])
    values = values.astype(np.float32)
    ends = np.array([pdf.xmin, pdf.xmax], np.float32)
    below, above = np.nextafter(ends, np.float32(-np.inf)), np.nextafter(ends, np.float32(np.inf))
    return np.concatenate([values, ends, below, above])


def _core_apply(transform, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    work = np.empty(max(1, int(transform.work_floats())), np.float32)
    for row, result in zip(x, out):
        transform.apply(row, result, work)
    return out


def _core_inverse(transform, t: np.ndarray) -> np.ndarray:
    out = np.array(t, np.float32)
    for row in out:
        transform.inverse_targets(row)
    return out


def _fit(text: str, n_classes: int = 2, regression: bool = False):
    values, class_id, w = _events(n_classes=1 if regression else n_classes)
    columns = VARIABLES + (TARGET if regression else [])
    if not regression:
        values = values[:, :N_VARIABLES]
    chain = TransformChain.fit(parse_var_transform(text), values, class_id, 1 if regression else n_classes,
                               columns, N_VARIABLES, w)  # fmt: skip
    return chain, values


@pytest.mark.parametrize("n_classes", [2, 3], ids=["two-classes", "three-classes"])
@pytest.mark.parametrize("text", CLASSIFICATION_CHAINS)
def test_chain_equals_the_numpy_steps_bit_for_bit(text, n_classes):
    chain, values = _fit(text, n_classes)
    transform = core_input_transform(chain, N_VARIABLES)
    assert transform.name() == chain.short_name and not transform.transforms_targets()
    x = _probes(values)
    expected = chain.apply(x, slice(0, N_VARIABLES))
    assert np.array_equal(_bits(_core_apply(transform, x)), _bits(expected))
    assert not np.array_equal(expected, x)  # the chain did something


@pytest.mark.parametrize("flat", [False, True], ids=["gauss", "uniform"])
def test_gauss_at_every_bin_edge_and_sampled_centre(flat):
    """A Gauss/Uniform step alone at the values where its spline, its sampled histogram's bins and its
    clipping change: each column's bin edges, the sampled bins' centres and edges, the range's ends."""
    chain, _ = _fit("U" if flat else "G")
    (step,) = chain.steps
    transform = core_input_transform(chain, N_VARIABLES)
    for j in range(N_VARIABLES):
        probes = _pdf_probes(step.pdfs[j][-1])
        x = np.tile(np.float32(step.pdfs[(j + 1) % N_VARIABLES][-1].xmin), (len(probes), N_VARIABLES))
        x[:, j] = probes
        got = _core_apply(transform, x)
        assert np.array_equal(_bits(got), _bits(chain.apply(x, slice(0, N_VARIABLES)))), f"column {j}"


@pytest.mark.parametrize("text", REGRESSION_CHAINS)
def test_regression_targets_are_mapped_back_as_numpy_maps_them(text):
    chain, values = _fit(text, regression=True)
    takes_targets = len(chain.inputs) > N_VARIABLES
    transform = core_input_transform(chain, N_VARIABLES, 1 if takes_targets else 0)
    assert bool(transform.transforms_targets()) == takes_targets
    x = _probes(values[:, :N_VARIABLES])
    assert np.array_equal(_bits(_core_apply(transform, x)), _bits(chain.apply(x, slice(0, N_VARIABLES))))
    if not takes_targets:
        return
    transformed = chain.apply_to_all(values, N_VARIABLES)[:, N_VARIABLES:]
    responses = np.concatenate([transformed, transformed * np.float32(1.5) - np.float32(0.2),
                                np.linspace(-2, 2, 401, dtype=np.float32)[:, None], [[0.0], [1.0], [1e-9], [1e9]]])
    last_uniform = [s for s in chain.steps if isinstance(s, GaussTransform) and s.flat]
    if last_uniform:  # the sampled values themselves, where the bisection's comparisons tie
        responses = np.concatenate([responses, last_uniform[-1].pdfs[N_VARIABLES][-1].sampled[::7, None]])
    responses = responses.astype(np.float32)
    expected = chain.inverse(responses, slice(N_VARIABLES, N_VARIABLES + 1))
    assert np.array_equal(_bits(_core_inverse(transform, responses)), _bits(expected))


def test_empty_chain_is_the_identity():
    transform = core_input_transform(None, N_VARIABLES)
    assert transform.empty() and transform.name() == ""
    x = _probes(_events()[0][:50, :N_VARIABLES])
    assert np.array_equal(_bits(_core_apply(transform, x)), _bits(x))


def _pdf(edges, contents) -> CumulativePdf:
    return CumulativePdf(np.asarray(edges, np.float64), np.asarray(contents, np.float32))


def test_damaged_chains_are_refused_with_the_step_named():
    good = _pdf([0.0, 1.0, 2.0], [0.5, 1.0])
    damaged = {
        "the Decorrelation transformation covers 2 columns; the network has 3 input variables":
            DecorrelateTransform(VARIABLES[:2], [np.eye(2)]),
        "the Decorrelation matrix holds a value that is not finite":
            DecorrelateTransform(VARIABLES, [np.full((3, 3), np.nan)]),
        "the Gauss transformation's column 1 has 1 bins":
            GaussTransform(VARIABLES, False, [[good], [_pdf([0.0, 1.0], [1.0])], [good]]),
        "the Uniform transformation's column 2 has bin edges that are not finite and ascending":
            GaussTransform(VARIABLES, True, [[good], [good], [_pdf([0.0, 2.0, 1.0], [0.5, 1.0])]]),
        "the Gauss transformation covers 4 columns; the network has 3 input variables":
            GaussTransform(VARIABLES + TARGET, False, [[good]] * 4),
    }  # fmt: skip
    for message, step in damaged.items():
        with pytest.raises(ValueError, match=message + ".*<Transformations> is damaged"):
            core_input_transform(TransformChain([step]), N_VARIABLES, 1)


def test_shared_bytes_count_the_sampled_pdfs():
    chain, _ = _fit("G,D")
    transform = core_input_transform(chain, N_VARIABLES)
    assert transform.shared_bytes() >= N_VARIABLES * N_PDF_BINS * 4 + N_VARIABLES**2 * 8
