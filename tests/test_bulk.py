"""helpers.bulk: exact top-k in chunks, the faiss IVF index, recall, measuring (notebook 08)."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
import scipy.sparse

from helpers.bulk import (
    CI_CATALOGUE,
    LARGE_CATALOGUE,
    bulk_table,
    catalogue,
    choose_n_probe,
    default_n_lists,
    exact_top_k,
    ivf_index,
    ivf_top_k,
    large_catalogue,
    measure,
    probe_sweep,
    recall_against_exact,
    synthetic_item_vectors,
    top_k_numpy,
)

# Two users and four items, scored by hand: user 0 = (1, 0) scores the items' first coordinate,
# user 1 = (0, 1) their second.
TINY_USERS = np.array([[1.0, 0.0], [0.0, 1.0]])
TINY_ITEMS = np.array([[3.0, 0.0], [1.0, 1.0], [0.0, 2.0], [2.0, 0.0]])
# scores: user 0 → [3, 1, 0, 2], user 1 → [0, 1, 2, 0]


def random_problem(n_users=50, n_items=300, d=8, seed=0):
    rng = np.random.default_rng(seed)
    users = rng.standard_normal((n_users, d)).astype(np.float32)
    items = rng.standard_normal((n_items, d)).astype(np.float32)
    seen = rng.random((n_users, n_items)) < 0.1
    return users, items, seen


@pytest.mark.parametrize("method", ["numpy", "keras"])
def test_exact_top_k_by_hand(method):
    items, scores = exact_top_k(TINY_USERS, TINY_ITEMS, k=2, method=method)
    np.testing.assert_array_equal(items, [[0, 3], [2, 1]])
    np.testing.assert_array_equal(scores, [[3.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize("method", ["numpy", "keras"])
def test_seen_items_are_removed(method):
    seen = np.array([[True, False, False, False], [False, False, True, True]])
    items, scores = exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=seen, method=method)
    np.testing.assert_array_equal(items, [[3, 1], [1, 0]])
    np.testing.assert_array_equal(scores, [[2.0, 1.0], [1.0, 0.0]])
    sparse_items, _ = exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=scipy.sparse.csr_matrix(seen),
                                  method=method)
    np.testing.assert_array_equal(sparse_items, items)


@pytest.mark.parametrize("method", ["numpy", "keras"])
def test_too_few_unseen_items_are_padded(method):
    seen = np.array([[True, True, True, False], [False, False, False, False]])
    items, scores = exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=seen, method=method)
    np.testing.assert_array_equal(items, [[3, -1], [2, 1]])
    assert scores[0, 1] == -np.inf


@pytest.mark.parametrize("method", ["numpy", "keras"])
def test_ties_inside_the_list_rank_the_lower_index_first(method):
    items = np.array([[1.0], [2.0], [1.0], [2.0]])  # scores 1, 2, 1, 2 for the user (1)
    top, scores = exact_top_k(np.array([[1.0]]), items, k=4, method=method)
    np.testing.assert_array_equal(top, [[1, 3, 0, 2]])
    # at the 3rd place items 0 and 2 tie: either may make the list, with the same score
    top, scores = exact_top_k(np.array([[1.0]]), items, k=3, method=method)
    np.testing.assert_array_equal(top[0, :2], [1, 3])
    assert top[0, 2] in (0, 2)
    np.testing.assert_array_equal(scores, [[2.0, 2.0, 1.0]])


def test_top_k_numpy_matches_a_full_sort():
    scores = np.random.default_rng(1).standard_normal((20, 100))
    np.testing.assert_array_equal(top_k_numpy(scores, 7), np.argsort(-scores, axis=1)[:, :7])


def test_chunks_and_methods_give_the_same_lists():
    users, items, seen = random_problem()
    whole, whole_scores = exact_top_k(users, items, k=10, seen=seen, chunk_size=len(users))
    for chunk_size in (1, 7, 16):
        chunked, chunked_scores = exact_top_k(users, items, k=10, seen=seen, chunk_size=chunk_size)
        np.testing.assert_array_equal(chunked, whole)
        np.testing.assert_allclose(chunked_scores, whole_scores, rtol=1e-5)  # BLAS may round
    keras_items, keras_scores = exact_top_k(users, items, k=10, seen=seen, chunk_size=16,
                                            method="keras")
    np.testing.assert_array_equal(keras_items, whole)
    np.testing.assert_allclose(keras_scores, whole_scores)
    assert not seen[np.arange(len(users))[:, None], whole].any()
    expected = np.where(seen, -np.inf, users @ items.T)
    np.testing.assert_array_equal(whole, np.argsort(-expected, axis=1, kind="stable")[:, :10])


def test_ivf_scanning_every_cluster_is_exact():
    users, items, seen = random_problem(n_items=2000)
    index = ivf_index(items)
    assert index.nlist == default_n_lists(2000) == 51  # 4·√2000 = 179, capped at 2000 // 39
    assert index.metric_type == 0  # faiss.METRIC_INNER_PRODUCT
    exact, exact_scores = exact_top_k(users, items, k=10, seen=seen)
    approximate, scores = ivf_top_k(index, users, k=10, n_probe=index.nlist, seen=seen)
    np.testing.assert_array_equal(approximate, exact)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-5)
    assert recall_against_exact(approximate, exact) == 1.0
    few, _ = ivf_top_k(index, users, k=10, n_probe=1, seen=seen)
    assert recall_against_exact(few, exact) < 1.0
    assert not seen[np.arange(len(users))[:, None], np.maximum(few, 0)][few >= 0].any()


def test_ivf_index_is_the_same_on_every_build():
    _, items, _ = random_problem(n_items=3000)
    first, second = ivf_index(items), ivf_index(items)
    np.testing.assert_array_equal(first.quantizer.reconstruct_n(0, first.nlist),
                                  second.quantizer.reconstruct_n(0, second.nlist))


def test_default_n_lists():
    assert default_n_lists(1_682) == 43  # 4·√1682 = 164 clusters would hold ~10 items each
    assert default_n_lists(1_000_000) == 4_000
    assert default_n_lists(10) == 1


def test_recall_against_exact_by_hand():
    approximate = np.array([[1, 2, 3], [4, 5, 6]])
    exact = np.array([[3, 2, 9], [7, 8, 9]])
    assert recall_against_exact(approximate, exact) == pytest.approx((2 / 3 + 0) / 2)
    # -1 pads a short list: user 0 has two exact items, both found; user 1 has none (skipped)
    assert recall_against_exact(np.array([[5, 6, -1], [1, 2, 3]]),
                                np.array([[6, 5, -1], [-1, -1, -1]])) == 1.0


def test_probe_sweep_and_choice():
    users, items, seen = random_problem(n_items=2000)
    sweep = probe_sweep(users, items, seen, k=10, n_probes=(1, 4, 16, 64))
    assert list(sweep.columns) == ["n_probe", "share scanned", "recall", "seconds"]
    assert sweep["n_probe"].tolist()[0] == 1 and sweep["n_probe"].max() <= 51
    assert sweep["recall"].is_monotonic_increasing
    assert choose_n_probe(sweep, target=sweep["recall"].iloc[1]) == sweep["n_probe"].iloc[1]
    with pytest.raises(ValueError, match="no n_probe"):
        choose_n_probe(sweep, target=1.01)


def test_synthetic_vectors_have_the_source_mean_and_covariance():
    rng = np.random.default_rng(3)
    source = rng.standard_normal((500, 3)) @ np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3],
                                                       [0.0, 0.0, 0.2]]) + [1.0, -2.0, 0.5]
    synthetic = synthetic_item_vectors(source, 200_000, seed=0)
    assert synthetic.shape == (200_000, 3) and synthetic.dtype == np.float32
    np.testing.assert_allclose(synthetic.mean(axis=0), source.mean(axis=0), atol=0.02)
    np.testing.assert_allclose(np.cov(synthetic, rowvar=False), np.cov(source, rowvar=False),
                               atol=0.03)
    np.testing.assert_array_equal(synthetic_item_vectors(source, 10, seed=0), synthetic[:10])


def test_catalogue_keeps_the_real_items_and_pads_seen():
    users, items, seen = random_problem()
    vectors, real_seen, kind = catalogue(items, seen, len(items))
    assert kind == "real" and vectors is not None and (real_seen.toarray() == seen).all()
    vectors, big_seen, kind = catalogue(items, seen, 1000)
    assert kind == "synthetic" and vectors.shape == (1000, items.shape[1])
    assert big_seen.shape == (50, 1000) and (big_seen[:, :300].toarray() == seen).all()
    assert big_seen[:, 300:].nnz == 0


def test_large_catalogue_follows_the_environment(monkeypatch):
    monkeypatch.delenv("MF_SERIES_FULL_SCALE", raising=False)
    assert large_catalogue() == CI_CATALOGUE
    monkeypatch.setenv("MF_SERIES_FULL_SCALE", "1")
    assert large_catalogue() == LARGE_CATALOGUE == 1_000_000


def test_measure_sees_a_known_allocation():
    run = measure(np.ones, 100 * 2**20 // 8)  # 100 MB of float64, every page written
    assert run["result"].nbytes == 100 * 2**20
    assert 95 <= run["peak_mb"] <= 140
    assert 0 < run["seconds"] < 10
    small = measure(np.ones, 10)
    assert small["peak_mb"] < 5
    assert not multiprocessing.active_children()  # every worker joined


def test_measure_raises_the_calls_error_and_leaves_no_worker():
    with pytest.raises(ValueError, match="negative dimensions"):
        measure(np.ones, -1)
    assert not multiprocessing.active_children()


def test_bulk_table_small():
    users, items, seen = random_problem(n_items=400, d=8)
    table = bulk_table(users, items, seen, sizes=(400, 2000), k=5)
    assert list(table.columns) == ["items", "vectors", "method", "n_probe", "build s", "seconds",
                                   "peak MB", "recall@5"]
    assert table["items"].tolist() == [400] * 3 + [2000] * 3
    assert table["vectors"].tolist() == ["real"] * 3 + ["synthetic"] * 3
    assert table["method"].tolist() == ["exact, numpy", "exact, keras", "faiss IVF"] * 2
    exact_rows = table[table["method"] != "faiss IVF"]
    assert (exact_rows["recall@5"] == 1.0).all() and exact_rows["n_probe"].isna().all()
    ivf_rows = table[table["method"] == "faiss IVF"]
    # n_probe is chosen on half the users (recall ≥ 0.9 there) and reported on all of them
    assert (ivf_rows["recall@5"] >= 0.85).all() and (ivf_rows["build s"] > 0).all()
    for size, n_probe in zip(ivf_rows["items"], ivf_rows["n_probe"]):
        sweep = table.attrs["sweeps"][size]
        assert n_probe == sweep.loc[sweep["recall"] >= 0.9, "n_probe"].min()
    assert (table["seconds"] > 0).all() and (table["peak MB"] >= 0).all()
    assert set(table.attrs["sweeps"]) == {400, 2000}
    fixed = bulk_table(users, items, seen, sizes=(400,), k=5, n_probe=3)
    assert fixed["n_probe"].iloc[2] == 3 and fixed.attrs["sweeps"] == {}


@pytest.mark.parametrize(("call", "message"), [
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=5), r"k must be an integer in 1\.\.4"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=0), r"k must be an integer in 1\.\.4"),
    (lambda: exact_top_k(np.ones((2, 3)), TINY_ITEMS), "user_vectors have 3 columns but "
                                                      "item_vectors have 2"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=np.zeros((4, 2), bool)),
     r"seen has shape \(4, 2\) but there are 2 users and 4 items"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=scipy.sparse.csr_matrix((3, 4))),
     r"seen has shape \(3, 4\)"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=2, seen=np.zeros((2, 4))),
     "seen must be a boolean matrix"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=2, method="torch"), "unknown method 'torch'"),
    (lambda: exact_top_k(TINY_USERS, TINY_ITEMS, k=2, chunk_size=0), "chunk_size must be"),
    (lambda: exact_top_k(TINY_USERS[0], TINY_ITEMS), "user_vectors must be a non-empty 2-D"),
    (lambda: exact_top_k([[np.nan, 0.0]], TINY_ITEMS), "user_vectors contain NaN"),
    (lambda: ivf_top_k(ivf_index(TINY_ITEMS), np.ones((2, 3))), "the index holds vectors of 2"),
    (lambda: ivf_top_k(ivf_index(TINY_ITEMS), TINY_USERS, k=2, n_probe=0), "n_probe must be"),
    (lambda: ivf_index(TINY_ITEMS, n_lists=9), r"n_lists must lie in 1\.\.4"),
    (lambda: recall_against_exact(np.zeros((2, 3)), np.zeros((2, 4))), "same shape"),
    (lambda: synthetic_item_vectors(TINY_ITEMS, 0), "n_items must be a positive integer"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
