"""Serving recommendations: a Keras model exported as a SavedModel, and a small HTTP service (notebook 08).

Three steps take a trained model to an answer over HTTP:

1. ``build_recommender`` wraps the vectors of any model whose score is a dot product (user
   vector · item vector, + an item bias) in a Keras layer that also knows the MovieLens ids, the
   titles and which movies each user already rated; ``recommender.recommend(user_id, k)`` answers with
   ``keras.ops`` only.
2. ``export_recommender`` writes it as a self-contained SavedModel (``keras.export.ExportArchive``)
   with two endpoints: ``recommend(user_id, k)`` (an int32 MovieLens user id and an int32 k) →
   ``{"item_ids", "scores", "titles", "known"}``, best first, rated movies removed, empty lists and
   ``known=False`` for an unknown user; and ``catalog()`` → ``{"user_ids", "item_ids", "titles"}``.
   ``tf.saved_model.load(path)`` reads it back without this package.
3. ``make_server`` / ``serve_in_background`` answer ``GET /recommendations?user_id=1&k=10`` and
   ``GET /health`` with JSON (standard library only); ``latency`` measures it with real requests.

``python -m helpers.serving [--port PORT] [--artefact DIR] [--build-only] [--rebuild]`` builds the
production artefact (the two-tower model fitted on all of MovieLens 100k) if it is missing, then
serves it (``make serve``).
"""

from __future__ import annotations

import argparse
import errno
import itertools
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARTEFACT = ROOT / "build" / "serving" / "recommender"
"""Where ``python -m helpers.serving`` keeps the production artefact (``build/`` is git-ignored)."""

MAX_K = 100
"""The largest ``k`` the HTTP service accepts."""

DEFAULT_K = 10
"""The ``k`` of a request that does not give one."""

_INT32 = (-(2**31), 2**31 - 1)


# --------------------------------------------------------------------------------------------
# The recommender: a Keras layer that holds the vectors, the ids, the titles and the seen movies
# --------------------------------------------------------------------------------------------


def _recommender_class():
    """The ``Recommender`` layer class, defined on first use so that the CLI starts without Keras."""
    global _RECOMMENDER_CLASS
    if _RECOMMENDER_CLASS is not None:
        return _RECOMMENDER_CLASS
    import keras
    from keras import ops

    class Recommender(keras.layers.Layer):
        """Top-k movies for a MovieLens user id: ``user_vector · item_vector (+ bias)``, seen removed.

        Every table is a non-trainable variable, so an export carries them all. ``call`` returns
        ``item_index`` (0-based), ``item_ids`` (MovieLens ids), ``scores`` and ``known``; an
        unknown user id gives empty lists and ``known=False``. ``k`` is capped at the number of
        movies the user has not rated.
        """

        def __init__(self, user_vectors, item_vectors, seen, user_ids, item_ids, titles,
                     item_bias=None, name: str = "recommender", **kwargs):
            super().__init__(name=name, **kwargs)
            self.titles = np.asarray(titles, dtype=str)
            self.user_vectors = keras.Variable(user_vectors, trainable=False, name="user_vectors")
            self.item_vectors = keras.Variable(item_vectors, trainable=False, name="item_vectors")
            self.item_bias = (None if item_bias is None else
                              keras.Variable(item_bias, trainable=False, name="item_bias"))
            self.seen = keras.Variable(seen, trainable=False, name="seen")
            self.user_ids = keras.Variable(user_ids, trainable=False, name="user_ids")
            self.item_ids = keras.Variable(item_ids, trainable=False, name="item_ids")
            self.built = True

        @property
        def n_users(self) -> int:
            return int(self.user_ids.shape[0])

        @property
        def n_items(self) -> int:
            return int(self.item_ids.shape[0])

        def call(self, user_id, k):
            user_id = ops.cast(user_id, "int32")
            matches = ops.equal(self.user_ids, user_id)
            known = ops.any(matches)
            index = ops.argmax(ops.cast(matches, "int32"))  # row 0 for an unknown id: k becomes 0
            scores = ops.matmul(self.item_vectors, ops.take(self.user_vectors, index, axis=0))
            if self.item_bias is not None:
                scores = scores + self.item_bias
            seen = ops.take(self.seen, index, axis=0)
            scores = ops.where(seen, float("-inf"), scores)
            unseen = self.n_items - ops.sum(ops.cast(seen, "int32"))
            k = ops.minimum(ops.maximum(ops.cast(k, "int32"), 0), unseen)
            k = ops.where(known, k, 0)
            top_scores, top_index = ops.top_k(scores, k)
            return {"item_index": top_index, "item_ids": ops.take(self.item_ids, top_index),
                    "scores": top_scores, "known": known}

        def recommend(self, user_id: int, k: int = DEFAULT_K) -> dict:
            """The top-k as NumPy, titles included: the same dict the exported endpoint returns."""
            answer = self(ops.convert_to_tensor(user_id, dtype="int32"), k=int(k))
            result = {name: ops.convert_to_numpy(value) for name, value in answer.items()}
            result["titles"] = self.titles[result.pop("item_index")]
            result["known"] = bool(result["known"])
            return result

    _RECOMMENDER_CLASS = Recommender
    return Recommender


