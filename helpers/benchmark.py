"""Train and evaluate the series' models on any ratings: ``python -m helpers.benchmark``.

    python -m helpers.benchmark                               # MovieLens 100k, standard split
    python -m helpers.benchmark --train TRAIN --test TEST     # your own ratings
    python -m helpers.benchmark --train TRAIN --test TEST --out DIR --models biases,popularity
    python -m helpers.benchmark --seeds 42,43,44,45,46                 # mean ± spread over seeds
    python -m helpers.benchmark --split temporal                      # MovieLens' temporal split

Input. TRAIN and TEST are text files whose header names at least the columns ``user_id``,
``item_id`` and ``rating`` (any case, any order; other columns are ignored, but a numeric
``timestamp`` decides which of two ratings of the same pair is the latest). Each file is read
once. Ids are kept exactly as written (integers or any strings); users and items are numbered
over TRAIN ∪ TEST. Ratings are numbers on any scale. Untidy files from real systems (other
column names, no header, semicolons or ``::``, UTF-16, re-ratings, TEST pairs also in TRAIN) are
accepted with a note printed and kept in metrics.json, or refused in one line:
``helpers.ratings_files`` lists every case. Without ``--train``/``--test`` the run uses MovieLens
100k as the notebooks do: ``helpers.data.movielens_split()``, the series' standard split
(``random_split``, seed 42, 80/20) with ids numbered over every movie; ``--split temporal`` uses
the temporal split of notebook 04 instead (each user's latest 20 % of ratings are TEST).

Models. Every model is one entry of one registry, ``MODELS``: its name → a ``ModelEntry`` with
what it outputs (rating predictions, ranking scores, or both), its ``family``, and a fit
function ``fit(train, n_users, n_items, seed, relevant_from) -> FittedModel``. Everything else is derived from
the registry: the table's order and the columns of predictions.tsv (the registry's order), the
models ``--help`` lists and ``--models`` accepts, which models get the cold-start fallback below
(the ``keras`` family), and which may be named best. Adding a model is adding one entry.

==================  ==============  ===========  ==============================================
name                outputs         family       source
==================  ==============  ===========  ==============================================
global_mean         rating          baseline     ``helpers.baselines.GlobalMean`` (notebook 04)
item_mean           rating          baseline     ``helpers.baselines.ItemMean`` (notebook 04)
biases              rating          baseline     ``helpers.baselines.Biases`` (notebook 04)
classic_mf          rating          keras        ``helpers.models.fit_classic_mf`` (notebook 02)
tuned_mf            rating+ranking  keras        ``helpers.models.fit_tuned_mf`` (notebook 03),
                                                 ranked by predicted rating
dnn                 rating          keras        ``helpers.dnn.fit_dnn`` (notebook 04)
svdpp_mf            rating+ranking  keras        ``helpers.svdpp.fit_svdpp``: SVD++ on both sides,
                                                 ranked by predicted rating
svd                 rating          surprise     Surprise's ``SVD``, its defaults
svd_tuned           rating          surprise     ``SVD`` tuned on validation
svdpp               rating          surprise     Surprise's ``SVDpp`` (SVD++), its defaults
svdpp_tuned         rating          surprise     ``SVDpp`` tuned on validation
knn_baseline        rating          surprise     Surprise's ``KNNBaseline``, its defaults
knn_baseline_tuned  rating          surprise     ``KNNBaseline`` tuned on validation
myfm                rating          myfm         myFM's Bayesian FM, rank 10, 200 samples
popularity          ranking         baseline     ``helpers.ranking.popularity_scores``: most
                                                 rated in TRAIN first (notebook 05)
softmax_mf          ranking         keras        ``helpers.ranking.fit_ranking_model`` (notebook 05)
mult_dae            ranking         keras        ``helpers.autoencoder.fit_dae``: a denoising
                                                 autoencoder over each user's rated movies
ease                ranking         closed-form  ``helpers.ranking.ease_scores`` (Steck 2019)
als                 ranking         implicit     implicit's ``AlternatingLeastSquares``, tuned
bpr                 ranking         implicit     implicit's ``BayesianPersonalizedRanking``, tuned
==================  ==============  ===========  ==============================================

The peers (``helpers.peers``) run by their own libraries on the same TRAIN and are scored on the
same TEST by the same metrics; "tuned" settings were chosen on the series' validation split
(``python -m helpers.experiments rating_peers ranking_peers``), as the series' own models were.

Seeds. ``--seed`` (default 42) seeds every model. ``--seeds 42,43,44,45,46`` fits every model
once per seed: metrics.json then holds, per model, the mean over the seeds of every metric, its
standard deviation as ``<metric>_sd`` and the values of each seed in ``per_seed``; the best
models are chosen on the means; predictions.tsv and top10.tsv are the first seed's. The README's
tables come from such a run (``make readme``), so a claim that one model beats another can be read
against the spread.

Families: ``keras`` for the series' own models, ``baseline`` for the simple models they must
beat, the library's name for a peer library's models (``surprise``, ``myfm``, ``implicit``), and
``closed-form`` for EASE. Every model is fitted with ``--seed`` and its registered settings. Ranking
metrics count a TEST rating of at least ``--relevant-from`` (default 4) as relevant and average
over the users with at least one relevant item.

Output, written into DIR (``--out``, default ``build/benchmark`` under the current folder):

``metrics.json``     ``models``: per model its ``kind`` (``rating``, ``ranking`` or
                     ``rating+ranking``), ``family``, ``fit_seconds``, ``params`` and metrics
                     (RMSE and MAE in rating units for rating models; precision@10, recall@10,
                     NDCG@10, hit rate@10, coverage and the number of users scored for ranking
                     models); ``best_rating_model`` (the lowest test RMSE) and
                     ``best_ranking_model`` (the highest NDCG@10, left out when no model has
                     ranking metrics); ``data``: the data's sizes, the settings of the run
                     (``seeds``, ``relevant_from``) and the ``notes`` on untidy input.
``predictions.tsv``  ``user_id``, ``item_id``, ``rating`` (the true one), then one column per
                     rating model, named as in metrics.json: one row per TEST row, in TEST's order.
``top10.tsv``        ``model``, ``user_id``, ``rank``, ``item_id``: for every user in TEST, each
                     ranking model's 10 best items among all items of TRAIN ∪ TEST that the user
                     did not rate in TRAIN (fewer only if fewer remain).

The best model is one of the series' own: only the ``keras`` family competes for
``best_rating_model`` and ``best_ranking_model``; baselines and peers sit beside them for scale
and never count. When no ``keras`` model of that kind ran (``--models biases,popularity``), the
field names the best of all the models that ran, and ``best_note`` says so; ``best_note`` is
written only then. Ties go to the model first in the registry.

Cold start, documented fallbacks, so every cell of the output is filled:

- a TEST row whose user or item has no TRAIN rating: the baselines use their own fallback
  (``helpers.baselines``: the global mean, or the known part of mean + user + item offsets);
  the ``keras`` family, whose embeddings of such a user or item were never trained, predicts for
  that row what ``biases`` predicts (``helpers.baselines.with_fallback``);
- a TEST user without TRAIN ratings gets the ``popularity`` list from every ranking model.

Exit codes: 0 done; 2 bad input (every case of ``helpers.ratings_files``; a peer package that is
not installed; EASE on more than ``EASE_MAX_ITEMS`` items; rating models on ratings that are all
one value; a bad option), with one line on stderr that says what is wrong and what to do; 1 when
MovieLens 100k cannot be loaded. TensorFlow is imported only after the input has been checked,
and only when a ``keras`` model runs. Deterministic: the same input gives identical
predictions.tsv and top10.tsv on every run (seeded, deterministic TensorFlow ops); only fit
seconds vary.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED, baselines
from helpers.data import DataSourceError, IdEncoding
from helpers.ratings_files import InputError, check_pair, encode_pair, id_order, read_ratings

_id_order = id_order  # the name the tests knew

DEFAULT_OUT = Path("build") / "benchmark"
OUTPUTS = ("rating", "ranking")
KERAS = "keras"
"""The family of the series' own models: the cold-start fallback applies to it, and only it can be best."""
TOP_N = 10
PROG = "python -m helpers.benchmark"


