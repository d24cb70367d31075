"""helpers.distributed: two real worker processes train the tuned MF together (notebook 09).

No mocks: the workers are ``python -m helpers.distributed`` processes forming a
MultiWorkerMirroredStrategy cluster on 127.0.0.1. The data is SYNTHETIC (conftest's low-rank
ratings, about 3,200 of them, MovieLens-shaped: user and item indices, 1–5 stars), and the runs
are short, so the whole file stays within about 25 s on 2 cores.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psutil
import pytest

from conftest import synthetic_ratings
from helpers.data import encode_ids
from helpers.distributed import (
    check_training_inputs,
    free_ports,
    max_abs_difference,
    run_workers,
    tf_config,
    train_one_process,
    train_two_workers,
    worker_command,
)

EPOCHS, GLOBAL_BATCH = 2, 1024  # 3,167 ratings: batches of 1,024, 1,024, 1,024 and 95 (47 + 48)


@pytest.fixture(scope="module")
def ratings():
    """Synthetic ratings (not MovieLens): ``(user_index, item_index, rating, n_users, n_items)``."""
    encoded, encoding = encode_ids(synthetic_ratings(n_users=200, n_items=300, density=0.05))
    return (encoded["user_index"].to_numpy(), encoded["item_index"].to_numpy(),
            encoded["rating"].to_numpy(), encoding.n_users, encoding.n_items)


def own_children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def assert_all_gone(pids) -> None:
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    assert not alive, f"processes still alive after the call: {alive}"


@pytest.fixture(scope="module")
def runs(ratings):
    """The two-worker run and the one-process run, side by side: while the workers start (each
    imports TensorFlow), this process imports it and trains the reference, which saves seconds
    on 2 cores. Returns ``(two-worker run, processes it left behind, one-process run)``."""
    before = own_children()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(train_two_workers, *ratings, epochs=EPOCHS,
                             global_batch_size=GLOBAL_BATCH, timeout=120)
        one_process = train_one_process(*ratings, epochs=EPOCHS, global_batch_size=GLOBAL_BATCH)
        two_workers = future.result()
    return two_workers, own_children() - before, one_process


@pytest.fixture(scope="module")
def two_workers(runs):
    return runs[0], runs[1]


@pytest.fixture(scope="module")
def one_process(runs):
    return runs[2]


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_tf_config_names_the_cluster_and_the_task():
    config = json.loads(tf_config([2222, 2223], 1))
    assert config == {"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
                      "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="index must be a worker number from 0 to 1"):
        tf_config([2222, 2223], 2)


def test_a_last_batch_too_small_to_split_is_refused(ratings):
    users, items, stars, n_users, n_items = ratings
    with pytest.raises(ValueError, match="leave 1 for the last batch"):
        check_training_inputs(users[:1025], items[:1025], stars[:1025], n_users, n_items,
                              EPOCHS, 1024, n_workers=2)


def test_the_two_workers_end_identical(two_workers):
    run, _ = two_workers
    first, second = run.workers
    assert first.losses == second.losses
    assert first.weights.keys() == {"user_embedding", "item_embedding", "user_bias", "item_bias"}
    assert max_abs_difference(first.weights, second.weights) == 0.0  # bitwise
    assert len(first.epoch_seconds) == EPOCHS and run.wall_seconds > first.wall_seconds


def test_the_workers_match_one_process(two_workers, one_process):
    run, _ = two_workers
    # the uneven last batch (47 + 48 rows) rounds the penalty's weight differently: ≈ 1e-8
    assert max_abs_difference(run.workers[0].weights, one_process.weights) < 1e-6
    np.testing.assert_allclose(run.workers[0].losses, one_process.losses, rtol=1e-6)
    assert one_process.losses[1] < one_process.losses[0]  # it learns


def test_no_worker_outlives_a_run(two_workers):
    run, left_behind = two_workers
    assert len(set(run.pids)) == 2
    assert_all_gone(run.pids)
    assert not left_behind


def test_a_failing_worker_stops_both_with_its_last_error_line(ratings, tmp_path):
    users, items, stars, n_users, n_items = ratings
    for name, values in (("user_index", users), ("item_index", items), ("rating", stars)):
        np.save(tmp_path / f"{name}.npy", values)
    ports = free_ports(2)
    commands = [worker_command(index, ports, tmp_path, tmp_path, n_users, n_items, EPOCHS,
                               GLOBAL_BATCH) for index in range(2)]
    commands[1][commands[1].index("--epochs") + 1] = "0"  # worker 0 would wait for it for ever
    before = own_children()
    with pytest.raises(RuntimeError) as failure:
        run_workers(commands, timeout=60, log_dir=tmp_path)
    message = str(failure.value)
    assert message.startswith("worker 1 failed (exit code 2): ") and "\n" not in message
    assert "argument --epochs: must be a positive integer, got '0'" in message
    assert_all_gone(own_children() - before)
    assert not (tmp_path / "worker_0.npz").exists()


def test_the_timeout_stops_every_worker():
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    before = own_children()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="took longer than 1.0 s"):
        run_workers([sleeper, sleeper], timeout=1.0)
    assert time.monotonic() - start < 10
    assert_all_gone(own_children() - before)
