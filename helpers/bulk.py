"""Recommendations for every user at once: exact top-k in chunks, and an approximate index (notebook 08).

A score is a dot product ``user_vector · item_vector`` (a retrieval model's two towers, d = 64).
Scoring every user against every item at once needs an n_users × n_items matrix: 943 × 1,682 is
6 MB, but 943 × 1,000,000 float32 scores are 3.8 GB. ``exact_top_k`` scores the users a chunk at a
time, so the big array is chunk_size × n_items, whatever the number of users. ``ivf_index`` and
``ivf_top_k`` trade a little recall for speed: an inverted-file index (faiss ``IndexIVFFlat``)
scans only the ``n_probe`` clusters of items nearest each user. ``recall_against_exact`` says how
much the index misses, ``measure`` times a call and reads its peak memory in a fresh process, and
``bulk_table`` puts the methods side by side at 1,682 items and at a synthetic large catalogue.

Item indices are 0-based; a list is best first. Seen items (a user's train ratings) are never
recommended; a user with fewer than k unseen items gets a list padded with -1 (score -inf).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import resource
import time
import traceback
from collections.abc import Callable, Iterator
from functools import partial

import faiss
import numpy as np
import pandas as pd
import scipy.sparse

from helpers import SEED

LARGE_CATALOGUE = 1_000_000
"""The catalogue size of the full-scale timing (``MF_SERIES_FULL_SCALE=1``): synthetic items."""

CI_CATALOGUE = 50_000
"""The large catalogue by default (tests, CI, the committed notebook): ``bulk_table`` takes
about 5 s at this size on 2 shared cores (10 s at 100,000), plus about 7 s once per session to
start ``measure``'s fork server (it imports TensorFlow)."""

TARGET_RECALL = 0.9
"""``choose_n_probe`` takes the fewest clusters whose recall@10 against exact reaches this."""

N_PROBES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
"""The numbers of clusters ``probe_sweep`` tries (those up to the index's count): doubling, so
the sweep stays small."""

SWEEP_STOP = 0.99
"""``probe_sweep`` stops at the first n_probe whose recall reaches this."""

FAISS_THREADS = 1
"""faiss runs single-threaded here: its k-means then gives the same index on every run (no sum
can depend on a thread schedule), and on the series' shared 2-core machine one thread trained
faster than two (100,000 items: 2.7 s against 8.5 s)."""

METHODS = ("numpy", "keras")

WORKER_IMPORTS = ("helpers.bulk", "keras")
"""What ``measure``'s fork server imports once, so that a measurement starts in a fraction of a
second instead of importing TensorFlow again (``helpers`` first: it quiets TensorFlow)."""


def large_catalogue() -> int:
    """``LARGE_CATALOGUE`` when the environment says ``MF_SERIES_FULL_SCALE=1``, else
    ``CI_CATALOGUE`` (the tests and the committed notebook use the smaller size)."""
    return LARGE_CATALOGUE if os.environ.get("MF_SERIES_FULL_SCALE") == "1" else CI_CATALOGUE


# --------------------------------------------------------------------------------------------
# Exact top-k, a chunk of users at a time
# --------------------------------------------------------------------------------------------