_RECOMMENDER_CLASS = None


def build_recommender(user_vectors, item_vectors, seen, user_ids, item_ids, titles,
                      item_bias=None):
    """A Keras layer that recommends: ``recommender.recommend(user_id, k)`` → the user's top-k unseen movies.

    ``user_vectors`` (n_users × d) and ``item_vectors`` (n_items × d) score by dot product, plus
    ``item_bias`` (n_items) when given; ``seen`` (n_users × n_items, bool) marks the movies each
    user rated, which are never recommended; ``user_ids[i]``/``item_ids[j]`` are the MovieLens ids
    of index ``i``/``j`` and ``titles[j]`` the title of movie ``j`` (notebook 08).
    """
    user_vectors = np.asarray(user_vectors, dtype="float32")
    item_vectors = np.asarray(item_vectors, dtype="float32")
    seen = np.asarray(seen, dtype=bool)
    user_ids = np.asarray(user_ids)
    item_ids = np.asarray(item_ids)
    titles = np.asarray(titles, dtype=str)
    if user_vectors.ndim != 2 or item_vectors.ndim != 2 or user_vectors.shape[1] != item_vectors.shape[1]:
        raise ValueError(f"user_vectors {user_vectors.shape} and item_vectors {item_vectors.shape} "
                         "must be matrices with the same number of columns (n × d)")
    n_users, n_items = len(user_vectors), len(item_vectors)
    if seen.shape != (n_users, n_items):
        raise ValueError(f"seen has shape {seen.shape}, expected (n_users, n_items) = "
                         f"{(n_users, n_items)}: one row per user, one column per movie")
    for name, values, size in (("user_ids", user_ids, n_users), ("item_ids", item_ids, n_items),
                               ("titles", titles, n_items)):
        if values.shape != (size,):
            raise ValueError(f"{name} has shape {values.shape}, expected ({size},): one per row")
    for name, ids in (("user_ids", user_ids), ("item_ids", item_ids)):
        if ids.dtype.kind not in "iu" or ids.min() < _INT32[0] or ids.max() > _INT32[1]:
            raise ValueError(f"{name} must be integers that fit int32 (MovieLens ids)")
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f"{name} has repeated ids: each row needs its own id")
    if item_bias is not None:
        item_bias = np.asarray(item_bias, dtype="float32").reshape(-1)
        if item_bias.shape != (n_items,):
            raise ValueError(f"item_bias has {item_bias.size} values, expected one per movie ({n_items})")
    if not (np.isfinite(user_vectors).all() and np.isfinite(item_vectors).all()):
        raise ValueError("the vectors hold NaN or infinite values: check the model's training")
    return _recommender_class()(user_vectors, item_vectors, seen, user_ids.astype("int32"),
                                item_ids.astype("int32"), titles, item_bias)


