"""Train and evaluate the series' models on any ratings: ``python -m helpers.benchmark``.

    python -m helpers.benchmark                               # MovieLens 100k, standard split
    python -m helpers.benchmark --train TRAIN --test TEST     # your own ratings
    python -m helpers.benchmark --train TRAIN --test TEST --out DIR --models biases,popularity

Input. TRAIN and TEST are text files, tab- or comma-separated (the separator is read from the
header line), whose header names at least the columns ``user_id``, ``item_id`` and ``rating`` (any
case, any order; other columns such as ``timestamp`` are ignored). Ids are kept exactly as written
(integers or any strings); users and items are numbered over TRAIN ∪ TEST. Ratings are numbers
on any scale. Without ``--train``/``--test`` the run uses MovieLens 100k and the series' standard
split (``helpers.data.random_split``, seed 42, 80/20), as the notebooks do.

Output, written into DIR (``--out``, default ``build/benchmark`` under the current folder):

``metrics.json``     per model: its kind, metrics (RMSE and MAE in rating units for rating
                     models; precision@10, recall@10, NDCG@10, hit rate@10 and coverage for
                     ranking models), ``fit_seconds`` and ``params``; ``best_rating_model`` (the
                     lowest test RMSE) and ``best_ranking_model`` (the highest NDCG@10); the
                     data's sizes and the settings of the run.
``predictions.tsv``  ``user_id``, ``item_id``, ``rating`` (the true one), then one column per
                     rating model, named as in metrics.json: one row per TEST row, in TEST's order.
``top10.tsv``        ``model``, ``user_id``, ``rank``, ``item_id``: for every user in TEST, each
                     ranking model's 10 best items among all items of TRAIN ∪ TEST that the user
                     did not rate in TRAIN (fewer only if fewer remain).

Models. Rating models: ``global_mean``, ``item_mean``, ``biases`` (``helpers.baselines``,
notebook 04), ``classic_mf`` and ``tuned_mf`` (``helpers.models``, notebooks 02 and 03), ``dnn``
(``helpers.dnn``, notebook 04). Ranking models: ``popularity`` (most rated in TRAIN first),
``tuned_mf`` (ranked by predicted rating) and ``softmax_mf`` (``helpers.ranking``, notebook 05).
Ranking metrics count a TEST rating of at least ``--relevant-from`` (default 4) as relevant and
average over the users with at least one relevant item.

Cold start, documented fallbacks, so every cell of the output is filled:

- a TEST row whose user or item has no TRAIN rating: the baselines use their own fallback
  (``helpers.baselines``: the global mean, or the known part of mean + user + item offsets);
  the Keras models, whose embeddings of such a user or item were never trained, predict for that
  row what ``biases`` predicts;
- a TEST user without TRAIN ratings gets the ``popularity`` list from every ranking model.

Exit codes: 0 done; 2 bad input (missing or empty file, missing column, a rating that is not a
number, TEST sharing no user with TRAIN, a bad option), with one line on stderr that says what is
wrong and what to do; 1 when MovieLens 100k cannot be loaded. TensorFlow is imported only after
the input has been checked. Deterministic: the same input gives identical predictions.tsv and
top10.tsv on every run (seeded, deterministic TensorFlow ops); only fit seconds vary.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED
from helpers.data import IdEncoding

DEFAULT_OUT = Path("build") / "benchmark"
REQUIRED_COLUMNS = ("user_id", "item_id", "rating")
TOP_N = 10
RATING_MODELS = ("global_mean", "item_mean", "biases", "classic_mf", "tuned_mf", "dnn")
RANKING_MODELS = ("popularity", "tuned_mf", "softmax_mf")
ALL_MODELS = tuple(dict.fromkeys(RATING_MODELS + RANKING_MODELS))
KERAS_MODELS = ("classic_mf", "tuned_mf", "dnn", "softmax_mf")
PROG = "python -m helpers.benchmark"


class InputError(ValueError):
    """Bad input to the benchmark; the message says what is wrong and what to do (exit code 2)."""


# --------------------------------------------------------------------------------------------
# Reading and checking the input (no TensorFlow here)
# --------------------------------------------------------------------------------------------


def read_ratings(path: str | Path, role: str) -> pd.DataFrame:
    """Read one ratings file into ``user_id``, ``item_id`` (strings as written) and ``rating``.

    ``role`` ("TRAIN" or "TEST") names the file in error messages. Raises ``InputError``.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist: check the path.")
    if not path.is_file():
        raise InputError(f"{role} path {path} is not a file: give a tab- or comma-separated file.")
    try:
        with path.open(encoding="utf-8-sig") as file:
            header = file.readline()
    except UnicodeDecodeError:
        raise InputError(f"{role} file {path} is not UTF-8 text: save it as UTF-8 CSV or TSV.") from None
    if not header.strip():
        raise InputError(f"{role} file {path} is empty: it needs a header line naming "
                         "user_id, item_id, rating and one line per rating.")
    separator = "\t" if "\t" in header else "," if "," in header else None
    if separator is None:
        raise InputError(f"{role} file {path}: the header {header.strip()!r} is neither tab- nor "
                         "comma-separated: write it as user_id,item_id,rating (or with tabs).")
    n_fields = len(next(csv.reader([header], delimiter=separator)))
    with path.open(encoding="utf-8-sig", newline="") as file:
        for number, fields in enumerate(csv.reader(file, delimiter=separator), start=1):
            if fields and len(fields) != n_fields:
                raise InputError(f"{role} file {path}, line {number}: {len(fields)} fields but "
                                 f"the header has {n_fields}: every line needs one field per column.")
    try:
        frame = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False,
                            encoding="utf-8-sig", skip_blank_lines=True, index_col=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise InputError(f"{role} file {path} could not be parsed ({reason}): every line needs "
                         "as many fields as the header.") from None
    frame.columns = [str(name).strip().lower() for name in frame.columns]
    missing = [name for name in REQUIRED_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(f"{role} file {path} has no column {', '.join(missing)} (its header "
                         f"has {', '.join(frame.columns)}): name the columns user_id, item_id, rating.")
    if len(frame) == 0:
        raise InputError(f"{role} file {path} has a header but no ratings: add one line per rating.")
    frame = frame.loc[:, ~frame.columns.duplicated()]
    table = pd.DataFrame({name: frame[name].astype(str).str.strip() for name in REQUIRED_COLUMNS})
    for name in ("user_id", "item_id"):
        empty = np.flatnonzero((table[name] == "").to_numpy())
        if empty.size:
            raise InputError(f"{role} file {path}, line {empty[0] + 2}: {name} is empty: "
                             "every rating needs a user_id and an item_id.")
    rating = pd.to_numeric(table["rating"], errors="coerce").astype("float64")
    bad = np.flatnonzero(~np.isfinite(rating.to_numpy()))
    if bad.size:
        raise InputError(f"{role} file {path}, line {bad[0] + 2}: rating "
                         f"{table['rating'].iloc[bad[0]]!r} is not a number: ratings must be "
                         "numbers such as 4 or 3.5.")
    table["rating"] = rating
    return table


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


def movielens_split() -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """MovieLens 100k and the series' standard split, as the notebooks make it."""
    from helpers.data import encode_ids, load_movielens_100k, random_split

    ratings, movies = load_movielens_100k()
    encoded, _ = encode_ids(ratings, movies)
    train, test = random_split(encoded)
    columns = list(REQUIRED_COLUMNS)
    return (train[columns].reset_index(drop=True), test[columns].reset_index(drop=True),
            "MovieLens 100k, the series' standard split (random_split, seed 42, 80/20)")


# --------------------------------------------------------------------------------------------
# Models: each fit returns a FittedModel with a predict and/or a scores function
# --------------------------------------------------------------------------------------------


@dataclass
class FittedModel:
    """A trained model as the benchmark uses it: rating predictions, ranking scores, or both."""

    name: str
    n_params: int
    fit_seconds: float
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    scores: Callable[[np.ndarray], np.ndarray] | None = None  # user indices -> users × items


def _keras_params(model) -> int:
    return int(model.count_params())


def fit_model(name: str, train: pd.DataFrame, n_users: int, n_items: int, seed: int) -> FittedModel:
    """Fit the model called ``name`` on the encoded ``train`` and time the fit."""
    from helpers import baselines

    start = time.perf_counter()
    if name in ("global_mean", "item_mean", "biases"):
        model = {"global_mean": baselines.GlobalMean, "item_mean": baselines.ItemMean,
                 "biases": baselines.Biases}[name]().fit(train)
        return FittedModel(name, model.n_params, time.perf_counter() - start, predict=model.predict)
    if name == "popularity":
        counts = np.bincount(train["item_index"].to_numpy(), minlength=n_items).astype(np.float64)
        return FittedModel(name, n_items, time.perf_counter() - start,
                           scores=lambda users: np.broadcast_to(counts, (len(users), n_items)))
    if name == "dnn":
        from helpers.dnn import fit_dnn
        from helpers.models import predict_ratings

        model, _ = fit_dnn(train, n_users, n_items, seed=seed)
        return FittedModel(name, _keras_params(model), time.perf_counter() - start,
                           predict=lambda u, i: predict_ratings(model, u, i))
    if name in ("classic_mf", "tuned_mf"):
        from helpers import models

        fit = models.fit_classic_mf if name == "classic_mf" else models.fit_tuned_mf
        model, _ = fit(train, n_users, n_items, seed=seed)
        seconds = time.perf_counter() - start

        def scores(users: np.ndarray) -> np.ndarray:
            user_index = np.repeat(users, n_items)
            item_index = np.tile(np.arange(n_items), len(users))
            return models.predict_ratings(model, user_index, item_index).reshape(len(users), n_items)

        return FittedModel(name, _keras_params(model), seconds,
                           predict=lambda u, i: models.predict_ratings(model, u, i), scores=scores)
    if name == "softmax_mf":
        from helpers.ranking import fit_ranking_model, ranking_scores

        model, _ = fit_ranking_model(train, n_users, n_items, seed=seed)
        return FittedModel(name, _keras_params(model), time.perf_counter() - start,
                           scores=lambda users: ranking_scores(model, users))
    raise ValueError(f"unknown model {name!r}: choose from {', '.join(ALL_MODELS)}")


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


def run(train: pd.DataFrame, test: pd.DataFrame, encoding: IdEncoding, models: list[str],
        seed: int = SEED, relevant_from: float = 4.0,
        progress: Callable[[str], None] = lambda line: None) -> dict:
    """Fit and evaluate ``models``; returns predictions, top lists and metrics (no files written)."""
    from helpers.metrics import mae, ranking_report, relevant_items, rmse
    from helpers.recommend import seen_mask

    n_users, n_items = encoding.n_users, encoding.n_items
    from helpers.baselines import known_pairs

    user_known = np.bincount(train["user_index"], minlength=n_users) > 0
    test_users, test_items = test["user_index"].to_numpy(), test["item_index"].to_numpy()
    cold_rows = ~known_pairs(train, test_users, test_items)
    fallback = None
    if any(name in KERAS_MODELS for name in models if name in RATING_MODELS):
        fallback = fit_model("biases", train, n_users, n_items, seed).predict(test_users, test_items)

    seen = seen_mask(train, n_users, n_items)
    popularity = np.bincount(train["item_index"], minlength=n_items).astype(np.float64)
    relevant = relevant_items(test_users, test_items, test["rating"], n_users, relevant_from)
    n = min(TOP_N, n_items)

    predictions, lists, metrics = {}, {}, {}
    for name in models:
        fitted = fit_model(name, train, n_users, n_items, seed)
        entry = {"kind": [], "fit_seconds": round(fitted.fit_seconds, 3), "params": fitted.n_params}
        if name in RATING_MODELS and fitted.predict is not None:
            predicted = np.asarray(fitted.predict(test_users, test_items), dtype=np.float64).ravel()
            if name in KERAS_MODELS:
                predicted = np.where(cold_rows, fallback, predicted)
            predictions[name] = predicted
            entry["kind"].append("rating")
            entry.update(rmse=rmse(test["rating"], predicted), mae=mae(test["rating"], predicted))
        if name in RANKING_MODELS and fitted.scores is not None:
            lists[name] = top_lists(fitted, popularity, seen, ~user_known, n)
            entry["kind"].append("ranking")
            try:
                entry.update(ranking_report(lists[name], relevant, n, n_items))
            except ValueError:  # no TEST user has a rating ≥ relevant_from: nothing to rank for
                entry["ranking_note"] = f"no TEST rating is ≥ {relevant_from}: no ranking metrics"
        entry["kind"] = "+".join(entry["kind"])
        metrics[name] = entry
        progress(f"  {name:<12} fitted in {fitted.fit_seconds:6.2f} s")

    rated = {name: m["rmse"] for name, m in metrics.items() if "rmse" in m}
    ranked = {name: m[f"ndcg@{n}"] for name, m in metrics.items() if f"ndcg@{n}" in m}
    return {
        "predictions": predictions,
        "lists": lists,
        "metrics": metrics,
        "best_rating_model": min(rated, key=rated.get) if rated else None,
        "best_ranking_model": max(ranked, key=ranked.get) if ranked else None,
        "cold_rows": int(cold_rows.sum()),
        "n": n,
    }


def write_outputs(out: Path, train: pd.DataFrame, test: pd.DataFrame, encoding: IdEncoding,
                  result: dict, info: dict) -> None:
    """Write metrics.json, predictions.tsv and top10.tsv into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"user_id": test["user_id"].to_numpy(),
                          "item_id": test["item_id"].to_numpy(),
                          "rating": [f"{value:g}" for value in test["rating"]]})
    for name, predicted in result["predictions"].items():
        table[name] = [f"{value:.4f}" for value in predicted]
    table.to_csv(out / "predictions.tsv", sep="\t", index=False, lineterminator="\n")

    test_users = np.unique(test["user_index"].to_numpy())
    rows = []
    for name, lists in result["lists"].items():
        users, ranks = np.indices((len(test_users), lists.shape[1]))
        items = lists[test_users]
        keep = items >= 0
        rows.append(pd.DataFrame({"model": name, "user_id": encoding.user_ids[test_users[users[keep]]],
                                  "rank": ranks[keep] + 1, "item_id": encoding.item_ids[items[keep]]}))
    top = (pd.concat(rows, ignore_index=True) if rows
           else pd.DataFrame(columns=["model", "user_id", "rank", "item_id"]))
    top.to_csv(out / f"top{TOP_N}.tsv", sep="\t", index=False, lineterminator="\n")

    document = {"data": info, "models": result["metrics"]}
    document["best_rating_model"] = result["best_rating_model"]
    if result["best_ranking_model"] is not None:
        document["best_ranking_model"] = result["best_ranking_model"]
    (out / "metrics.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def format_table(metrics: dict, n: int = TOP_N) -> str:
    """The results as a fixed-width text table: one line per model."""
    ranking_columns = [(f"ndcg@{n}", f"NDCG@{n}"), (f"precision@{n}", f"P@{n}"),
                       (f"recall@{n}", f"R@{n}"), (f"hit_rate@{n}", f"HR@{n}"),
                       ("coverage", "cover")]
    header = (f"{'model':<12} {'RMSE':>7} {'MAE':>7} {'fit s':>7} {'params':>9}  "
              + " ".join(f"{title:>8}" for _, title in ranking_columns))
    lines = [header, "-" * len(header)]
    for name, entry in metrics.items():
        cells = [f"{name:<12}",
                 f"{entry['rmse']:7.4f}" if "rmse" in entry else f"{'-':>7}",
                 f"{entry['mae']:7.4f}" if "mae" in entry else f"{'-':>7}",
                 f"{entry['fit_seconds']:7.2f}", f"{entry['params']:>9,}", ""]
        cells += [f"{entry[key]:8.4f}" if key in entry else f"{'-':>8}" for key, _ in ranking_columns]
        lines.append(" ".join(cells))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line (exit code 2), without the usage block."""

    def error(self, message: str):
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train and evaluate the series' models on MovieLens 100k (no arguments) or on\n"
                    "your own TRAIN and TEST ratings, print the results table and write\n"
                    "metrics.json, predictions.tsv and top10.tsv into --out.",
        epilog="files:   tab- or comma-separated, a header naming user_id, item_id, rating (other\n"
               "         columns ignored), ids as integers or strings, ratings as numbers\n"
               f"models:  rating: {', '.join(RATING_MODELS)}\n"
               f"         ranking: {', '.join(RANKING_MODELS)}\n"
               "cold:    a TEST row whose user or item has no TRAIN rating gets the biases\n"
               "         prediction from the Keras models; a TEST user without TRAIN ratings\n"
               "         gets the popularity list from every ranking model\n"
               "errors:  bad input stops with exit code 2 and one line on stderr\n"
               "more:    the docstring of helpers/benchmark.py",
    )
    parser.add_argument("--train", type=Path, help="the ratings to train on (needs --test)")
    parser.add_argument("--test", type=Path, help="the ratings to evaluate on (needs --train)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the output files (default: {DEFAULT_OUT})")
    parser.add_argument("--models", default=",".join(ALL_MODELS), metavar="NAMES",
                        help="comma-separated models to run (default: all, listed below)")
    parser.add_argument("--relevant-from", type=float, default=4.0, metavar="RATING",
                        help="a TEST rating at least this high is relevant for the ranking "
                             "metrics (default: 4)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the seed of every model (default: {SEED})")
    args = parser.parse_args(argv)
    if (args.train is None) != (args.test is None):
        parser.error("give both --train and --test, or neither to use MovieLens 100k")
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in names if name not in ALL_MODELS]
    if unknown or not names:
        parser.error(f"unknown model {', '.join(unknown) or '(none given)'}: choose from "
                     f"{', '.join(ALL_MODELS)}")
    args.models = [name for name in ALL_MODELS if name in names]  # the table's order
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.train is not None:
            train = read_ratings(args.train, "TRAIN")
            test = read_ratings(args.test, "TEST")
            check_pair(train, test, str(args.train), str(args.test))
            source = f"TRAIN {args.train}, TEST {args.test}"
        if args.out.exists() and not args.out.is_dir():
            raise InputError(f"--out {args.out} is a file: give a folder (it is created if needed).")
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    if args.train is None:
        from helpers.data import DataSourceError

        try:
            train, test, source = movielens_split()
        except DataSourceError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return 1

    train, test, encoding = encode_pair(train, test)
    if any(name in KERAS_MODELS for name in args.models):
        from helpers import quiet_tensorflow_loggers

        quiet_tensorflow_loggers()  # before TensorFlow's first import: no start-up lines on stderr

    print(f"{source}: {len(train):,} train and {len(test):,} test ratings, "
          f"{encoding.n_users:,} users, {encoding.n_items:,} items", flush=True)
    result = run(train, test, encoding, args.models, args.seed, args.relevant_from,
                 progress=lambda line: print(line, flush=True))
    info = {"source": source, "train_rows": len(train), "test_rows": len(test),
            "users": encoding.n_users, "items": encoding.n_items,
            "test_rows_cold": result["cold_rows"], "seed": args.seed,
            "relevant_from": args.relevant_from}
    write_outputs(args.out, train, test, encoding, result, info)
    print()
    print(format_table(result["metrics"], result["n"]))
    print(f"\nbest rating model: {result['best_rating_model']}"
          + (f" · best ranking model: {result['best_ranking_model']}"
             if result["best_ranking_model"] else ""))
    print(f"wrote metrics.json, predictions.tsv and top{TOP_N}.tsv to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
