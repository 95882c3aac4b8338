"""Writes the seed corpora of the weight-file fuzz targets from short real trainings.

What it is: the recipe for tests/fuzz/corpus/network_text and
corpus/weights_xml (committed; run this again after a format change):
the TMVA-style classification, multiclass and regression macros trained for
a few epochs give real weight files, and a handful of small networks cover
what they do not (BLOCK mode, hashed biases and output layer, K=1, every
activation). A network text seed starts with one byte: 0x00 = read as it is,
0x01 = a body whose checksum the target appends (fuzz_network_text.cpp).
What it is not: the option corpus (corpus/options, written by hand from
docs/options.md and macros/).

Usage: .venv/bin/python tests/fuzz/make_corpus.py
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

FUZZ_DIR = Path(__file__).resolve().parent
MACROS = FUZZ_DIR.parents[1] / "macros"
NETWORKS = {
    # name: (n_inputs, layout, keyword arguments of HashedNetwork)
    "block": (5, "TANH|9,RELU|6,LINEAR", {"compression": 1 / 4, "hash_mode": "BLOCK", "hash_block": 4}),
    "hashed-all": (3, "SIGMOID|8|K=1,GAUSS|4|1/2,LINEAR",
                   {"hashed_bias": True, "hash_output_layer": True, "compression": 1 / 3, "hash_seed": 2**32 - 1}),
    "multiclass": (4, "SOFTSIGN|6,SYMMRELU|5,LINEAR", {"task": "multiclass", "n_outputs": 3, "compression": 1 / 2}),
    "regression": (2, "LINEAR|3,LINEAR", {"task": "regression", "n_outputs": 2}),
    "output-only": (6, "LINEAR", {}),
}


def macro(name: str):
    spec = importlib.util.spec_from_file_location(f"macro_{name}", MACROS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def weight_files(work: Path) -> dict:
    """Trains the three TMVA-style macros briefly in `work`; their weight files by name."""
    os.chdir(work)
    macro("tmva_classification").run("class", "TMVA.root", 2, 300)
    macro("tmva_multiclass").run("TMVAMulticlass.root", epochs=2, n_train=100)
    macro("tmva_regression").run("TMVAReg.root", epochs=2, n_train=200)
    return {path.name.split("_")[0].lower().removeprefix("tmva"): path for path in sorted((work / "dataset" / "weights").glob("*.xml"))}


def network_texts() -> dict:
    from tmva_hashednet import HashedNetwork

    texts = {}
    rng = np.random.default_rng(1)
    for name, (n_inputs, layout, kwargs) in NETWORKS.items():
        net = HashedNetwork(n_inputs, layout, seed=3, **kwargs)
        net.params = rng.normal(size=net.n_params).astype(np.float32)
        net.set_input_transform(rng.normal(size=n_inputs), rng.uniform(0.5, 2.0, size=n_inputs))
        texts[name] = net.to_text()
    return texts


def write_network_seeds(texts: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        body = text[: text.rindex("checksum ")]
        (folder / f"{name}.body").write_bytes(b"\x01" + body.encode())
        (folder / f"{name}.raw").write_bytes(b"\x00" + text.encode())


def main() -> None:
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    corpus = FUZZ_DIR / "corpus"
    for folder in ("network_text", "weights_xml"):
        shutil.rmtree(corpus / folder, ignore_errors=True)
        (corpus / folder).mkdir(parents=True)
    with tempfile.TemporaryDirectory() as work:
        files = weight_files(Path(work))
        texts = network_texts()
        for name, path in files.items():
            shutil.copy(path, corpus / "weights_xml" / f"{name}.weights.xml")
            texts[f"tmva-{name}"] = read_weight_file(path).network_text
    write_network_seeds(texts, corpus / "network_text")
    total = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    print(f"corpus written: {total / 1024:.0f} KiB in {corpus}")


if __name__ == "__main__":
    main()