# --------------------------------------------------------------------------------------------
# Export: a self-contained SavedModel, written atomically
# --------------------------------------------------------------------------------------------


def export_recommender(recommender, path) -> Path:
    """Write ``recommender`` (from ``build_recommender``) as a SavedModel folder at ``path``.

    Endpoints: ``recommend(user_id, k)`` (int32 scalars) → ``item_ids`` (int32), ``scores``
    (float32), ``titles`` (string), best first, and ``known`` (bool); ``catalog()`` →
    ``user_ids``, ``item_ids``, ``titles``. The titles live inside the artefact. The export goes
    to a temporary sibling folder that is renamed into place when complete, replacing an earlier
    SavedModel; on any error nothing is left behind (notebook 08).

    A SavedModel is TensorFlow's format: when Keras runs on another backend (JAX), the tables
    go to a TensorFlow process started for the purpose, which builds the same recommender and
    exports it (``_export_in_tensorflow``).
    """
    import keras

    path = Path(path)
    if path.exists() and not (path.is_dir() and (not any(path.iterdir()) or is_saved_model(path))):
        raise ValueError(f"{path} exists and is not a SavedModel folder: choose another path "
                         "or remove it first (it is never overwritten)")
    if keras.backend.backend() != "tensorflow":
        return _export_in_tensorflow(recommender, path)
    import tensorflow as tf

    titles = tf.constant(recommender.titles, dtype=tf.string)

    def recommend(user_id, k):
        result = recommender(user_id, k=k)
        return {"item_ids": result["item_ids"], "scores": result["scores"],
                "titles": tf.gather(titles, result["item_index"]), "known": result["known"]}

    def catalog():
        return {"user_ids": tf.identity(recommender.user_ids.value),
                "item_ids": tf.identity(recommender.item_ids.value), "titles": tf.identity(titles)}

    archive = keras.export.ExportArchive()
    archive.track(recommender)
    archive.add_endpoint("recommend", recommend, input_signature=[
        tf.TensorSpec(shape=(), dtype=tf.int32, name="user_id"),
        tf.TensorSpec(shape=(), dtype=tf.int32, name="k")])
    archive.add_endpoint("catalog", catalog, input_signature=[])

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
    previous = path.parent / f".{path.name}.previous-{uuid.uuid4().hex[:8]}"
    try:
        archive.write_out(str(partial), verbose=False)
        if path.exists():
            path.rename(previous)
        try:
            partial.rename(path)
        except BaseException:
            if previous.exists():
                previous.rename(path)
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
    return path


_TABLES = ("user_vectors", "item_vectors", "seen", "user_ids", "item_ids")


def _export_in_tensorflow(recommender, path: Path, timeout: float = 300) -> Path:
    """``export_recommender`` from another Keras backend: a TensorFlow process exports the tables."""
    import subprocess
    import tempfile

    from keras import ops

    tables = {name: ops.convert_to_numpy(getattr(recommender, name)) for name in _TABLES}
    if recommender.item_bias is not None:
        tables["item_bias"] = ops.convert_to_numpy(recommender.item_bias)
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
                   "TF_ENABLE_ONEDNN_OPTS": "0",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="mf-series-export-") as folder:
        arrays = Path(folder) / "recommender.npz"
        np.savez(arrays, titles=recommender.titles, **tables)
        try:
            done = subprocess.run([sys.executable, "-m", "helpers.serving", "--export-arrays", str(arrays),
                                   "--artefact", str(path.resolve())], cwd=ROOT, env=environment,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"the TensorFlow process exporting {path} took over {timeout:.0f} s "
                               "and was stopped") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise ValueError(f"the TensorFlow process could not export {path}: "
                         f"{lines[-1] if lines else 'no error output'}")
    return path


def is_saved_model(path) -> bool:
    """Whether ``path`` is a folder holding a SavedModel (a cheap check: no TensorFlow import)."""
    path = Path(path)
    return path.is_dir() and (path / "saved_model.pb").is_file()


