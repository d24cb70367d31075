"""Embedding tables split across devices: Keras' distribution API on the JAX backend (notebook 09).

A recommender's memory is its embedding tables: one row per user, one per item. When a table no
longer fits one accelerator, its rows are split across several: each device holds a slice of the
rows (and of Adam's moments for them), and a lookup gathers each row from the device that holds it.
Keras 3 says this in three objects, the same on any number of devices:

- ``keras.distribution.DeviceMesh``: the devices, arranged on named axes (here ``("batch",
  "model")`` of shape ``(1, devices)``: every device sees the whole batch, the tables are split);
- ``keras.distribution.LayoutMap``: which variable is split how, by a regex on its path
  (``"user_embedding/embeddings"`` → ``("model", None)``: rows split over the ``model`` axis,
  columns whole); variables no key matches (the bias tables) are copied to every device;
- ``keras.distribution.ModelParallel``: the two together, set before the model is built.

Only the JAX backend implements it, and JAX fixes its devices when it is first imported, so the
series (which runs on TensorFlow) trains the sharded model in a separate Python process:
``run_sharded`` starts ``python -m helpers.sharding`` with ``KERAS_BACKEND=jax`` and
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (N virtual CPU devices: the same program
a machine with N accelerators would run), trains the tuned MF there twice, split over N devices
and on one device, from the same seed on the same data order, and returns both.

Splitting rows changes where each number lives, not the arithmetic: a lookup takes each row from
the one device that holds it (the others add zeros), and a row's gradient and Adam update happen
on that device alone. So the two runs agree bit for bit (on MovieLens 100k: the same loss every
epoch, predictions with a largest difference of 0.0). Splitting the batch as well (a mesh of
``(2, 2)``) would sum the loss across devices in another order: differences of about 1e-6 stars.

``row_sharding``      the ``ModelParallel`` distribution that splits the two embedding tables by rows
``padded_rows``       a table's row count rounded up to a multiple of the devices (JAX needs it)
``table_layouts``     where each row of each table (and of Adam's moments) lives, read from JAX
``run_sharded``       the tuned MF trained sharded and unsharded in a JAX process → ``ShardedRun``
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED
from helpers.checks import check_sizes, check_train, configure
from helpers.models import TUNED_CONFIG

ROOT = Path(__file__).resolve().parent.parent

SHARDED_TABLES = r"(user|item)_embedding/embeddings"
"""The variables ``row_sharding`` splits by rows (a regex on ``variable.path``): the two factor tables."""

DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"
"""The XLA flag that makes JAX show one CPU as that many devices (read when JAX is first imported)."""

MISSING_JAX = "the JAX backend is not installed: run `make setup`"


# --------------------------------------------------------------------------------------------
# Inside the JAX process: the distribution, the layouts, the two training runs
# --------------------------------------------------------------------------------------------


def padded_rows(n_rows: int, devices: int) -> int:
    """``n_rows`` rounded up to a multiple of ``devices``: JAX splits an axis only into equal parts.

    The extra rows are never looked up (no index reaches them), so they get no gradient, and the
    real rows start from the values an unpadded table gets (the initialisers' random streams are
    counter-based): on MovieLens 100k the padded tuned MF predicts exactly what the unpadded one
    does, on JAX and on TensorFlow.
    """
    return int(math.ceil(n_rows / devices) * devices)


def row_sharding(devices: int | None = None):
    """A ``ModelParallel`` distribution: the user and item embedding tables split by rows.

    The mesh is ``(1, devices)`` on the axes ``("batch", "model")``: each device holds
    ``1/devices`` of each table's rows and of Adam's moments for them, and computes the whole
    batch. Call it on the JAX backend, then ``keras.distribution.set_distribution(...)`` before
    building the model. ``devices=None`` uses every device JAX sees.
    """
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(f"row_sharding needs the JAX backend, but Keras runs on "
                           f"{keras.backend.backend()}: use run_sharded, which starts one")
    available = keras.distribution.list_devices()
    devices = len(available) if devices is None else devices
    if devices > len(available):
        raise ValueError(f"devices={devices} but JAX sees {len(available)}: set XLA_FLAGS="
                         f"{DEVICE_COUNT_FLAG}={devices} before JAX is imported")
    mesh = keras.distribution.DeviceMesh((1, devices), ("batch", "model"), available[:devices])
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map[SHARDED_TABLES] = ("model", None)  # rows split over "model", columns whole
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")


@dataclass(frozen=True)
class Shard:
    """One device's part of a table: rows ``start`` to ``stop - 1``."""

    device: str
    start: int
    stop: int


