"""The libraries a user would pick instead of the series' models, each run by its own code.

The benchmark (``python -m helpers.benchmark``) fits these beside the series' Keras models on the
same TRAIN and scores them on the same TEST with the same metrics (``helpers.metrics``):

===============  =========================================================================
rating peers     Surprise (``scikit-surprise``): ``SVD`` (biased MF by SGD, the Netflix-prize
                 "Funk SVD"), ``SVDpp`` (SVD++, Koren 2008: the user vector also sums the
                 factors of every item the user rated), ``KNNBaseline`` (item or user
                 neighbours on top of the baseline biases, Koren 2010). Each with its library
                 defaults and with settings tuned on the series' validation split.
                 myFM (``myfm``): a factorization machine fitted by Gibbs sampling (Bayesian
                 MF: the prediction averages many sampled models, and the penalties are
                 sampled too, so there is no λ to tune), one-hot user + item, rank 10.
ranking peers    implicit (``implicit``): ``AlternatingLeastSquares`` (Hu, Koren, Volinsky
                 2008: weighted MF on implicit feedback) and ``BayesianPersonalizedRanking``
                 (Rendle et al. 2009: pairwise, sampled negatives), settings tuned on
                 validation. EASE, the closed-form item-item model, is taught with the ranking
                 baselines in ``helpers.ranking``.
===============  =========================================================================

Every tuned setting below was chosen by ``python -m helpers.experiments rating_peers
ranking_peers`` on the validation split the series' own models are tuned on, with a budget like
theirs (``PEER_GRIDS``); the recorded choices are in ``notebooks/results/rating_peers.json`` and
``ranking_peers.json``, and a test holds the constants to them.

Progress bars and logs of the libraries are silenced; every fit is seeded and single-threaded
where the library's threads would make it non-deterministic (BPR's updates race otherwise).
A peer whose package is missing is refused before anything is fitted, in one line that names the
package and the command that installs it (``missing_package``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sparse

from helpers import SEED
from helpers.checks import configure, train_arrays

PACKAGES = {"surprise": "scikit-surprise==1.1.5", "myfm": "myfm==0.4.0", "implicit": "implicit==0.7.3"}
"""Each peer library's import name → the pinned package that provides it (requirements.txt)."""

SURPRISE_DEFAULTS = {"svd": {}, "svdpp": {"cache_ratings": True}, "knn_baseline": {}}
"""Surprise's own defaults (``cache_ratings`` only makes SVD++ faster, same numbers)."""

SURPRISE_TUNED = {
    "svd": {"n_factors": 400, "reg_all": 0.1, "n_epochs": 40},
    "svdpp": {"reg_all": 0.1, "lr_all": 0.015, "cache_ratings": True},
    "knn_baseline": {"k": 20, "sim_options": {"name": "pearson_baseline", "user_based": False}},
}
"""Surprise's settings chosen on validation (``python -m helpers.experiments rating_peers``)."""

MYFM_CONFIG = {"rank": 10, "n_iter": 200, "n_kept_samples": 195, "implicit": False}
"""myFM's settings: rank 10, 200 Gibbs samples of which the last 195 are averaged (myFM's default
keeps ``n_iter - 5``). Its penalties are sampled from their priors, so nothing is tuned.
``implicit`` True adds SVD++-style implicit features on both sides (myFM's own MovieLens example,
"Bayesian SVD++ flipped"): about 300 non-zero features per rating instead of 2, so one fit on
MovieLens 100k takes about 10 minutes on 2 cores; the benchmark runs it without them."""

ALS_CONFIG = {"factors": 16, "regularization": 10.0, "alpha": 1.0, "iterations": 15,
              "positives_from": None}
"""implicit's ALS, chosen on validation: ``positives_from`` None trains on every rated item, a
number on the ratings at least that high only (both were searched)."""

BPR_CONFIG = {"factors": 32, "learning_rate": 0.005, "regularization": 0.01, "iterations": 100,
              "positives_from": 4.0}
"""implicit's BPR, chosen on validation like ALS."""

PEER_GRIDS = {
    "svd": {"n_factors": (100, 200, 400), "reg_all": (0.05, 0.1, 0.2), "n_epochs": (20, 40)},
    "svdpp": {"reg_all": (0.05, 0.1, 0.2), "lr_all": (0.01, 0.015, 0.02)},
    "knn_baseline": {"k": (10, 20, 40), "name": ("msd", "pearson_baseline"), "user_based": (True, False)},
    "als": {"factors": (8, 16, 32), "regularization": (3.0, 10.0, 30.0), "positives_from": (None, 4.0)},
    "bpr": {"factors": (16, 32, 64), "learning_rate": (0.002, 0.005, 0.01), "positives_from": (None, 4.0)},
}
"""The validation grids behind the tuned settings (each stochastic setting over the five seeds).
A first search on smaller values chose an edge of several grids (SVD's 200 factors and λ 0.1,
SVD++'s learning rate 0.01, ALS's 16 factors and λ 10, BPR's learning rate 0.005); the grids were
moved until each numeric choice is inside its grid, or on an edge that gains nothing measurable
over its neighbour (a plateau, as SVD's 400 factors against 200: a test holds that)."""