@dataclass(frozen=True)
class BenchmarkData:
    """What the benchmark runs on: the encoded TRAIN and TEST, their encoding, and where they came from."""

    train: pd.DataFrame
    test: pd.DataFrame
    encoding: IdEncoding
    source: str
    notes: tuple[str, ...] = ()  # what was done to accept untidy files (helpers.ratings_files)

    def describe(self) -> str:
        return (f"{self.source}: {len(self.train):,} train and {len(self.test):,} test ratings, "
                f"{self.encoding.n_users:,} users, {self.encoding.n_items:,} items")


def read_input(train_path: Path | None, test_path: Path | None, out: Path,
               split: str = "random") -> BenchmarkData:
    """The checked, encoded input: the two files, or MovieLens 100k's ``split`` when both are None.

    Raises ``InputError`` for bad input and ``DataSourceError`` when MovieLens 100k cannot be loaded.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder (it is created if needed).")
    if train_path is None or test_path is None:
        from helpers.data import movielens_split

        data = movielens_split(split)
        return BenchmarkData(data.train, data.test, data.encoding, SPLIT_SOURCES[split])
    notes: list[str] = []
    train = read_ratings(train_path, "TRAIN", notes)
    test = read_ratings(test_path, "TEST", notes)
    test = check_pair(train, test, str(train_path), str(test_path), notes)
    return BenchmarkData(*encode_pair(train, test), f"TRAIN {train_path}, TEST {test_path}", tuple(notes))


SPLIT_SOURCES = {
    "random": f"MovieLens 100k, the series' standard split (random_split, seed {SEED}, 80/20)",
    "temporal": "MovieLens 100k, the temporal split (temporal_split: each user's latest 20 % is TEST)",
}
"""The MovieLens splits ``--split`` offers (``helpers.data.SPLITS``), as metrics.json names them."""

EASE_MAX_ITEMS = 20_000
"""EASE inverts an items × items matrix: 20,000 items take 3.2 GB per copy, and it needs three."""


def check_models(models: list[str], data: BenchmarkData) -> None:
    """The checks that need both the models and the data, before anything is fitted.

    Raises ``InputError`` for a peer whose package is missing, EASE on more than
    ``EASE_MAX_ITEMS`` items, and rating models on ratings that are all one value."""
    from helpers.peers import missing_package

    for name in models:
        module = MODELS[name].requires
        problem = module and missing_package(module)
        if problem:
            raise InputError(f"model {name}: {problem}")
    if "ease" in models and data.encoding.n_items > EASE_MAX_ITEMS:
        raise InputError(f"model ease: {data.encoding.n_items:,} items are too many for its items × "
                         f"items matrix (at most {EASE_MAX_ITEMS:,}): leave it out with --models.")
    rating_models = [name for name in models if "rating" in MODELS[name].outputs]
    values = np.unique(data.train["rating"].to_numpy())
    if rating_models and len(values) == 1:
        ranking = ",".join(name for name in models_with("ranking") if "rating" not in MODELS[name].outputs)
        raise InputError(f"every TRAIN rating is {values[0]:g}: that is implicit feedback (clicks, "
                         "plays, purchases), which the rating models cannot learn from: run the "
                         f"ranking models alone, --models {ranking} --relevant-from {values[0]:g}.")


# --------------------------------------------------------------------------------------------
# The registry: one entry per model
# --------------------------------------------------------------------------------------------


@dataclass
class FittedModel:
    """A trained model as the benchmark uses it: rating predictions, ranking scores, or both."""

    n_params: int
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None  # (users, items) -> ratings
    scores: Callable[[np.ndarray], np.ndarray] | None = None  # user indices -> users × items


FitFunction = Callable[[pd.DataFrame, int, int, int, float], FittedModel]
"""``fit(train, n_users, n_items, seed, relevant_from)``: fit on the encoded ``train``, return the
``FittedModel``. ``relevant_from`` is the run's ``--relevant-from``: the models that learn from the
positive ratings only (EASE, ALS, BPR when so tuned) take the ratings at least that high."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the registry: what it outputs, its family, and its fit function."""

    outputs: tuple[str, ...]  # "rating", "ranking", or both
    family: str  # "keras", "baseline", "closed-form", or a peer library's name
    fit: FitFunction
    requires: str | None = None  # the import name of a peer library the fit needs (helpers.peers.PACKAGES)

    def __post_init__(self):
        if not self.outputs or set(self.outputs) - set(OUTPUTS):
            raise ValueError(f"outputs must be one or both of {OUTPUTS}, got {self.outputs!r}")

    @property
    def kind(self) -> str:
        """``rating``, ``ranking`` or ``rating+ranking``, as metrics.json names it."""
        return "+".join(output for output in OUTPUTS if output in self.outputs)