def load_artefact(path):
    """``tf.saved_model.load`` with a clear error when ``path`` is not a recommender artefact."""
    path = Path(path)
    if not is_saved_model(path):
        what = "does not exist" if not path.exists() else "is not a SavedModel folder (no saved_model.pb)"
        raise ValueError(f"{path} {what}: build one with `python -m helpers.serving --build-only "
                         f"--artefact {path}` or export_recommender(...)")
    import tensorflow as tf

    try:
        artefact = tf.saved_model.load(str(path))
    except Exception as error:  # TensorFlow raises several kinds for a damaged folder
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path} could not be loaded as a SavedModel ({first_line}): "
                         "export it again with --rebuild") from None
    if not (hasattr(artefact, "recommend") and hasattr(artefact, "catalog")):
        raise ValueError(f"{path} is a SavedModel but not a recommender (no recommend/catalog "
                         "endpoints): export it with helpers.serving.export_recommender")
    return artefact


# --------------------------------------------------------------------------------------------
# The HTTP service (standard library)
# --------------------------------------------------------------------------------------------


class RecommendationServer(ThreadingHTTPServer):
    """A threading HTTP server that holds the loaded artefact (``make_server`` builds one)."""

    daemon_threads = True
    artefact = None
    n_users = 0
    n_items = 0
    first_user_id = 0

    def recommend(self, user_id: int, k: int) -> dict:
        """One call of the artefact's ``recommend`` endpoint, as Python values."""
        import tensorflow as tf

        result = self.artefact.recommend(user_id=tf.constant(user_id, tf.int32),
                                         k=tf.constant(k, tf.int32))
        return {"known": bool(result["known"].numpy()),
                "items": [{"item_id": int(item_id), "title": title.decode("utf-8"),
                           "score": round(float(score), 4)}
                          for item_id, title, score in zip(result["item_ids"].numpy(),
                                                           result["titles"].numpy(),
                                                           result["scores"].numpy())]}


class _BadRequest(Exception):
    """A request parameter that is missing or malformed: becomes a 400 with this message."""


def _integer_parameter(query: dict, name: str, default: int | None = None) -> int:
    values = query.get(name)
    if not values:
        if default is None:
            raise _BadRequest(f"missing parameter {name}: ask for /recommendations?{name}=1&k=10")
        return default
    if len(values) > 1:
        raise _BadRequest(f"{name} is given {len(values)} times: give it once")
    value = values[0].strip()
    if not re.fullmatch(r"-?\d{1,18}", value):
        raise _BadRequest(f"{name} must be an integer, got {value[:40]!r}: e.g. {name}=10")
    return int(value)


