"""helpers.sharding: the tuned MF's embedding tables split by rows over 4 JAX devices (notebook 09).

One JAX process trains on the synthetic fixture (conftest's ``synthetic_ratings``: 30 users,
40 movies) split over 4 virtual CPU devices and on one device. Row sharding changes where each
row lives, not the arithmetic: a lookup takes each row from the one device that holds it, and
the gradient of a row is added on that device alone. So the two runs are held to the same
losses and predictions bit for bit. (Splitting the batch too, on a ("batch", "model") mesh
of (2, 2), makes the mean over the batch a sum across devices in another order: on MovieLens
100k the predictions then differ by up to 1e-6 stars.)
"""

from __future__ import annotations

import subprocess

import pytest

from helpers.sharding import (
    DEVICE_COUNT_FLAG,
    MISSING_JAX,
    ShardedRun,
    padded_rows,
    run_sharded,
)

DEVICES = 4


@pytest.fixture(scope="module")
def sharded(encoded_synthetic) -> ShardedRun:
    train, n_users, n_items = encoded_synthetic
    return run_sharded(train, n_users, n_items, epochs=2, devices=DEVICES, batch_size=512,
                       timeout=180)


def test_padded_rows_rounds_up_to_a_multiple_of_the_devices():
    assert [padded_rows(n, 4) for n in (1, 4, 5, 943, 1682)] == [4, 4, 8, 944, 1684]
    assert padded_rows(943, 1) == 943


def test_the_run_used_the_devices_asked_for(sharded, encoded_synthetic):
    _, n_users, n_items = encoded_synthetic
    assert sharded.devices == [f"cpu:{index}" for index in range(DEVICES)]
    assert sharded.padded_sizes == (padded_rows(n_users, DEVICES), padded_rows(n_items, DEVICES))


def test_embedding_tables_and_their_adam_moments_are_split_by_rows(sharded):
    tables = {table.path: table for table in sharded.sharded.tables}
    for side, rows in zip(("user", "item"), sharded.padded_sizes):
        for path in (f"{side}_embedding/embeddings", f"adam/{side}_embedding_embeddings_momentum",
                     f"adam/{side}_embedding_embeddings_velocity"):
            table = tables[path]
            assert table.spec == ("model", None)
            assert table.shape == (rows, 32)
            step = rows // DEVICES
            assert [(s.device, s.start, s.stop) for s in table.shards] == [
                (f"cpu:{d}", d * step, (d + 1) * step) for d in range(DEVICES)]


def test_bias_tables_stay_whole_on_every_device(sharded):
    for table in sharded.sharded.tables:
        if "bias" in table.path:
            assert not table.is_split
            assert table.spec == (None, None)
            assert [shard.device for shard in table.shards] == sharded.devices


def test_the_unsharded_run_keeps_every_table_on_one_device(sharded):
    for table in sharded.unsharded.tables:
        assert [(s.device, s.start, s.stop) for s in table.shards] == [("cpu:0", 0, table.shape[0])]


def test_sharded_training_matches_one_device_bit_for_bit(sharded, encoded_synthetic):
    train, _, _ = encoded_synthetic
    assert len(sharded.sharded.loss) == 2 and sharded.sharded.loss[1] < sharded.sharded.loss[0]
    assert sharded.sharded.loss == sharded.unsharded.loss
    assert sharded.sharded.predictions.shape == (len(train),)
    assert sharded.max_abs_difference == 0.0
    assert len(sharded.sharded.seconds_per_epoch) == 2


def test_layout_prints_one_line_per_table(sharded):
    lines = sharded.layout().splitlines()
    assert len(lines) == len(sharded.sharded.tables)
    assert "cpu:3 rows 24–31" in lines[0] and lines[0].startswith("user_embedding/embeddings")


@pytest.mark.parametrize("arguments, message", [
    ({"devices": 0}, "devices must be a positive integer"),
    ({"n_users": 5}, "user_index must lie in 0..4"),
    ({"pairs": ([1, 2], [3])}, "pass one user and one item per pair"),
    ({"pairs": ([1, 30], [3, 4])}, "user indices must be integers in 0..29"),
    ({"dropout": 0.5}, "dropout"),
])
def test_wrong_inputs_are_refused_in_one_sentence(encoded_synthetic, arguments, message):
    train, n_users, n_items = encoded_synthetic
    call = {"n_users": n_users, "n_items": n_items, **arguments}
    with pytest.raises(ValueError, match=message):
        run_sharded(train, **call)


def test_a_missing_jax_is_named(encoded_synthetic, monkeypatch):
    import importlib.util

    train, n_users, n_items = encoded_synthetic
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "jax" else find_spec(name, *rest))
    with pytest.raises(ImportError, match="^" + MISSING_JAX + "$"):
        run_sharded(train, n_users, n_items)


def test_an_overrun_stops_the_jax_process(encoded_synthetic, monkeypatch):
    """After the timeout the process is killed and reaped: no process outlives the call."""
    train, n_users, n_items = encoded_synthetic
    started = []

    class RecordedPopen(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append((self, kwargs["env"]))

    monkeypatch.setattr(subprocess, "Popen", RecordedPopen)
    with pytest.raises(TimeoutError, match="did not finish in 0.5 s"):
        run_sharded(train, n_users, n_items, timeout=0.5)
    (worker, environment), = started
    assert worker.returncode is not None  # killed and waited for
    assert environment["KERAS_BACKEND"] == "jax"
    assert f"{DEVICE_COUNT_FLAG}=4" in environment["XLA_FLAGS"].split()
