"""Scaling the tuned MF up on one machine: MovieLens-shaped synthetic ratings for timing, ratings
read from disk batch by batch, and the time an epoch takes as the data grows (notebook 09).

Synthetic ratings are for timing only. They have MovieLens' shape — how many users and movies a
release of that size has, how unevenly ratings fall on movies (a Zipf–Mandelbrot curve) and on
users (at least 20 each, the rest lognormal), a 1–5 star scale — calibrated against MovieLens
100k (``tests/test_scaling.py`` holds the calibration), but no result about recommendations is
ever read from them.

``RatingsOnDisk`` feeds Keras from three ``.npy`` files, one batch at a time, so the memory a
training run needs does not grow with the number of ratings; it is a ``keras.utils.PyDataset``
and so runs on every Keras backend.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from helpers import SEED, seed_everything
from helpers.checks import configure
from helpers.models import TUNED_CONFIG, build_tuned_mf

RELEASE_SHAPES = {
    100_000: (943, 1_682),
    1_000_209: (6_040, 3_706),
    10_000_054: (69_878, 10_677),
    20_000_263: (138_493, 26_744),
    32_000_204: (200_948, 84_432),
}
"""Ratings → (users, movies) that appear in the ratings file of MovieLens 100k, 1M, 10M, 20M and
32M (a README may count more movies: those without a rating). ``movielens_shape`` interpolates."""

SHAPE = {"zipf_exponent": 2.4, "zipf_offset": 0.12, "activity_sigma": 1.2, "min_per_user": 20,
         "mean": 3.53, "user_sd": 0.45, "item_sd": 0.55, "k": 4, "factor_sd": 0.35, "noise_sd": 0.85}
"""The generator's calibration, fitted by hand to MovieLens 100k (``tests/test_scaling.py``
checks the result against the real data): movie ``i`` (by popularity rank) is drawn with
probability ∝ (i + offset · n_movies)^-exponent; a user's count is 20 + a lognormal draw with this σ,
scaled so that the counts add up; a rating is μ + b_u + b_i + p_u · q_i + noise, rounded and
clipped to 1–5 stars."""


def movielens_shape(n_ratings: int) -> tuple[int, int]:
    """How many users and movies a MovieLens release with ``n_ratings`` ratings has: a straight
    line through the releases on log-log axes (exact at each release's size)."""
    if n_ratings < 1_000:
        raise ValueError(f"n_ratings={n_ratings:,}: the synthetic generator makes 1,000 ratings or more")
    sizes = np.log(np.array(list(RELEASE_SHAPES)))
    users, items = (np.log(np.array([shape[axis] for shape in RELEASE_SHAPES.values()])) for axis in (0, 1))
    at = np.log(n_ratings)
    if at <= sizes[-1]:
        n_users, n_items = np.exp(np.interp(at, sizes, users)), np.exp(np.interp(at, sizes, items))
    else:  # beyond 32M: the last two releases' slopes
        slope = lambda values: (values[-1] - values[-2]) / (sizes[-1] - sizes[-2])  # noqa: E731
        n_users = np.exp(users[-1] + slope(users) * (at - sizes[-1]))
        n_items = np.exp(items[-1] + slope(items) * (at - sizes[-1]))
    return int(round(n_users)), int(round(n_items))


def _user_counts(n_ratings: int, n_users: int, n_items: int, shape: dict,
                 rng: np.random.Generator) -> np.ndarray:
    """Ratings per user: ``min_per_user`` each, the rest shared out in proportion to lognormal
    weights; nobody rates more than half the catalogue (what a capped user would get goes to
    the others, again by weight)."""
    floor = min(shape["min_per_user"], n_ratings // n_users)
    cap = max(n_items // 2, floor)
    weights = rng.lognormal(0.0, shape["activity_sigma"], n_users)
    counts = np.full(n_users, floor, dtype=np.int64)
    open_ = np.ones(n_users, dtype=bool)
    while (budget := n_ratings - counts.sum()) > 0:
        share = weights * open_
        extra = np.floor(share / share.sum() * budget).astype(np.int64)
        if not extra.any():  # fewer left than users: one each, drawn by weight
            extra[rng.choice(n_users, size=budget, replace=False, p=share / share.sum())] = 1
        counts = np.minimum(counts + extra, cap)
        open_ &= counts < cap
        if not open_.any() and counts.sum() < n_ratings:
            raise ValueError(f"{n_ratings:,} ratings do not fit {n_users:,} users × {n_items:,} movies")
    return counts


def _distinct_items(users: np.ndarray, n_items: int, probability: np.ndarray,
                    rng: np.random.Generator, weighted_rounds: int = 3) -> np.ndarray:
    """A movie for each entry of ``users`` (sorted), drawn by ``probability``, never the same
    movie twice for one user: repeats are drawn again, by ``probability`` for a few rounds,
    then uniformly (a heavy user's repeats would otherwise keep landing on the same popular
    movies), until none is left."""
    items = rng.choice(n_items, size=len(users), p=probability)
    for round_ in range(10_000):
        keys = users * n_items + items
        order = np.argsort(keys, kind="stable")
        repeated = order[1:][keys[order[1:]] == keys[order[:-1]]]
        if not len(repeated):
            return items
        weights = probability if round_ < weighted_rounds else None
        items[repeated] = rng.choice(n_items, size=len(repeated), p=weights)
    raise RuntimeError("could not draw distinct movies: too many ratings per user")


def synthetic_ratings(n_ratings: int, n_users: int | None = None, n_items: int | None = None,
                      seed: int = SEED, **shape) -> pd.DataFrame:
    """SYNTHETIC ratings with MovieLens' shape, for timing only (notebook 09).

    Columns ``user_index``, ``item_index`` (0-based, every user and every movie has a rating at
    most once per pair), ``rating`` float32 (1–5 stars), in a random order. ``n_users`` and
    ``n_items`` default to ``movielens_shape(n_ratings)``; ``shape`` overrides ``SHAPE``. Seeded.
    """
    shape = configure(SHAPE, shape)
    default_users, default_items = movielens_shape(n_ratings)
    n_users, n_items = n_users or default_users, n_items or default_items
    if n_ratings > n_users * n_items // 2:
        raise ValueError(f"{n_ratings:,} ratings do not fit {n_users:,} users × {n_items:,} movies "
                         "(at most half of all pairs)")
    rng = np.random.default_rng(seed)
    counts = _user_counts(n_ratings, n_users, n_items, shape, rng)
    users = np.repeat(np.arange(n_users, dtype=np.int64), counts)
    offset = shape["zipf_offset"] * n_items  # a share of the catalogue: the same curve at any size
    rank_weight = (np.arange(1, n_items + 1) + offset) ** -shape["zipf_exponent"]
    popularity = rng.permutation(rank_weight / rank_weight.sum())  # which movie is popular: random
    items = _distinct_items(users, n_items, popularity, rng)
    k = shape["k"]
    user_bias = rng.normal(0, shape["user_sd"], n_users).astype(np.float32)
    item_bias = rng.normal(0, shape["item_sd"], n_items).astype(np.float32)
    user_factors = rng.normal(0, shape["factor_sd"], (n_users, k)).astype(np.float32)
    item_factors = rng.normal(0, shape["factor_sd"], (n_items, k)).astype(np.float32)
    order = rng.permutation(n_ratings)
    users, items = users[order], items[order]
    score = (shape["mean"] + user_bias[users] + item_bias[items]
             + np.einsum("nk,nk->n", user_factors[users], item_factors[items])
             + rng.normal(0, shape["noise_sd"], n_ratings).astype(np.float32))
    return pd.DataFrame({"user_index": users.astype(np.int32), "item_index": items.astype(np.int32),
                         "rating": np.clip(np.rint(score), 1, 5).astype(np.float32)})


def gini(counts) -> float:
    """The Gini coefficient of ``counts`` (0: all equal, → 1: all on one)."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(values)
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * values.sum()))


def shape_report(ratings: pd.DataFrame, user_column: str = "user_index",
                 item_column: str = "item_index") -> dict[str, float]:
    """What ``SHAPE`` is calibrated on: the Gini coefficients of ratings per movie and per user,
    the share of ratings on the most-rated 1 % and 10 % of movies, the fewest ratings of a user,
    and the mean rating."""
    item_counts = np.sort(ratings[item_column].value_counts().to_numpy())[::-1]
    user_counts = ratings[user_column].value_counts().to_numpy()
    top = lambda share: item_counts[:max(1, int(len(item_counts) * share))].sum() / item_counts.sum()  # noqa: E731
    return {"item_gini": gini(item_counts), "user_gini": gini(user_counts),
            "top_1pct_share": float(top(0.01)), "top_10pct_share": float(top(0.10)),
            "min_per_user": int(user_counts.min()), "mean_rating": float(ratings["rating"].mean())}


# --------------------------------------------------------------------------------------------
# Ratings on disk, read one batch at a time
# --------------------------------------------------------------------------------------------

COLUMNS = {"user_index": np.int32, "item_index": np.int32, "rating": np.float32}


def write_ratings(ratings: pd.DataFrame, folder: str | Path) -> Path:
    """Write the three columns as ``.npy`` files in ``folder`` (each to a temporary name first,
    renamed into place when complete); returns the folder. Shuffle the rows first: the reader
    takes batches in file order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for column, dtype in COLUMNS.items():
        path = folder / f"{column}.npy"
        partial = folder / f".{column}.npy.part"
        try:
            with open(partial, "wb") as file:
                np.save(file, ratings[column].to_numpy(dtype))
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return folder


class RatingsOnDisk(keras.utils.PyDataset):
    """Batches of ``((user_index, item_index), rating)`` read from ``write_ratings``' files.

    Batch ``b`` is rows ``b·batch_size`` … of the files, read with one ``seek`` and ``read`` per
    column: nothing but the batch is held in memory. Each epoch visits the batches in a new
    seeded order (the rows were shuffled once when written). Keras' own workers are not used:
    a read takes microseconds next to a training step.
    """

    def __init__(self, folder: str | Path, batch_size: int, seed: int = SEED, shuffle: bool = True):
        super().__init__()
        self.folder, self.batch_size, self.shuffle = Path(folder), int(batch_size), shuffle
        self.offsets, self.n_rows = {}, None
        for column, dtype in COLUMNS.items():
            mapped = np.load(self.folder / f"{column}.npy", mmap_mode="r")  # reads the header only
            rows, stored, self.offsets[column] = len(mapped), mapped.dtype, mapped.offset
            del mapped
            if stored != np.dtype(dtype):
                raise ValueError(f"{column}.npy holds {stored}, expected {np.dtype(dtype)}: "
                                 "write it with write_ratings")
            self.n_rows = rows if self.n_rows is None else self.n_rows
            if rows != self.n_rows:
                raise ValueError(f"the files in {self.folder} have different lengths: write them again")
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(self.num_batches)
        self.on_epoch_end()

    @property
    def num_batches(self) -> int:
        return -(-self.n_rows // self.batch_size)

    def __len__(self) -> int:
        return self.num_batches

    def _read(self, column: str, start: int, count: int) -> np.ndarray:
        dtype = np.dtype(COLUMNS[column])
        with open(self.folder / f"{column}.npy", "rb") as file:
            file.seek(self.offsets[column] + start * dtype.itemsize)
            return np.fromfile(file, dtype=dtype, count=count)

    def __getitem__(self, index: int):
        start = int(self.order[index]) * self.batch_size
        count = min(self.batch_size, self.n_rows - start)
        users, items, ratings = (self._read(column, start, count) for column in COLUMNS)
        return (users, items), ratings

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.rng.shuffle(self.order)


# --------------------------------------------------------------------------------------------
# A step whose cost does not grow with the tables: sparse reads and a lazy Adam (TensorFlow)
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="mf_series")
class SparseReadEmbedding(keras.layers.Embedding):
    """``keras.layers.Embedding`` that, on TensorFlow, reads only the rows it looks up.

    Keras 3's ``Embedding`` converts its table to a tensor before the lookup (``ops.take``), a
    read of the whole table; ``tf.gather`` on the variable itself reads the rows alone
    (``ResourceGather``). Same numbers; what changes is the cost of a step once the optimizer
    updates rows in place (``LazyAdam``). On other backends it is ``Embedding``.
    """

    def call(self, inputs):
        if keras.backend.backend() != "tensorflow":
            return super().call(inputs)
        import tensorflow as tf

        return tf.gather(self.embeddings.value, keras.ops.cast(inputs, "int32"))


@keras.saving.register_keras_serializable(package="mf_series")
class LazyAdam(keras.optimizers.Adam):
    """Adam that updates only the rows a batch looked up (TensorFlow's sparse gradients).

    Keras' ``Adam`` updates every row of an embedding table at every step: a row the batch did not
    touch has gradient 0, so its moments decay and it keeps moving. Here a sparse gradient
    (``tf.IndexedSlices``: an embedding lookup's) updates the moments and the weights of its rows
    only, the rows' repeats summed first; the bias correction uses the global step, as TensorFlow
    Addons' ``LazyAdam`` and PyTorch's ``SparseAdam`` do. Another algorithm than Adam: a row's
    moments only age when it is seen. Dense gradients, and every gradient on another backend
    (JAX's are dense), take Adam's own step.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError("LazyAdam does not implement amsgrad: use keras.optimizers.Adam")

    def update_step(self, gradient, variable, learning_rate):
        if keras.backend.backend() != "tensorflow" or type(gradient).__name__ != "IndexedSlices":
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf
        from keras import ops

        step = ops.cast(self.iterations + 1, variable.dtype)
        alpha = (ops.cast(learning_rate, variable.dtype)
                 * ops.sqrt(1 - ops.power(ops.cast(self.beta_2, variable.dtype), step))
                 / (1 - ops.power(ops.cast(self.beta_1, variable.dtype), step)))
        rows, position = tf.unique(gradient.indices)
        values = tf.math.unsorted_segment_sum(tf.cast(gradient.values, variable.dtype), position,
                                              tf.shape(rows)[0])
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        m_rows = self.beta_1 * tf.gather(m.value, rows) + (1 - self.beta_1) * values
        v_rows = self.beta_2 * tf.gather(v.value, rows) + (1 - self.beta_2) * tf.square(values)
        self.assign(m, tf.IndexedSlices(m_rows, rows))
        self.assign(v, tf.IndexedSlices(v_rows, rows))
        self.assign_sub(variable, tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))


def sparse_variant(model, learning_rate, lazy: bool = True, sparse_reads: bool = True):
    """``model`` (a rating model of the series whose table gradients are sparse: lookups, with
    per-example L2, not whole-table L2) with every ``Embedding`` replaced by a
    ``SparseReadEmbedding`` holding the same weights (``sparse_reads=False``: kept), compiled as
    ``compile_rating_model`` compiles (MSE; MAE and RMSE; the same steps per call) but with
    ``LazyAdam`` (``lazy=False``: Keras' Adam, the same arithmetic as ``model``)."""

    def swap(layer):
        if sparse_reads and type(layer) is keras.layers.Embedding:
            return SparseReadEmbedding.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(model, clone_function=swap)
    clone.set_weights(model.get_weights())
    optimizer = (LazyAdam if lazy else keras.optimizers.Adam)(learning_rate=learning_rate)
    clone.compile(optimizer=optimizer, loss="mse",
                  metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")],
                  steps_per_execution=model.steps_per_execution)
    return clone


def fit_tuned_sparse(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED,
                     lazy: bool = True, **settings):
    """``fit_tuned_mf``'s recipe, step for step, on ``sparse_variant``'s model: the same initial
    weights, batches and cosine schedule, with ``LazyAdam`` (``lazy=False``: Keras' Adam, and
    then the very numbers ``fit_tuned_mf`` gives). Returns ``(model, history)``."""
    from helpers.checks import check_sizes, check_train
    from helpers.models import _zero_unseen_rows, model_inputs

    config = configure(TUNED_CONFIG, settings)
    if config["validation_fraction"]:
        raise ValueError("fit_tuned_sparse trains on all of train: score a validation split yourself")
    check_sizes(n_users, n_items, config["k"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    shuffled = train.sample(frac=1.0, random_state=seed)
    steps = int(np.ceil(len(shuffled) / config["batch_size"])) * config["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(config["learning_rate"], decay_steps=steps)
    model = sparse_variant(build_tuned_mf(n_users, n_items, float(shuffled["rating"].mean()),
                                          **{**config, "learning_rate": schedule}), schedule, lazy)
    history = model.fit(model_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"], verbose=0)
    _zero_unseen_rows(model, shuffled, n_users, n_items)
    return model, history


# --------------------------------------------------------------------------------------------
# Time per epoch as the data grows
# --------------------------------------------------------------------------------------------


@dataclass
class EpochTiming:
    n_ratings: int
    batch_size: int
    seconds: float
    ratings_per_second: float


class EpochTimer(keras.callbacks.Callback):
    """A Keras callback: each epoch's wall time, in ``seconds`` (notebook 09)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def epoch_seconds(folder: str | Path, n_users: int, n_items: int, batch_size: int,
                  epochs: int = 1, seed: int = SEED, warm_up_batches: int = 5,
                  lazy: bool = False) -> EpochTiming:
    """Train the tuned MF (``TUNED_CONFIG``'s model and Adam; with ``lazy``, ``sparse_variant``'s
    sparse reads and ``LazyAdam``) on the ratings in ``folder`` for ``epochs`` and return the
    fastest epoch's wall time (with ``epochs`` > 1 a pause of a shared machine in one epoch does
    not count). The model is built and run on a few batches first: graph tracing is not
    counted, it does not grow with the data."""
    seed_everything(seed)
    data = RatingsOnDisk(folder, batch_size, seed=seed)
    model = build_tuned_mf(n_users, n_items, global_mean=3.5, **{**TUNED_CONFIG, "batch_size": batch_size})
    if lazy:
        model = sparse_variant(model, TUNED_CONFIG["learning_rate"])
    warm_up = [data[index] for index in range(min(warm_up_batches, len(data)))]
    for (users, items), ratings in warm_up:
        model.train_on_batch((users, items), ratings)
    timer = EpochTimer()
    model.fit(data, epochs=epochs, verbose=0, callbacks=[timer])
    seconds = min(timer.seconds)
    return EpochTiming(data.n_rows, batch_size, seconds, data.n_rows / seconds)


def als_seconds(ratings: pd.DataFrame, n_users: int, n_items: int, factors: int = 32,
                iterations: int = 2, seed: int = SEED) -> EpochTiming:
    """The reference: one iteration of implicit's ALS (``peers.ImplicitModel``'s library) on
    the same pairs, ``factors`` as the MF's k, both cores. An iteration solves every user's
    and every movie's least squares once: one pass over the ratings, like an epoch. ALS needs
    the whole users × movies matrix in memory; building it is not counted."""
    from threadpoolctl import threadpool_limits

    from helpers.peers import _require, interactions
    _require("implicit")
    from implicit.cpu.als import AlternatingLeastSquares

    matrix = interactions(ratings, n_users, n_items)
    with threadpool_limits(1, "blas"):  # implicit's own threads, not BLAS's, do the work
        model = AlternatingLeastSquares(factors=factors, iterations=iterations, random_state=seed,
                                        num_threads=os.cpu_count() or 1)
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = (time.perf_counter() - start) / iterations
    return EpochTiming(len(ratings), 0, seconds, len(ratings) / seconds)


CI_SIZES = (100_000, 1_000_000)
"""The sizes of a quick run of ``scaling_table()`` (synthetic ratings): about 10 s on 2 cores.
The curve to 10M is recorded by ``python -m helpers.scaling`` (``RECORD``)."""

FULL_SIZES = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
"""The sizes with ``MF_SERIES_FULL_SCALE=1``: the curve up to MovieLens 10M's size (minutes)."""

BATCH_SIZES = (1_024, 8_192)
"""The tuned MF's batch (``TUNED_CONFIG``) and a larger one: fewer, bigger steps."""


def full_scale() -> bool:
    """True when ``MF_SERIES_FULL_SCALE=1``: notebooks 08 and 09 time their largest sizes."""
    return os.environ.get("MF_SERIES_FULL_SCALE", "") == "1"


LAZY = "sparse reads + LazyAdam"
"""The method names' mark for ``sparse_variant``'s model: ``"Keras MF, sparse reads + LazyAdam, batch 1,024"``."""


def scaling_table(sizes=CI_SIZES, batch_sizes=BATCH_SIZES, folder: str | Path | None = None,
                  seed: int = SEED, als: bool = True, workers: bool = False,
                  epochs: int = 1, variants=("adam",)) -> pd.DataFrame:
    """Time an epoch of the tuned MF on synthetic ratings of each size, read from disk, at each
    batch size (the fastest of ``epochs``) — ``variants``: ``"adam"`` the model as the series
    trains it, ``"lazy"`` ``sparse_variant``'s (sparse reads, ``LazyAdam``) — and, with ``als``,
    one iteration of implicit's ALS
    on the same pairs (the mean of two). One row
    per (size, method): ``ratings``, ``method``, ``seconds``, ``ratings/s``, ``peak MB``.

    With ``workers`` each Keras epoch runs in a fresh worker process (``helpers.bulk.measure``),
    which also reports the peak memory the run added; without, the epochs run in this process
    (no worker to start: seconds faster) and ``peak MB`` is NaN. ALS's matrix is in memory: no
    peak is taken. The files go to a temporary folder inside ``folder`` (default: the system's),
    removed at the end. The times are this machine's, now."""
    import tempfile

    from helpers.bulk import measure

    rows = []
    with tempfile.TemporaryDirectory(dir=folder, prefix="mf-scaling-") as scratch:
        for n_ratings in sizes:
            n_users, n_items = movielens_shape(n_ratings)
            ratings = synthetic_ratings(n_ratings, seed=seed)
            path = write_ratings(ratings, Path(scratch) / f"{n_ratings}")
            unknown = set(variants) - {"adam", "lazy"}
            if unknown:
                raise ValueError(f"unknown variants {sorted(unknown)}: use 'adam' and/or 'lazy'")
            for variant, batch_size in [(variant == "lazy", size) for variant in variants
                                        for size in batch_sizes]:
                if workers:
                    outcome = measure(epoch_seconds, path, n_users, n_items, batch_size, epochs,
                                      SEED, 5, variant, timeout=3_600)
                    timing, peak = outcome["result"], outcome["peak_mb"]
                else:
                    keras.backend.clear_session()
                    timing = epoch_seconds(path, n_users, n_items, batch_size, epochs, lazy=variant)
                    peak = float("nan")
                method = f"Keras MF, {LAZY}, batch {batch_size:,}" if variant else f"Keras MF, batch {batch_size:,}"
                rows.append({"ratings": n_ratings, "method": method,
                             "seconds": timing.seconds, "ratings/s": timing.ratings_per_second,
                             "peak MB": peak})
            if als:
                timing = als_seconds(ratings, n_users, n_items)
                rows.append({"ratings": n_ratings, "method": "implicit ALS (in memory)",
                             "seconds": timing.seconds, "ratings/s": timing.ratings_per_second,
                             "peak MB": float("nan")})
            del ratings
    return pd.DataFrame(rows)


RECORD = Path(__file__).resolve().parent.parent / "notebooks" / "results" / "scaling.json"
"""The full-scale curve, as ``python -m helpers.scaling`` measured it (notebook 09 plots it)."""


LAZY_RECORD = RECORD.with_name("scaling_lazy.json")
"""The same curve for ``sparse_variant``'s model (sparse reads, ``LazyAdam``), without ALS:
``python -m helpers.scaling --lazy`` (notebook 09 plots it beside ``RECORD``)."""


def record_full_scale(path: Path | None = None, lazy: bool = False) -> pd.DataFrame:
    """Measure ``FULL_SIZES`` in worker processes and write the table, with when and on how
    many cores, to ``path`` (atomically; default ``RECORD``, with ``lazy`` ``LAZY_RECORD``:
    ``sparse_variant``'s model only)."""
    import datetime
    import json

    path = path or (LAZY_RECORD if lazy else RECORD)
    start = time.perf_counter()
    table = scaling_table(FULL_SIZES, workers=True, epochs=2, als=not lazy,
                          variants=("lazy",) if lazy else ("adam",))
    command = "python -m helpers.scaling" + (" --lazy" if lazy else "")
    payload = {"measured": datetime.date.today().isoformat(), "cores": os.cpu_count(), "epochs": 2,
               "command": command, "seconds": round(time.perf_counter() - start, 1),
               "rows": json.loads(table.to_json(orient="records"))}
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(json.dumps(payload, indent=1) + "\n")
    os.replace(partial, path)
    return table


def load_full_scale(path: Path = RECORD) -> tuple[pd.DataFrame, dict]:
    """The recorded full-scale table and its metadata (date, cores, command)."""
    import json

    payload = json.loads(Path(path).read_text())
    return pd.DataFrame(payload.pop("rows")), payload


if __name__ == "__main__":
    import sys

    if sys.argv[1:] not in ([], ["--lazy"]):
        sys.exit("usage: python -m helpers.scaling [--lazy]  (the curve; --lazy: sparse reads + LazyAdam)")
    print(record_full_scale(lazy=sys.argv[1:] == ["--lazy"]).round(3).to_string())
