"""helpers.data: both source formats, the download path (against a local server), the cache,
the index encoding and the splits."""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.data import (
    DataSourceError,
    encode_ids,
    global_temporal_split,
    load_movielens_100k,
    parse_grouplens,
    parse_recbole,
    random_split,
    split_report,
    temporal_split,
)

# The same four movies and five ratings, once in each source format.
U_DATA = "1\t10\t4\t881250949\n2\t10\t5\t881250950\n2\t11\t1\t881250951\n3\t12\t3\t881250952\n3\t13\t2\t881250953\n"
FLAGS = {10: [0, 0, 0, 1, 1, 1] + [0] * 13, 11: [0, 1, 1] + [0] * 16, 12: [0] * 19, 13: [1] + [0] * 18}
U_ITEM = (
    "10|Toy Story (1995)|01-Jan-1995||http://x|" + "|".join(map(str, FLAGS[10])) + "\n"
    "11|GoldenEye (1995)|01-Jan-1995||http://x|" + "|".join(map(str, FLAGS[11])) + "\n"
    "12|Misérables, Les (1995)|01-Jan-1995||http://x|" + "|".join(map(str, FLAGS[12])) + "\n"
    "13|unknown||||" + "|".join(map(str, FLAGS[13])) + "\n"
)
INTER = (
    "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    + U_DATA
)
ITEM = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "10\tToy Story\t1995\tAnimation Children's Comedy\n"
    "11\tGoldenEye\t1995\tAction Adventure\n"
    "12\tMisérables, Les\t1995\t\n"
    "13\tunkonwn\tunkonwn\tunknown\n"
)


def test_both_formats_parse_to_the_same_frames():
    ratings_a, movies_a = parse_grouplens(U_DATA, U_ITEM)
    ratings_b, movies_b = parse_recbole(INTER, ITEM)
    pd.testing.assert_frame_equal(ratings_a, ratings_b)
    pd.testing.assert_frame_equal(movies_a, movies_b)
    assert movies_a["title"].tolist() == ["Toy Story", "GoldenEye", "Misérables, Les", "unknown"]
    assert movies_a["genres"].tolist() == ["Animation|Children's|Comedy", "Action|Adventure",
                                           "unknown", "unknown"]
    assert movies_a["year"].isna().tolist() == [False, False, False, True]


def test_documented_dtypes():
    ratings, movies = parse_grouplens(U_DATA, U_ITEM)
    assert dict(ratings.dtypes.astype(str)) == {
        "user_id": "int64", "item_id": "int64", "rating": "float32", "timestamp": "int64"}
    assert dict(movies.dtypes.astype(str)) == {
        "item_id": "int64", "title": "string", "year": "Int64", "genres": "string"}


# ---------------------------------------------------------------- the GroupLens path, offline


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.data", U_DATA)
        archive.writestr("ml-100k/u.item", U_ITEM.encode("latin-1"))
    return buffer.getvalue()


@pytest.fixture
def serve():
    """Serve given bytes at http://127.0.0.1:PORT/ml-100k.zip; yields a function body -> url."""
    servers = []

    def start(body: bytes) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/ml-100k.zip"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tiny_sizes(monkeypatch):
    """Let the loader accept the five-rating fixture as a complete data set."""
    monkeypatch.setattr(data, "N_RATINGS", 5)
    monkeypatch.setattr(data, "N_USERS", 3)
    monkeypatch.setattr(data, "N_ITEMS", 4)


def cache_files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_download_good_zip_fills_the_cache(serve, tiny_sizes, tmp_path):
    content = make_zip()
    url = serve(content)
    md5 = hashlib.md5(content).hexdigest()
    ratings, movies = load_movielens_100k(tmp_path, url=url, md5=md5, use_recbole=False)
    assert len(ratings) == 5 and movies["title"].iloc[2] == "Misérables, Les"
    assert cache_files(tmp_path) == ["movies.tsv", "ratings.tsv"]
    # the second load comes from the cache: no server, no recbole
    again_ratings, again_movies = load_movielens_100k(tmp_path, url=None, use_recbole=False)
    pd.testing.assert_frame_equal(ratings, again_ratings)
    pd.testing.assert_frame_equal(movies, again_movies)


