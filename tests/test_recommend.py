"""helpers.recommend: top-n lists, similar items, embeddings by layer name (notebook 05)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import encode_ids, random_split
from helpers.recommend import (
    extract_embeddings,
    item_id_of,
    recommend_for_user,
    score_matrix,
    seen_mask,
    similar_items,
    similar_movies,
    top_n,
    top_n_frame,
)


@pytest.fixture(scope="module")
def encoded(synthetic):
    movies = pd.DataFrame({"item_id": np.sort(synthetic["item_id"].unique())})
    movies["title"] = [f"Movie {i}" for i in movies["item_id"]]
    movies["genres"] = "Drama"
    ratings, encoding = encode_ids(synthetic, movies)
    train, test = random_split(ratings)
    return train, test, encoding, movies


def test_top_n_by_hand_excludes_and_breaks_ties_by_index():
    scores = np.array([[0.1, 0.9, 0.5, 0.9], [1.0, 1.0, 1.0, 1.0]])
    assert top_n(scores, n=3).tolist() == [[1, 3, 2], [0, 1, 2]]
    exclude = np.array([[False, True, False, False], [True, False, True, False]])
    assert top_n(scores, exclude, n=2).tolist() == [[3, 2], [1, 3]]


def test_top_n_pads_with_minus_one_when_candidates_run_out():
    exclude = np.array([[True, True, False]])
    assert top_n(np.array([[3.0, 2.0, 1.0]]), exclude, n=2).tolist() == [[2, -1]]
    assert top_n(np.array([[-np.inf, 2.0, 1.0]]), n=3).tolist() == [[1, 2, -1]]


def test_top_n_matches_a_per_user_loop():
    rng = np.random.default_rng(0)
    for scores in (rng.integers(0, 5, size=(50, 30)).astype(float),  # many ties
                   rng.normal(size=(50, 30)),  # no ties
                   np.round(rng.normal(size=(50, 30)), 1).astype(np.float32)):  # float32, ties
        exclude = rng.random((50, 30)) < 0.3
        expected = []
        for row, seen in zip(scores, exclude):
            candidates = [i for i in range(30) if not seen[i]]
            expected.append(sorted(candidates, key=lambda i: (-row[i], i))[:5])
        assert top_n(scores, exclude, n=5).tolist() == expected


@pytest.mark.parametrize("scores, exclude, n, message", [
    (np.zeros(5), None, 2, "2-D"),
    (np.zeros((2, 5)), None, 6, "n must lie"),
    (np.zeros((2, 5)), np.zeros((2, 4), bool), 2, "exclude has shape"),
    (np.full((2, 5), np.nan), None, 2, "NaN"),
])
def test_top_n_rejects_bad_input(scores, exclude, n, message):
    with pytest.raises(ValueError, match=message):
        top_n(scores, exclude, n)


def test_seen_mask_marks_train_pairs(encoded):
    train, _, encoding, _ = encoded
    mask = seen_mask(train, encoding.n_users, encoding.n_items)
    assert mask.sum() == len(train.drop_duplicates(["user_index", "item_index"]))
    assert mask[train["user_index"], train["item_index"]].all()
    with pytest.raises(ValueError, match="no 'user_index'"):
        seen_mask(train.drop(columns="user_index"), encoding.n_users, encoding.n_items)
    with pytest.raises(ValueError, match="must lie"):
        seen_mask(train, encoding.n_users, 3)


def test_similar_items_by_cosine():
    items = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    indices, cosine = similar_items(items, 0, n=3)
    assert indices.tolist() == [1, 2, 3]  # the scale of item 1 does not matter, only its angle
    assert cosine == pytest.approx([10 / np.sqrt(101), 0.0, -1.0])
    with pytest.raises(ValueError, match="out of range"):
        similar_items(items, 4)
    with pytest.raises(ValueError, match="n must lie"):
        similar_items(items, 0, n=4)


def test_score_matrix_adds_biases():
    embeddings = {"user_embeddings": np.array([[1.0, 2.0]]),
                  "item_embeddings": np.array([[1.0, 0.0], [0.0, 1.0]]),
                  "user_bias": np.array([0.5]), "item_bias": np.array([0.0, -3.0])}
    assert score_matrix(embeddings).tolist() == [[1.5, -0.5]]


def test_extract_embeddings_by_layer_name():
    import keras

    user, item = keras.Input(shape=(), dtype="int32"), keras.Input(shape=(), dtype="int32")
    user_vector = keras.layers.Embedding(4, 3, name="user_embedding")(user)
    item_vector = keras.layers.Embedding(6, 3, name="item_embedding")(item)
    item_bias = keras.layers.Embedding(6, 1, name="item_bias")(item)
    dot = keras.layers.Dot(axes=1)([user_vector, item_vector])
    model = keras.Model([user, item], keras.layers.Add()([dot, item_bias[:, 0:1]]))
    embeddings = extract_embeddings(model)
    assert embeddings["user_embeddings"].shape == (4, 3)
    assert embeddings["item_embeddings"].shape == (6, 3)
    assert embeddings["item_bias"].shape == (6,)
    assert not embeddings["user_bias"].any()  # no user_bias layer: zeros
    np.testing.assert_array_equal(embeddings["item_embeddings"],
                                  model.get_layer("item_embedding").get_weights()[0])
    plain = keras.Model(user, keras.layers.Dense(2, name="head")(user_vector))
    with pytest.raises(ValueError, match="item_embedding"):
        extract_embeddings(plain)


def test_recommend_for_user_excludes_seen_and_names_movies(encoded):
    train, _, encoding, movies = encoded
    scores = np.random.default_rng(1).random((encoding.n_users, encoding.n_items))
    user_id = int(encoding.user_ids[3])
    table = recommend_for_user(user_id, scores, train, encoding, movies, n=5)
    seen = set(train.loc[train["user_id"] == user_id, "item_id"])
    assert len(table) == 5 and not seen & set(table["item_id"])
    assert table["score"].is_monotonic_decreasing
    assert table["title"].str.startswith("Movie").all()
    with pytest.raises(ValueError, match="unknown user_id"):
        recommend_for_user(99_999, scores, train, encoding, movies)
    with pytest.raises(ValueError, match="scores must have shape"):
        recommend_for_user(user_id, scores[:, :3], train, encoding, movies)


def test_similar_movies_and_titles(encoded):
    _, _, encoding, movies = encoded
    item_embeddings = np.random.default_rng(2).normal(size=(encoding.n_items, 4))
    item_id = item_id_of(movies, "movie 1001")
    assert item_id == 1001
    table = similar_movies(item_id, item_embeddings, encoding, movies, n=3)
    assert len(table) == 3 and 1001 not in set(table["item_id"])
    with pytest.raises(ValueError, match="unknown item_id"):
        similar_movies(5, item_embeddings, encoding, movies)
    with pytest.raises(ValueError, match="no movie titled"):
        item_id_of(movies, "Casablanca")


def test_top_n_frame_is_long_and_drops_padding(encoded):
    _, _, encoding, movies = encoded
    top_items = np.tile([0, 1, -1], (encoding.n_users, 1))
    table = top_n_frame(top_items, encoding, movies)
    assert len(table) == 2 * encoding.n_users
    assert table.columns.tolist() == ["user_id", "rank", "item_id", "title"]
    assert set(table["item_id"]) == set(encoding.item_ids[:2])
    with pytest.raises(ValueError, match="one row per user"):
        top_n_frame(top_items[:2], encoding)


def test_real_data_recommendations_never_repeat_a_rated_movie(movielens):
    ratings, movies = movielens
    encoded_ratings, encoding = encode_ids(ratings, movies)
    train, _ = random_split(encoded_ratings)
    counts = np.bincount(train["item_index"], minlength=encoding.n_items).astype(float)
    scores = np.broadcast_to(counts, (encoding.n_users, encoding.n_items))
    top_items = top_n(scores, seen_mask(train, encoding.n_users, encoding.n_items), 10)
    assert not seen_mask(train, encoding.n_users, encoding.n_items)[
        np.arange(encoding.n_users)[:, None], top_items].any()
    assert item_id_of(movies, "Star Wars") == 50
