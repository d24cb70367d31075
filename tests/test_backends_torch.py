"""A ``.keras`` file saved on PyTorch, loaded on TensorFlow, and the reverse (notebook 09).

The PyTorch side of the exchange that ``tests/test_backends.py`` makes between TensorFlow and
JAX: ``make test-backends`` installs PyTorch's CPU build and runs the quick tests with
``KERAS_BACKEND=torch``, and then this process is PyTorch and a TensorFlow process is the other
side. Each trains the tuned MF briefly on the synthetic fixture, saves a ``.keras`` file and its
predictions, and loads the other's with the optimizer (``compile=True``) and without.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import BACKEND, ROOT
from helpers.models import PerExampleL2, fit_tuned_mf, predict_ratings

TOLERANCE = 1e-5
"""Stars: the largest difference allowed between two backends' predictions from the same weights."""

SETTINGS = {"epochs": 2, "batch_size": 512}
CUSTOM_OBJECTS = {"PerExampleL2": PerExampleL2}

pytestmark = [
    pytest.mark.filterwarnings("ignore:Model doesn't support `jit_compile=True`"),
    pytest.mark.skipif(BACKEND != "torch", reason="the PyTorch side of the .keras exchange: make "
                       "test-backends runs it, with KERAS_BACKEND=torch"),
]

# the TensorFlow side, run as `python -c TENSORFLOW_SIDE FOLDER` while this process trains on
# PyTorch: it trains, saves and predicts, then waits for the file saved on PyTorch (READY) and
# loads it both ways, writing what happened (an error's chain of messages, outermost first)
TENSORFLOW_SIDE = """
import json, os, sys, time
from pathlib import Path
import keras, numpy as np, pandas as pd
from helpers.models import PerExampleL2, fit_tuned_mf, predict_ratings
folder = Path(sys.argv[1])
data = np.load(folder / "train.npz")
train = pd.DataFrame({name: data[name] for name in ("user_index", "item_index", "rating")})
settings = json.loads((folder / "settings.json").read_text())
result = {"backend": keras.backend.backend()}
model, _ = fit_tuned_mf(train, int(data["n_users"]), int(data["n_items"]), **settings)
model.save(folder / "tensorflow.keras")
result["predictions"] = predict_ratings(model, train.user_index, train.item_index).tolist()
result["iterations"] = int(model.optimizer.iterations)
deadline = time.monotonic() + 300  # should the test process vanish, do not wait forever
while not (folder / "READY").exists():
    if time.monotonic() > deadline:
        sys.exit("the file saved on PyTorch never came")
    time.sleep(0.05)
for compile in (True, False):
    try:
        model = keras.saving.load_model(folder / "torch.keras", compile=compile,
                                        custom_objects={"PerExampleL2": PerExampleL2})
        result[f"compile={compile}"] = {
            "predictions": predict_ratings(model, train.user_index, train.item_index).tolist(),
            "compiled": model.compiled,
            "iterations": int(model.optimizer.iterations) if compile else None}
    except Exception as error:
        messages = []
        while error is not None:
            messages.append(f"{type(error).__name__}: {str(error).strip().splitlines()[0]}")
            error = error.__cause__ or error.__context__
        result[f"compile={compile}"] = {"error": " | ".join(messages)}
(folder / "tensorflow.json").write_text(json.dumps(result))
sys.stdout.flush()
os._exit(0)
"""


@pytest.fixture(scope="module")
def exchange(tmp_path_factory, encoded_synthetic) -> dict:
    """Both sides' files and findings, the two backends working at the same time."""
    train, n_users, n_items = encoded_synthetic
    folder = tmp_path_factory.mktemp("torch_exchange")
    np.savez(folder / "train.npz", user_index=train["user_index"].to_numpy(),
             item_index=train["item_index"].to_numpy(), rating=train["rating"].to_numpy(),
             n_users=n_users, n_items=n_items)
    (folder / "settings.json").write_text(json.dumps(SETTINGS))
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
                   "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}
    other = subprocess.Popen([sys.executable, "-c", TENSORFLOW_SIDE, str(folder)], cwd=ROOT,
                             env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        model, _ = fit_tuned_mf(train, n_users, n_items, **SETTINGS)
        model.save(folder / "torch.keras")
        (folder / "READY").touch()
        _, errors = other.communicate(timeout=180)
    finally:  # on an error or a timeout here, the TensorFlow process does not outlive the test
        if other.poll() is None:
            other.kill()
            other.communicate()
    assert other.returncode == 0, "the TensorFlow process failed:\n" + errors[-3000:]
    return {"folder": folder, "train": train, "torch_model": model,
            "torch_predictions": predict_ratings(model, train.user_index, train.item_index),
            "tensorflow": json.loads((folder / "tensorflow.json").read_text())}


def test_the_two_sides_ran_on_torch_and_tensorflow(exchange):
    assert keras.backend.backend() == "torch"
    assert exchange["tensorflow"]["backend"] == "tensorflow"


def test_saved_on_torch_predicts_the_same_on_tensorflow_without_its_optimizer(exchange):
    loaded = exchange["tensorflow"]["compile=False"]
    assert "error" not in loaded, loaded.get("error")
    assert not loaded["compiled"]
    difference = np.abs(np.array(loaded["predictions"]) - exchange["torch_predictions"]).max()
    assert difference < TOLERANCE, f"TensorFlow predicts up to {difference:.2e} stars off"


def test_saved_on_torch_comes_to_tensorflow_with_its_optimizer(exchange):
    """``compile=True``: the same predictions, and Adam with its step count."""
    loaded = exchange["tensorflow"]["compile=True"]
    assert "error" not in loaded, loaded.get("error")
    assert loaded["compiled"]
    assert loaded["iterations"] == int(exchange["torch_model"].optimizer.iterations) > 0
    difference = np.abs(np.array(loaded["predictions"]) - exchange["torch_predictions"]).max()
    assert difference < TOLERANCE, f"TensorFlow predicts up to {difference:.2e} stars off"


def test_saved_on_tensorflow_predicts_the_same_on_torch(exchange):
    model = keras.saving.load_model(exchange["folder"] / "tensorflow.keras", compile=False,
                                    custom_objects=CUSTOM_OBJECTS)
    train = exchange["train"]
    on_torch = predict_ratings(model, train.user_index, train.item_index)
    difference = np.abs(on_torch - np.array(exchange["tensorflow"]["predictions"])).max()
    assert difference < TOLERANCE, f"PyTorch predicts up to {difference:.2e} stars off"
    assert not model.compiled


def test_saved_on_tensorflow_with_its_optimizer_does_not_run_on_torch(exchange):
    """A file compiled with ``steps_per_execution`` 8 (``compile_rating_model`` on TensorFlow and
    JAX) keeps that number: it loads with ``compile=True`` on PyTorch, Adam and all, but Keras'
    PyTorch trainer refuses to predict or train with any number but 1. Load it with
    ``compile=False`` there (above), then compile it again (Adam's moments start anew)."""
    model = keras.saving.load_model(exchange["folder"] / "tensorflow.keras", compile=True,
                                    custom_objects=CUSTOM_OBJECTS)
    assert model.compiled and model.steps_per_execution == 8
    assert int(model.optimizer.iterations) == exchange["tensorflow"]["iterations"]
    train = exchange["train"]
    with pytest.raises(ValueError, match="steps_per_execution` must be 1 with the PyTorch backend"):
        predict_ratings(model, train.user_index, train.item_index)
