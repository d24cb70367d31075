"""From a trained model to recommendations: embeddings, top-n lists, similar items (notebook 05).

Scores are a matrix ``scores[u, i]`` (user index × item index), higher is better. Every function
works for all users at once (no Python loop over users), and takes and returns 0-based indices;
the functions that talk to people (``recommend_for_user``, ``similar_movies``) take original ids
and titles and answer with titles.

Ties: items with equal scores are ranked by item index, lower first, so a list is the same on
every run and on every machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.checks import check_new_user
from helpers.data import IdEncoding


def extract_embeddings(model) -> dict[str, np.ndarray]:
    """The user/item embedding matrices and biases of a trained Keras model, found by layer name.

    Reads the layers ``user_embedding`` and ``item_embedding`` (Embedding layers, notebook 02), or,
    for the ranking model of notebook 05, ``item_scores`` (a Dense layer whose kernel is the item
    embedding matrix, transposed, and whose bias is the item bias). ``user_bias``/``item_bias``
    are Embedding layers of width 1 when the model has them, else zeros.
    Returns ``user_embeddings`` (n_users × k), ``item_embeddings`` (n_items × k), ``user_bias``
    (n_users,) and ``item_bias`` (n_items,) as NumPy arrays.
    """
    names = {layer.name for layer in model.layers}
    if "user_embedding" not in names or not names & {"item_embedding", "item_scores"}:
        raise ValueError(f"the model needs layers named 'user_embedding' and 'item_embedding' "
                         f"(or 'item_scores'); it has {sorted(names)}")
    user_embeddings = np.asarray(model.get_layer("user_embedding").get_weights()[0])
    if "item_embedding" in names:
        item_embeddings = np.asarray(model.get_layer("item_embedding").get_weights()[0])
        item_bias = (np.asarray(model.get_layer("item_bias").get_weights()[0]).ravel()
                     if "item_bias" in names else np.zeros(len(item_embeddings), np.float32))
    else:
        kernel, bias = model.get_layer("item_scores").get_weights()
        item_embeddings, item_bias = np.asarray(kernel).T, np.asarray(bias)
    user_bias = (np.asarray(model.get_layer("user_bias").get_weights()[0]).ravel()
                 if "user_bias" in names else np.zeros(len(user_embeddings), np.float32))
    return {"user_embeddings": user_embeddings, "item_embeddings": item_embeddings,
            "user_bias": user_bias, "item_bias": item_bias}


def score_matrix(embeddings: dict[str, np.ndarray]) -> np.ndarray:
    """Every user's score for every item: ``U Vᵀ + b_user + b_item`` (n_users × n_items).

    A model's global offset (the mean rating) is left out: it shifts every score equally and
    changes no ranking.
    """
    return (embeddings["user_embeddings"] @ embeddings["item_embeddings"].T
            + embeddings["user_bias"][:, None] + embeddings["item_bias"][None, :])


def seen_mask(train: pd.DataFrame, n_users: int, n_items: int) -> np.ndarray:
    """Boolean matrix (n_users × n_items), True where the user rated the item in ``train``."""
    for column, size in (("user_index", n_users), ("item_index", n_items)):
        if column not in train:
            raise ValueError(f"train has no '{column}' column: encode it with helpers.data.encode_ids")
        if len(train) and not 0 <= train[column].min() <= train[column].max() < size:
            raise ValueError(f"train['{column}'] must lie in 0..{size - 1}")
    mask = np.zeros((n_users, n_items), dtype=bool)
    mask[train["user_index"].to_numpy(), train["item_index"].to_numpy()] = True
    return mask


def top_n(scores: np.ndarray, exclude: np.ndarray | None = None, n: int = 10) -> np.ndarray:
    """The ``n`` best item indices per row of ``scores``, best first (n_users × n, int64).

    ``exclude`` is a boolean matrix of the same shape (e.g. ``seen_mask(train, ...)``): those
    items are never recommended, nor are items scored -inf. Equal scores rank the lower item
    index first. A row with fewer than ``n`` allowed items is padded with -1.
    """
    scores = np.asarray(scores)
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)  # float32 scores stay float32: faster, same order
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D matrix (users × items), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN: check the model's output before ranking")
    if not 1 <= n <= scores.shape[1]:
        raise ValueError(f"n must lie in 1..{scores.shape[1]} (the number of items), got {n}")
    cost = -scores  # ascending cost = descending score
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool)
        if exclude.shape != scores.shape:
            raise ValueError(f"exclude has shape {exclude.shape} but scores have {scores.shape}")
        cost[exclude] = np.inf
    # only items at least as good as each row's n-th best can make the list: find them with a
    # partial sort (fast), then sort those few; a stable sort keeps equal scores in index order
    nth_best = np.partition(cost, n - 1, axis=1)[:, n - 1 : n]
    shortlist = cost <= nth_best
    order = np.empty((len(cost), n), dtype=np.int64)
    exact = shortlist.sum(axis=1) == n  # no tie straddles the n-th place
    candidates = np.nonzero(shortlist[exact])[1].reshape(-1, n)  # in index order within a row
    ranked = np.argsort(np.take_along_axis(cost[exact], candidates, axis=1), axis=1, kind="stable")
    order[exact] = np.take_along_axis(candidates, ranked, axis=1)
    order[~exact] = np.argsort(cost[~exact], axis=1, kind="stable")[:, :n]
    return np.where(np.take_along_axis(cost, order, axis=1) == np.inf, -1, order)


def recommend_for_user(user_id: int, scores: np.ndarray, train: pd.DataFrame,
                       encoding: IdEncoding, movies: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The top ``n`` movies for one original ``user_id``, excluding what they rated in ``train``.

    Returns a table with ``rank``, ``item_id``, ``title``, ``genres`` and ``score``.
    """
    user = int(encoding.user_index([user_id])[0])  # a clear ValueError for an unknown user
    if scores.shape != (encoding.n_users, encoding.n_items):
        raise ValueError(f"scores must have shape {(encoding.n_users, encoding.n_items)} "
                         f"(users × items of the encoding), got {scores.shape}")
    seen = np.zeros(encoding.n_items, dtype=bool)
    seen[train.loc[train["user_index"] == user, "item_index"].to_numpy()] = True
    items = top_n(scores[user : user + 1], seen[None, :], n)[0]
    items = items[items >= 0]
    return _titled(items, scores[user, items], encoding, movies, "score")