@pytest.mark.parametrize("case", ["truncated", "wrong checksum", "not a zip"])
def test_broken_download_leaves_nothing_behind(serve, tiny_sizes, tmp_path, case):
    content = make_zip()
    good_md5 = hashlib.md5(content).hexdigest()
    body = {"truncated": content[: len(content) // 2],
            "wrong checksum": content.replace(b"Toy Story", b"Toy Storm"),
            "not a zip": b"<html>not found</html>"}[case]
    md5 = hashlib.md5(body).hexdigest() if case == "not a zip" else good_md5
    with pytest.raises(DataSourceError) as raised:
        load_movielens_100k(tmp_path, url=serve(body), md5=md5, use_recbole=False)
    message = str(raised.value)
    assert "\n" not in message and "Tried:" in message and "make setup" in message
    assert ("MD5" in message) if case != "not a zip" else ("not usable" in message)
    assert cache_files(tmp_path) == []


def test_unreachable_host_falls_back_to_recbole(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ratings, movies = load_movielens_100k(tmp_path, url=f"http://127.0.0.1:{port}/ml-100k.zip",
                                          timeout=2)
    assert (len(ratings), len(movies)) == (100_000, 1_682)
    assert cache_files(tmp_path) == ["movies.tsv", "ratings.tsv"]


def test_no_source_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "RECBOLE_DIR", "recbole/no-such-folder")
    with pytest.raises(DataSourceError) as raised:
        load_movielens_100k(tmp_path, url="http://127.0.0.1:9/ml-100k.zip", timeout=2)
    message = str(raised.value)
    for part in ("cache:", "GroupLens", "recbole==1.2.1", "To fix"):
        assert part in message


def test_a_corrupt_cache_is_not_trusted(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "ratings.tsv").write_text("user_id\titem_id\n1\t2\n")
    (folder / "movies.tsv").write_text("item_id\ttitle\n1\tx\n")
    ratings, _ = load_movielens_100k(tmp_path, url=None)  # rebuilt from recbole
    assert len(ratings) == 100_000


# ---------------------------------------------------------------- the real data


def test_real_movielens(movielens):
    ratings, movies = movielens
    assert len(ratings) == 100_000
    assert ratings["user_id"].nunique() == 943 and ratings["user_id"].min() == 1
    assert len(movies) == 1_682 and movies["item_id"].tolist() == list(range(1, 1683))
    assert set(ratings["rating"].unique()) == {1, 2, 3, 4, 5}
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    star_wars = movies.loc[movies["item_id"] == 50].iloc[0]
    assert (star_wars["title"], star_wars["year"]) == ("Star Wars", 1977)
    assert "Sci-Fi" in star_wars["genres"]
    assert (ratings.groupby("user_id").size() >= 20).all()


# ---------------------------------------------------------------- encoding and splits


def test_encoding_is_contiguous_and_reversible(synthetic):
    encoded, encoding = encode_ids(synthetic)
    assert encoded["user_index"].min() == 0
    assert encoded["user_index"].max() == encoding.n_users - 1
    assert sorted(encoded["item_index"].unique()) == list(range(encoding.n_items))
    np.testing.assert_array_equal(encoding.user_ids[encoded["user_index"]], synthetic["user_id"])
    np.testing.assert_array_equal(encoding.item_ids[encoded["item_index"]], synthetic["item_id"])


def test_encoding_by_hand_numbers_ids_in_sorted_order():
    ratings = pd.DataFrame({"user_id": [30, 10, 20, 10], "item_id": [7, 5, 7, 9],
                            "rating": [4.0, 3.0, 5.0, 1.0], "timestamp": [1, 2, 3, 4]})
    encoded, encoding = encode_ids(ratings)
    # users sorted: 10 → 0, 20 → 1, 30 → 2; rated items sorted: 5 → 0, 7 → 1, 9 → 2
    assert encoded["user_index"].tolist() == [2, 0, 1, 0]
    assert encoded["item_index"].tolist() == [1, 0, 1, 2]
    # over the catalogue 5, 6, 7, 9: the unrated 6 takes index 1 and pushes 7 and 9 along
    movies = pd.DataFrame({"item_id": [9, 6, 7, 5]})
    encoded, encoding = encode_ids(ratings, movies)
    assert encoded["item_index"].tolist() == [2, 0, 2, 3]
    assert encoding.item_ids.tolist() == [5, 6, 7, 9] and encoding.n_items == 4


def test_encoding_over_the_catalogue_keeps_unrated_movies(movielens):
    ratings, movies = movielens
    some = ratings[ratings["item_id"] != 1]  # nobody rated Toy Story here
    _, encoding = encode_ids(some, movies)
    assert encoding.n_items == 1_682 and encoding.item_index(1)[0] == 0


def test_unknown_id_is_a_clear_error(synthetic):
    _, encoding = encode_ids(synthetic)
    with pytest.raises(ValueError, match=r"unknown user_id \[7\]"):
        encoding.user_index([101, 7])


TEN_ROWS = pd.DataFrame({"user_id": np.arange(1, 11), "item_id": 7, "rating": 3.0,
                         "timestamp": np.arange(10)}, index=np.arange(100, 110))


@pytest.mark.parametrize("seed, test_rows", [(1, [104, 108]), (7, [100, 108])])
def test_random_split_by_hand(seed, test_rows):
    # round(0.2 · 10) = 2 rows: the first two of default_rng(seed).permutation(10), which is
    # [8, 4, 7, 0, ...] for seed 1 and [8, 0, 7, 1, ...] for seed 7 (NumPy's PCG64 stream),
    # so positions {4, 8} and {0, 8}; each part keeps the original order and index
    train, test = random_split(TEN_ROWS, seed=seed)
    assert test.index.tolist() == test_rows
    assert train.index.tolist() == [i for i in TEN_ROWS.index if i not in test_rows]


def test_split_report_by_hand():
    train = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [10, 11, 10, 11]})
    test = pd.DataFrame({"user_id": [1, 3, 2, 3, 1], "item_id": [10, 10, 12, 12, 13]})
    # user 3 is new (rows 2 and 4); items 12 and 13 are new (rows 3, 4 and 5: 3 rows, 2 items)
    assert split_report(train, test) == {"train_rows": 4, "test_rows": 5,
                                         "test_rows_unseen_user": 2, "test_rows_unseen_item": 3,
                                         "test_items_unseen": 2}


