"""Metrics as pure functions of NumPy arrays (notebooks 02-04).

Rating metrics compare predicted with true ratings; ranking metrics (notebook 05) compare
recommended lists with the items a user liked in the test set.
"""

from __future__ import annotations

import numpy as np


def _as_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("no ratings to score: y_true is empty")
    return y_true, y_pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error: sqrt(mean((y - ŷ)²)), in stars."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error: mean(|y - ŷ|), in stars."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


# --------------------------------------------------------------------------------------------
# Ranking metrics (notebook 05)
#
# Inputs, the same for every function below:
#   top_items  int array (n_users × n), row u = the items recommended to user index u, best first
#              (``helpers.recommend.top_n`` makes it; -1 pads a row that ran out of candidates).
#   relevant   one set of item indices per user index (``relevant_items`` makes it): the items
#              the user rated ≥ 4 stars in the test set.
# A metric averages over the users with at least one relevant item; the others have nothing to
# find and are left out. Relevance is binary.
# --------------------------------------------------------------------------------------------


def relevant_items(user_index, item_index, ratings, n_users: int,
                   threshold: float = 4.0) -> list[set[int]]:
    """Per user index, the set of items rated at least ``threshold`` stars (empty set if none).

    Pass the test set's columns: ``relevant_items(test.user_index, test.item_index, test.rating,
    n_users)``.
    """
    user_index = np.asarray(user_index).ravel()
    item_index = np.asarray(item_index).ravel()
    ratings = np.asarray(ratings, dtype=np.float64).ravel()
    if not user_index.size == item_index.size == ratings.size:
        raise ValueError("user_index, item_index and ratings must have the same length")
    if user_index.size and (user_index.min() < 0 or user_index.max() >= n_users):
        raise ValueError(f"user_index must lie in 0..{n_users - 1}: pass the encoded indices")
    relevant: list[set[int]] = [set() for _ in range(n_users)]
    liked = ratings >= threshold
    for user, item in zip(user_index[liked].tolist(), item_index[liked].tolist()):
        relevant[user].add(item)
    return relevant


def _hits(top_items, relevant, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean hits (users with a relevant item × k) and those users' relevant-set sizes."""
    top_items = np.asarray(top_items)
    if top_items.ndim != 2 or top_items.dtype.kind not in "iu":
        raise ValueError(f"top_items must be a 2-D integer array (users × n), got {top_items.shape}")
    if len(relevant) != top_items.shape[0]:
        raise ValueError(f"top_items has {top_items.shape[0]} rows but relevant has "
                         f"{len(relevant)} sets: give one set per user index")
    if not 1 <= k <= top_items.shape[1]:
        raise ValueError(f"k must lie in 1..{top_items.shape[1]} (the lists' length), got {k}")
    n_relevant = np.array([len(items) for items in relevant])
    users = np.flatnonzero(n_relevant > 0)
    if users.size == 0:
        raise ValueError("no user has a relevant item: nothing to evaluate")
    # one integer key per (user, item) pair, so membership is a single vectorised np.isin
    width = int(max(top_items.max(), max(max(relevant[u]) for u in users))) + 2
    relevant_keys = np.fromiter((u * width + i for u in users for i in relevant[u]), dtype=np.int64)
    shown = top_items[users, :k].astype(np.int64)
    hits = np.isin(users[:, None] * width + shown, relevant_keys) & (shown >= 0)
    return hits, n_relevant[users]


def precision_at_k(top_items, relevant, k: int = 10) -> float:
    """Mean over users of (relevant items among the top k) / k."""
    hits, _ = _hits(top_items, relevant, k)
    return float(hits.sum(axis=1).mean() / k)


def recall_at_k(top_items, relevant, k: int = 10) -> float:
    """Mean over users of (relevant items among the top k) / (the user's relevant items)."""
    hits, n_relevant = _hits(top_items, relevant, k)
    return float((hits.sum(axis=1) / n_relevant).mean())


def hit_rate_at_k(top_items, relevant, k: int = 10) -> float:
    """Share of users with at least one relevant item among their top k."""
    hits, _ = _hits(top_items, relevant, k)
    return float(hits.any(axis=1).mean())


def ndcg_at_k(top_items, relevant, k: int = 10) -> float:
    """Mean over users of DCG@k / ideal DCG@k, with DCG@k = Σ_rank hit / log2(rank + 1).

    The ideal list puts min(k, relevant items) hits first, so a perfect list scores 1.
    """
    hits, n_relevant = _hits(top_items, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discounts
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return float((dcg / ideal).mean())


def ndcg_per_user(top_items, relevant, k: int = 10) -> np.ndarray:
    """NDCG@k of each user with a relevant item, in user-index order (``ndcg_at_k`` is their
    mean, computed the same way): the values a bootstrap over test users resamples (notebook 07)."""
    hits, n_relevant = _hits(top_items, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return (hits @ discounts) / ideal


def catalog_coverage(top_items, n_items: int, k: int | None = None) -> float:
    """Share of the catalog's ``n_items`` that appear in at least one row's top ``k`` (all rows)."""
    top_items = np.asarray(top_items)
    if top_items.ndim != 2:
        raise ValueError(f"top_items must be a 2-D array (users × n), got shape {top_items.shape}")
    shown = top_items[:, :k] if k else top_items
    return float(np.unique(shown[shown >= 0]).size / n_items)


def ranking_report(top_items, relevant, k: int = 10, n_items: int | None = None) -> dict[str, float]:
    """All ranking metrics at ``k`` in one dict; coverage over every row, when ``n_items`` is given."""
    hits, _ = _hits(top_items, relevant, k)
    report = {
        f"precision@{k}": precision_at_k(top_items, relevant, k),
        f"recall@{k}": recall_at_k(top_items, relevant, k),
        f"ndcg@{k}": ndcg_at_k(top_items, relevant, k),
        f"hit_rate@{k}": hit_rate_at_k(top_items, relevant, k),
    }
    if n_items is not None:
        report["coverage"] = catalog_coverage(top_items, n_items, k)
    report["users"] = int(hits.shape[0])
    return report
