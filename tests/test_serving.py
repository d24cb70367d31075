"""helpers.serving: the recommender layer, its SavedModel export and the HTTP service (notebook 08).

The unit tests use 5 users × 7 movies with 2-d vectors whose scores are worked out by hand; the
HTTP tests send real requests to a server on 127.0.0.1 (a free port) in a background thread.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import types
import urllib.parse

import numpy as np
import pytest

from conftest import BACKEND, ROOT, tensorflow_only
from helpers.serving import (
    build_production_artefact,
    build_recommender,
    export_recommender,
    get_json,
    is_saved_model,
    latency,
    load_artefact,
    main,
    serve_in_background,
)

USER_IDS = np.array([11, 12, 13, 14, 15])
ITEM_IDS = np.array([50, 172, 181, 1, 100, 258, 7])  # MovieLens ids, deliberately not indices
TITLES = ["Star Wars (1977)", "Empire Strikes Back, The (1980)", "Return of the Jedi (1983)",
          "Toy Story (1995)", "Fargo (1996)", "Contact (1997)", "Twelve Monkeys (1995)"]
ITEM_VECTORS = np.array([[1, 0], [0, 1], [2, 0], [0, 2], [1.5, 1], [-1, 0], [3, -1]], dtype="float32")
USER_VECTORS = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [0.5, 0]], dtype="float32")
# user 11 (row 0) scores the movies 1, 0, 2, 0, 1.5, -1, 3 and has rated movies 50 and 7 (columns
# 0 and 6): best unseen first, 181 (2), 100 (1.5), then 172 and 1 (0, tie: lower index first), 258
SEEN = np.zeros((5, 7), dtype=bool)
SEEN[0, [0, 6]] = True
SEEN[1, 3] = True  # user 12 scores 0, 1, 0, 2, 1, 0, -1: their best, movie 1 (score 2), is rated
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}


@pytest.fixture(scope="module")
def recommender():
    return build_recommender(USER_VECTORS, ITEM_VECTORS, SEEN, USER_IDS, ITEM_IDS, TITLES)


@pytest.fixture(scope="module")
def artefact(recommender, tmp_path_factory):
    return export_recommender(recommender, tmp_path_factory.mktemp("serving") / "recommender")


@pytest.fixture(scope="module")
def service(artefact):
    server, base_url = serve_in_background(artefact)
    yield base_url
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------------------------
# The recommender layer, by hand
# --------------------------------------------------------------------------------------------


def test_top_k_by_hand(recommender):
    answer = recommender.recommend(11, k=2)
    assert answer["known"] is True
    assert answer["item_ids"].tolist() == [181, 100]
    np.testing.assert_allclose(answer["scores"], [2.0, 1.5])
    assert answer["titles"].tolist() == ["Return of the Jedi (1983)", "Fargo (1996)"]
    assert recommender.recommend(12, k=1)["item_ids"].tolist() == [172]  # 1 (score 2) was rated


def test_seen_movies_are_removed_and_k_is_respected(recommender):
    assert recommender.recommend(11, k=1)["item_ids"].tolist() == [181]
    everything = recommender.recommend(11, k=100)  # k is capped at the 5 movies not rated
    assert everything["item_ids"].tolist() == [181, 100, 172, 1, 258]
    assert not {50, 7} & set(everything["item_ids"].tolist())
    assert np.isfinite(everything["scores"]).all()
    assert len(recommender.recommend(13, k=100)["item_ids"]) == 7  # user 13 rated nothing
    assert len(recommender.recommend(11, k=0)["item_ids"]) == 0


def test_unknown_user_is_flagged_not_an_error(recommender):
    answer = recommender.recommend(99, k=3)
    assert answer["known"] is False
    assert answer["item_ids"].size == answer["scores"].size == answer["titles"].size == 0


def test_item_bias_is_added():
    bias = np.array([0, 0, 0, 0, 0, 4, 0], dtype="float32")  # movie 258: -1 + 4 = 3 for user 11
    with_bias = build_recommender(USER_VECTORS, ITEM_VECTORS, SEEN, USER_IDS, ITEM_IDS, TITLES,
                                  item_bias=bias)
    answer = with_bias.recommend(11, k=2)
    assert answer["item_ids"].tolist() == [258, 181]
    np.testing.assert_allclose(answer["scores"], [3.0, 2.0])


@pytest.mark.parametrize("change, message", [
    ({"seen": SEEN[:4]}, "seen has shape"),
    ({"user_ids": USER_IDS[:4]}, "user_ids has shape"),
    ({"item_ids": np.array([50, 50, 181, 1, 100, 258, 7])}, "repeated ids"),
    ({"item_vectors": ITEM_VECTORS[:, :1]}, "same number of columns"),
    ({"item_bias": np.zeros(3)}, "one per movie"),
])
def test_build_recommender_explains_bad_input(change, message):
    arguments = {"user_vectors": USER_VECTORS, "item_vectors": ITEM_VECTORS, "seen": SEEN,
                 "user_ids": USER_IDS, "item_ids": ITEM_IDS, "titles": TITLES, **change}
    with pytest.raises(ValueError, match=message):
        build_recommender(**arguments)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def assert_same_list(item_ids, expected_ids, scores):
    """The exported list is the layer's. PyTorch's ``topk`` (the layer's on that backend) promises
    no order among equal scores, TensorFlow's (the SavedModel's) does: there, only the items
    scored above the last score must be the same, and the rest must be tied with it."""
    if BACKEND != "torch":
        assert item_ids.tolist() == expected_ids.tolist()
        return
    above = scores > scores[-1] if len(scores) else np.zeros(0, bool)
    assert sorted(item_ids[above].tolist()) == sorted(expected_ids[above].tolist())


def test_export_round_trip(recommender, artefact):
    import tensorflow as tf

    assert is_saved_model(artefact)
    assert not [p.name for p in artefact.parent.iterdir() if p.name.startswith(".")]
    loaded = tf.saved_model.load(str(artefact))
    for user_id in [*USER_IDS.tolist(), 99, -1]:
        for k in (1, 3, 7, 100):
            expected = recommender.recommend(user_id, k)
            answer = loaded.recommend(user_id=tf.constant(user_id, tf.int32), k=tf.constant(k, tf.int32))
            assert bool(answer["known"]) == expected["known"]
            assert answer["item_ids"].dtype == tf.int32 and answer["scores"].dtype == tf.float32
            np.testing.assert_allclose(answer["scores"].numpy(), expected["scores"], rtol=1e-6)
            assert_same_list(answer["item_ids"].numpy(), expected["item_ids"], expected["scores"])
            assert_same_list(np.array([t.decode() for t in answer["titles"].numpy()]),
                             expected["titles"], expected["scores"])
    catalog = loaded.catalog()
    assert catalog["user_ids"].numpy().tolist() == USER_IDS.tolist()
    assert catalog["item_ids"].numpy().tolist() == ITEM_IDS.tolist()
    assert [t.decode() for t in catalog["titles"].numpy()] == TITLES


def test_artefact_loads_without_the_helpers_package(artefact):
    script = ("import sys; sys.modules['helpers'] = None\n"  # any import of helpers now fails
              "import tensorflow as tf\n"
              f"loaded = tf.saved_model.load({str(artefact)!r})\n"
              "answer = loaded.recommend(user_id=tf.constant(11), k=tf.constant(2))\n"
              "print(answer['item_ids'].numpy().tolist(), answer['titles'].numpy()[0].decode())\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=ENV, cwd=artefact.parent, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[181, 100] Return of the Jedi (1983)"


@tensorflow_only("it breaks TensorFlow's saver in this process; on JAX a TensorFlow process exports")
def test_failing_export_leaves_nothing(recommender, tmp_path, monkeypatch):
    import tensorflow as tf

    def half_written(obj, export_dir, **kwargs):
        os.makedirs(export_dir)
        with open(os.path.join(export_dir, "saved_model.pb"), "wb") as half:
            half.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", half_written)
    with pytest.raises(OSError, match="disk full"):
        export_recommender(recommender, tmp_path / "recommender")
    assert list(tmp_path.iterdir()) == []


@tensorflow_only("it breaks TensorFlow's saver in this process; on JAX a TensorFlow process exports")
def test_failing_re_export_keeps_the_previous_artefact(recommender, tmp_path, monkeypatch):
    import tensorflow as tf

    target = export_recommender(recommender, tmp_path / "recommender")
    before = (target / "saved_model.pb").read_bytes()
    monkeypatch.setattr(tf.saved_model, "save", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        export_recommender(recommender, target)
    assert (target / "saved_model.pb").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["recommender"]


def test_export_never_overwrites_a_folder_that_is_not_a_saved_model(recommender, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a SavedModel"):
        export_recommender(recommender, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_load_artefact_explains_a_folder_that_is_not_one(tmp_path):
    with pytest.raises(ValueError, match="is not a SavedModel folder"):
        load_artefact(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        load_artefact(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# The HTTP service: real requests on 127.0.0.1
# --------------------------------------------------------------------------------------------


def test_good_request(service):
    status, body = get_json(f"{service}/recommendations?user_id=11&k=3")
    assert status == 200
    assert body["user_id"] == 11
    assert [item["item_id"] for item in body["items"]] == [181, 100, 172]  # best first
    assert [item["title"] for item in body["items"]][:2] == ["Return of the Jedi (1983)", "Fargo (1996)"]
    assert [item["score"] for item in body["items"]] == [2.0, 1.5, 0.0]
    assert set(body["items"][0]) == {"item_id", "title", "score"}
    status, body = get_json(f"{service}/recommendations?user_id=11&k=100&extra=ignored")
    assert status == 200 and {item["item_id"] for item in body["items"]} == {181, 100, 172, 1, 258}


def test_answers_are_json(service):
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{service}/recommendations?user_id=12&k=2", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/json")


def test_unknown_user_is_404(service):
    for user_id in (99, -3, 2**40):
        status, body = get_json(f"{service}/recommendations?user_id={user_id}&k=3")
        assert status == 404
        assert f"unknown user_id {user_id}" in body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("query, message", [
    ("k=3", "missing parameter user_id"),
    ("user_id=abc&k=3", "user_id must be an integer"),
    ("user_id=&k=3", "user_id must be an integer"),
    ("user_id=1.5", "user_id must be an integer"),
    ("user_id=11&k=0", "k must lie in 1..100"),
    ("user_id=11&k=101", "k must lie in 1..100"),
    ("user_id=11&k=abc", "k must be an integer"),
    ("user_id=11&user_id=12", "given 2 times"),
])
def test_bad_parameters_are_400(service, query, message):
    status, body = get_json(f"{service}/recommendations?{query}")
    assert status == 400
    assert message in body["error"] and "\n" not in body["error"]


def test_k_defaults_to_10(service):
    status, body = get_json(f"{service}/recommendations?user_id=13")
    assert status == 200 and len(body["items"]) == 7  # all 7 movies: fewer than 10 exist


def test_unknown_path_is_404(service):
    status, body = get_json(f"{service}/recommend?user_id=11")
    assert status == 404 and "/recommendations" in body["error"]


def test_health(service):
    assert get_json(f"{service}/health") == (200, {"status": "ok", "users": 5, "items": 7})


def test_latency(service):
    report = latency(service, USER_IDS, n=200, k=5)
    print(f"\n200 requests: p50 {report['p50_ms']:.2f} ms, p99 {report['p99_ms']:.2f} ms, "
          f"mean {report['mean_ms']:.2f} ms")
    assert report["n"] == 200 and report["errors"] == 0
    assert 0 < report["p50_ms"] <= report["p99_ms"] < 100


# --------------------------------------------------------------------------------------------
# The production artefact and the command line
# --------------------------------------------------------------------------------------------


def random_fit(monkeypatch, dim: int = 8) -> None:
    """Stand in for helpers.retrieval: a "fit" that draws random vectors (seeded)."""

    def fit_two_tower(train, n_users, n_items, **kwargs):
        rng = np.random.default_rng(0)
        return (rng.normal(size=(n_users, dim)), rng.normal(size=(n_items, dim))), None

    stand_in = types.ModuleType("helpers.retrieval")
    stand_in.fit_two_tower = fit_two_tower
    stand_in.retrieval_vectors = lambda model: model
    monkeypatch.setitem(sys.modules, "helpers.retrieval", stand_in)


def test_build_production_artefact(tmp_path, monkeypatch, movielens):
    import tensorflow as tf

    random_fit(monkeypatch)
    path = build_production_artefact(tmp_path / "recommender")
    loaded = tf.saved_model.load(str(path))
    catalog = loaded.catalog()
    assert len(catalog["user_ids"]) == 943 and len(catalog["item_ids"]) == 1682
    titles = dict(zip(catalog["item_ids"].numpy().tolist(), catalog["titles"].numpy()))
    assert titles[50] == b"Star Wars (1977)"
    ratings, _ = movielens
    rated = set(ratings.loc[ratings["user_id"] == 1, "item_id"])
    answer = loaded.recommend(user_id=tf.constant(1), k=tf.constant(100))
    assert len(answer["item_ids"]) == 100 and not rated & set(answer["item_ids"].numpy().tolist())


def test_command_line_builds_then_serves(tmp_path, monkeypatch, capsys):
    from helpers.serving import RecommendationServer

    random_fit(monkeypatch)
    target = tmp_path / "recommender"
    assert main(["--artefact", str(target), "--build-only"]) == 0
    assert is_saved_model(target)
    monkeypatch.setattr(RecommendationServer, "serve_forever", lambda self: None)
    assert main(["--artefact", str(target), "--port", "0"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    url = urllib.parse.urlsplit(line.split()[1])
    assert line.startswith("serving http://127.0.0.1:") and line.endswith(" (Ctrl-C to stop)")
    assert url.path == "/recommendations" and url.query == "user_id=1&k=10" and url.port > 0


def run_cli(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.serving", *arguments], capture_output=True,
                          text=True, env={**ENV, **env}, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("arguments, env, message", [
    (["--port", "abc"], {}, "port must be a number"),
    (["--port", "70000"], {}, "port must be a number"),
    ([], {"PORT": "eighty"}, "the PORT variable"),
    (["--artefact", "{folder}"], {}, "is not a SavedModel folder"),
])
def test_command_line_bad_input(tmp_path, arguments, env, message):
    (tmp_path / "notes.txt").write_text("not a model")
    run = run_cli(*[a.format(folder=tmp_path) for a in arguments], **env)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert message in run.stderr


def test_command_line_port_in_use(artefact):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("--artefact", str(artefact), "--port", str(port))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and run.stderr.strip().splitlines() == [
        f"helpers.serving: port {port} is in use: choose another with --port or PORT=…"]