def top_k_numpy(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best columns of each row of ``scores``, best first: a partial sort finds them
    (``argpartition``, linear time), a full sort orders only those k. Equal scores inside the list
    rank the lower column first; at the k-th place itself argpartition picks among equal scores."""
    best = np.sort(np.argpartition(scores, -k, axis=1)[:, -k:], axis=1)  # the k best, by column
    order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1)


def top_k_keras(scores: np.ndarray, k: int) -> np.ndarray:
    """The same with ``keras.ops.top_k`` (sorted; equal scores: the lower column first).

    TensorFlow and JAX return equal scores lower column first; PyTorch's ``topk`` promises no
    order among them, so the k are put in that order here (a sort of k columns: nothing to time).
    """
    import keras  # here, not at the top: the NumPy and faiss paths run without TensorFlow

    _, best = keras.ops.top_k(scores, k)
    best = keras.ops.convert_to_numpy(best).astype(np.int64)
    order = np.lexsort((best, -np.take_along_axis(np.asarray(scores), best, axis=1)), axis=-1)
    return np.take_along_axis(best, order, axis=1)


def exact_top_k(user_vectors: np.ndarray, item_vectors: np.ndarray, k: int = 10,
                seen=None, chunk_size: int = 256,
                method: str = "numpy") -> tuple[np.ndarray, np.ndarray]:
    """Every user's ``k`` best unseen items by dot product: ``(items, scores)``, n_users × k each.

    Users are scored ``chunk_size`` at a time, so the largest array is chunk_size × n_items
    scores, not n_users × n_items (with NumPy the peak is about three times that chunk: its
    float32 scores and argpartition's int64 positions). ``seen`` (a boolean n_users × n_items
    matrix, NumPy or SciPy sparse, or None) marks items never to recommend: they score -inf.
    ``method`` "numpy" ranks with ``top_k_numpy``, "keras" with ``keras.ops.top_k``; both give
    the same lists (but for equal scores at the k-th place).
    """
    user_vectors, item_vectors, seen = check_bulk_inputs(user_vectors, item_vectors, k, seen,
                                                         chunk_size, method)
    top_k = top_k_numpy if method == "numpy" else top_k_keras
    items = np.empty((len(user_vectors), k), dtype=np.int64)
    scores = np.empty((len(user_vectors), k), dtype=np.float32)
    for start in range(0, len(user_vectors), chunk_size):
        rows = slice(start, start + chunk_size)
        chunk = user_vectors[rows] @ item_vectors.T  # chunk_size × n_items: the one big array
        if seen is not None:
            chunk[seen[rows].nonzero()] = -np.inf  # a seen item is never recommended
        items[rows] = top_k(chunk, k)
        scores[rows] = np.take_along_axis(chunk, items[rows], axis=1)
    items[scores == -np.inf] = -1  # a user with fewer than k unseen items
    return items, scores


def check_bulk_inputs(user_vectors, item_vectors, k: int, seen=None, chunk_size: int = 1,
                      method: str = "numpy") -> tuple[np.ndarray, np.ndarray, object]:
    """The inputs of ``exact_top_k`` checked, the vectors as float32 matrices and ``seen`` as a
    boolean matrix or a SciPy CSR matrix; a ``ValueError`` names what is wrong."""
    user_vectors = check_vectors("user_vectors", user_vectors)
    item_vectors = check_vectors("item_vectors", item_vectors)
    if user_vectors.shape[1] != item_vectors.shape[1]:
        raise ValueError(f"user_vectors have {user_vectors.shape[1]} columns but item_vectors have "
                         f"{item_vectors.shape[1]}: a dot product needs vectors of the same length")
    check_k(k, len(item_vectors))
    if (isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer))
            or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose from {', '.join(METHODS)}")
    return user_vectors, item_vectors, check_seen(seen, len(user_vectors), len(item_vectors))


def check_vectors(name: str, vectors) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix with at least one row, all values finite."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or 0 in vectors.shape:
        raise ValueError(f"{name} must be a non-empty 2-D matrix (one row per "
                         f"{name.split('_')[0]}), got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise ValueError(f"{name} contain NaN or infinity: check the model's embeddings")
    return vectors


def check_k(k: int, n_items: int) -> None:
    """``k`` is an integer in 1..n_items."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in 1..{n_items} (the number of items), got {k!r}")


def check_seen(seen, n_users: int, n_items: int):
    """``seen`` (None, a boolean matrix or a SciPy sparse matrix) checked to be n_users × n_items;
    returned as a boolean NumPy matrix or a boolean CSR matrix (rows slice fast)."""
    if seen is None:
        return None
    if scipy.sparse.issparse(seen):
        if seen.shape != (n_users, n_items):
            raise ValueError(f"seen has shape {seen.shape} but there are {n_users} users and "
                             f"{n_items} items: it must be n_users × n_items")
        return scipy.sparse.csr_matrix(seen, dtype=bool)
    seen = np.asarray(seen)
    if seen.dtype != bool:
        raise ValueError(f"seen must be a boolean matrix (True where the user rated the item), "
                         f"got dtype {seen.dtype}")
    if seen.shape != (n_users, n_items):
        raise ValueError(f"seen has shape {seen.shape} but there are {n_users} users and "
                         f"{n_items} items: it must be n_users × n_items")
    return seen


