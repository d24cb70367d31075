"""Train and evaluate the series' models on any ratings: ``python -m helpers.benchmark``.

    python -m helpers.benchmark                               # MovieLens 100k, standard split
    python -m helpers.benchmark --train TRAIN --test TEST     # your own ratings
    python -m helpers.benchmark --train TRAIN --test TEST --out DIR --models biases,popularity

Input. TRAIN and TEST are text files, tab- or comma-separated (the separator is read from the
header line), whose header names at least the columns ``user_id``, ``item_id`` and ``rating`` (any
case, any order; other columns such as ``timestamp`` are ignored). Each file is read once, as
UTF-8. Ids are kept exactly as written (integers or any strings); users and items are numbered
over TRAIN ∪ TEST. Ratings are numbers on any scale. Without ``--train``/``--test`` the run uses
MovieLens 100k as the notebooks do: ``helpers.data.movielens_split()``, the series' standard
split (``random_split``, seed 42, 80/20) with ids numbered over every movie.

Models. Every model is one entry of one registry, ``MODELS``: its name → a ``ModelEntry`` with
what it outputs (rating predictions, ranking scores, or both), its ``family``, and a fit
function ``fit(train, n_users, n_items, seed) -> FittedModel``. Everything else is derived from
the registry: the table's order and the columns of predictions.tsv (the registry's order), the
models ``--help`` lists and ``--models`` accepts, which models get the cold-start fallback below
(the ``keras`` family), and which may be named best. Adding a model is adding one entry.

=============  ==============  ========  ===================================================
name           outputs         family    source
=============  ==============  ========  ===================================================
global_mean    rating          baseline  ``helpers.baselines.GlobalMean`` (notebook 04)
item_mean      rating          baseline  ``helpers.baselines.ItemMean`` (notebook 04)
biases         rating          baseline  ``helpers.baselines.Biases`` (notebook 04)
classic_mf     rating          keras     ``helpers.models.fit_classic_mf`` (notebook 02)
tuned_mf       rating+ranking  keras     ``helpers.models.fit_tuned_mf`` (notebook 03), ranked
                                         by predicted rating
dnn            rating          keras     ``helpers.dnn.fit_dnn`` (notebook 04)
popularity     ranking         baseline  ``helpers.ranking.popularity_scores``: most rated in
                                         TRAIN first (notebook 05)
softmax_mf     ranking         keras     ``helpers.ranking.fit_ranking_model`` (notebook 05)
=============  ==============  ========  ===================================================

Families: ``keras`` for the series' own models, ``baseline`` for the simple models they must
beat; a peer library's models (Surprise, myFM, implicit, EASE, …) carry the library's name, or
``closed-form``. Every model is fitted with ``--seed`` and its own default settings. Ranking
metrics count a TEST rating of at least ``--relevant-from`` (default 4) as relevant and average
over the users with at least one relevant item.

Output, written into DIR (``--out``, default ``build/benchmark`` under the current folder):

``metrics.json``     ``models``: per model its ``kind`` (``rating``, ``ranking`` or
                     ``rating+ranking``), ``family``, ``fit_seconds``, ``params`` and metrics
                     (RMSE and MAE in rating units for rating models; precision@10, recall@10,
                     NDCG@10, hit rate@10, coverage and the number of users scored for ranking
                     models); ``best_rating_model`` (the lowest test RMSE) and
                     ``best_ranking_model`` (the highest NDCG@10, left out when no model has
                     ranking metrics); ``data``: the data's sizes and the settings of the run.
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

Exit codes: 0 done; 2 bad input (missing, unreadable or empty file, missing column, a line with
too many or too few fields, an empty id, a rating that is not a number, TEST sharing no user with
TRAIN, a bad option), with one line on stderr that says what is wrong and what to do; 1 when
MovieLens 100k cannot be loaded. TensorFlow is imported only after the input has been checked,
and only when a ``keras`` model runs. Deterministic: the same input gives identical
predictions.tsv and top10.tsv on every run (seeded, deterministic TensorFlow ops); only fit
seconds vary.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED, baselines
from helpers.data import DataSourceError, IdEncoding

DEFAULT_OUT = Path("build") / "benchmark"
REQUIRED_COLUMNS = ("user_id", "item_id", "rating")
OUTPUTS = ("rating", "ranking")
KERAS = "keras"
"""The family of the series' own models: the cold-start fallback applies to it, and only it can be best."""
TOP_N = 10
PROG = "python -m helpers.benchmark"