@dataclass(frozen=True)
class TableLayout:
    """How one variable is laid out: its shape, its partition spec and each device's rows."""

    path: str
    shape: tuple[int, ...]
    spec: tuple[str | None, ...]
    shards: tuple[Shard, ...]

    @property
    def is_split(self) -> bool:
        return any((shard.start, shard.stop) != (0, self.shape[0]) for shard in self.shards)

    def __str__(self) -> str:
        shape = " × ".join(map(str, self.shape))
        spec = "(" + ", ".join("None" if axis is None else repr(axis) for axis in self.spec) + ")"
        if self.is_split:
            parts = " · ".join(f"{s.device} rows {s.start}–{s.stop - 1}" for s in self.shards)
        else:
            parts = "whole on " + ", ".join(shard.device for shard in self.shards)
        return f"{self.path:<40} {shape:>10}  {spec:<15} {parts}"


def _rows(index, n_rows: int) -> tuple[int, int]:
    """The row range of a shard's index (a tuple of slices, one per axis)."""
    rows = index[0] if index else slice(None)
    start = 0 if rows.start is None else int(rows.start)
    stop = n_rows if rows.stop is None else int(rows.stop)
    return start, stop


def table_layouts(model) -> list[TableLayout]:
    """The layout of each 2-d variable of ``model`` and of its optimizer (Adam's moments), from JAX.

    Read from ``variable.value.sharding`` (the partition spec) and
    ``variable.value.addressable_shards`` (each device's slice of the array).
    """
    optimizer_variables = list(model.optimizer.variables) if model.optimizer is not None else []
    layouts = []
    for variable in [*model.weights, *optimizer_variables]:
        if len(variable.shape) != 2:
            continue
        array = variable.value
        spec = getattr(array.sharding, "spec", ())
        spec = tuple(None if axis is None else str(axis) for axis in spec)
        spec = spec + (None,) * (len(variable.shape) - len(spec))
        shards = tuple(Shard(str(shard.device), *_rows(shard.index, variable.shape[0]))
                       for shard in sorted(array.addressable_shards, key=lambda s: s.device.id))
        layouts.append(TableLayout(variable.path, tuple(variable.shape), spec, shards))
    return layouts