def test_random_split_on_movielens_reports_unseen_items(movielens):
    train, test = random_split(movielens[0])
    # every user has 20+ ratings, so none is unseen; 32 rarely rated movies land only in test
    # (36 rows: the 0.2 % notebook 01 prints)
    assert split_report(train, test) == {"train_rows": 80_000, "test_rows": 20_000,
                                         "test_rows_unseen_user": 0, "test_rows_unseen_item": 36,
                                         "test_items_unseen": 32}


def test_temporal_split_by_hand_with_ties():
    ratings = pd.DataFrame({
        "user_id":   [1,   2,  1,   1,   3,  1,   2,  1,   2],
        "item_id":   [10,  21, 11,  12,  30, 13,  20, 14,  22],
        "timestamp": [300, 50, 100, 300, 10, 200, 50, 300, 40],
        "rating": 4.0})  # fmt: skip
    train, test = temporal_split(ratings, test_fraction=0.4)
    # user 1, 5 ratings: round(0.4 · 5) = 2 held out. In time order 11 (100), 13 (200), then
    #   10, 12, 14 all at 300, where the higher id counts as later: 14 and 12 (rows 7 and 3)
    # user 2, 3 ratings: round(0.4 · 3) = round(1.2) = 1. In time order 22 (40), then 20 and 21
    #   both at 50: 21 is the latest (row 1)
    # user 3, 1 rating: kept for training, never held out
    assert test.index.tolist() == [1, 3, 7]  # rows keep their original order
    assert test["item_id"].tolist() == [21, 12, 14]
    assert train.index.tolist() == [0, 2, 4, 5, 6, 8]