def _baseline(model_class: type) -> FitFunction:
    """The fit of a rating baseline of ``helpers.baselines`` (closed form: the seed is unused)."""

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
            relevant_from: float) -> FittedModel:
        model = model_class().fit(train)
        return FittedModel(model.n_params, predict=model.predict)

    return fit


def _fit_popularity(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
                    relevant_from: float) -> FittedModel:
    """Every user scores an item by its number of TRAIN ratings (``helpers.ranking``)."""
    from helpers.ranking import popularity_scores

    return FittedModel(n_items, scores=lambda users: popularity_scores(train, len(users), n_items))


def _keras_rating(fit_path: str) -> FitFunction:
    """The fit of a Keras rating model: ``fit_path`` names a ``fit_*`` of the series' API,
    ``(train, n_users, n_items, seed=...) -> (model, history)``, imported at the first fit (so
    TensorFlow loads only when a Keras model runs). Its ranking scores are its predicted ratings
    of every item."""
    module, _, name = fit_path.rpartition(".")

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
            relevant_from: float) -> FittedModel:
        from helpers.models import predict_ratings

        model, _ = getattr(importlib.import_module(module), name)(train, n_users, n_items, seed=seed)

        def predict(user_index: np.ndarray, item_index: np.ndarray) -> np.ndarray:
            return predict_ratings(model, user_index, item_index)

        def scores(users: np.ndarray) -> np.ndarray:
            pairs = np.repeat(users, n_items), np.tile(np.arange(n_items), len(users))
            return predict(*pairs).reshape(len(users), n_items)

        return FittedModel(int(model.count_params()), predict=predict, scores=scores)

    return fit


