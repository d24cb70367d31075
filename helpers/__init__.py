"""Shared code of the notebook series "Matrix factorization recommenders with Keras".

Each module holds what one topic teaches; a notebook shows the code (cells that start with
``# Saved in helpers/<module>.py``) and later notebooks import it. Where to change what:

- ``helpers.data``         loading MovieLens 100k, id encoding, the three splits, ``movielens_split`` (01)
- ``helpers.models``       the classic and the tuned MF, their ``*_CONFIG``, ``compile_rating_model`` (02, 03)
- ``helpers.selection``    choosing on validation: ``carve_validation``, ``SEEDS``, paired intervals (02, 03)
- ``helpers.experiments``  the seeded validation experiments and their recorded results (02–07)
- ``helpers.reports``      test-set reports of choices already made (07): never a choice
- ``helpers.baselines``    global mean, item mean, user + item biases by ALS, ``with_fallback`` (04)
- ``helpers.dnn``          the neural network set beside MF, ``DNN_CONFIG`` (04)
- ``helpers.metrics``      RMSE, MAE and the ranking metrics, pure functions (02, 05)
- ``helpers.ranking``      popularity, the softmax ranking MF, ``RANKING_CONFIG``, its evaluation (05)
- ``helpers.svdpp``        MF that also reads which movies were rated: SVD++ on both sides, ``SVDPP_CONFIG``
- ``helpers.autoencoder``  the ranking autoencoder (Mult-DAE) over each user's rated movies, ``DAE_CONFIG``
- ``helpers.recommend``    embeddings, top-n lists, similar movies, folding in a new user (05, 06)
- ``helpers.nonnegative``  MF with non-negative or softplus factors, ``FACTOR_CONFIG`` (06)
- ``helpers.try_it``       try it on yourself: your ratings folded in, what drove each pick, the panel (06)
- ``helpers.plotting``     the series' plot style and colours (all notebooks)
- ``helpers.records``      ``record``/``read_records``: the values tests hold the notebooks' claims to
- ``helpers.checks``       input checks and ``configure``: utilities the lessons call but do not teach
- ``helpers.benchmark``    ``python -m helpers.benchmark``: every model and every peer on any ratings (04)
- ``helpers.peers``        the libraries the benchmark measures the series against: Surprise, myFM, implicit
- ``helpers.ratings_files`` reading a user's own ratings files: each untidy case accepted with a note or refused
- ``helpers.retrieval``    the two-tower model with in-batch negatives, feature towers, cold start (08)
- ``helpers.serving``      the recommender as a SavedModel and a small HTTP service, ``make serve`` (08)
- ``helpers.bulk``         recommendations for every user: exact top-k in chunks, a faiss IVF index (08)
- ``helpers.releases``     MovieLens 1M, 10M, 20M, 25M, 32M: downloaded once, checked (MD5, row count), cached (09)
- ``helpers.scaling``      MovieLens-shaped synthetic ratings for timing, ratings read from disk, time per epoch,
                           sparse reads and ``LazyAdam`` for tables that grow with the data (09)
- ``helpers.distributed``  data parallel: two worker processes train the tuned MF (MultiWorkerMirroredStrategy) (09)
- ``helpers.sharding``     model parallel: the embedding tables split by rows over JAX devices (``LayoutMap``) (09)
- ``helpers.exercises``    the ``check`` functions behind every notebook's exercises

Every model follows one rule: settings in a ``*_CONFIG`` dict, ``build_*`` → a compiled model,
``fit_*(train, n_users, n_items, seed=SEED, **overrides)`` → ``(model, history)``, inputs named
``user_index`` and ``item_index``. ``setup()`` is the one call each notebook makes before
anything else; ``SEED`` is the one default seed.
"""

from __future__ import annotations

import os
import random

SEED = 42
"""The seed of every random choice in the series: splits, weight initialisation, sampling."""


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up lines (oneDNN, CPU features) before it is imported.

    The variables only take effect if they are set before ``import tensorflow``; setting them
    again later is harmless.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


quiet_tensorflow()  # on import, so that a notebook importing helpers before keras is quiet


def steps_per_call(steps: int) -> int:
    """What to pass as ``compile(steps_per_execution=...)``: ``steps`` batches per call into the
    backend (fewer Python round trips an epoch, faster on a CPU) on TensorFlow and JAX, and 1 on
    PyTorch, whose Keras trainer runs one batch per call (it refuses any other number). The
    number changes no result: the same batches in the same order either way."""
    import keras

    return 1 if keras.backend.backend() == "torch" else steps


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and the Keras backend, and make TensorFlow's ops deterministic on the CPU.

    Call it again right before building each model: a model cell that starts from
    ``seed_everything()`` gives the same weights and the same metrics on every run.
    """
    quiet_tensorflow()
    import keras

    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and the backend at once
    random.seed(seed)
    if keras.backend.backend() == "tensorflow":  # JAX on a CPU is deterministic as it is
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def quiet_tensorflow_loggers() -> None:
    """Import TensorFlow quietly and turn its Python loggers (TensorFlow's and absl's) to errors only."""
    quiet_tensorflow()
    import logging

    import absl.logging
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    absl.logging.set_verbosity(absl.logging.ERROR)


def setup(seed: int = SEED) -> None:
    """One call at the top of every notebook: quiet logs, seeded and deterministic, one plot style."""
    quiet_tensorflow_loggers()
    seed_everything(seed)

    from helpers.plotting import set_style

    set_style()
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        print(f"TensorFlow {tf.__version__} · Keras {keras.__version__} · seed {seed} · deterministic ops")
    else:  # KERAS_BACKEND=jax or torch (make test-backends): the same lessons, other random draws
        backend = keras.backend.backend()
        version = __import__(backend).__version__
        print(f"Keras {keras.__version__} on {backend} {version} · seed {seed} · "
              "numbers differ from the stored TensorFlow outputs")