# --------------------------------------------------------------------------------------------
# An approximate index: faiss's inverted file (IVF)
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def faiss_threads(n_threads: int = FAISS_THREADS) -> Iterator[None]:
    """Run faiss with ``n_threads`` OpenMP threads inside the block, and restore the count after."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n_threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def default_n_lists(n_items: int) -> int:
    """About 4·√n_items clusters, and at least 39 items in each.

    faiss's guideline for an IVF index is 4·√n to 16·√n clusters: a count that grows as √n
    balances the two costs of a search, comparing the user with every centroid and scanning the
    items of the probed clusters. The low end keeps k-means, whose cost grows with items ×
    clusters, cheap to train. faiss's k-means wants ≥ 39 training points per cluster (it warns
    below that): at 1,682 items that caps the count at 43 clusters instead of 164.
    """
    return max(1, min(round(4 * np.sqrt(n_items)), n_items // 39))


def ivf_index(item_vectors: np.ndarray, n_lists: int | None = None, seed: int = SEED):
    """A faiss ``IndexIVFFlat`` over ``item_vectors`` for the inner product, trained and filled.

    k-means (seeded with ``seed``, 10 iterations, on at most 64 items per cluster: faiss's own
    seeded sample) groups the items into ``n_lists`` clusters (``default_n_lists``); a search
    scans only the clusters whose centroids score best for the user. Single-threaded
    (``FAISS_THREADS``): the same index on every run.
    """
    item_vectors = check_vectors("item_vectors", item_vectors)
    n_items, dimension = item_vectors.shape
    n_lists = default_n_lists(n_items) if n_lists is None else n_lists
    if not 1 <= n_lists <= n_items:
        raise ValueError(f"n_lists must lie in 1..{n_items} (the number of items), got {n_lists}")
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, n_lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed, index.cp.niter = seed, 10
    index.cp.min_points_per_centroid, index.cp.max_points_per_centroid = 1, 64
    with faiss_threads():
        index.train(item_vectors)
        index.add(item_vectors)
    return index


def ivf_top_k(index, user_vectors: np.ndarray, k: int = 10, n_probe: int = 8,
              seen=None) -> tuple[np.ndarray, np.ndarray]:
    """Every user's ``k`` best unseen items found by the IVF ``index``: ``(items, scores)``.

    Each user's vector is compared with the cluster centroids, and the items of the ``n_probe``
    best clusters are scored exactly. To leave seen items out, faiss is asked for k + (the most
    items any user has seen) results in one search for all users, and each user's seen items are
    then dropped: at least k unseen ones remain whenever the probed clusters hold them. (A faiss
    ``IDSelector`` per user would skip them inside the search, at one call per user.) Lists the
    probed clusters cannot fill are padded with -1.
    """
    n_items = index.ntotal
    user_vectors = check_vectors("user_vectors", user_vectors)
    if user_vectors.shape[1] != index.d:
        raise ValueError(f"user_vectors have {user_vectors.shape[1]} columns but the index holds "
                         f"vectors of {index.d}: build it from the same model's item vectors")
    check_k(k, n_items)
    seen = check_seen(seen, len(user_vectors), n_items)
    if isinstance(n_probe, bool) or not isinstance(n_probe, (int, np.integer)) or n_probe < 1:
        raise ValueError(f"n_probe must be a positive integer (clusters to scan), got {n_probe!r}")
    extra = 0 if seen is None else int(seen.sum(axis=1).max())
    with faiss_threads():
        scores, items = index.search(user_vectors, min(k + extra, n_items),
                                     params=faiss.SearchParametersIVF(nprobe=int(n_probe)))
    keep = items >= 0
    if seen is not None:
        users, rated = seen.nonzero()
        keep &= ~np.isin(np.arange(len(items))[:, None] * n_items + items,
                         users.astype(np.int64) * n_items + rated)
    first = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # the k best kept, in order
    kept = np.take_along_axis(keep, first, axis=1)
    items = np.where(kept, np.take_along_axis(items, first, axis=1), -1)
    scores = np.where(kept, np.take_along_axis(scores, first, axis=1), -np.inf).astype(np.float32)
    return items, scores


def recall_against_exact(approximate_items: np.ndarray, exact_items: np.ndarray) -> float:
    """Mean over users of |approximate ∩ exact| / |exact|: the share of the exact top-k the
    approximate lists found (-1 padding is not an item; users with an empty exact list are
    skipped)."""
    approximate_items, exact_items = np.asarray(approximate_items), np.asarray(exact_items)
    if approximate_items.ndim != 2 or approximate_items.shape != exact_items.shape:
        raise ValueError(f"approximate_items {approximate_items.shape} and exact_items "
                         f"{exact_items.shape} must be matrices of the same shape (users × k)")
    found = (approximate_items[:, :, None] == exact_items[:, None, :]).any(axis=1)  # users × k
    found &= exact_items >= 0
    listed = (exact_items >= 0).sum(axis=1)
    if not listed.any():
        raise ValueError("exact_items holds no item: recall is undefined")
    return float(np.mean(found.sum(axis=1)[listed > 0] / listed[listed > 0]))


def probe_sweep(user_vectors: np.ndarray, item_vectors: np.ndarray, seen=None, k: int = 10,
                n_probes: tuple[int, ...] = N_PROBES, n_lists: int | None = None,
                seed: int = SEED, exact_items: np.ndarray | None = None,
                index=None) -> pd.DataFrame:
    """Recall@k against exact and search time for each number of probed clusters.

    One index (``ivf_index``) is searched with each ``n_probe`` up to its number of clusters (and
    up to the first whose recall reaches ``SWEEP_STOP``: more probes only cost time); the
    table has ``n_probe``, the ``share scanned`` of clusters, ``recall`` and ``seconds`` (one
    search for every user, wall time). ``exact_items`` (from ``exact_top_k``) and ``index`` (from
    ``ivf_index``) save computing them again. ``choose_n_probe`` reads the table.
    """
    if exact_items is None:
        exact_items, _ = exact_top_k(user_vectors, item_vectors, k, seen)
    if index is None:
        index = ivf_index(item_vectors, n_lists, seed)
    rows = []
    for n_probe in [n for n in n_probes if n <= index.nlist] or [index.nlist]:
        start = time.perf_counter()
        items, _ = ivf_top_k(index, user_vectors, k, n_probe, seen)
        rows.append({"n_probe": n_probe, "share scanned": n_probe / index.nlist,
                     "recall": recall_against_exact(items, exact_items),
                     "seconds": time.perf_counter() - start})
        if rows[-1]["recall"] >= SWEEP_STOP:
            break
    return pd.DataFrame(rows)


def choose_n_probe(sweep: pd.DataFrame, target: float = TARGET_RECALL) -> int:
    """The fewest probed clusters of a ``probe_sweep`` table whose recall reaches ``target``."""
    good = sweep[sweep["recall"] >= target]
    if good.empty:
        raise ValueError(f"no n_probe in {sweep['n_probe'].tolist()} reaches recall {target} "
                         f"(best {sweep['recall'].max():.3f}): sweep larger values")
    return int(good["n_probe"].min())


# --------------------------------------------------------------------------------------------
# Synthetic catalogues, and measuring time and memory
# --------------------------------------------------------------------------------------------


def synthetic_item_vectors(item_vectors: np.ndarray, n_items: int, seed: int = SEED) -> np.ndarray:
    """``n_items`` synthetic item vectors (float32) for timing only: draws from a multivariate
    normal with the trained vectors' mean and covariance. They are not movies: they share the
    trained vectors' scale and main directions but not their clusters, so speed measured on them
    carries over to a real catalogue of that size better than recall does."""
    item_vectors = np.asarray(item_vectors, dtype=np.float64)
    if item_vectors.ndim != 2 or len(item_vectors) < 2:
        raise ValueError(f"item_vectors must be a matrix of at least 2 items, got shape "
                         f"{item_vectors.shape}")
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)) or n_items < 1:
        raise ValueError(f"n_items must be a positive integer, got {n_items!r}")
    mean = item_vectors.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(item_vectors, rowvar=False))
    factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))  # factor @ factorᵀ = cov
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((n_items, item_vectors.shape[1]), dtype=np.float32)
    return draws @ factor.T.astype(np.float32) + mean.astype(np.float32)


def _resident_kb(field: str) -> int | None:
    """A ``Vm…`` line of /proc/self/status in kB (Linux), or None where there is none."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Set this process's peak resident memory (VmHWM) back to its current value (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _measured_call(connection, function: Callable, args: tuple, warm_up: Callable | None) -> None:
    """In the worker: warm up, take the baseline, run the call, send its time, peak and result."""
    try:
        if warm_up is not None:
            warm_up()
        gc.collect()
        baseline_kb = _resident_kb("VmRSS") if _reset_peak() else None
        if baseline_kb is None:  # no /proc: the high-water mark so far is the best baseline
            baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = function(*args)
        seconds = time.perf_counter() - start
        peak_kb = _resident_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        connection.send({"seconds": seconds, "peak_mb": max(peak_kb - baseline_kb, 0) / 1024,
                         "result": result})
    except BaseException as error:  # noqa: B036 (the parent re-raises it)
        try:
            connection.send({"error": error})
        except Exception:  # an error that does not pickle: send its text
            connection.send({"error": RuntimeError(traceback.format_exc())})
    finally:
        connection.close()


