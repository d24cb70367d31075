"""A ``.keras`` file saved on one backend, loaded on another: TensorFlow ↔ JAX (notebook 09).

The tuned MF is trained briefly on the synthetic fixture (conftest's ``synthetic_ratings``) in
this process (TensorFlow) and, at the same time, in one JAX process; each saves a ``.keras``
file and its predictions, and each loads the other's, with the optimizer (``compile=True``) and
without.
A ``.keras`` file holds the config as JSON and the weights as plain arrays, so nothing in it is
backend-specific; only the arithmetic differs: the same weights give predictions within about
1e-6 stars of each other (float32 rounding in each backend's own kernels), held here to 1e-5.
``PerExampleL2`` is a custom layer, so loading passes ``custom_objects`` unless it is registered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import ROOT, tensorflow_only
from helpers.models import PerExampleL2, fit_tuned_mf, predict_ratings

TOLERANCE = 1e-5
"""Stars: the largest difference allowed between two backends' predictions from the same weights."""

SETTINGS = {"epochs": 2, "batch_size": 512}  # one full batch per epoch: one compiled step
CUSTOM_OBJECTS = {"PerExampleL2": PerExampleL2}

# a file saved on JAX records jit_compile=True; TensorFlow with deterministic ops (the series'
# seed_everything) turns XLA off and says so when it compiles the loaded model: harmless here
pytestmark = [pytest.mark.filterwarnings("ignore:Model doesn't support `jit_compile=True`"),
              tensorflow_only("this process is the TensorFlow side of the exchange (make test runs it)")]

# the JAX side, run as `python -c JAX_SIDE FOLDER` with KERAS_BACKEND=jax while this process
# trains on TensorFlow: it trains, saves and predicts on its own, then waits for the file saved
# on TensorFlow (READY marks it written) and loads it three ways
JAX_SIDE = """
import json, os, sys, time
from pathlib import Path
import keras, numpy as np, pandas as pd
from helpers.models import PerExampleL2, fit_tuned_mf, predict_ratings
folder = Path(sys.argv[1])
data = np.load(folder / "train.npz")
train = pd.DataFrame({name: data[name] for name in ("user_index", "item_index", "rating")})
settings = json.loads((folder / "settings.json").read_text())
result = {"backend": keras.backend.backend()}

def optimizer_state(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return {"class": type(optimizer).__name__, "iterations": int(optimizer.iterations),
            "schedule": type(optimizer._learning_rate).__name__,
            "variables": len(optimizer.variables)}

model, _ = fit_tuned_mf(train, int(data["n_users"]), int(data["n_items"]), **settings)
model.save(folder / "jax.keras")
result["jax_predictions"] = predict_ratings(model, train.user_index, train.item_index).tolist()
result["jax_optimizer"] = optimizer_state(model)
deadline = time.monotonic() + 300  # should the test process vanish, do not wait forever
while not (folder / "READY").exists():
    if time.monotonic() > deadline:
        sys.exit("the file saved on TensorFlow never came")
    time.sleep(0.05)
for compile in (True, False):
    model = keras.saving.load_model(folder / "tensorflow.keras", compile=compile,
                                    custom_objects={"PerExampleL2": PerExampleL2})
    result[f"compile={compile}"] = {
        "predictions": predict_ratings(model, train.user_index, train.item_index).tolist(),
        "compiled": model.compiled, "optimizer": optimizer_state(model)}
try:
    keras.saving.load_model(folder / "tensorflow.keras")
    result["without_custom_objects"] = "loaded"
except Exception as error:  # the chain of errors, outermost first
    messages = []
    while error is not None:
        messages.append(str(error).strip().splitlines()[0])
        error = error.__cause__ or error.__context__
    result["without_custom_objects"] = " | ".join(messages)
(folder / "jax.json").write_text(json.dumps(result))
sys.stdout.flush()
os._exit(0)  # skip the interpreter's teardown of JAX and TensorFlow (about 1.5 s)
"""


def _optimizer_state(model) -> dict | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return {"class": type(optimizer).__name__, "iterations": int(optimizer.iterations),
            "schedule": type(optimizer._learning_rate).__name__,
            "variables": len(optimizer.variables)}