def _fit_softmax_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
                    relevant_from: float) -> FittedModel:
    """The ranking model of notebook 05: scores are its logits over every item."""
    from helpers.ranking import fit_ranking_model, ranking_scores

    model, _ = fit_ranking_model(train, n_users, n_items, seed=seed)
    return FittedModel(int(model.count_params()), scores=lambda users: ranking_scores(model, users))


def _fit_mult_dae(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
                  relevant_from: float) -> FittedModel:
    """The ranking autoencoder (``helpers.autoencoder``): input every rated item, target the
    ratings at least ``relevant_from``; scores are its logits from each user's TRAIN row."""
    from helpers.autoencoder import dae_scores, fit_dae

    model, _ = fit_dae(train, n_users, n_items, seed=seed, positives_from=relevant_from)
    return FittedModel(int(model.count_params()),
                       scores=lambda users: dae_scores(model, train, n_users, n_items, users))


def _surprise(algorithm: str, tuned: bool) -> FitFunction:
    """A Surprise algorithm with its library defaults or the settings tuned on validation."""

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
            relevant_from: float) -> FittedModel:
        from helpers.peers import SURPRISE_DEFAULTS, SURPRISE_TUNED, SurpriseModel

        settings = (SURPRISE_TUNED if tuned else SURPRISE_DEFAULTS)[algorithm]
        model = SurpriseModel(algorithm, seed, **settings).fit(train)
        return FittedModel(model.n_params, predict=model.predict)

    return fit


def _fit_myfm(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
              relevant_from: float) -> FittedModel:
    """myFM's Bayesian factorization machine (``helpers.peers.MyFMModel``)."""
    from helpers.peers import MyFMModel

    model = MyFMModel(n_users, n_items, seed).fit(train)
    return FittedModel(model.n_params, predict=model.predict)


def _implicit(algorithm: str) -> FitFunction:
    """implicit's ALS or BPR with the settings tuned on validation (``helpers.peers``)."""

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
            relevant_from: float) -> FittedModel:
        from helpers.peers import ImplicitModel

        positives = ImplicitModel.CONFIGS[algorithm]["positives_from"]
        model = ImplicitModel(algorithm, n_users, n_items, seed,
                              positives_from=None if positives is None else relevant_from).fit(train)
        return FittedModel(model.n_params, scores=model.scores)

    return fit


def _fit_ease(train: pd.DataFrame, n_users: int, n_items: int, seed: int,
              relevant_from: float) -> FittedModel:
    """EASE, closed form (``helpers.ranking.ease_scores``): the seed is unused."""
    from helpers.ranking import EASE_CONFIG, ease_scores

    positives = None if EASE_CONFIG["positives_from"] is None else relevant_from
    scores = ease_scores(train, n_users, n_items, positives_from=positives)
    return FittedModel(n_items * n_items, scores=lambda users: scores[users])