class RecommendationHandler(BaseHTTPRequestHandler):
    """``GET /recommendations?user_id=…&k=…`` and ``GET /health``; JSON in every answer."""

    server: RecommendationServer
    disable_nagle_algorithm = True  # one small answer per request: send it at once
    server_version = "mf-series-recommender/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (the base class's name)
        """No request log on stderr: the notebook and the tests stay quiet."""

    def _send_json(self, status: int, body: dict, headers: dict | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/health":
            self._send_json(200, {"status": "ok", "users": self.server.n_users,
                                  "items": self.server.n_items})
        elif url.path == "/recommendations":
            self._recommendations(urllib.parse.parse_qs(url.query, keep_blank_values=True))
        else:
            self._send_json(404, {"error": f"no such path {url.path[:80]!r}: use "
                                           "/recommendations?user_id=1&k=10 or /health"})

    def _refuse_method(self) -> None:
        self._send_json(405, {"error": f"{self.command} is not supported: use GET"},
                        headers={"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse_method  # noqa: N815

    def _recommendations(self, query: dict) -> None:
        try:
            user_id = _integer_parameter(query, "user_id")
            k = _integer_parameter(query, "k", default=DEFAULT_K)
            if not 1 <= k <= MAX_K:
                raise _BadRequest(f"k must lie in 1..{MAX_K}, got {k}: e.g. k=10")
        except _BadRequest as error:
            self._send_json(400, {"error": str(error)})
            return
        known = _INT32[0] <= user_id <= _INT32[1]
        if known:
            answer = self.server.recommend(user_id, k)
            known = answer["known"]
        if not known:
            self._send_json(404, {"error": f"unknown user_id {user_id}: the model knows "
                                           f"{self.server.n_users:,} users, e.g. user_id="
                                           f"{self.server.first_user_id}"})
            return
        self._send_json(200, {"user_id": user_id, "items": answer["items"]})


def make_server(artefact_path, host: str = "127.0.0.1", port: int = 0) -> RecommendationServer:
    """An HTTP server (not yet serving) that answers from the artefact at ``artefact_path``.

    ``port=0`` takes a free port: ``server.server_address`` tells which. The port is bound before
    the artefact is loaded, so a port in use fails at once (``OSError``); a folder that is not a
    recommender artefact raises ``ValueError``. Call ``server.serve_forever()`` (notebook 08).
    """
    if not is_saved_model(artefact_path):
        load_artefact(artefact_path)  # raises the clear error, before any port is taken
    server = RecommendationServer((host, port), RecommendationHandler)
    try:
        server.artefact = load_artefact(artefact_path)
        catalog = server.artefact.catalog()
        user_ids = catalog["user_ids"].numpy()
        server.n_users, server.n_items = len(user_ids), len(catalog["item_ids"].numpy())
        server.first_user_id = int(user_ids[0]) if len(user_ids) else 1
        server.recommend(server.first_user_id, 1)  # warm up: the first request is not slower
    except BaseException:
        server.server_close()
        raise
    return server


def serve_in_background(artefact_path) -> tuple[RecommendationServer, str]:
    """Start a server on a free port of 127.0.0.1 in a daemon thread; returns ``(server,
    base_url)``. Stop it with ``server.shutdown(); server.server_close()`` (notebook 08)."""
    server = make_server(artefact_path)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, name=f"recommender-{port}", daemon=True)
    thread.start()
    return server, f"http://{host}:{port}"


_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def get_json(url: str, timeout: float = 10.0) -> tuple[int, dict]:
    """``GET url`` → ``(status, decoded JSON body)``, for 4xx answers too."""
    try:
        with _LOCAL.open(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def latency(base_url: str, user_ids, n: int = 1000, k: int = DEFAULT_K) -> dict:
    """Send ``n`` sequential ``/recommendations`` requests (user ids taken in a cycle) and time them.

    Returns ``{"n", "mean_ms", "p50_ms", "p99_ms", "max_ms", "errors"}``: milliseconds per request,
    client side, each a fresh HTTP connection through ``urllib``; ``errors`` counts answers that
    were not 200 (notebook 08).
    """
    user_ids = list(user_ids)
    if not user_ids or n < 1:
        raise ValueError("latency needs at least one user id and n >= 1")
    times, errors = np.empty(n), 0
    for i, user_id in zip(range(n), itertools.cycle(user_ids)):
        url = f"{base_url}/recommendations?user_id={int(user_id)}&k={int(k)}"
        start = time.perf_counter()
        try:
            with _LOCAL.open(url, timeout=10.0) as response:
                response.read()
        except urllib.error.HTTPError as error:
            with error:
                error.read()
            errors += 1
        times[i] = time.perf_counter() - start
    times *= 1000.0
    return {"n": n, "mean_ms": float(times.mean()), "p50_ms": float(np.percentile(times, 50)),
            "p99_ms": float(np.percentile(times, 99)), "max_ms": float(times.max()),
            "errors": errors}


# --------------------------------------------------------------------------------------------
# The production artefact and the command line
# --------------------------------------------------------------------------------------------


def build_production_artefact(path) -> Path:
    """Fit the production model (the two-tower model of ``helpers.retrieval``) on ALL of
    MovieLens 100k and export it to ``path``: every rated movie is removed from each user's list."""
    import pandas as pd

    from helpers.data import encode_ids, load_movielens_100k
    from helpers.recommend import seen_mask
    from helpers.retrieval import fit_two_tower, retrieval_vectors

    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    model, _history = fit_two_tower(encoded, encoding.n_users, encoding.n_items)
    user_vectors, item_vectors = retrieval_vectors(model)
    by_id = movies.set_index("item_id").loc[encoding.item_ids]
    titles = [title if pd.isna(year) else f"{title} ({year})"  # "Star Wars (1977)"; no year: no "()"
              for title, year in zip(by_id["title"].astype(str), by_id["year"])]
    recommender = build_recommender(
        user_vectors, item_vectors, seen_mask(encoded, encoding.n_users, encoding.n_items),
        encoding.user_ids, encoding.item_ids, titles)
    return export_recommender(recommender, path)


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line on stderr (exit code 2), no usage block."""

    def error(self, message: str):
        self.exit(2, f"helpers.serving: {message} (see --help)\n")


def _port(value: str) -> int:
    if not re.fullmatch(r"\d{1,5}", value.strip()) or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be a number in 0..65535, got {value!r}")
    return int(value)


def _stop(signum: int, frame) -> None:
    raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"helpers.serving: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.serving``: build the artefact if needed, then serve it until Ctrl-C."""
    parser = _OneLineParser(prog="python -m helpers.serving",
                            description="Serve the recommender over HTTP (notebook 08).")
    parser.add_argument("--port", type=_port, default=None,
                        help="port on 127.0.0.1 (default: $PORT, else 8000; 0 takes a free one)")
    parser.add_argument("--artefact", type=Path, default=DEFAULT_ARTEFACT, metavar="DIR",
                        help="the SavedModel folder (default: build/serving/recommender)")
    parser.add_argument("--build-only", action="store_true",
                        help="build the artefact if it is missing (or with --rebuild), do not serve")
    parser.add_argument("--rebuild", action="store_true",
                        help="fit and export the artefact again even if it exists")
    # export_recommender from another Keras backend starts this process with the tables in a .npz
    parser.add_argument("--export-arrays", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_arrays is not None:
        try:
            with np.load(args.export_arrays) as tables:
                recommender = build_recommender(**{name: tables[name] for name in tables.files})
            export_recommender(recommender, args.artefact)
        except (ValueError, OSError) as error:
            return _fail(f"could not export {args.artefact}: {error}")
        return 0
    port = args.port
    if port is None:
        try:
            port = _port(os.environ.get("PORT", "8000"))
        except argparse.ArgumentTypeError as error:
            return _fail(f"the PORT variable: {error}")
    artefact = args.artefact
    missing = not artefact.exists() or (artefact.is_dir() and not any(artefact.iterdir()))
    if not missing and not is_saved_model(artefact):
        return _fail(f"{artefact} exists but is not a SavedModel folder (no saved_model.pb): "
                     "pass another --artefact, or remove it to build one there")
    if args.rebuild or missing:
        print(f"building {artefact}: fitting the production model on all of MovieLens 100k…",
              flush=True)
        start = time.perf_counter()
        try:
            build_production_artefact(artefact)
        except (ValueError, OSError, ImportError) as error:
            return _fail(f"could not build {artefact}: {error}")
        except KeyboardInterrupt:
            return _fail("interrupted: no artefact written (the export is all or nothing)")
        print(f"built {artefact} ⏱ {time.perf_counter() - start:.2f} s", flush=True)
    if args.build_only:
        return 0
    try:
        server = make_server(artefact, port=port)
    except ValueError as error:
        return _fail(str(error))
    except OSError as error:
        in_use = getattr(error, "errno", None) == errno.EADDRINUSE
        reason = "is in use" if in_use else f"cannot be used ({error.strerror or error})"
        return _fail(f"port {port} {reason}: choose another with --port or PORT=…")
    host, bound = server.server_address[:2]
    example = f"/recommendations?user_id={server.first_user_id}&k={DEFAULT_K}"
    print(f"serving http://{host}:{bound}{example} (Ctrl-C to stop)", flush=True)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:  # `kill` stops it as Ctrl-C does: quietly, exit code 0
        previous_handler = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