class InputError(ValueError):
    """Bad input to the benchmark; the message says what is wrong and what to do (exit code 2)."""


# --------------------------------------------------------------------------------------------
# Reading and checking the input (no TensorFlow here)
# --------------------------------------------------------------------------------------------


def read_ratings(path: str | Path, role: str) -> pd.DataFrame:
    """Read one ratings file into ``user_id``, ``item_id`` (strings as written) and ``rating``.

    The file is read and decoded once; the separator is sniffed from its header line and every
    line is split from that text. ``role`` ("TRAIN" or "TEST") names the file in error messages,
    which give the line of the first bad row. Raises ``InputError``.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist: check the path.")
    if not path.is_file():
        raise InputError(f"{role} path {path} is not a file: give a tab- or comma-separated file.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{role} file {path} is not UTF-8 text: save it as UTF-8 CSV or TSV.") from None
    except OSError as error:
        raise InputError(f"{role} file {path} cannot be read ({error.strerror or error}): "
                         "check its permissions.") from None
    header_line = re.match(r"[^\r\n]*", text).group()
    if not header_line.strip():
        raise InputError(f"{role} file {path} is empty: it needs a header line naming "
                         "user_id, item_id, rating and one line per rating.")
    separator = "\t" if "\t" in header_line else "," if "," in header_line else None
    if separator is None:
        raise InputError(f"{role} file {path}: the header {header_line.strip()!r} is neither tab- "
                         "nor comma-separated: write it as user_id,item_id,rating (or with tabs).")
    names, rows, lines = _split_lines(text, separator, f"{role} file {path}")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InputError(f"{role} file {path} has no column {', '.join(missing)} (its header "
                         f"has {', '.join(names)}): name the columns user_id, item_id, rating.")
    if not rows:
        raise InputError(f"{role} file {path} has a header but no ratings: add one line per rating.")
    table = pd.DataFrame({name: [fields[names.index(name)].strip() for fields in rows]
                          for name in REQUIRED_COLUMNS})
    for name in ("user_id", "item_id"):
        empty = np.flatnonzero((table[name] == "").to_numpy())
        if empty.size:
            raise InputError(f"{role} file {path}, line {lines[empty[0]]}: {name} is empty: "
                             "every rating needs a user_id and an item_id.")
    rating = pd.to_numeric(table["rating"], errors="coerce").astype("float64")
    bad = np.flatnonzero(~np.isfinite(rating.to_numpy()))
    if bad.size:
        raise InputError(f"{role} file {path}, line {lines[bad[0]]}: rating "
                         f"{table['rating'].iloc[bad[0]]!r} is not a number: ratings must be "
                         "numbers such as 4 or 3.5.")
    table["rating"] = rating
    return table


def _split_lines(text: str, separator: str, where: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header's column names (stripped, lower case), the data rows, and each row's line number.

    Blank lines are skipped; a row with more or fewer fields than the header raises ``InputError``.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows, lines = [], []
    try:
        header = next(reader)
        for fields in reader:
            if not fields:
                continue
            if len(fields) != len(header):
                raise InputError(f"{where}, line {reader.line_num}: {len(fields)} fields but the "
                                 f"header has {len(header)}: every line needs one field per column.")
            rows.append(fields)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise InputError(f"{where}, line {reader.line_num} cannot be parsed ({error}): every line "
                         "needs as many fields as the header.") from None
    return [name.strip().lower() for name in header], rows, lines


def _id_order(ids: pd.Series) -> np.ndarray:
    """Sorted distinct ids: numerically when every id is a plain integer, else as text."""
    distinct = pd.unique(ids.to_numpy(dtype=object))
    as_int = pd.to_numeric(pd.Series(distinct), errors="coerce")
    plain = as_int.notna().all() and all(str(int(n)) == str(s) for n, s in zip(as_int, distinct))
    order = np.argsort(as_int.to_numpy() if plain else distinct.astype(str), kind="stable")
    return distinct[order]


def encode_pair(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, IdEncoding]:
    """Number users and items over TRAIN ∪ TEST; add ``user_index``/``item_index`` to copies."""
    both = pd.concat([train, test], ignore_index=True)
    encoding = IdEncoding(user_ids=_id_order(both["user_id"]), item_ids=_id_order(both["item_id"]))
    encoded = []
    for part in (train, test):
        part = part.copy()
        part["user_index"] = encoding.user_index(part["user_id"].to_numpy(dtype=object)).astype("int32")
        part["item_index"] = encoding.item_index(part["item_id"].to_numpy(dtype=object)).astype("int32")
        encoded.append(part)
    return encoded[0], encoded[1], encoding


def check_pair(train: pd.DataFrame, test: pd.DataFrame, train_name: str, test_name: str) -> None:
    """The checks that need both files: TEST must share at least one user with TRAIN."""
    if not test["user_id"].isin(set(train["user_id"])).any():
        raise InputError(f"TEST file {test_name} shares no user_id with TRAIN file {train_name}: "
                         "split one ratings file so that test users also have train ratings.")


@dataclass(frozen=True)
class BenchmarkData:
    """What the benchmark runs on: the encoded TRAIN and TEST, their encoding, and where they came from."""

    train: pd.DataFrame
    test: pd.DataFrame
    encoding: IdEncoding
    source: str

    def describe(self) -> str:
        return (f"{self.source}: {len(self.train):,} train and {len(self.test):,} test ratings, "
                f"{self.encoding.n_users:,} users, {self.encoding.n_items:,} items")


def read_input(train_path: Path | None, test_path: Path | None, out: Path) -> BenchmarkData:
    """The checked, encoded input: the two files, or MovieLens 100k's standard split when both are None.

    Raises ``InputError`` for bad input and ``DataSourceError`` when MovieLens 100k cannot be loaded.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder (it is created if needed).")
    if train_path is None or test_path is None:
        from helpers.data import movielens_split

        split = movielens_split()
        return BenchmarkData(split.train, split.test, split.encoding,
                             f"MovieLens 100k, the series' standard split (random_split, seed {SEED}, 80/20)")
    train = read_ratings(train_path, "TRAIN")
    test = read_ratings(test_path, "TEST")
    check_pair(train, test, str(train_path), str(test_path))
    return BenchmarkData(*encode_pair(train, test), f"TRAIN {train_path}, TEST {test_path}")


