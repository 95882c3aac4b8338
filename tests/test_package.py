"""The package's public face: exported names and lazily loaded submodules."""

from __future__ import annotations

import pytest

import tmva_hashednet


def test_public_names_exist():
    for name in tmva_hashednet.__all__:
        assert hasattr(tmva_hashednet, name), name


def test_submodules_load_on_attribute_access():
    assert tmva_hashednet.evaluation.roc_auc([1, 0], [0.9, 0.1]) == 1.0
    assert tmva_hashednet.datasets.tutorial_file("Higgs_data.root").exists()


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tmva_hashednet.nonexistent  # noqa: B018