def _fit_in_worker(train: pd.DataFrame, n_users: int, n_items: int, seed: int, config: dict,
                   distribution) -> tuple:
    """``fit_tuned_mf``'s recipe, under ``distribution`` if one is given: ``(model, history, seconds)``.

    The same steps as ``helpers.models.fit_tuned_mf`` (seed, seeded shuffle, cosine decay, fit,
    unseen rows zeroed); ``fit_tuned_mf`` itself clears Keras' session when it seeds, which would
    drop the distribution, so the distribution is set here after seeding.
    """
    import keras

    from helpers import seed_everything
    from helpers.models import _zero_unseen_rows, build_tuned_mf, model_inputs

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    seconds: list[float] = []
    seed_everything(seed)
    keras.distribution.set_distribution(distribution)  # after seeding: seeding clears the session
    shuffled = train.sample(frac=1.0, random_state=seed)
    n_fit = len(shuffled) - int(round(config["validation_fraction"] * len(shuffled)))
    fit_part = shuffled.iloc[:n_fit]
    steps = int(np.ceil(n_fit / config["batch_size"])) * config["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(config["learning_rate"], decay_steps=steps)
    model = build_tuned_mf(n_users, n_items, float(fit_part["rating"].mean()),
                           **{**config, "learning_rate": schedule, "validation_fraction": 0.0})
    history = model.fit(model_inputs(fit_part), fit_part["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"], verbose=0,
                        callbacks=[EpochTimer()])
    _zero_unseen_rows(model, fit_part, n_users, n_items)
    return model, history, seconds


def _worker(folder: Path) -> None:
    """The JAX process: read the request in ``folder``, train twice, write the result there."""
    import jax
    import keras

    from helpers.models import predict_ratings

    if keras.backend.backend() != "jax":
        raise SystemExit("python -m helpers.sharding runs on the JAX backend: call "
                         "helpers.sharding.run_sharded, which sets KERAS_BACKEND and XLA_FLAGS")
    request = json.loads((folder / "request.json").read_text())
    arrays = np.load(folder / "arrays.npz")
    train = pd.DataFrame({"user_index": arrays["user_index"], "item_index": arrays["item_index"],
                          "rating": arrays["rating"]})
    config = {**request["config"]}
    if config.get("rating_range") is not None:
        config["rating_range"] = tuple(config["rating_range"])
    devices, seed = request["devices"], request["seed"]
    n_users = padded_rows(request["n_users"], devices)
    n_items = padded_rows(request["n_items"], devices)
    result = {"jax": jax.__version__, "devices": [str(d) for d in jax.devices()][:devices],
              "padded_sizes": [n_users, n_items], "runs": {}}
    predictions = {}
    for name, distribution in (("unsharded", None), ("sharded", row_sharding(devices))):
        model, history, seconds = _fit_in_worker(train, n_users, n_items, seed, config,
                                                 distribution)
        result["runs"][name] = {
            "loss": [float(value) for value in history.history["loss"]],
            "seconds_per_epoch": seconds,
            "tables": [{"path": t.path, "shape": t.shape, "spec": t.spec,
                        "shards": [[s.device, s.start, s.stop] for s in t.shards]}
                       for t in table_layouts(model)],
        }
        predictions[name] = predict_ratings(model, arrays["pair_users"], arrays["pair_items"])
        keras.distribution.set_distribution(None)
    np.savez(folder / "predictions.npz", **predictions)
    (folder / "result.json").write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------
# In the notebook's process: start the JAX process, always stop it, read what it found
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRun:
    """One training run in the JAX process: loss and wall time per epoch, predictions, layouts."""

    loss: list[float]
    seconds_per_epoch: list[float]
    predictions: np.ndarray
    tables: list[TableLayout]


@dataclass(frozen=True)
class ShardedRun:
    """The tuned MF trained split over ``devices`` devices (``sharded``) and on one (``unsharded``).

    Both runs start from the same seed and see the batches in the same order; ``predictions`` are
    on the same pairs. ``padded_sizes`` are the table sizes both runs used (``padded_rows``).
    """

    devices: list[str]
    jax_version: str
    padded_sizes: tuple[int, int]
    sharded: TrainingRun
    unsharded: TrainingRun

    @property
    def max_abs_difference(self) -> float:
        """The largest |sharded − unsharded| prediction, in stars."""
        return float(np.max(np.abs(self.sharded.predictions - self.unsharded.predictions),
                            initial=0.0))

    def layout(self) -> str:
        """The sharded run's tables and Adam moments, one line each: shape, spec, each device's rows."""
        return "\n".join(str(table) for table in self.sharded.tables)


def _check_devices(devices) -> None:
    if isinstance(devices, bool) or not isinstance(devices, (int, np.integer)) or devices < 1:
        raise ValueError(f"devices must be a positive integer, got {devices!r}")


def _worker_environment(devices: int) -> dict[str, str]:
    """This process's environment, with the JAX backend and ``devices`` virtual CPU devices."""
    environment = dict(os.environ)
    flags = [flag for flag in environment.get("XLA_FLAGS", "").split()
             if not flag.startswith(DEVICE_COUNT_FLAG)]
    environment.update({
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": " ".join([*flags, f"{DEVICE_COUNT_FLAG}={devices}"]),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")])),
    })
    for name, value in (("TF_CPP_MIN_LOG_LEVEL", "3"), ("TF_ENABLE_ONEDNN_OPTS", "0"),
                        ("PYTHONHASHSEED", "0")):
        environment.setdefault(name, value)
    return environment


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error message"