def measure(function: Callable, *args, warm_up: Callable | None = None,
            timeout: float = 900.0) -> dict:
    """Wall time and peak memory of ``function(*args)``, run once in a fresh worker process.

    Returns ``seconds``, ``peak_mb`` and the call's ``result``. The worker is forked from
    multiprocessing's fork server: a clean Python started once per session (not a copy of this
    one) that has imported ``WORKER_IMPORTS``, so TensorFlow is not imported for every
    measurement; the server ends with this process. The worker receives the arguments, runs
    ``warm_up()`` if given (e.g. the same function on a tiny input, so that one-time setup is not
    counted), and takes its baseline: its resident memory at that moment, with the peak reset to
    it (Linux's /proc/self/clear_refs; elsewhere the peak so far is the baseline). ``peak_mb`` is
    the peak resident memory during the call minus that baseline: what the call allocated and
    touched, by NumPy, faiss or TensorFlow alike (tracemalloc sees only Python's own), including
    the result it returns. Memory freed and reused inside the call counts once. ``function``
    must be importable (defined at a module's top level, not in a notebook cell). The worker is
    always joined, or killed, also on an error or after ``timeout`` seconds; an error in the call
    is raised here.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(WORKER_IMPORTS))
    else:  # Windows: a new Python per measurement (slower to start, as clean)
        context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_measured_call, args=(sender, function, args, warm_up),
                             daemon=True)
    try:
        worker.start()
    except BaseException:  # not started (e.g. a script without `if __name__ == "__main__":`)
        receiver.close()
        sender.close()
        raise
    try:
        sender.close()  # the worker holds its own copy: the parent reads EOF if the worker dies
        if not receiver.poll(timeout):
            raise TimeoutError(f"{getattr(function, '__name__', function)} took longer than "
                               f"{timeout} s: measure a smaller size or raise the timeout")
        try:
            outcome = receiver.recv()
        except EOFError:
            worker.join(5)
            raise RuntimeError(f"the worker measuring {getattr(function, '__name__', function)} "
                               f"died (exit code {worker.exitcode}): out of memory?") from None
    finally:
        receiver.close()
        worker.join(10)
        if worker.is_alive():
            worker.kill()
            worker.join()
        worker.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome


# --------------------------------------------------------------------------------------------
# The table of notebook 08
# --------------------------------------------------------------------------------------------


def catalogue(item_vectors: np.ndarray, seen, n_items: int,
              seed: int = SEED) -> tuple[np.ndarray, object, str]:
    """The item vectors and seen matrix of a catalogue of ``n_items``: the real ones at the real
    size, else synthetic vectors (``synthetic_item_vectors``) whose first items stand in for the
    real ones in ``seen`` (a user has "seen" synthetic item i if they rated real item i).
    Returns ``(item_vectors, seen as CSR or None, "real" or "synthetic")``."""
    item_vectors = np.asarray(item_vectors, dtype=np.float32)
    seen = None if seen is None else scipy.sparse.csr_matrix(seen, dtype=bool)
    if n_items == len(item_vectors):
        return item_vectors, seen, "real"
    vectors = synthetic_item_vectors(item_vectors, n_items, seed)
    if seen is not None:
        seen = seen[:, : min(n_items, seen.shape[1])]
        seen = scipy.sparse.csr_matrix((seen.data, seen.indices, seen.indptr),
                                       shape=(seen.shape[0], n_items))
    return vectors, seen, "synthetic"


def _tuning_users(n_users: int) -> np.ndarray:
    """The users n_probe is chosen on: every other user (even indices)."""
    return np.arange(0, n_users, 2)


def bulk_table(user_vectors: np.ndarray, item_vectors: np.ndarray, seen,
               sizes: tuple[int, ...] | None = None, k: int = 10,
               n_probe: int | dict[int, int] | None = None, chunk_size: int = 256,
               seed: int = SEED) -> pd.DataFrame:
    """Time, peak memory and recall@k of bulk recommendation, per method and catalogue size.

    ``sizes`` defaults to the real catalogue and ``large_catalogue()`` (50,000 synthetic items,
    or 1,000,000 with ``MF_SERIES_FULL_SCALE=1``). For each size, three rows: exact top-k with
    NumPy and with ``keras.ops.top_k`` (``chunk_size`` users at a time), and the faiss IVF index
    (``default_n_lists`` clusters). Each step is measured once in a fresh process (``measure``):
    ``seconds`` is the wall time to recommend for every user, ``build s`` the time to train and
    fill the index (0 for exact), ``peak MB`` the most memory either step needed. ``n_probe``
    (one number, a dict by size, or None) sets the clusters the index scans; None chooses it per
    size with ``probe_sweep`` and ``choose_n_probe`` on every other user (even indices): the
    fewest reaching ``TARGET_RECALL``. The sweeps are in ``table.attrs["sweeps"]``, by size.
    ``recall@k`` is against exact NumPy: for an index whose n_probe was chosen here, over the
    other half of the users (odd indices), which the choice did not see; else over all users.
    ``vectors`` says whether the items were real or synthetic.
    """
    user_vectors, _, _ = check_bulk_inputs(user_vectors, item_vectors, k, seen)
    sizes = (len(item_vectors), large_catalogue()) if sizes is None else sizes
    rows, sweeps = [], {}
    for size in sizes:
        vectors, size_seen, kind = catalogue(item_vectors, seen, size, seed)
        tiny = (user_vectors[:1], vectors[:k])  # the warm-up call: imports and one-time setup
        exact = {}
        for method in METHODS:
            warm_up = partial(exact_top_k, *tiny, k, None, chunk_size, method)
            run = measure(exact_top_k, user_vectors, vectors, k, size_seen, chunk_size, method,
                          warm_up=warm_up)
            exact[method] = run["result"][0]
            rows.append({"items": size, "vectors": kind, "method": f"exact, {method}",
                         "n_probe": None, "build s": 0.0, "seconds": run["seconds"],
                         "peak MB": run["peak_mb"],
                         "recall@k": recall_against_exact(exact[method], exact["numpy"])})
        build = measure(ivf_index, vectors, None, seed, warm_up=partial(ivf_index, tiny[1]))
        index = build["result"]
        probes = n_probe.get(size) if isinstance(n_probe, dict) else n_probe
        scored = np.arange(len(user_vectors))  # the users recall is reported on
        if probes is None:
            tuning = _tuning_users(len(user_vectors))
            sweeps[size] = probe_sweep(user_vectors[tuning], vectors, None if size_seen is None
                                       else size_seen[tuning], k, seed=seed,
                                       exact_items=exact["numpy"][tuning], index=index)
            probes = choose_n_probe(sweeps[size])
            scored = np.setdiff1d(scored, tuning)  # reported on the other half: chosen on one
        search = measure(ivf_top_k, index, user_vectors, k, probes, size_seen)
        rows.append({"items": size, "vectors": kind, "method": "faiss IVF", "n_probe": probes,
                     "build s": build["seconds"], "seconds": search["seconds"],
                     "peak MB": max(build["peak_mb"], search["peak_mb"]),
                     "recall@k": recall_against_exact(search["result"][0][scored],
                                                      exact["numpy"][scored])})
    table = pd.DataFrame(rows)
    table["n_probe"] = table["n_probe"].astype("Int64")
    table.attrs["sweeps"] = sweeps  # the n_probe sweeps behind the choices, by size
    return table.rename(columns={"recall@k": f"recall@{k}"})