# --------------------------------------------------------------------------------------------
# The registry: one entry per model
# --------------------------------------------------------------------------------------------


@dataclass
class FittedModel:
    """A trained model as the benchmark uses it: rating predictions, ranking scores, or both."""

    n_params: int
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None  # (users, items) -> ratings
    scores: Callable[[np.ndarray], np.ndarray] | None = None  # user indices -> users × items


FitFunction = Callable[[pd.DataFrame, int, int, int], FittedModel]
"""``fit(train, n_users, n_items, seed)``: fit on the encoded ``train``, return the ``FittedModel``."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the registry: what it outputs, its family, and its fit function."""

    outputs: tuple[str, ...]  # "rating", "ranking", or both
    family: str  # "keras", "baseline", or a peer library's name
    fit: FitFunction

    def __post_init__(self):
        if not self.outputs or set(self.outputs) - set(OUTPUTS):
            raise ValueError(f"outputs must be one or both of {OUTPUTS}, got {self.outputs!r}")

    @property
    def kind(self) -> str:
        """``rating``, ``ranking`` or ``rating+ranking``, as metrics.json names it."""
        return "+".join(output for output in OUTPUTS if output in self.outputs)


def _baseline(model_class: type) -> FitFunction:
    """The fit of a rating baseline of ``helpers.baselines`` (closed form: the seed is unused)."""

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int) -> FittedModel:
        model = model_class().fit(train)
        return FittedModel(model.n_params, predict=model.predict)

    return fit


def _fit_popularity(train: pd.DataFrame, n_users: int, n_items: int, seed: int) -> FittedModel:
    """Every user scores an item by its number of TRAIN ratings (``helpers.ranking``)."""
    from helpers.ranking import popularity_scores

    return FittedModel(n_items, scores=lambda users: popularity_scores(train, len(users), n_items))


def _keras_rating(fit_path: str) -> FitFunction:
    """The fit of a Keras rating model: ``fit_path`` names a ``fit_*`` of the series' API,
    ``(train, n_users, n_items, seed=...) -> (model, history)``, imported at the first fit (so
    TensorFlow loads only when a Keras model runs). Its ranking scores are its predicted ratings
    of every item."""
    module, _, name = fit_path.rpartition(".")

    def fit(train: pd.DataFrame, n_users: int, n_items: int, seed: int) -> FittedModel:
        from helpers.models import predict_ratings

        model, _ = getattr(importlib.import_module(module), name)(train, n_users, n_items, seed=seed)

        def predict(user_index: np.ndarray, item_index: np.ndarray) -> np.ndarray:
            return predict_ratings(model, user_index, item_index)

        def scores(users: np.ndarray) -> np.ndarray:
            pairs = np.repeat(users, n_items), np.tile(np.arange(n_items), len(users))
            return predict(*pairs).reshape(len(users), n_items)

        return FittedModel(int(model.count_params()), predict=predict, scores=scores)

    return fit


