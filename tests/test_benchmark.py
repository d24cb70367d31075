"""`python -m helpers.benchmark` end to end on tiny files: outputs, determinism, bad input."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, synthetic_ratings
from helpers import benchmark as benchmark_module
from helpers.benchmark import (
    KERAS,
    MODELS,
    FittedModel,
    InputError,
    ModelEntry,
    _id_order,
    best_models,
    encode_pair,
    format_table,
    models_with,
    parse_args,
    read_ratings,
)

RATING_MODELS, RANKING_MODELS = models_with("rating"), models_with("ranking")

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
       "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}


def benchmark(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.benchmark", *map(str, args)], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=300)


def tiny_split(tmp_path, separator: str = "\t", suffix: str = ".tsv"):
    """Synthetic ratings with string ids and a timestamp column, plus a cold user and a cold item."""
    ratings = synthetic_ratings(n_users=25, n_items=30, seed=3)
    ratings["user_id"] = "u" + ratings["user_id"].astype(str)
    ratings["item_id"] = "m-" + ratings["item_id"].astype(str)
    is_test = np.random.default_rng(0).random(len(ratings)) < 0.2
    train, test = ratings[~is_test], ratings[is_test]
    cold = pd.DataFrame({"user_id": ["new-user", test["user_id"].iloc[0]],
                         "item_id": [test["item_id"].iloc[0], "new-movie"],
                         "rating": [4.0, 2.0], "timestamp": [1, 2]})
    test = pd.concat([test, cold], ignore_index=True)
    paths = tmp_path / f"train{suffix}", tmp_path / f"test{suffix}"
    train[["user_id", "item_id", "rating", "timestamp"]].to_csv(paths[0], sep=separator, index=False)
    test[["timestamp", "item_id", "user_id", "rating"]].to_csv(paths[1], sep=separator, index=False)
    return train, test, paths


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """Two runs of every model on the same tiny comma-separated files."""
    folder = tmp_path_factory.mktemp("benchmark")
    train, test, (train_path, test_path) = tiny_split(folder, ",", ".csv")
    # the two runs go side by side, in separate processes, as two users' runs would
    processes = [subprocess.Popen([sys.executable, "-m", "helpers.benchmark", "--train", str(train_path),
                                   "--test", str(test_path), "--out", str(folder / f"out{n}")],
                                  cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for n in (1, 2)]
    runs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        runs.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return train, test, folder, runs


def test_full_run_succeeds_quietly_and_prints_the_table(full_runs):
    *_, runs = full_runs
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", f"stderr should stay empty, got: {run.stderr[:500]}"
        assert "Traceback" not in run.stdout
    table = runs[0].stdout
    header = next(line for line in table.splitlines() if line.startswith("model "))
    assert header.split()[:7] == ["model", "RMSE", "±", "sd", "MAE", "fit", "s"]
    lines = table.splitlines()
    rows = [line.split()[0] for line in itertools.takewhile(str.strip, lines[lines.index(header) + 2:])]
    assert rows == list(MODELS), "the table lists every model, in the registry's order"


def test_predictions_follow_test_order_and_fill_every_cell(full_runs):
    _, test, folder, _ = full_runs
    predictions = pd.read_csv(folder / "out1" / "predictions.tsv", sep="\t", dtype=str)
    assert list(predictions.columns) == ["user_id", "item_id", "rating", *RATING_MODELS]
    assert predictions["user_id"].tolist() == test["user_id"].tolist()
    assert predictions["item_id"].tolist() == test["item_id"].tolist()
    np.testing.assert_allclose(predictions["rating"].astype(float), test["rating"])
    values = predictions[list(RATING_MODELS)].astype(float).to_numpy()
    assert np.isfinite(values).all()
    # the cold rows (new user, new movie) of the Keras models are the biases' fallback
    cold = predictions["user_id"].eq("new-user") | predictions["item_id"].eq("new-movie")
    for name in models_with("rating", KERAS):
        assert (predictions.loc[cold, name] == predictions.loc[cold, "biases"]).all()


def test_two_runs_write_identical_predictions_and_lists(full_runs):
    *_, folder, _ = full_runs
    for name in ("predictions.tsv", "top10.tsv"):
        first = (folder / "out1" / name).read_bytes()
        assert first == (folder / "out2" / name).read_bytes(), f"{name} differs between runs"


def test_top10_lists_every_test_user_with_unseen_items(full_runs):
    train, test, folder, _ = full_runs
    top = pd.read_csv(folder / "out1" / "top10.tsv", sep="\t", dtype=str)
    assert list(top.columns) == ["model", "user_id", "rank", "item_id"]
    assert set(top["model"]) == set(RANKING_MODELS)
    all_items = set(train["item_id"]) | set(test["item_id"])
    seen = set(zip(train["user_id"], train["item_id"]))
    for model, rows in top.groupby("model"):
        assert set(rows["user_id"]) == set(test["user_id"]), model
        for _, user_rows in rows.groupby("user_id"):
            assert user_rows["rank"].astype(int).tolist() == list(range(1, 11))
            assert user_rows["item_id"].is_unique
        assert set(rows["item_id"]) <= all_items
        assert not any((u, i) in seen for u, i in zip(rows["user_id"], rows["item_id"])), model
    # the new user has no train rating: every ranking model falls back to the popularity list
    new_user = top[top["user_id"] == "new-user"]
    lists = {model: rows["item_id"].tolist() for model, rows in new_user.groupby("model")}
    assert all(items == lists["popularity"] for items in lists.values())


def test_metrics_json_names_the_best_models(full_runs):
    *_, folder, _ = full_runs
    metrics = json.loads((folder / "out1" / "metrics.json").read_text())
    models = metrics["models"]
    assert list(models) == list(MODELS)
    for name, entry in MODELS.items():
        assert models[name]["kind"] == entry.kind and models[name]["family"] == entry.family
    for name in RATING_MODELS:
        assert {"rmse", "mae", "fit_seconds", "params"} <= set(models[name])
    for name in RANKING_MODELS:
        assert {"ndcg@10", "precision@10", "recall@10", "hit_rate@10", "coverage"} <= set(models[name])
    # only the series' own (keras) models compete for best; baselines never count
    rmses = {name: models[name]["rmse"] for name in models_with("rating", KERAS)}
    assert metrics["best_rating_model"] == min(rmses, key=rmses.get)
    ndcgs = {name: models[name]["ndcg@10"] for name in models_with("ranking", KERAS)}
    assert metrics["best_ranking_model"] == max(ndcgs, key=ndcgs.get)
    assert "best_note" not in metrics
    assert metrics["data"]["test_rows_cold"] == 2


def test_tab_separated_run_of_chosen_models_needs_no_tensorflow(tmp_path):
    _, test, (train_path, test_path) = tiny_split(tmp_path)
    code = ("import sys; from helpers.benchmark import main; "
            f"code = main(['--train', {str(train_path)!r}, '--test', {str(test_path)!r}, "
            f"'--out', {str(tmp_path / 'out')!r}, '--models', 'popularity,biases,global_mean']); "
            "print('tensorflow imported:', 'tensorflow' in sys.modules); sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "tensorflow imported: False" in run.stdout
    predictions = pd.read_csv(tmp_path / "out" / "predictions.tsv", sep="\t")
    assert list(predictions.columns) == ["user_id", "item_id", "rating", "global_mean", "biases"]
    assert len(predictions) == len(test)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"global_mean", "biases", "popularity"}
    # no keras model ran: the best of all stands in, and best_note says so
    rmses = {name: metrics["models"][name]["rmse"] for name in ("global_mean", "biases")}
    assert metrics["best_rating_model"] == min(rmses, key=rmses.get)
    assert metrics["best_ranking_model"] == "popularity"
    assert "no keras model" in metrics["best_note"]


# --------------------------------------------------------------------------------------------
# Bad input: exit code 2, one line on stderr, no traceback
# --------------------------------------------------------------------------------------------


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


GOOD_TRAIN = "user_id,item_id,rating\n1,10,4\n1,11,3\n2,10,5\n2,12,2\n"
GOOD_TEST = "user_id,item_id,rating\n1,12,4\n2,11,3\n"


@pytest.mark.parametrize("case, train_text, test_text, expected", [
    ("missing file", None, GOOD_TEST, "does not exist"),
    ("empty file", "", GOOD_TEST, "is empty"),
    ("header only", "user_id,item_id,rating\n", GOOD_TEST, "no ratings"),
    ("missing column", "user_id,film,rating\n1,10,4\n", GOOD_TEST, "no column item_id"),
    ("non-numeric rating", "user_id,item_id,rating\n1,10,4\n1,11,good\n", GOOD_TEST,
     "line 3: rating 'good' is not a number"),
    ("no shared user", GOOD_TRAIN, "user_id,item_id,rating\n7,10,4\n", "shares no user_id"),
    ("no separator", "user_id item_id rating\n1 10 4\n", GOOD_TEST, "neither tab- nor comma"),
    ("ragged lines", "user_id,item_id,rating\n1,10,4\n1,10,4,9\n", GOOD_TEST,
     "line 3: 4 fields but the header has 3"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, case, train_text, test_text, expected):
    train_path = tmp_path / "train.csv"
    if train_text is not None:
        write(train_path, train_text)
    test_path = write(tmp_path / "test.csv", test_text)
    run = benchmark("--train", train_path, "--test", test_path, "--out", tmp_path / "out")
    assert run.returncode == 2, case
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"{case}: expected one line on stderr, got {lines}"
    assert expected in lines[0], f"{case}: {lines[0]}"
    assert not (tmp_path / "out").exists(), "nothing is written for bad input"


@pytest.mark.parametrize("args, expected", [
    (["--train", "x.csv"], "give both --train and --test"),
    (["--models", "svm"], "unknown model svm"),
    (["--epochs", "3"], "unrecognized arguments"),
])
def test_bad_options_exit_2_with_one_line(args, expected):
    run = benchmark(*args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


def test_out_must_not_be_a_file(tmp_path):
    train_path, test_path = write(tmp_path / "a.csv", GOOD_TRAIN), write(tmp_path / "b.csv", GOOD_TEST)
    out = write(tmp_path / "out", "a file")
    run = benchmark("--train", train_path, "--test", test_path, "--out", out)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "is a file" in run.stderr


def test_help_names_the_default_out_folder():
    run = benchmark("--help")
    assert run.returncode == 0
    assert "build/benchmark" in run.stdout


# --------------------------------------------------------------------------------------------
# The pieces, in process
# --------------------------------------------------------------------------------------------


def test_read_ratings_sniffs_the_separator_and_keeps_ids_as_written(tmp_path):
    for separator in (",", "\t"):
        path = write(tmp_path / "r.txt", f"Rating{separator}item_id{separator}USER_ID\n"
                                         f"4.5{separator}007{separator}ann\n")
        table = read_ratings(path, "TRAIN")
        assert table.to_dict("records") == [{"user_id": "ann", "item_id": "007", "rating": 4.5}]


def test_read_ratings_names_the_empty_id_line(tmp_path):
    with pytest.raises(InputError, match="line 3: item_id is empty"):
        read_ratings(write(tmp_path / "r.csv", "user_id,item_id,rating\n1,2,3\n1,,3\n"), "TEST")


def test_ids_sort_numerically_when_all_are_plain_integers():
    assert _id_order(pd.Series(["10", "9", "100", "9"])).tolist() == ["9", "10", "100"]
    assert _id_order(pd.Series(["10", "9", "007"])).tolist() == ["007", "10", "9"]


def test_encoding_covers_train_and_test():
    train = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"], "rating": [1.0, 2.0]})
    test = pd.DataFrame({"user_id": ["a", "c"], "item_id": ["z", "x"], "rating": [3.0, 4.0]})
    train_encoded, test_encoded, encoding = encode_pair(train, test)
    assert encoding.n_users == 3 and encoding.n_items == 3
    assert test_encoded["user_index"].tolist() == [0, 2]
    assert train_encoded["item_index"].tolist() == [0, 1]


def test_format_table_is_fixed_width():
    metrics = {"biases": {"rmse": 0.9395, "mae": 0.7445, "fit_seconds": 0.02, "params": 2626},
               "popularity": {"fit_seconds": 0.0, "params": 1682, "ndcg@10": 0.18,
                              "precision@10": 0.14, "recall@10": 0.14, "hit_rate@10": 0.66,
                              "coverage": 0.03}}
    lines = format_table(metrics).splitlines()
    assert len({len(line) for line in lines}) == 1, lines
    assert "0.9395" in lines[2] and "2,626" in lines[2]
    assert lines[3].split()[1:3] == ["-", "-"]


def test_integer_ids_sort_as_numbers_whether_read_as_text_or_not():
    assert _id_order(pd.Series([10, 9, 100])).tolist() == [9, 10, 100]
    train = pd.DataFrame({"user_id": [10, 9], "item_id": [200, 30], "rating": [1.0, 2.0]})
    _, _, encoding = encode_pair(train, train)
    assert encoding.user_ids.tolist() == [9, 10] and encoding.item_ids.tolist() == [30, 200]


def test_no_relevant_test_rating_still_writes_lists_without_ranking_metrics(tmp_path):
    train_path = write(tmp_path / "train.csv", GOOD_TRAIN)
    test_path = write(tmp_path / "test.csv", "user_id,item_id,rating\n1,12,2\n2,11,3\n")
    run = benchmark("--train", train_path, "--test", test_path, "--out", tmp_path / "out",
                    "--models", "biases,popularity")
    assert run.returncode == 0, run.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "ndcg@10" not in metrics["models"]["popularity"]
    assert "ranking_note" in metrics["models"]["popularity"]
    assert "best_ranking_model" not in metrics
    top = pd.read_csv(tmp_path / "out" / "top10.tsv", sep="\t")
    assert set(top["user_id"]) == {1, 2}  # only 3 items: each user's unseen ones, fewer than 10
    assert top.groupby("user_id").size().to_dict() == {1: 1, 2: 1}


def test_read_ratings_reads_each_file_once(tmp_path, monkeypatch):
    path = write(tmp_path / "r.csv", "user_id,item_id,rating\n1,10,4\n")
    opened, path_open = [], Path.open
    monkeypatch.setattr(Path, "open", lambda self, *args, **kwargs: opened.append(self)
                        or path_open(self, *args, **kwargs))
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: pytest.fail("read again by pandas"))
    assert read_ratings(path, "TRAIN")["rating"].tolist() == [4.0]
    assert opened == [path]


def test_read_ratings_names_the_physical_line_past_blank_lines(tmp_path):
    path = write(tmp_path / "r.csv", "user_id,item_id,rating\r\n1,10,4\r\n\r\n1,11,x\r\n")
    with pytest.raises(InputError, match="line 4: rating 'x' is not a number"):
        read_ratings(path, "TRAIN")


def test_read_ratings_refuses_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("user_id,item_id,rating\n1,Café,4\n".encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8"):
        read_ratings(path, "TEST")


# --------------------------------------------------------------------------------------------
# The registry: one entry per model, everything else derived from it
# --------------------------------------------------------------------------------------------


def fit_constant(train, n_users, n_items, seed, relevant_from):
    """A dummy model: predicts 3 stars everywhere and ranks items by index, lowest first."""
    return FittedModel(n_params=1, predict=lambda users, items: np.full(len(users), 3.0),
                       scores=lambda users: np.tile(-np.arange(n_items, dtype=float), (len(users), 1)))


@pytest.fixture
def dummy_model(monkeypatch):
    """Adding a model to the benchmark is one registry entry (removed again after the test)."""
    monkeypatch.setitem(MODELS, "constant", ModelEntry(("rating", "ranking"), "dummy", fit_constant))
    return "constant"


def encoded_tiny_split():
    ratings = synthetic_ratings(n_users=20, n_items=25, seed=5)
    is_test = np.random.default_rng(1).random(len(ratings)) < 0.2
    return encode_pair(ratings[~is_test], ratings[is_test])


def test_a_new_registry_entry_is_fitted_scored_and_listed(dummy_model):
    train, test, encoding = encoded_tiny_split()
    result = benchmark_module.run(train, test, encoding, ["biases", dummy_model, "popularity"])
    entry = result["metrics"][dummy_model]
    assert entry["kind"] == "rating+ranking" and entry["family"] == "dummy" and entry["params"] == 1
    assert entry["rmse"] == pytest.approx(np.sqrt(np.mean((test["rating"] - 3.0) ** 2)))
    assert {"ndcg@10", "precision@10", "recall@10", "hit_rate@10", "coverage"} <= set(entry)
    np.testing.assert_array_equal(result["predictions"][dummy_model], 3.0)
    assert list(result["lists"]) == [dummy_model, "popularity"]
    # not keras: it never counts as best while a keras model of its kind ran; none ran here
    assert result["best_note"] is not None
    # the command line knows it too: --models accepts it, --help lists it under its family
    assert parse_args(["--models", f"{dummy_model},biases"]).models == ["biases", dummy_model]
    assert dummy_model in models_with("rating") and models_with(family="dummy") == [dummy_model]
    assert dummy_model in format_table(result["metrics"])


def test_only_keras_models_are_named_best_unless_none_ran():
    metrics = {"biases": {"family": "baseline", "rmse": 0.90},
               "tuned_mf": {"family": KERAS, "rmse": 0.95, "ndcg@10": 0.10},
               "classic_mf": {"family": KERAS, "rmse": 0.97},
               "popularity": {"family": "baseline", "ndcg@10": 0.30}}
    assert best_models(metrics) == {"best_rating_model": "tuned_mf",
                                    "best_ranking_model": "tuned_mf", "best_note": None}
    baselines_only = {name: metrics[name] for name in ("biases", "popularity")}
    best = best_models(baselines_only)
    assert best["best_rating_model"] == "biases" and best["best_ranking_model"] == "popularity"
    assert "no keras model has rating metrics" in best["best_note"]
    assert "no keras model has ranking metrics" in best["best_note"]
    assert best_models({"biases": metrics["biases"]})["best_ranking_model"] is None


def test_an_entry_must_output_ratings_or_rankings():
    with pytest.raises(ValueError, match="outputs must be one or both"):
        ModelEntry(("scores",), "dummy", fit_constant)
    with pytest.raises(ValueError, match="outputs must be one or both"):
        ModelEntry((), "dummy", fit_constant)


def test_the_docstring_documents_every_registered_model():
    documentation = benchmark_module.__doc__
    for name, entry in MODELS.items():
        row = next((line.split() for line in documentation.splitlines()
                    if line.startswith(name + " ")), None)
        assert row is not None, f"the docstring's model table has no row for {name}"
        assert row[1:3] == [entry.kind, entry.family], f"{name}: the docstring says {row[1:3]}"


def fit_seeded(train, n_users, n_items, seed, relevant_from):
    """A dummy model whose predictions move with the seed: 3 stars + seed / 100."""
    return FittedModel(n_params=1, predict=lambda users, items: np.full(len(users), 3.0 + seed / 100))


def test_several_seeds_give_means_spreads_and_the_values_per_seed(monkeypatch):
    monkeypatch.setitem(MODELS, "seeded", ModelEntry(("rating",), "dummy", fit_seeded))
    train, test, encoding = encoded_tiny_split()
    result = benchmark_module.run_seeds(train, test, encoding, ["biases", "seeded"], seeds=[1, 2, 3])
    seeded, biases = result["metrics"]["seeded"], result["metrics"]["biases"]
    expected = [float(np.sqrt(np.mean((test["rating"] - 3.0 - seed / 100) ** 2))) for seed in (1, 2, 3)]
    assert seeded["per_seed"]["rmse"] == pytest.approx(expected)
    assert seeded["rmse"] == pytest.approx(np.mean(expected))
    assert seeded["rmse_sd"] == pytest.approx(np.std(seeded["per_seed"]["rmse"], ddof=1))
    assert seeded["rmse_sd"] == pytest.approx(np.std(expected, ddof=1), rel=1e-4)
    assert biases["rmse_sd"] == 0.0  # closed form: the seed changes nothing
    single = benchmark_module.run(train, test, encoding, ["seeded"], seed=1)
    assert single["metrics"]["seeded"]["rmse"] == pytest.approx(expected[0])


@pytest.mark.parametrize("value", ["42,x", "42,42", ","])
def test_seeds_must_be_distinct_integers(value):
    run = benchmark("--seeds", value)
    assert run.returncode == 2 and "--seeds" in run.stderr and len(run.stderr.strip().splitlines()) == 1