@pytest.fixture(scope="module")
def exchange(tmp_path_factory, encoded_synthetic) -> dict:
    """Both sides' files and findings, the two backends working at the same time."""
    train, n_users, n_items = encoded_synthetic
    folder = tmp_path_factory.mktemp("backends")
    np.savez(folder / "train.npz", user_index=train["user_index"].to_numpy(),
             item_index=train["item_index"].to_numpy(), rating=train["rating"].to_numpy(),
             n_users=n_users, n_items=n_items)
    (folder / "settings.json").write_text(json.dumps(SETTINGS))
    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
                   "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}
    jax_side = subprocess.Popen([sys.executable, "-c", JAX_SIDE, str(folder)], cwd=ROOT,
                                env=environment, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        model, _ = fit_tuned_mf(train, n_users, n_items, **SETTINGS)
        model.save(folder / "tensorflow.keras")
        (folder / "READY").touch()
        _, errors = jax_side.communicate(timeout=180)
    finally:  # on an error or a timeout here, the JAX process does not outlive the test
        if jax_side.poll() is None:
            jax_side.kill()
            jax_side.communicate()
    assert jax_side.returncode == 0, "the JAX process failed:\n" + errors[-3000:]
    return {"folder": folder, "train": train, "tensorflow_model": model,
            "tensorflow_predictions": predict_ratings(model, train.user_index, train.item_index),
            "jax": json.loads((folder / "jax.json").read_text())}


def test_the_other_side_ran_on_jax(exchange):
    assert keras.backend.backend() == "tensorflow"
    assert exchange["jax"]["backend"] == "jax"


@pytest.mark.parametrize("compile", [True, False])
def test_saved_on_tensorflow_predicts_the_same_on_jax(exchange, compile):
    on_jax = np.array(exchange["jax"][f"compile={compile}"]["predictions"])
    difference = np.abs(on_jax - exchange["tensorflow_predictions"]).max()
    assert difference < TOLERANCE, f"JAX predicts up to {difference:.2e} stars off"


def test_compile_true_brings_adam_and_its_state_across(exchange):
    """With ``compile=True`` the optimizer comes back with its step count, moments and schedule."""
    saved = _optimizer_state(exchange["tensorflow_model"])
    loaded = exchange["jax"]["compile=True"]
    assert loaded["compiled"]
    assert loaded["optimizer"] == saved
    assert saved["class"] == "Adam" and saved["schedule"] == "CosineDecay"
    assert saved["iterations"] == 2 * int(np.ceil(len(exchange["train"]) / SETTINGS["batch_size"]))


def test_compile_false_gives_a_model_without_optimizer(exchange):
    loaded = exchange["jax"]["compile=False"]
    assert not loaded["compiled"]
    assert loaded["optimizer"] is None  # not even the attribute: compile again to train


def test_loading_needs_per_example_l2_known(exchange):
    """Without ``custom_objects`` the file loads only if ``PerExampleL2`` is registered."""
    registered = keras.saving.get_registered_name(PerExampleL2) != PerExampleL2.__name__
    outcome = exchange["jax"]["without_custom_objects"]
    if registered:
        assert outcome == "loaded"
    else:
        assert "Could not locate class 'PerExampleL2'" in outcome


@pytest.mark.parametrize("compile", [True, False])
def test_saved_on_jax_predicts_the_same_on_tensorflow(exchange, compile):
    model = keras.saving.load_model(exchange["folder"] / "jax.keras", compile=compile,
                                    custom_objects=CUSTOM_OBJECTS)
    train = exchange["train"]
    on_tensorflow = predict_ratings(model, train.user_index, train.item_index)
    difference = np.abs(on_tensorflow - np.array(exchange["jax"]["jax_predictions"])).max()
    assert difference < TOLERANCE, f"TensorFlow predicts up to {difference:.2e} stars off"
    assert _optimizer_state(model) == (exchange["jax"]["jax_optimizer"] if compile else None)


def test_a_model_loaded_with_its_optimizer_resumes_the_finished_schedule(exchange):
    """``compile=True`` resumes training where it stopped: at the end of ``fit_tuned_mf``'s cosine
    decay, whose learning rate is 0 there, so more epochs change nothing until it is compiled
    again with a new learning rate."""
    model = keras.saving.load_model(exchange["folder"] / "jax.keras",
                                    custom_objects=CUSTOM_OBJECTS)
    train = exchange["train"]
    inputs = [train["user_index"].to_numpy("int32"), train["item_index"].to_numpy("int32")]
    steps = int(model.optimizer.iterations)
    assert float(model.optimizer.learning_rate) == 0.0
    weights = model.get_layer("user_embedding").get_weights()[0]
    model.fit(inputs, train["rating"].to_numpy("float32"), batch_size=SETTINGS["batch_size"],
              epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == steps + 1
    np.testing.assert_array_equal(model.get_layer("user_embedding").get_weights()[0], weights)