def _fit_softmax_mf(train: pd.DataFrame, n_users: int, n_items: int, seed: int) -> FittedModel:
    """The ranking model of notebook 05: scores are its logits over every item."""
    from helpers.ranking import fit_ranking_model, ranking_scores

    model, _ = fit_ranking_model(train, n_users, n_items, seed=seed)
    return FittedModel(int(model.count_params()), scores=lambda users: ranking_scores(model, users))


MODELS: dict[str, ModelEntry] = {
    "global_mean": ModelEntry(("rating",), "baseline", _baseline(baselines.GlobalMean)),
    "item_mean": ModelEntry(("rating",), "baseline", _baseline(baselines.ItemMean)),
    "biases": ModelEntry(("rating",), "baseline", _baseline(baselines.Biases)),
    "classic_mf": ModelEntry(("rating",), KERAS, _keras_rating("helpers.models.fit_classic_mf")),
    "tuned_mf": ModelEntry(("rating", "ranking"), KERAS, _keras_rating("helpers.models.fit_tuned_mf")),
    "dnn": ModelEntry(("rating",), KERAS, _keras_rating("helpers.dnn.fit_dnn")),
    "popularity": ModelEntry(("ranking",), "baseline", _fit_popularity),
    "softmax_mf": ModelEntry(("ranking",), KERAS, _fit_softmax_mf),
}
"""The benchmark's models, in the order of its table: name → ``ModelEntry``. One entry per model."""


def models_with(output: str | None = None, family: str | None = None) -> list[str]:
    """The registry's names, in its order, that have ``output`` and belong to ``family`` (None: any)."""
    return [name for name, entry in MODELS.items()
            if (output is None or output in entry.outputs) and (family is None or entry.family == family)]


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
        fitted = entry.fit(train, n_users, n_items, seed)
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
    """The results as a fixed-width text table: one line per model."""
    ranking_columns = [(f"ndcg@{n}", f"NDCG@{n}"), (f"precision@{n}", f"P@{n}"),
                       (f"recall@{n}", f"R@{n}"), (f"hit_rate@{n}", f"HR@{n}"),
                       ("coverage", "cover")]
    width = max([12, *map(len, metrics)])
    header = (f"{'model':<{width}} {'RMSE':>7} {'MAE':>7} {'fit s':>7} {'params':>9}  "
              + " ".join(f"{title:>8}" for _, title in ranking_columns))
    lines = [header, "-" * len(header)]
    for name, entry in metrics.items():
        cells = [f"{name:<{width}}",
                 f"{entry['rmse']:7.4f}" if "rmse" in entry else f"{'-':>7}",
                 f"{entry['mae']:7.4f}" if "mae" in entry else f"{'-':>7}",
                 f"{entry['fit_seconds']:7.2f}", f"{entry['params']:>9,}", ""]
        cells += [f"{entry[key]:8.4f}" if key in entry else f"{'-':>8}" for key, _ in ranking_columns]
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
        epilog="files:   tab- or comma-separated, a header naming user_id, item_id, rating (other\n"
               "         columns ignored), ids as integers or strings, ratings as numbers\n"
               + _help_block("models:", [f"{output}: {', '.join(models_with(output))}"
                                         for output in OUTPUTS])
               + _help_block("family:", [f"{family}: {', '.join(models_with(family=family))}"
                                         for family in dict.fromkeys(e.family for e in MODELS.values())])
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
    args = parser.parse_args(argv)
    if (args.train is None) != (args.test is None):
        parser.error("give both --train and --test, or neither to use MovieLens 100k")
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        parser.error(f"unknown model {', '.join(unknown) or '(none given)'}: choose from "
                     f"{', '.join(MODELS)}")
    args.models = [name for name in MODELS if name in names]  # the table's order
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = read_input(args.train, args.test, args.out)
    except (InputError, DataSourceError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, InputError) else 1
    print(data.describe(), flush=True)
    result = run(data.train, data.test, data.encoding, args.models, args.seed, args.relevant_from,
                 progress=lambda line: print(line, flush=True))
    write_outputs(args.out, data, result, {"seed": args.seed, "relevant_from": args.relevant_from})
    print(f"\n{format_table(result['metrics'], result['n'])}\n\n{summary(result, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