MODELS: dict[str, ModelEntry] = {
    "global_mean": ModelEntry(("rating",), "baseline", _baseline(baselines.GlobalMean)),
    "item_mean": ModelEntry(("rating",), "baseline", _baseline(baselines.ItemMean)),
    "biases": ModelEntry(("rating",), "baseline", _baseline(baselines.Biases)),
    "classic_mf": ModelEntry(("rating",), KERAS, _keras_rating("helpers.models.fit_classic_mf")),
    "tuned_mf": ModelEntry(("rating", "ranking"), KERAS, _keras_rating("helpers.models.fit_tuned_mf")),
    "dnn": ModelEntry(("rating",), KERAS, _keras_rating("helpers.dnn.fit_dnn")),
    "svdpp_mf": ModelEntry(("rating", "ranking"), KERAS, _keras_rating("helpers.svdpp.fit_svdpp")),
    "svd": ModelEntry(("rating",), "surprise", _surprise("svd", tuned=False), "surprise"),
    "svd_tuned": ModelEntry(("rating",), "surprise", _surprise("svd", tuned=True), "surprise"),
    "svdpp": ModelEntry(("rating",), "surprise", _surprise("svdpp", tuned=False), "surprise"),
    "svdpp_tuned": ModelEntry(("rating",), "surprise", _surprise("svdpp", tuned=True), "surprise"),
    "knn_baseline": ModelEntry(("rating",), "surprise", _surprise("knn_baseline", tuned=False), "surprise"),
    "knn_baseline_tuned": ModelEntry(("rating",), "surprise", _surprise("knn_baseline", tuned=True),
                                     "surprise"),
    "myfm": ModelEntry(("rating",), "myfm", _fit_myfm, "myfm"),
    "popularity": ModelEntry(("ranking",), "baseline", _fit_popularity),
    "softmax_mf": ModelEntry(("ranking",), KERAS, _fit_softmax_mf),
    "mult_dae": ModelEntry(("ranking",), KERAS, _fit_mult_dae),
    "ease": ModelEntry(("ranking",), "closed-form", _fit_ease),
    "als": ModelEntry(("ranking",), "implicit", _implicit("als"), "implicit"),
    "bpr": ModelEntry(("ranking",), "implicit", _implicit("bpr"), "implicit"),
}
"""The benchmark's models, in the order of its table: name → ``ModelEntry``. One entry per model."""


def models_with(output: str | None = None, family: str | None = None) -> list[str]:
    """The registry's names, in its order, that have ``output`` and belong to ``family`` (None: any)."""
    return [name for name, entry in MODELS.items()
            if (output is None or output in entry.outputs) and (family is None or entry.family == family)]


RECORDED_RUNS = {split: Path(__file__).resolve().parents[1] / "docs" / "results" / name
                 for split, name in (("random", "benchmark.json"), ("temporal", "benchmark_temporal.json"))}
"""The committed metrics.json of ``make readme``'s five-seed runs, by split: the README's tables
and notebook 07 read them."""

HEADLINE = {"rating": "rmse", "ranking": f"ndcg@{TOP_N}"}
"""The metric a kind of model is ranked by: RMSE (lower is better), NDCG@10 (higher is better)."""