def similar_items(item_embeddings: np.ndarray, item_index: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` items most similar to ``item_index`` by cosine similarity, itself left out.

    Returns ``(indices, cosine similarities)``, most similar first (ties: lower index first).
    """
    item_embeddings = np.asarray(item_embeddings, dtype=np.float64)
    n_items = len(item_embeddings)
    if not 0 <= int(item_index) < n_items:
        raise ValueError(f"item_index {item_index} is out of range: indices run from 0 to {n_items - 1}")
    if not 1 <= n < n_items:
        raise ValueError(f"n must lie in 1..{n_items - 1}, got {n}")
    norms = np.linalg.norm(item_embeddings, axis=1)
    unit = item_embeddings / np.where(norms > 0, norms, 1.0)[:, None]
    cosine = unit @ unit[int(item_index)]
    itself = np.zeros((1, n_items), dtype=bool)
    itself[0, int(item_index)] = True
    indices = top_n(cosine[None, :], itself, n)[0]
    return indices, cosine[indices]


def top_n_frame(top_items: np.ndarray, encoding: IdEncoding,
                movies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Top-n lists (users × n item indices) as a long table: ``user_id``, ``rank``, ``item_id``
    (and ``title`` when ``movies`` is given), one row per recommendation; -1 padding is dropped."""
    top_items = np.asarray(top_items)
    if top_items.ndim != 2 or top_items.shape[0] != encoding.n_users:
        raise ValueError(f"top_items must have one row per user ({encoding.n_users}), "
                         f"got shape {top_items.shape}")
    users, ranks = np.indices(top_items.shape)
    keep = top_items >= 0
    table = pd.DataFrame({"user_id": encoding.user_ids[users[keep]], "rank": ranks[keep] + 1,
                          "item_id": encoding.item_ids[top_items[keep]]})
    if movies is not None:
        table = table.merge(movies[["item_id", "title"]], on="item_id", how="left")
    return table


def item_id_of(movies: pd.DataFrame, title: str) -> int:
    """The ``item_id`` of the movie called ``title`` (exact, case-insensitive; the first if several)."""
    matches = movies.loc[movies["title"].str.lower() == title.strip().lower(), "item_id"]
    if matches.empty:
        near = movies.loc[movies["title"].str.contains(title.strip()[:12], case=False, regex=False),
                          "title"].head(3).tolist()
        raise ValueError(f"no movie titled {title!r}" + (f"; did you mean {near}?" if near else ""))
    return int(matches.iloc[0])


def similar_movies(item_id: int, item_embeddings: np.ndarray, encoding: IdEncoding,
                   movies: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` movies most similar to the original ``item_id``, as a table with titles."""
    item = int(encoding.item_index([item_id])[0])  # a clear ValueError for an unknown movie
    indices, cosine = similar_items(item_embeddings, item, n)
    return _titled(indices, cosine, encoding, movies, "cosine")


def _titled(items: np.ndarray, values: np.ndarray, encoding: IdEncoding, movies: pd.DataFrame,
            value_name: str) -> pd.DataFrame:
    """A ranked table of item indices with their ids, titles, genres and a value column."""
    table = pd.DataFrame({"rank": np.arange(1, len(items) + 1), "item_id": encoding.item_ids[items],
                          value_name: np.round(np.asarray(values, dtype=np.float64), 3)})
    table = table.merge(movies[["item_id", "title", "genres"]], on="item_id", how="left")
    return table[["rank", "item_id", "title", "genres", value_name]].set_index("rank")


# --------------------------------------------------------------------------------------------
# New users (notebook 06): fold a user who is not in the trained model into it
# --------------------------------------------------------------------------------------------


def logit_stars(stars, rating_range: tuple[float, float]) -> np.ndarray:
    """The inverse of ``low + (high - low) · sigmoid(z)``: the logit z of a rating in stars."""
    low, high = rating_range
    return np.log((stars - low) / (high - stars))


def fold_in_user(item_index, ratings, item_embeddings: np.ndarray, item_bias: np.ndarray,
                 global_mean: float, l2: float = 10.0,
                 rating_range: tuple[float, float] | None = None) -> tuple[np.ndarray, float]:
    """A new user's vector and bias for a trained rating MF, its item side held fixed (notebook 06).

    Solves the ridge regression  min ‖y − X w‖² + l2 ‖w‖²  with X = [Q_rated, 1] (the rated
    movies' embeddings and a column of ones for the bias), y = r − μ − b_rated, and w = [p_u, b_u]:
    w = (XᵀX + l2·I)⁻¹ Xᵀ y. With ``rating_range=(low, high)`` (the model squashes its output as
    ``helpers.models.build_tuned_mf`` does) ratings and μ are first mapped back through the
    sigmoid, so the problem is linear in w again. Returns ``(user_vector, user_bias)``.
    """
    item_embeddings = np.asarray(item_embeddings, dtype=np.float64)
    item_bias = np.asarray(item_bias, dtype=np.float64).ravel()
    if item_embeddings.ndim != 2 or item_bias.shape != (len(item_embeddings),):
        raise ValueError(f"item_embeddings must be (n_items × k) and item_bias (n_items,), got "
                         f"{item_embeddings.shape} and {item_bias.shape}")
    item_index = check_new_user(item_index, item_embeddings, ratings)
    ratings = np.asarray(ratings, dtype=np.float64).ravel()
    if not np.isfinite(ratings).all():
        raise ValueError("the new user's ratings contain NaN or infinity: give numbers of stars")
    if not l2 > 0:
        raise ValueError(f"l2 must be positive (it keeps the system solvable), got {l2}")
    if rating_range is None:
        target = ratings - global_mean - item_bias[item_index]
    else:
        low, high = rating_range
        if ratings.min() <= low or ratings.max() >= high or not low < global_mean < high:
            raise ValueError(f"ratings and global_mean must lie strictly inside rating_range "
                             f"{rating_range}, got ratings {ratings.min()}..{ratings.max()}")
        target = (logit_stars(ratings, rating_range) - logit_stars(global_mean, rating_range)
                  - item_bias[item_index])
    design = np.hstack([item_embeddings[item_index], np.ones((item_index.size, 1))])
    k = item_embeddings.shape[1]
    weights = np.linalg.solve(design.T @ design + l2 * np.eye(k + 1), design.T @ target)
    return weights[:k], float(weights[k])


def new_user_ratings(user_vector: np.ndarray, user_bias: float, item_embeddings: np.ndarray,
                     item_bias: np.ndarray, global_mean: float,
                     rating_range: tuple[float, float] | None = None) -> np.ndarray:
    """Predicted stars of a folded-in user for every item: μ + b_u + b_i + p_u·q_i (squashed
    into ``rating_range`` when the model squashes its output), an array of n_items."""
    item_embeddings = np.asarray(item_embeddings, dtype=np.float64)
    user_vector = np.asarray(user_vector, dtype=np.float64).ravel()
    if user_vector.shape != (item_embeddings.shape[1],):
        raise ValueError(f"user_vector has {user_vector.size} values but the item embeddings "
                         f"have {item_embeddings.shape[1]} columns")
    score = item_embeddings @ user_vector + user_bias + np.asarray(item_bias, dtype=np.float64).ravel()
    if rating_range is None:
        return global_mean + score
    low, high = rating_range
    logit = score + logit_stars(global_mean, rating_range)
    return low + (high - low) / (1.0 + np.exp(-logit))


def fold_in_ranking_users(rated: np.ndarray, item_embeddings: np.ndarray, item_bias: np.ndarray,
                          l2: float = 10.0, steps: int = 6) -> np.ndarray:
    """New users' vectors for notebook 05's softmax ranking model, its items held fixed.

    ``rated`` is a boolean matrix (new users × n_items), True where a user rated the movie. For
    each user, maximises the log-likelihood of their rated movies under the model's softmax over
    all items, minus (l2/2)‖p‖², by Newton's method: the objective is concave, and a handful of
    steps converge. Vectorised over users: the n_users Hessians come out of one matrix product
    with the items' outer products. Returns the vectors (new users × k); scores are P Vᵀ + c.
    """
    item_embeddings = np.asarray(item_embeddings, dtype=np.float64)
    item_bias = np.asarray(item_bias, dtype=np.float64).ravel()
    if item_embeddings.ndim != 2 or item_bias.shape != (len(item_embeddings),):
        raise ValueError(f"item_embeddings must be (n_items × k) and item_bias (n_items,), got "
                         f"{item_embeddings.shape} and {item_bias.shape}")
    rated = np.asarray(rated)
    n_items, k = item_embeddings.shape
    if rated.ndim != 2 or rated.shape[1] != n_items or rated.dtype != bool:
        raise ValueError(f"rated must be a boolean matrix (new users × {n_items} items), got "
                         f"{rated.dtype} of shape {rated.shape}")
    counts = rated.sum(axis=1).astype(np.float64)
    if (counts == 0).any():
        raise ValueError(f"new user row {int(np.argmin(counts))} has rated nothing: fold-in needs at "
                         "least one rating (recommend popular movies until they rate some)")
    if not l2 > 0:
        raise ValueError(f"l2 must be positive (it keeps the Newton steps stable), got {l2}")
    # every item's outer product v vᵀ, flattened: shares @ outer gives all users' E[v vᵀ] at once
    # (float32 halves the cost; the gradient, which fixes the answer, stays in float64)
    outer = (item_embeddings[:, :, None] * item_embeddings[:, None, :]).reshape(n_items, k * k)
    outer = outer.astype(np.float32)
    rated_sums = rated.astype(np.float64) @ item_embeddings
    vectors = np.zeros((len(rated), k))
    for _ in range(steps):
        logits = vectors @ item_embeddings.T + item_bias
        shares = np.exp(logits - logits.max(axis=1, keepdims=True))
        shares /= shares.sum(axis=1, keepdims=True)  # each user's softmax over all items
        expected = shares @ item_embeddings
        gradients = counts[:, None] * expected - rated_sums + l2 * vectors
        second_moments = (shares.astype(np.float32) @ outer).astype(np.float64).reshape(-1, k, k)
        covariances = second_moments - expected[:, :, None] * expected[:, None, :]
        hessians = counts[:, None, None] * covariances + l2 * np.eye(k)
        vectors = vectors - np.linalg.solve(hessians, gradients[:, :, None])[:, :, 0]
    return vectors


def recommend_for_new_user(scores: np.ndarray, rated_item_ids, encoding: IdEncoding,
                           movies: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The top ``n`` movies for a new user from their ``scores`` (n_items), without the movies
    they rated; a table with ``rank``, ``item_id``, ``title``, ``genres`` and ``score``."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape != (encoding.n_items,):
        raise ValueError(f"scores must hold one value per item ({encoding.n_items}), got {scores.size}")
    rated = np.zeros((1, encoding.n_items), dtype=bool)
    rated[0, encoding.item_index(rated_item_ids)] = True  # a clear ValueError for unknown ids
    items = top_n(scores[None, :], rated, n)[0]
    items = items[items >= 0]
    return _titled(items, scores[items], encoding, movies, "score")
