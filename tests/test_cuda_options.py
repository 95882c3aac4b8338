"""The GPU backend's options, GpuProduct and GpuDeterministic, through every
door: the HashedDNN option string (and its help and canonical text), the
Python keywords of HashedNetwork, from_text and load, the compatible
Factory, and the C++ make_backend. Other architectures take only the
defaults (AUTO, False): any other value there is an error naming the option,
never ignored. That they reach the GPU backend is tests/test_gpu.py's (marked gpu)."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork, datasets
from tmva_hashednet.options import describe_options, parse_options
from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()
CPU_ONLY = r"applies to Architecture=GPU only, not Architecture=CPU"


def test_defaults_and_canonical_text():
    options = parse_options("")
    assert (options.gpu_product, options.gpu_deterministic) == ("AUTO", False)
    assert ":GpuProduct=AUTO:!GpuDeterministic:" in options.canonical
    help_text = describe_options()
    assert '\n    GpuProduct: "AUTO" [string; one of AUTO, FUSED, MATERIALIZE]' in help_text
    assert '\n    GpuDeterministic: "False" [bool]' in help_text


@pytest.mark.parametrize("written, product", [("fused", "FUSED"), ("Materialize", "MATERIALIZE"), ("AUTO", "AUTO")])
def test_gpu_options_are_read_with_the_gpu_architecture(written, product):
    options = parse_options(f"Architecture=GPU:GpuProduct={written}:GpuDeterministic")
    assert (options.architecture, options.gpu_product, options.gpu_deterministic) == ("GPU", product, True)
    again = parse_options(options.canonical)
    assert (again.gpu_product, again.gpu_deterministic, again.canonical) == (product, True, options.canonical)


def test_a_bad_value_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"'FAST'.*AUTO, FUSED, MATERIALIZE"):
        parse_options("Architecture=GPU:GpuProduct=FAST")
    with pytest.raises(ValueError, match=r"bad value 'maybe' for GpuDeterministic.*expected a boolean"):
        parse_options("Architecture=GPU:GpuDeterministic=maybe")
    with pytest.raises(ValueError, match=r"unknown option 'GpuMethod'.*GpuProduct"):
        parse_options("GpuMethod=FUSED")


@pytest.mark.parametrize("architecture", ["CPU", "STANDARD"])
@pytest.mark.parametrize("text, option", [("GpuProduct=FUSED", "GpuProduct=FUSED"),
                                          ("GpuProduct=MATERIALIZE", "GpuProduct=MATERIALIZE"),
                                          ("GpuDeterministic", "GpuDeterministic=True")])  # fmt: skip
def test_other_architectures_refuse_gpu_settings(architecture, text, option):
    with pytest.raises(ValueError, match=rf"{option} applies to Architecture=GPU only, not "
                                         rf"Architecture={architecture}.*allowed there"):  # fmt: skip
        parse_options(f"Architecture={architecture}:{text}")
    with pytest.raises(ValueError, match=CPU_ONLY):
        parse_options(text)  # Architecture's default is CPU


def test_funhash_refuses_the_deterministic_mode_at_parse_time():
    with pytest.raises(ValueError, match=r"GpuDeterministic=True is available for HashMode=ELEMENT, BLOCK.*FUNHASH"):
        parse_options("Architecture=GPU:GpuDeterministic:HashMode=FUNHASH")
    assert parse_options("Architecture=GPU:HashMode=FUNHASH:GpuProduct=MATERIALIZE").gpu_product == "MATERIALIZE"


# ---------------------------------------------------------------------------------------------- Python keywords
@pytest.mark.parametrize("keyword, value, message", [
    ("gpu_product", "FUSED", r"gpu_product='FUSED': GpuProduct=FUSED " + CPU_ONLY),
    ("gpu_deterministic", True, r"gpu_deterministic=True: GpuDeterministic=True " + CPU_ONLY),
    ("gpu_product", "FAST", r"gpu_product='FAST': .*'FAST'.*AUTO, FUSED, MATERIALIZE"),
    ("gpu_deterministic", "maybe", r"gpu_deterministic='maybe': bad value 'maybe'"),
])  # fmt: skip
def test_keywords_are_checked_by_the_option_parser(tmp_path, keyword, value, message):
    with pytest.raises(ValueError, match=message):
        HashedNetwork(4, "TANH|8,LINEAR", **{keyword: value})
    net = HashedNetwork(4, "TANH|8,LINEAR")
    with pytest.raises(ValueError, match=message):
        HashedNetwork.from_text(net.to_text(), **{keyword: value})
    path = tmp_path / "net.txt"
    net.save(path)
    with pytest.raises(ValueError, match=message):
        HashedNetwork.load(path, **{keyword: value})


def test_default_keywords_on_the_cpu_are_accepted():
    net = HashedNetwork(4, "TANH|8,LINEAR", gpu_product="AUTO", gpu_deterministic=False, device="cpu")
    again = HashedNetwork.from_text(net.to_text(), gpu_product="AUTO", device="cpu")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x), net.predict(x))


def test_gpu_settings_with_device_cuda_pass_the_options(hn):
    """With device='cuda' the settings are valid options: what remains is the device's own error (if any)."""
    import ROOT

    ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
    reason = str(hn.gpu_unavailable_reason())
    if not reason:
        pytest.skip("a GPU is usable here: tests/test_gpu.py runs the settings on it")
    with pytest.raises(ValueError, match=r"^Architecture=GPU: "):
        HashedNetwork(4, "TANH|8,LINEAR", device="cuda", gpu_product="MATERIALIZE", gpu_deterministic=True)
    funhash = r"gpu_deterministic=True, hash_mode=.FUNHASH.: GpuDeterministic=True is available for.*FUNHASH"
    with pytest.raises(ValueError, match=funhash):
        HashedNetwork(4, "TANH|8,LINEAR", device="cuda", hash_mode="FUNHASH", gpu_deterministic=True)


# ---------------------------------------------------------------------------------------------- other doors
def test_make_backend_refuses_gpu_settings_for_the_cpu(hn):
    from tmva_hashednet._errors import translate_errors

    settings = hn.GpuSettings()
    settings.product = hn.GpuProduct.Materialize
    message = r"GpuProduct=MATERIALIZE, GpuDeterministic=False apply to Architecture=GPU only; the CPU backend takes"
    with pytest.raises(ValueError, match=message), translate_errors():
        hn.make_backend(hn.Architecture.Cpu, 1, settings)
    assert hn.make_backend(hn.Architecture.Cpu, 1, hn.GpuSettings())  # the default is fine


def test_the_compatible_factory_refuses_gpu_settings_on_the_cpu(tmp_path, monkeypatch):
    import ROOT

    monkeypatch.chdir(tmp_path)
    handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    try:
        factory = TMVA.Factory("job", None, "Silent:!Color")
        loader = TMVA.DataLoader("dataset")
        loader.AddVariable("var1", "F")
        loader.AddSignalTree(handle.Get("TreeS"))
        loader.AddBackgroundTree(handle.Get("TreeB"))
        loader.PrepareTrainingAndTestTree("", "", "nTrain_Signal=50:nTrain_Background=50")
        with pytest.raises(ValueError, match=r"GpuProduct=MATERIALIZE " + CPU_ONLY):
            factory.BookMethod(loader, "HashedDNN", "net", "Layout=TANH|4,LINEAR:GpuProduct=MATERIALIZE")
    finally:
        handle.Close()