def recorded_run(split: str = "random") -> dict:
    """The committed five-seed run on ``split`` (``random``: the standard split, or ``temporal``)."""
    if split not in RECORDED_RUNS:
        raise ValueError(f"no recorded run for split {split!r}: choose from {', '.join(RECORDED_RUNS)}")
    path = RECORDED_RUNS[split]
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make readme` to record the benchmark")
    return json.loads(path.read_text(encoding="utf-8"))


def seeds_table(run: dict, kind: str) -> pd.DataFrame:
    """The models of a multi-seed run with ``kind`` outputs (``rating`` or ``ranking``), best
    first by ``HEADLINE[kind]``: family, mean and standard deviation over the seeds, mean fit
    seconds and parameters."""
    if kind not in HEADLINE:
        raise ValueError(f"unknown kind {kind!r}: choose rating or ranking")
    metric = HEADLINE[kind]
    rows = {name: {"family": entry["family"], metric: entry[metric], "sd": entry.get(f"{metric}_sd"),
                   "fit s": entry["fit_seconds"], "parameters": entry["params"]}
            for name, entry in run["models"].items() if metric in entry}
    table = pd.DataFrame(rows).T.infer_objects()
    return table.sort_values(metric, ascending=kind == "rating", kind="stable")


# --------------------------------------------------------------------------------------------
# Evaluation and output
# --------------------------------------------------------------------------------------------


def top_lists(fitted: FittedModel, popularity: np.ndarray, seen: np.ndarray,
              cold_users: np.ndarray, n: int, chunk: int = 2048) -> np.ndarray:
    """Every user's ``n`` best unseen items (users × n, -1 pads), scored in chunks of users."""
    from helpers.recommend import top_n

    n_users = seen.shape[0]
    lists = np.empty((n_users, n), dtype=np.int64)
    for start in range(0, n_users, chunk):
        users = np.arange(start, min(start + chunk, n_users))
        scores = np.array(fitted.scores(users), dtype=np.float64)
        scores[cold_users[users]] = popularity  # no train rating: the popularity list
        lists[users] = top_n(scores, seen[users], n)
    return lists


def best_models(metrics: dict, n: int = TOP_N) -> dict:
    """``best_rating_model`` (lowest RMSE) and ``best_ranking_model`` (highest NDCG@n) of the
    ``keras`` family, and ``best_note`` (None unless a kind had no keras model and the best of
    all models stands in)."""
    best, notes = {}, []
    for output, key, pick in (("rating", "rmse", min), ("ranking", f"ndcg@{n}", max)):
        scored = {name: entry[key] for name, entry in metrics.items() if key in entry}
        keras = {name: value for name, value in scored.items() if metrics[name].get("family") == KERAS}
        candidates = keras or scored
        best[f"best_{output}_model"] = pick(candidates, key=candidates.get) if candidates else None
        if scored and not keras:
            notes.append(f"no {KERAS} model has {output} metrics: best_{output}_model is the "
                         "best of all models that ran")
    best["best_note"] = "; ".join(notes) or None
    return best


def run(train: pd.DataFrame, test: pd.DataFrame, encoding: IdEncoding, models: list[str],
        seed: int = SEED, relevant_from: float = 4.0,
        progress: Callable[[str], None] = lambda line: None) -> dict:
    """Fit and evaluate ``models`` (names in ``MODELS``); returns predictions, top lists, metrics
    and the best models (no files written)."""
    from helpers.metrics import mae, ranking_report, relevant_items, rmse
    from helpers.ranking import popularity_scores
    from helpers.recommend import seen_mask

    if any(MODELS[name].family == KERAS for name in models):
        from helpers import quiet_tensorflow_loggers

        quiet_tensorflow_loggers()  # before TensorFlow's first import: no start-up lines on stderr
    n_users, n_items = encoding.n_users, encoding.n_items
    test_users, test_items = test["user_index"].to_numpy(), test["item_index"].to_numpy()
    cold_users = np.bincount(train["user_index"], minlength=n_users) == 0
    seen = seen_mask(train, n_users, n_items)
    popularity = popularity_scores(train, 1, n_items)[0]
    relevant = relevant_items(test_users, test_items, test["rating"], n_users, relevant_from)
    n = min(TOP_N, n_items)

    predictions, lists, metrics = {}, {}, {}
    for name in models:
        entry = MODELS[name]
        start = time.perf_counter()
        fitted = entry.fit(train, n_users, n_items, seed, relevant_from)
        seconds = time.perf_counter() - start
        for output, function in (("rating", fitted.predict), ("ranking", fitted.scores)):
            if output in entry.outputs and function is None:
                raise ValueError(f"model {name} is registered with {output} outputs, but its fit "
                                 f"returned no {'predict' if output == 'rating' else 'scores'}")
        scored = {"kind": entry.kind, "family": entry.family, "fit_seconds": round(seconds, 3),
                  "params": int(fitted.n_params)}
        if "rating" in entry.outputs:
            predicted = np.asarray(fitted.predict(test_users, test_items), dtype=np.float64).ravel()
            if entry.family == KERAS:  # a cold user's or item's embedding was never trained
                predicted = baselines.with_fallback(predicted, train, test)
            predictions[name] = predicted
            scored.update(rmse=rmse(test["rating"], predicted), mae=mae(test["rating"], predicted))
        if "ranking" in entry.outputs:
            lists[name] = top_lists(fitted, popularity, seen, cold_users, n)
            try:
                scored.update(ranking_report(lists[name], relevant, n, n_items))
            except ValueError:  # no TEST user has a rating ≥ relevant_from: nothing to rank for
                scored["ranking_note"] = f"no TEST rating is ≥ {relevant_from}: no ranking metrics"
        metrics[name] = scored
        progress(f"  {name:<12} fitted in {seconds:6.2f} s")

    cold_rows = ~baselines.known_pairs(train, test_users, test_items)
    return {"predictions": predictions, "lists": lists, "metrics": metrics,
            **best_models(metrics, n), "cold_rows": int(cold_rows.sum()), "n": n}


def run_seeds(train: pd.DataFrame, test: pd.DataFrame, encoding: IdEncoding, models: list[str],
              seeds: list[int], relevant_from: float = 4.0,
              progress: Callable[[str], None] = lambda line: None) -> dict:
    """``run`` once per seed. With one seed, its result. With several: predictions and lists of the
    first seed; per model, every numeric metric (and fit seconds) is the mean over the seeds, its
    standard deviation is ``<metric>_sd`` and the values per seed are in ``per_seed``; the best
    models are chosen on the means."""
    results = []
    for seed in seeds:
        if len(seeds) > 1:
            progress(f"seed {seed}:")
        results.append(run(train, test, encoding, models, seed, relevant_from, progress))
    if len(seeds) == 1:
        return results[0]
    combined = dict(results[0])
    metrics = {}
    for name, first in results[0]["metrics"].items():
        entry = {key: value for key, value in first.items()}
        numeric = [key for key, value in first.items() if isinstance(value, float) and key != "users"]
        per_seed = {key: [result["metrics"][name][key] for result in results] for key in numeric}
        for key, values in per_seed.items():
            entry[key] = float(np.mean(values))
            entry[f"{key}_sd"] = float(np.std(values, ddof=1))
        entry["per_seed"] = per_seed
        metrics[name] = entry
    combined["metrics"] = metrics
    combined.update(best_models(metrics, results[0]["n"]))
    return combined


def write_outputs(out: Path, data: BenchmarkData, result: dict, settings: dict) -> None:
    """Write metrics.json, predictions.tsv and top10.tsv into ``out``."""
    from helpers.recommend import top_n_frame

    train, test, encoding = data.train, data.test, data.encoding
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"user_id": test["user_id"].to_numpy(),
                          "item_id": test["item_id"].to_numpy(),
                          "rating": [f"{value:g}" for value in test["rating"]]})
    for name, predicted in result["predictions"].items():
        table[name] = [f"{value:.4f}" for value in predicted]
    table.to_csv(out / "predictions.tsv", sep="\t", index=False, lineterminator="\n")

    frames = []
    for name, lists in result["lists"].items():
        frame = top_n_frame(lists, encoding)  # every user's list; TEST's users are kept
        frame = frame[frame["user_id"].isin(test["user_id"])].reset_index(drop=True)
        frame.insert(0, "model", name)
        frames.append(frame)
    top = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame(columns=["model", "user_id", "rank", "item_id"]))
    top.to_csv(out / f"top{TOP_N}.tsv", sep="\t", index=False, lineterminator="\n")

    info = {"source": data.source, "train_rows": len(train), "test_rows": len(test),
            "users": encoding.n_users, "items": encoding.n_items,
            "test_rows_cold": result["cold_rows"], **settings}
    document = {"data": info, "models": result["metrics"],
                "best_rating_model": result["best_rating_model"]}
    if result["best_ranking_model"] is not None:
        document["best_ranking_model"] = result["best_ranking_model"]
    if result["best_note"] is not None:
        document["best_note"] = result["best_note"]
    (out / "metrics.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def format_table(metrics: dict, n: int = TOP_N) -> str:
    """The results as a fixed-width text table: one line per model. ``± sd`` columns (RMSE's and
    NDCG's spread over the seeds) are filled when the run had several seeds."""
    def cell(entry: dict, key: str, width: int) -> str:
        return f"{entry[key]:{width}.4f}" if key in entry else f"{'-' if not key.endswith('_sd') else '':>{width}}"

    columns = [("rmse", "RMSE", 7), ("rmse_sd", "± sd", 6), ("mae", "MAE", 7)]
    ranking = [(f"ndcg@{n}", f"NDCG@{n}", 8), (f"ndcg@{n}_sd", "± sd", 6), (f"precision@{n}", f"P@{n}", 8),
               (f"recall@{n}", f"R@{n}", 8), (f"hit_rate@{n}", f"HR@{n}", 8), ("coverage", "cover", 8)]
    name_width = max([12, *map(len, metrics)])
    header = (f"{'model':<{name_width}} " + " ".join(f"{title:>{w}}" for _, title, w in columns)
              + f" {'fit s':>7} {'params':>9}  " + " ".join(f"{title:>{w}}" for _, title, w in ranking))
    lines = [header, "-" * len(header)]
    for name, entry in metrics.items():
        cells = [f"{name:<{name_width}}", *(cell(entry, key, w) for key, _, w in columns),
                 f"{entry['fit_seconds']:7.2f}", f"{entry['params']:>9,}", "",
                 *(cell(entry, key, w) for key, _, w in ranking)]
        lines.append(" ".join(cells))
    return "\n".join(lines)


def summary(result: dict, out: Path) -> str:
    """The lines printed after the table: the best models (and why, if not keras) and the files."""
    best = f"best rating model: {result['best_rating_model']}"
    if result["best_ranking_model"]:
        best += f" · best ranking model: {result['best_ranking_model']}"
    lines = [best] + ([f"({result['best_note']})"] if result["best_note"] else [])
    return "\n".join([*lines, f"wrote metrics.json, predictions.tsv and top{TOP_N}.tsv to {out}"])


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line (exit code 2), without the usage block."""

    def error(self, message: str):
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def _help_block(label: str, lines: list[str]) -> str:
    """``lines`` for --help: ``label`` in the 9-character margin of the first, blank before the rest."""
    return "".join(f"{label if number == 0 else '':<9}{line}\n" for number, line in enumerate(lines))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train and evaluate the series' models on MovieLens 100k (no arguments) or on\n"
                    "your own TRAIN and TEST ratings, print the results table and write\n"
                    "metrics.json, predictions.tsv and top10.tsv into --out.",
        epilog="files:   tab-, comma- or semicolon-separated, a header naming user_id, item_id,\n"
               "         rating (userId, movieId, score… are understood; other columns ignored),\n"
               "         ids as integers or strings, ratings as numbers; untidy files are\n"
               "         accepted with a note or refused: see helpers/ratings_files.py\n"
               + _help_block("models:", [line for output in OUTPUTS for line in textwrap.wrap(
                   f"{output}: {', '.join(models_with(output))}", 70, subsequent_indent="  ")])
               + _help_block("family:", [line for family in dict.fromkeys(e.family for e in MODELS.values())
                                         for line in textwrap.wrap(
                                             f"{family}: {', '.join(models_with(family=family))}", 70,
                                             subsequent_indent="  ")])
               + _help_block("best:", [f"the best {KERAS} model of each kind (of all models, if no",
                                       f"{KERAS} model of that kind ran)"])
               + _help_block("cold:", ["a TEST row whose user or item has no TRAIN rating gets the",
                                       f"biases prediction from the {KERAS} models; a TEST user",
                                       "without TRAIN ratings gets the popularity list from every",
                                       "ranking model"])
               + "errors:  bad input stops with exit code 2 and one line on stderr\n"
               "more:    the docstring of helpers/benchmark.py",
    )
    parser.add_argument("--train", type=Path, help="the ratings to train on (needs --test)")
    parser.add_argument("--test", type=Path, help="the ratings to evaluate on (needs --train)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the output files (default: {DEFAULT_OUT})")
    parser.add_argument("--models", default=",".join(MODELS), metavar="NAMES",
                        help="comma-separated models to run (default: all, listed below)")
    parser.add_argument("--relevant-from", type=float, default=4.0, metavar="RATING",
                        help="a TEST rating at least this high is relevant for the ranking "
                             "metrics (default: 4)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the seed of every model (default: {SEED})")
    parser.add_argument("--seeds", metavar="N,N,…",
                        help="run every model once per seed and report the mean and spread "
                             "(e.g. 42,43,44,45,46; replaces --seed)")
    parser.add_argument("--split", choices=list(SPLIT_SOURCES), default="random",
                        help="which MovieLens 100k split, without --train/--test (default: random, "
                             "the series' standard split)")
    args = parser.parse_args(argv)
    if (args.train is None) != (args.test is None):
        parser.error("give both --train and --test, or neither to use MovieLens 100k")
    if args.train is not None and args.split != "random":
        parser.error("--split chooses a MovieLens 100k split: leave it out with --train/--test")
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        parser.error(f"unknown model {', '.join(unknown) or '(none given)'}: choose from "
                     f"{', '.join(MODELS)}")
    args.models = [name for name in MODELS if name in names]  # the table's order
    try:
        args.seeds = ([int(seed) for seed in args.seeds.split(",") if seed.strip()]
                      if args.seeds else [args.seed])
    except ValueError:
        parser.error(f"--seeds takes integers separated by commas, got {args.seeds!r}")
    if not args.seeds or len(set(args.seeds)) < len(args.seeds):
        parser.error(f"--seeds needs distinct integers separated by commas, got {args.seeds!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = read_input(args.train, args.test, args.out, args.split)
        check_models(args.models, data)
    except (InputError, DataSourceError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, InputError) else 1
    print(data.describe(), flush=True)
    for note in data.notes:
        print(f"note: {note}", flush=True)
    result = run_seeds(data.train, data.test, data.encoding, args.models, args.seeds,
                       args.relevant_from, progress=lambda line: print(line, flush=True))
    write_outputs(args.out, data, result, {"seeds": args.seeds, "relevant_from": args.relevant_from,
                                           "notes": list(data.notes)})
    print(f"\n{format_table(result['metrics'], result['n'])}\n\n{summary(result, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