class MissingPackage(RuntimeError):
    """A peer's library is not installed; the message names the package and how to install it."""


def missing_package(module: str) -> str | None:
    """None when ``module`` imports, else one line saying which package to install and how."""
    if importlib.util.find_spec(module) is not None:
        return None
    return (f"the package {PACKAGES[module]} is not installed: run `make setup` (or "
            f"`pip install {PACKAGES[module]}`), or leave its models out with --models")


def _require(module: str):
    problem = missing_package(module)
    if problem:
        raise MissingPackage(problem)
    with warnings.catch_warnings():
        # implicit imports tqdm.auto, which warns in a notebook kernel without ipywidgets
        # ("IProgress not found"); its progress bars are off anyway (show_progress=False)
        warnings.filterwarnings("ignore", message="IProgress not found")
        # myfm imports pkg_resources, which setuptools ≥ 67 calls deprecated (PyTorch needs a
        # setuptools that new: make test-backends installs it)
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        return importlib.import_module(module)


def rating_range(train: pd.DataFrame) -> tuple[float, float]:
    """The lowest and highest TRAIN rating: the scale Surprise clips to, and myFM is clipped to."""
    ratings = train["rating"].to_numpy()
    return float(ratings.min()), float(ratings.max())


# --------------------------------------------------------------------------------------------
# Surprise
# --------------------------------------------------------------------------------------------


class SurpriseModel:
    """A Surprise algorithm fitted on the encoded ``train`` (its raw ids are our indices)."""

    ALGORITHMS = {"svd": "SVD", "svdpp": "SVDpp", "knn_baseline": "KNNBaseline"}

    def __init__(self, algorithm: str, seed: int = SEED, **settings):
        if algorithm not in self.ALGORITHMS:
            raise ValueError(f"unknown Surprise algorithm {algorithm!r}: choose from {sorted(self.ALGORITHMS)}")
        self.algorithm, self.seed, self.settings = algorithm, seed, settings

    def fit(self, train: pd.DataFrame) -> SurpriseModel:
        surprise = _require("surprise")
        users, items, ratings = train_arrays(train)
        frame = pd.DataFrame({"user": users, "item": items, "rating": ratings})
        data = surprise.Dataset.load_from_df(frame, surprise.Reader(rating_scale=rating_range(train)))
        settings = dict(self.settings)
        if self.algorithm == "knn_baseline":
            settings["verbose"] = False  # no "Estimating biases using als..." lines
        else:
            settings["random_state"] = self.seed
        self.model_ = getattr(surprise, self.ALGORITHMS[self.algorithm])(**settings)
        self.model_.fit(data.build_full_trainset())
        return self

    def predict(self, user_index, item_index) -> np.ndarray:
        """Surprise's estimate, clipped to the TRAIN scale; an unknown user or item gets Surprise's
        own fallback (the known part of the baseline, or the global mean)."""
        return np.array([self.model_.predict(int(u), int(i)).est
                         for u, i in zip(np.asarray(user_index), np.asarray(item_index))])

    @property
    def n_params(self) -> int:
        model, trainset = self.model_, self.model_.trainset
        if self.algorithm == "knn_baseline":  # biases + the similarity matrix it keeps
            return 1 + trainset.n_users + trainset.n_items + int(model.sim.size)
        count = 1 + model.bu.size + model.bi.size + model.pu.size + model.qi.size
        return count + (model.yj.size if self.algorithm == "svdpp" else 0)


# --------------------------------------------------------------------------------------------
# myFM
# --------------------------------------------------------------------------------------------


