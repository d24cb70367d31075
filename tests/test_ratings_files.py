"""Bring-your-own-data: the files real users export, each accepted with a note or refused in one line.

Every case of ``helpers/ratings_files.py``'s docstring has a test here: in process for what
``read_ratings`` makes of the file, and through ``python -m helpers.benchmark`` for what the user
sees (exit code 2 and one line on stderr; or exit code 0, the note printed and kept in
metrics.json, and the numbers of the tidy equivalent).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT
from helpers.ratings_files import InputError, check_pair, read_ratings

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
       "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
TIDY_TRAIN = "user_id,item_id,rating\n1,10,4\n1,11,3\n2,10,5\n2,12,2\n3,11,4\n3,12,1\n"
TIDY_TEST = "user_id,item_id,rating\n1,12,4\n2,11,3\n3,10,5\n"
QUICK_MODELS = "global_mean,biases,popularity,ease"  # no TensorFlow: these runs take a second


def write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding, newline="")
    return path


def benchmark(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.benchmark", *map(str, args)], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=300)


def read(tmp_path, text: str, encoding: str = "utf-8", name: str = "r.csv"):
    notes: list[str] = []
    table = read_ratings(write(tmp_path / name, text, encoding), "TRAIN", notes)
    return table, notes


def tidy(table: pd.DataFrame) -> list[tuple]:
    return list(zip(table["user_id"], table["item_id"], table["rating"]))


# --------------------------------------------------------------------------------------------
# Accepted, with a note
# --------------------------------------------------------------------------------------------


def test_movielens_latest_column_names_are_understood(tmp_path):
    table, notes = read(tmp_path, "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n")
    assert tidy(table) == [("1", "31", 2.5)]
    assert notes == ["TRAIN: read the column userid as user_id, movieid as item_id"]


@pytest.mark.parametrize("header, expected", [
    ("Customer ID;Product ID;Stars", ("customer id as user_id", "product id as item_id", "stars as rating")),
    ("reviewerID,asin,overall", ("reviewerid as user_id", "asin as item_id", "overall as rating")),
    ("user,item,score", ("user as user_id", "item as item_id", "score as rating")),
])
def test_other_exports_column_names_are_understood(tmp_path, header, expected):
    separator = ";" if ";" in header else ","
    table, notes = read(tmp_path, f"{header}\nA{separator}B{separator}5\n")
    assert tidy(table) == [("A", "B", 5.0)]
    assert all(part in notes[-1] for part in expected), notes


def test_the_exact_name_wins_over_an_alias(tmp_path):
    table, notes = read(tmp_path, "user,user_id,item_id,rating\nx,1,2,3\n")
    assert tidy(table) == [("1", "2", 3.0)] and notes == []


def test_movielens_100k_u_data_without_a_header(tmp_path):
    table, notes = read(tmp_path, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n", name="u1.base")
    assert tidy(table) == [("196", "242", 3.0), ("186", "302", 3.0)]
    assert table["timestamp"].tolist() == [881250949, 891717742]
    assert "no header line" in notes[0] and "user_id, item_id, rating, timestamp" in notes[0]


def test_movielens_1m_dat_with_double_colons(tmp_path):
    table, notes = read(tmp_path, "1::1193::5::978300760\n1::661::3::978302109\n", name="ratings.dat")
    assert tidy(table) == [("1", "1193", 5.0), ("1", "661", 3.0)]
    assert any("'::'" in note for note in notes) and any("no header" in note for note in notes)


def test_semicolons_and_decimal_commas_of_european_excel(tmp_path):
    table, notes = read(tmp_path, "user_id;item_id;rating\n1;10;3,5\n2;10;4\n")
    assert tidy(table) == [("1", "10", 3.5), ("2", "10", 4.0)]
    assert notes == ["TRAIN: the separator is semicolon",
                     "TRAIN: read decimal commas in the ratings as points (3,5 as 3.5)"]


def test_utf16_unicode_text_of_excel(tmp_path):
    table, notes = read(tmp_path, "\ufeffuser_id\titem_id\trating\r\nZoë\tCafé\t4\r\n", encoding="utf-16-le")
    assert tidy(table) == [("Zoë", "Café", 4.0)]
    assert "UTF-16" in notes[0]


def test_utf8_byte_order_mark_and_crlf_need_no_note(tmp_path):
    table, notes = read(tmp_path, "\ufeffuser_id,item_id,rating\r\n1,2,3\r\n")
    assert tidy(table) == [("1", "2", 3.0)] and notes == []


def test_a_re_rating_keeps_the_latest_by_timestamp(tmp_path):
    table, notes = read(tmp_path, "user_id,item_id,rating,timestamp\n1,10,2,300\n1,10,5,100\n1,11,4,200\n")
    assert tidy(table) == [("1", "10", 2.0), ("1", "11", 4.0)]
    assert "1 (user_id, item_id) pairs are rated more than once (1 extra lines)" in notes[0]
    assert "latest timestamp" in notes[0]


def test_a_re_rating_without_timestamp_keeps_the_last_line(tmp_path):
    table, notes = read(tmp_path, "user_id,item_id,rating\n1,10,2\n1,11,4\n1,10,5\n")
    assert tidy(table) == [("1", "11", 4.0), ("1", "10", 5.0)]
    assert "the last line" in notes[0]


def test_test_pairs_that_train_rates_are_dropped_from_test():
    train = pd.DataFrame({"user_id": ["1", "1"], "item_id": ["10", "11"], "rating": [4.0, 3.0]})
    test = pd.DataFrame({"user_id": ["1", "1"], "item_id": ["10", "12"], "rating": [5.0, 2.0]})
    notes: list[str] = []
    kept = check_pair(train, test, "a", "b", notes)
    assert tidy(kept) == [("1", "12", 2.0)]
    assert notes == ["TEST: dropped 1 rows whose (user_id, item_id) pair TRAIN also rates "
                     "(a model would be scored on a rating it was trained on)"]


def test_an_untidy_pair_scores_like_its_tidy_twin_and_says_what_was_done(tmp_path):
    """End to end: MovieLens-latest names in TRAIN, semicolons and decimal commas in TEST, a
    re-rating and a TEST row that TRAIN rates. The numbers equal those of the tidy files."""
    tidy_train, tidy_test = write(tmp_path / "train.csv", TIDY_TRAIN), write(tmp_path / "test.csv", TIDY_TEST)
    untidy_train = write(tmp_path / "train_export.csv",
                         "userId,movieId,rating,timestamp\n1,10,1,5\n" +
                         "".join(f"{line},9\n" for line in TIDY_TRAIN.splitlines()[1:]))
    untidy_test = write(tmp_path / "test_export.csv",
                        "user_id;item_id;rating\n1;12;4,0\n2;11;3\n3;10;5\n1;11;2,5\n")
    runs = [benchmark("--train", train, "--test", test, "--out", tmp_path / out, "--models", QUICK_MODELS)
            for train, test, out in ((tidy_train, tidy_test, "tidy"), (untidy_train, untidy_test, "untidy"))]
    for run in runs:
        assert run.returncode == 0 and run.stderr == "", run.stderr
    notes = [line for line in runs[1].stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 5, notes  # renamed columns, re-rating, separator, decimal commas, dropped row
    tidy_metrics, untidy_metrics = (json.loads((tmp_path / out / "metrics.json").read_text())
                                    for out in ("tidy", "untidy"))
    assert [f"note: {note}" for note in untidy_metrics["data"]["notes"]] == notes
    assert tidy_metrics["data"]["notes"] == []
    for name in QUICK_MODELS.split(","):
        entry = {key: value for key, value in untidy_metrics["models"][name].items() if key != "fit_seconds"}
        assert entry == pytest.approx({key: value for key, value in tidy_metrics["models"][name].items()
                                       if key != "fit_seconds"}), name


# --------------------------------------------------------------------------------------------
# Refused: exit code 2, one line on stderr, nothing written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case, train_text, test_text, expected", [
    ("two columns could be the user", "user,customer,item_id,rating\n1,2,3,4\n", TIDY_TEST,
     "the columns user, customer could each be user_id"),
    ("a column named twice", "user_id,item_id,rating,rating\n1,2,3,4\n", TIDY_TEST,
     "names rating more than once"),
    ("numbers without a header, five columns", "1,2,3,4,5\n6,7,8,9,10\n", TIDY_TEST,
     "holds 5 numbers and no column names"),
    ("the same file twice", TIDY_TRAIN, TIDY_TRAIN, "is rated in TRAIN file"),
    ("implicit feedback into rating models", "user_id,item_id,rating\n1,10,1\n2,11,1\n", TIDY_TEST,
     "every TRAIN rating is 1: that is implicit feedback"),
    ("a missing rating", "user_id,item_id,rating\n1,10,\n", TIDY_TEST, "line 2: rating '' is not a number"),
    ("stars as text", "user_id,item_id,rating\n1,10,★★★★\n", TIDY_TEST, "is not a number"),
])
def test_untidy_input_that_cannot_be_read_safely_exits_2_with_one_line(tmp_path, case, train_text,
                                                                      test_text, expected):
    train_path = write(tmp_path / "train.csv", train_text)
    test_path = write(tmp_path / "test.csv", test_text)
    run = benchmark("--train", train_path, "--test", test_path, "--out", tmp_path / "out",
                    "--models", "biases,popularity")
    assert run.returncode == 2, f"{case}: {run.stdout[-300:]}"
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, f"{case}: {lines}"
    assert expected in lines[0], f"{case}: {lines[0]}"
    assert not (tmp_path / "out").exists(), "nothing is written for bad input"


def test_implicit_feedback_runs_with_the_ranking_models_the_message_names(tmp_path):
    train_path = write(tmp_path / "train.csv", "user_id,item_id,rating\n" + "".join(
        f"{user},{item},1\n" for user in range(1, 5) for item in range(10, 24) if (user + item) % 3))
    test_path = write(tmp_path / "test.csv", "user_id,item_id,rating\n1,14,1\n2,13,1\n3,12,1\n")
    refused = benchmark("--train", train_path, "--test", test_path, "--out", tmp_path / "out")
    assert refused.returncode == 2
    suggestion = refused.stderr.split("run the ranking models alone, ")[1].rstrip(".\n").split()
    run = benchmark("--train", train_path, "--test", test_path, "--out", tmp_path / "out",
                    "--models", "popularity,ease", *suggestion[2:])
    assert suggestion[:1] == ["--models"] and run.returncode == 0, run.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "ndcg@10" in metrics["models"]["ease"]


def test_a_missing_peer_package_is_one_line_before_anything_is_fitted(tmp_path):
    """A peer whose library is not installed (here hidden from the import system) is refused up
    front, with the package to install; the series' own models still run without it."""
    train_path, test_path = write(tmp_path / "a.csv", TIDY_TRAIN), write(tmp_path / "b.csv", TIDY_TEST)
    hide = ("import importlib.util, runpy, sys; real = importlib.util.find_spec; "
            "importlib.util.find_spec = lambda name, *a: None if name == 'surprise' else real(name, *a); "
            "sys.argv = ['helpers.benchmark'] + sys.argv[1:]; runpy.run_module('helpers.benchmark', run_name='__main__')")
    run = subprocess.run([sys.executable, "-c", hide, "--train", str(train_path), "--test", str(test_path),
                          "--out", str(tmp_path / "out"), "--models", "biases,svd"],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "model svd: the package scikit-surprise==1.1.5 is not installed" in run.stderr
    assert not (tmp_path / "out").exists()


def test_read_ratings_raises_input_error_not_a_traceback_for_a_folder(tmp_path):
    with pytest.raises(InputError, match="is not a file"):
        read_ratings(tmp_path, "TRAIN")