@pytest.mark.parametrize("split", [random_split, temporal_split, global_temporal_split])
def test_bad_fraction_is_a_clear_error(split, synthetic):
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        split(synthetic, test_fraction=1.5)


# ---------------------------------------------------------------- the global temporal split


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_global_split_trains_only_on_the_past(synthetic, fraction):
    train, test = global_temporal_split(synthetic, test_fraction=fraction)
    assert train["timestamp"].max() < test["timestamp"].min()  # no test rating predates a train one
    assert train.index.intersection(test.index).empty
    assert len(train) + len(test) == len(synthetic)
    assert train.index.is_monotonic_increasing and test.index.is_monotonic_increasing
    ties = (synthetic["timestamp"] == test["timestamp"].min()).sum()
    assert fraction * len(synthetic) - 1 < len(test) < fraction * len(synthetic) + ties


def test_global_split_sizes_follow_the_fraction():
    ratings = pd.DataFrame({"user_id": 1, "item_id": np.arange(1, 101), "rating": 3.0,
                            "timestamp": np.arange(100)[::-1] * 10})  # distinct, newest first
    for fraction in (0.01, 0.2, 0.25, 0.5, 0.99):
        train, test = global_temporal_split(ratings, test_fraction=fraction)
        assert len(test) == round(fraction * 100)
        assert test["timestamp"].min() > train["timestamp"].max()


def test_global_split_sends_every_tie_at_the_cut_off_to_test():
    ratings = pd.DataFrame({"user_id": [1, 2, 3, 4, 5, 6], "item_id": [10, 11, 12, 13, 14, 15],
                            "rating": [4.0] * 6, "timestamp": [40, 10, 50, 20, 40, 30]})
    train, test = global_temporal_split(ratings, test_fraction=0.4)
    # the 60 % quantile falls on 40, and both ratings at 40 go to test: 3 rows, not 2.4
    assert test["timestamp"].tolist() == [40, 50, 40]  # original order kept
    assert train["timestamp"].tolist() == [10, 20, 30]


def test_global_split_keeps_new_users_and_movies_in_test():
    ratings = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 11, 12],
                            "rating": [4.0] * 5, "timestamp": [1, 2, 3, 4, 5]})
    train, test = global_temporal_split(ratings, test_fraction=0.2)
    assert test["user_id"].tolist() == [3]  # a user and a movie that arrive after the cut-off
    report = split_report(train, test)
    assert (report["test_rows_unseen_user"], report["test_rows_unseen_item"]) == (1, 1)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, float("nan")])
def test_global_split_rejects_fractions_outside_0_1(synthetic, fraction):
    with pytest.raises(ValueError, match=r"test_fraction must be between 0 and 1, got"):
        global_temporal_split(synthetic, test_fraction=fraction)


def test_global_split_rejects_ratings_it_cannot_split(synthetic):
    with pytest.raises(ValueError, match="ratings is empty: there is nothing to split"):
        global_temporal_split(synthetic.iloc[:0])
    same_time = synthetic.assign(timestamp=881_250_949)
    with pytest.raises(ValueError, match=r"all [\d,]+ ratings are at or after the cut-off 881250949"):
        global_temporal_split(same_time)
    mostly_first = pd.DataFrame({"user_id": [1] * 5, "item_id": [1, 2, 3, 4, 5], "rating": 3.0,
                                 "timestamp": [10, 10, 10, 10, 20]})
    with pytest.raises(ValueError, match="none is left to train on"):
        global_temporal_split(mostly_first, test_fraction=0.5)
    assert len(global_temporal_split(mostly_first, test_fraction=0.2)[1]) == 1  # 20 is its own