def implicit_blocks(train: pd.DataFrame, n_users: int, n_items: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Each user's row over items (|N(u)|^-½ where u rated the item in ``train``) and each item's
    row over users (|N(i)|^-½ where the user rated i): SVD++'s implicit feedback, both sides."""
    users, items = train["user_index"].to_numpy(), train["item_index"].to_numpy()

    def scaled(rows, columns, n_rows, n_columns):
        pairs = np.unique(np.stack([rows, columns], axis=1), axis=0)
        counts = np.bincount(pairs[:, 0], minlength=n_rows)
        return sparse.csr_matrix((1.0 / np.sqrt(counts[pairs[:, 0]]), (pairs[:, 0], pairs[:, 1])),
                                 shape=(n_rows, n_columns))

    return scaled(users, items, n_users, n_items), scaled(items, users, n_items, n_users)


def one_hot(user_index, item_index, n_users: int, n_items: int) -> sparse.csr_matrix:
    """The factorization machine's input: one column per user, then one per item."""
    user_index, item_index = np.asarray(user_index), np.asarray(item_index)
    rows = np.arange(len(user_index))
    return sparse.csr_matrix((np.ones(2 * len(rows)), (np.r_[rows, rows], np.r_[user_index, n_users + item_index])),
                             shape=(len(rows), n_users + n_items))


class MyFMModel:
    """myFM's ``MyFMRegressor`` on one-hot user + item (the user and item columns are two groups,
    each with its own sampled prior), predictions clipped to the TRAIN scale."""

    def __init__(self, n_users: int, n_items: int, seed: int = SEED, **settings):
        self.n_users, self.n_items, self.seed = n_users, n_items, seed
        self.config = configure(MYFM_CONFIG, settings)

    def fit(self, train: pd.DataFrame) -> MyFMModel:
        myfm = _require("myfm")
        users, items, ratings = train_arrays(train)
        self.blocks_ = implicit_blocks(train, self.n_users, self.n_items) if self.config["implicit"] else None
        groups = [self.n_users, self.n_items] + ([self.n_items, self.n_users] if self.blocks_ else [])
        self.model_ = myfm.MyFMRegressor(rank=self.config["rank"], random_seed=self.seed)
        with contextlib.redirect_stderr(io.StringIO()):  # myFM always draws a tqdm bar on stderr
            self.model_.fit(self.features(users, items), ratings, n_iter=self.config["n_iter"],
                            n_kept_samples=self.config["n_kept_samples"], group_shapes=groups)
        self.range_ = rating_range(train)
        return self

    def features(self, user_index, item_index) -> sparse.csr_matrix:
        """One-hot user + item, then (with ``implicit``) the user's and the item's implicit rows."""
        encoded = one_hot(user_index, item_index, self.n_users, self.n_items)
        if not self.blocks_:
            return encoded
        by_user, by_item = self.blocks_
        return sparse.hstack([encoded, by_user[np.asarray(user_index)], by_item[np.asarray(item_index)]]).tocsr()

    def predict(self, user_index, item_index) -> np.ndarray:
        predicted = self.model_.predict(self.features(user_index, item_index))
        return np.clip(predicted, *self.range_)

    @property
    def n_params(self) -> int:
        """One sample's parameters (bias, linear and factor weights) times the samples averaged."""
        per_sample = (1 + (2 if self.config["implicit"] else 1) * (self.n_users + self.n_items)
                      * (1 + self.config["rank"]))
        return per_sample * self.config["n_kept_samples"]


# --------------------------------------------------------------------------------------------
# implicit
# --------------------------------------------------------------------------------------------


def interactions(train: pd.DataFrame, n_users: int, n_items: int,
                 positives_from: float | None = None) -> sparse.csr_matrix:
    """The users × items 0/1 matrix implicit trains on: every rated item, or only the ratings at
    least ``positives_from``."""
    rows = train if positives_from is None else train[train["rating"] >= positives_from]
    users, items = rows["user_index"].to_numpy(), rows["item_index"].to_numpy()
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    matrix.data[:] = 1.0  # a pair listed twice is still one interaction
    return matrix


class ImplicitModel:
    """implicit's ALS or BPR on the CPU; ``scores`` are user factors · item factors."""

    CONFIGS = {"als": ALS_CONFIG, "bpr": BPR_CONFIG}

    def __init__(self, algorithm: str, n_users: int, n_items: int, seed: int = SEED, **settings):
        if algorithm not in self.CONFIGS:
            raise ValueError(f"unknown implicit algorithm {algorithm!r}: choose from {sorted(self.CONFIGS)}")
        self.algorithm, self.n_users, self.n_items, self.seed = algorithm, n_users, n_items, seed
        self.config = configure(self.CONFIGS[algorithm], settings)

    def fit(self, train: pd.DataFrame) -> ImplicitModel:
        _require("implicit")
        from threadpoolctl import threadpool_limits

        settings = {key: value for key, value in self.config.items() if key != "positives_from"}
        with warnings.catch_warnings():  # as in _require: tqdm.auto's notebook warning
            warnings.filterwarnings("ignore", message="IProgress not found")
            from implicit.cpu.als import AlternatingLeastSquares
            from implicit.cpu.bpr import BayesianPersonalizedRanking
        Algorithm = AlternatingLeastSquares if self.algorithm == "als" else BayesianPersonalizedRanking
        if self.algorithm == "bpr":
            settings["num_threads"] = 1  # BPR's parallel updates race: one thread is deterministic
        matrix = interactions(train, self.n_users, self.n_items, self.config["positives_from"])
        # implicit warns (once, when the model is made) unless NumPy's BLAS runs on one thread
        with threadpool_limits(1, "blas"):
            self.model_ = Algorithm(random_state=self.seed, **settings)
            self.model_.fit(matrix, show_progress=False)
        return self

    def scores(self, user_index) -> np.ndarray:
        return np.asarray(self.model_.user_factors)[np.asarray(user_index)] @ np.asarray(self.model_.item_factors).T

    @property
    def n_params(self) -> int:
        return int(np.asarray(self.model_.user_factors).size + np.asarray(self.model_.item_factors).size)
