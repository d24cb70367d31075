"""helpers.recommend: top-n lists, similar items, embeddings by layer name (notebook 05)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import IdEncoding, encode_ids, random_split
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


# Two users and four movies, small enough to rank by hand. User 101 (index 0) rated Brazil and
# Dune in train, user 102 (index 1) rated Alien.
TINY_ENCODING = IdEncoding(user_ids=np.array([101, 102]), item_ids=np.array([1001, 1002, 1003, 1004]))
TINY_MOVIES = pd.DataFrame({"item_id": [1001, 1002, 1003, 1004],
                            "title": ["Alien", "Brazil", "Casablanca", "Dune"],
                            "genres": ["Sci-Fi", "Comedy", "Drama", "Sci-Fi"]})
TINY_TRAIN = pd.DataFrame({"user_index": [0, 0, 1], "item_index": [1, 3, 0]})
TINY_SCORES = np.array([[0.2, 0.9, 0.5, 0.7],
                        [0.1, 0.3, 0.3, 0.8]])


def rows(table: pd.DataFrame, *columns: str) -> list[tuple]:
    return list(table[list(columns)].itertuples(index=False, name=None))


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
    user_weights, item_weights = np.arange(12.0).reshape(4, 3), -np.arange(18.0).reshape(6, 3)
    model.get_layer("user_embedding").set_weights([user_weights])
    model.get_layer("item_embedding").set_weights([item_weights])
    model.get_layer("item_bias").set_weights([np.array([[0.5], [1.5], [2.5], [3.5], [4.5], [5.5]])])
    embeddings = extract_embeddings(model)
    np.testing.assert_array_equal(embeddings["user_embeddings"], user_weights)
    np.testing.assert_array_equal(embeddings["item_embeddings"], item_weights)
    np.testing.assert_array_equal(embeddings["item_bias"], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    np.testing.assert_array_equal(embeddings["user_bias"], np.zeros(4))  # no user_bias layer
    # notebook 05's ranking model: a Dense layer 'item_scores' whose kernel (k × n_items) is the
    # item embedding matrix transposed, so item 1's vector is column 1: kernel[:, 1] = 1, 7, 13
    scores_layer = keras.layers.Dense(6, name="item_scores")
    ranking = keras.Model(user, scores_layer(user_vector))
    scores_layer.set_weights([np.arange(18.0).reshape(3, 6), np.arange(6.0) / 10])
    ranked = extract_embeddings(ranking)
    np.testing.assert_array_equal(ranked["item_embeddings"][1], [1.0, 7.0, 13.0])
    np.testing.assert_allclose(ranked["item_bias"], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert ranked["item_embeddings"].shape == (6, 3)
    plain = keras.Model(user, keras.layers.Dense(2, name="head")(user_vector))
    with pytest.raises(ValueError, match="item_embedding"):
        extract_embeddings(plain)


def test_recommend_for_user_by_hand():
    def recommend(user_id, n):
        return recommend_for_user(user_id, TINY_SCORES, TINY_TRAIN, TINY_ENCODING, TINY_MOVIES, n=n)

    # user 101 rated Brazil (0.9) and Dune (0.7): left are Casablanca (0.5), then Alien (0.2);
    # asked for 3, only those 2 remain
    table = recommend(101, n=3)
    assert table.index.tolist() == [1, 2] and table.columns.tolist() == [
        "item_id", "title", "genres", "score"]
    assert rows(table, "title", "genres", "score") == [("Casablanca", "Drama", 0.5),
                                                       ("Alien", "Sci-Fi", 0.2)]
    # user 102 rated Alien: Dune (0.8), then Brazil and Casablanca tied at 0.3, lower index first
    assert rows(recommend(102, n=3), "item_id", "score") == [(1004, 0.8), (1002, 0.3), (1003, 0.3)]
    with pytest.raises(ValueError, match="unknown user_id"):
        recommend(99_999, n=2)
    with pytest.raises(ValueError, match="scores must have shape"):
        recommend_for_user(101, TINY_SCORES[:, :3], TINY_TRAIN, TINY_ENCODING, TINY_MOVIES)


def test_similar_movies_by_hand():
    item_embeddings = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    item_id = item_id_of(TINY_MOVIES, " alien ")  # case and spaces do not matter
    assert item_id == 1001
    # Alien is (1, 0): Brazil's cosine is 10 / √101 = 0.995 (rounded to 3 places), Casablanca's 0
    table = similar_movies(item_id, item_embeddings, TINY_ENCODING, TINY_MOVIES, n=2)
    assert rows(table, "item_id", "title", "cosine") == [(1002, "Brazil", 0.995),
                                                         (1003, "Casablanca", 0.0)]
    with pytest.raises(ValueError, match="unknown item_id"):
        similar_movies(5, item_embeddings, TINY_ENCODING, TINY_MOVIES)
    with pytest.raises(ValueError, match="no movie titled 'Alie'; did you mean"):
        item_id_of(TINY_MOVIES, "Alie")


def test_top_n_frame_by_hand_drops_padding():
    top_items = np.array([[2, 0, -1], [3, -1, -1]])
    table = top_n_frame(top_items, TINY_ENCODING, TINY_MOVIES)
    assert table.columns.tolist() == ["user_id", "rank", "item_id", "title"]
    assert rows(table, *table.columns) == [(101, 1, 1003, "Casablanca"), (101, 2, 1001, "Alien"),
                                           (102, 1, 1004, "Dune")]
    assert top_n_frame(top_items, TINY_ENCODING).columns.tolist() == ["user_id", "rank", "item_id"]
    with pytest.raises(ValueError, match="one row per user"):
        top_n_frame(top_items[:1], TINY_ENCODING)


def test_real_data_recommendations_never_repeat_a_rated_movie():
    from helpers.data import movielens_split

    split = movielens_split()
    train, encoding, movies = split.train, split.encoding, split.movies
    counts = np.bincount(train["item_index"], minlength=encoding.n_items).astype(float)
    scores = np.broadcast_to(counts, (encoding.n_users, encoding.n_items))
    top_items = top_n(scores, seen_mask(train, encoding.n_users, encoding.n_items), 10)
    assert not seen_mask(train, encoding.n_users, encoding.n_items)[
        np.arange(encoding.n_users)[:, None], top_items].any()
    assert item_id_of(movies, "Star Wars") == 50