def test_global_split_on_movielens(movielens):
    """The numbers notebook 01 prints for the global split."""
    ratings = movielens[0]
    train, test = global_temporal_split(ratings)
    cutoff = test["timestamp"].min()
    assert cutoff == 889_237_269 and f"{pd.to_datetime(cutoff, unit='s'):%d %b %Y}" == "07 Mar 1998"
    assert train["timestamp"].max() < cutoff
    assert (ratings["timestamp"] == cutoff).sum() == 4  # the ties that make test 20,001 rows
    assert split_report(train, test) == {"train_rows": 79_999, "test_rows": 20_001,
                                         "test_rows_unseen_user": 17_048,
                                         "test_rows_unseen_item": 202, "test_items_unseen": 66}
    assert test.loc[~test["user_id"].isin(train["user_id"]), "user_id"].nunique() == 192


def test_movielens_split_is_the_recipe_of_notebook_01(movielens):
    from helpers.data import movielens_split

    ratings, movies = movielens
    split = movielens_split()
    encoded, encoding = encode_ids(ratings, movies)
    train, test = random_split(encoded)
    assert split.train.equals(train) and split.test.equals(test) and split.ratings.equals(encoded)
    assert (split.encoding.item_ids == encoding.item_ids).all() and split.movies.equals(movies)
    temporal = movielens_split("temporal")
    assert temporal.test.equals(temporal_split(encoded)[1])
    with pytest.raises(ValueError, match="unknown split 'weekly': choose from random, temporal"):
        movielens_split("weekly")


# ---------------------------------------------------------------- the users' table, both formats

U_USER = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|T8H1N\n"
USER = ("user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
        + U_USER.replace("|", "\t"))


def test_both_user_formats_parse_to_the_same_frame():
    grouplens, recbole = data.parse_grouplens_users(U_USER), data.parse_recbole_users(USER)
    pd.testing.assert_frame_equal(grouplens, recbole)
    assert dict(grouplens.dtypes.astype(str)) == {"user_id": "int64", "age": "int64", "gender": "string",
                                                  "occupation": "string", "zip_code": "string"}
    assert grouplens["zip_code"].tolist() == ["85711", "94043", "T8H1N"]  # text, not numbers


def test_users_from_a_served_zip_fill_their_cache(serve, tiny_sizes, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.user", U_USER)
    content = buffer.getvalue()
    url = serve(content)
    users = data.load_movielens_100k_users(tmp_path, url=url, md5=hashlib.md5(content).hexdigest(),
                                           use_recbole=False)
    assert users["occupation"].tolist() == ["technician", "other", "writer"]
    assert cache_files(tmp_path) == ["users.tsv"]
    again = data.load_movielens_100k_users(tmp_path, url=None, use_recbole=False)
    pd.testing.assert_frame_equal(users, again)


def test_a_broken_users_cache_falls_back_and_no_source_is_one_clear_error(tiny_sizes, tmp_path):
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "users.tsv").write_text("user_id\tage\n1\t24\n")  # columns missing
    with pytest.raises(DataSourceError, match="users could not be loaded. Tried: cache: .*make setup"):
        data.load_movielens_100k_users(tmp_path, url=None, use_recbole=False)


def test_real_movielens_users(tmp_path):
    users = data.load_movielens_100k_users(tmp_path, url=None)  # the recbole copy, offline
    assert len(users) == 943 and users["user_id"].is_unique
    assert users["occupation"].nunique() == 21 and set(users["gender"]) == {"M", "F"}
    assert users["age"].between(7, 73).all()
    assert (~users["zip_code"].str.fullmatch(r"\d{5}")).sum() > 0  # some zip codes are not numbers