def run_sharded(train: pd.DataFrame, n_users: int, n_items: int,
                epochs: int = TUNED_CONFIG["epochs"], devices: int = 4, seed: int = SEED,
                pairs: tuple | None = None, timeout: float = 600.0, **settings) -> ShardedRun:
    """Train the tuned MF in a JAX process, split over ``devices`` CPU devices and on one.

    ``train`` is a ratings frame (``user_index``, ``item_index``, ``rating``) as for
    ``fit_tuned_mf``; ``settings`` override entries of ``TUNED_CONFIG``. ``pairs`` is
    ``(user_index, item_index)`` to predict (default: the training pairs). The process is always
    stopped: on success, on an error, and after ``timeout`` seconds (``TimeoutError``).
    """
    if importlib.util.find_spec("jax") is None:
        raise ImportError(MISSING_JAX)
    config = configure(TUNED_CONFIG, {**settings, "epochs": epochs})
    check_sizes(n_users, n_items, config["k"])
    _check_devices(devices)
    check_train(train, n_users, n_items)
    if pairs is None:
        pairs = (train["user_index"], train["item_index"])
    pair_users, pair_items = (np.asarray(side).ravel() for side in pairs)
    if pair_users.shape != pair_items.shape:
        raise ValueError(f"pairs has {pair_users.size} users but {pair_items.size} items: "
                         "pass one user and one item per pair")
    for side, values, size in (("user", pair_users, n_users), ("item", pair_items, n_items)):
        if values.size and (values.dtype.kind not in "iu" or values.min() < 0 or values.max() >= size):
            raise ValueError(f"pairs' {side} indices must be integers in 0..{size - 1}: on JAX a "
                             "lookup past a table's end gives NaN, not an error")
    if config["rating_range"] is not None:
        config["rating_range"] = list(config["rating_range"])
    with tempfile.TemporaryDirectory(prefix="sharding-") as folder:
        folder = Path(folder)
        np.savez(folder / "arrays.npz",
                 user_index=train["user_index"].to_numpy("int64"),
                 item_index=train["item_index"].to_numpy("int64"),
                 rating=train["rating"].to_numpy("float32"),
                 pair_users=pair_users.astype("int32"), pair_items=pair_items.astype("int32"))
        (folder / "request.json").write_text(json.dumps(
            {"n_users": int(n_users), "n_items": int(n_items), "devices": int(devices),
             "seed": int(seed), "config": config}))
        worker = subprocess.Popen([sys.executable, "-m", "helpers.sharding", str(folder)],
                                  cwd=ROOT, env=_worker_environment(int(devices)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _, errors = worker.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"the JAX process did not finish in {timeout:g} s: pass a larger "
                               "timeout, fewer epochs or fewer ratings") from None
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"the JAX process failed: {_last_line(errors)}")
        result = json.loads((folder / "result.json").read_text())
        with np.load(folder / "predictions.npz") as predictions:
            runs = {name: TrainingRun(
                loss=run["loss"], seconds_per_epoch=run["seconds_per_epoch"],
                predictions=predictions[name],
                tables=[TableLayout(t["path"], tuple(t["shape"]), tuple(t["spec"]),
                                    tuple(Shard(*shard) for shard in t["shards"]))
                        for t in run["tables"]])
                for name, run in result["runs"].items()}
    return ShardedRun(devices=result["devices"], jax_version=result["jax"],
                      padded_sizes=tuple(result["padded_sizes"]), **runs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m helpers.sharding FOLDER (run_sharded calls it)")
    _worker(Path(sys.argv[1]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the result is written: skip the teardown of JAX and TensorFlow (about 1.5 s)
