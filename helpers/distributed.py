"""Data-parallel training over worker processes: ``MultiWorkerMirroredStrategy`` (notebook 09).

Two processes on this machine, 127.0.0.1:port each, train the series' tuned MF together, exactly
as two machines of a cluster would (put their host names where 127.0.0.1 is). Each worker holds a
full copy of the model; every step, each takes its own half of the global batch, computes the
gradients of its half, and the workers combine their gradients (an all-reduce over gRPC) before
both apply the same update. The copies therefore stay identical.

``free_ports(n)``            n free TCP ports on 127.0.0.1
``tf_config(ports, index)``  the ``TF_CONFIG`` JSON that tells worker ``index`` who its peers are
``worker_command``           the command line of one worker: ``python -m helpers.distributed …``
``run_workers``              start worker processes, wait with a timeout, always stop them all
``train_two_workers``        the whole run: ports, data files, two workers, their losses and weights
``train_one_process``        the same training loop in this process, without workers: the reference
``max_abs_difference``       the largest difference between two sets of weights
``check_training_inputs``    the checks both runs make on their ratings, one clear sentence each

Keras 3.15's ``model.fit`` fails under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585:
it reduces ``PerReplica`` values it cannot reduce across workers), so the workers train with a
custom loop: ``strategy.run(step)``, ``tf.nn.compute_average_loss`` and the model's own Keras Adam,
whose ``apply_gradients`` all-reduces (sums) the gradients itself when called in a replica
context (``keras/src/backend/tensorflow/optimizer.py``: ``_all_reduce_sum_gradients``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import SEED, quiet_tensorflow

ROOT = Path(__file__).resolve().parent.parent

N_WORKERS = 2
"""The cluster of ``train_two_workers``: two worker processes on 127.0.0.1."""

WORKER_THREADS = max(1, (os.cpu_count() or 2) // N_WORKERS)
"""TensorFlow threads per worker: each worker gets its share of this machine's cores, as it would
own its machine's cores on a cluster. On 2 cores, one thread each was no slower than two (the
thread count changes no result: the weights came out the same either way)."""

TIMEOUT = 300.0
"""Seconds ``train_two_workers`` waits for its workers before it stops them and fails."""

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "grpc_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                    "GRPC_PROXY")


@dataclass
class TrainingRun:
    """One process's training: per-epoch loss and seconds, the final weights and the whole time.

    ``losses[e]`` is epoch e's mean training loss (squared error + the L2 penalty) over the global
    batches, weighted by their sizes; ``weights`` maps each layer with weights (``user_embedding``,
    ``item_embedding``, ``user_bias``, ``item_bias``) to its table; ``wall_seconds`` counts building
    the model and every epoch.
    """

    losses: list[float]
    weights: dict[str, np.ndarray]
    epoch_seconds: list[float]
    wall_seconds: float


@dataclass
class TwoWorkerRun:
    """The result of ``train_two_workers``: each worker's ``TrainingRun``, the call's wall time
    (starting the processes, importing TensorFlow, forming the cluster, training, reading the
    results) and the process ids the call started (all ended when it returns)."""

    workers: list[TrainingRun]
    wall_seconds: float
    pids: list[int]


# --------------------------------------------------------------------------------------------
# The cluster: ports and TF_CONFIG
# --------------------------------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    """``n`` different TCP ports on 127.0.0.1 that are free right now (the system picks them).

    All ``n`` sockets are held open together, so the ports differ; they are closed before
    returning, so another program could take one before a worker binds it (unlikely).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    sockets = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: list[int], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of one worker per port on 127.0.0.1.

    ``{"cluster": {"worker": ["127.0.0.1:p0", "127.0.0.1:p1"]}, "task": {"type": "worker",
    "index": index}}``: every worker gets the same list of addresses and its own place in it.
    Worker 0 is the chief (it broadcasts the initial weights). On a cluster the addresses are
    ``host:port`` of each machine, and TF_CONFIG is usually set by the cluster manager.
    """
    ports = [int(port) for port in ports]
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise ValueError(f"ports must be a non-empty list of TCP ports (1..65535), got {ports}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(ports):
        raise ValueError(f"index must be a worker number from 0 to {len(ports) - 1}, got {index!r}")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


# --------------------------------------------------------------------------------------------
# The training loop: one function for the workers and for the one-process reference
# --------------------------------------------------------------------------------------------


def check_training_inputs(train_user, train_item, train_rating, n_users: int, n_items: int,
                          epochs: int, global_batch_size: int, n_workers: int = 1
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three training arrays as int32, int32, float32, after the checks both runs need."""
    from helpers.checks import check_sizes

    check_sizes(n_users, n_items, 1)
    for name, value in (("epochs", epochs), ("global_batch_size", global_batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    users, items = np.asarray(train_user).ravel(), np.asarray(train_item).ravel()
    ratings = np.asarray(train_rating).ravel()
    if not users.size == items.size == ratings.size:
        raise ValueError(f"train_user, train_item and train_rating have {users.size}, {items.size} "
                         f"and {ratings.size} values: give one user, item and rating per rating")
    if users.size == 0:
        raise ValueError("there are no ratings: training needs at least one")
    for name, values, size in (("train_user", users, n_users), ("train_item", items, n_items)):
        if values.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer indices, got {values.dtype}: "
                             "use helpers.data.encode_ids")
        if values.min() < 0 or values.max() >= size:
            raise ValueError(f"{name} must lie in 0..{size - 1}, "
                             f"got {values.min()}..{values.max()}")
    if not np.isfinite(ratings.astype(np.float64)).all():
        raise ValueError("train_rating has missing or infinite ratings: drop or fix those rows")
    if global_batch_size < n_workers:
        raise ValueError(f"global_batch_size {global_batch_size} gives some of the {n_workers} "
                         f"workers no rating: use at least {n_workers}")
    last = users.size % global_batch_size
    if 0 < last < n_workers:
        raise ValueError(f"{users.size} ratings in batches of {global_batch_size} leave {last} for "
                         f"the last batch, too few for {n_workers} workers: change "
                         "global_batch_size by one")
    return users.astype(np.int32), items.astype(np.int32), ratings.astype(np.float32)


def _train(strategy, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int,
           n_items: int, epochs: int, global_batch_size: int, seed: int) -> TrainingRun:
    """The custom training loop, under ``strategy`` (a worker's MultiWorkerMirroredStrategy, or
    the default strategy of a single process): the series' tuned MF, Adam with
    ``fit_tuned_mf``'s cosine-decaying learning rate, the same seeded order of global batches."""
    import keras
    import tensorflow as tf

    from helpers import seed_everything
    from helpers.models import TUNED_CONFIG, build_tuned_mf

    start = time.perf_counter()
    seed_everything(seed)  # after the strategy exists: it must be TensorFlow's first act
    n_ratings = len(ratings)
    batch_sizes = np.diff(np.r_[np.arange(0, n_ratings, global_batch_size), n_ratings])
    with strategy.scope():  # variables become mirrored: one copy per worker, updated in step
        schedule = keras.optimizers.schedules.CosineDecay(
            TUNED_CONFIG["learning_rate"], decay_steps=len(batch_sizes) * epochs)
        model = build_tuned_mf(n_users, n_items, float(np.mean(ratings, dtype=np.float64)),
                               learning_rate=schedule)
        optimizer = model.optimizer  # created in the scope: it knows the strategy
        optimizer.build(model.trainable_variables)  # its slots now, not inside the traced step

    order_rng = np.random.default_rng(seed)  # the same orders in every process with this seed
    orders = np.stack([order_rng.permutation(n_ratings) for _ in range(epochs)])

    def dataset_fn(context):
        """This input pipeline's part of every global batch of every epoch, and each global
        batch's size. distribute_datasets_from_function never shards automatically: every
        worker builds the same seeded sequence of global batches and keeps its own slice of
        each, chosen by its input_pipeline_id (worker 0 the first half). Which rating goes
        where depends on the seed alone, not on an auto-shard policy or on file layout
        (experimental_distribute_dataset's AUTO policy falls back to DATA sharding here, with
        rebatching rules that are harder to state)."""
        part, parts = context.input_pipeline_id, context.num_input_pipelines
        columns = [tf.constant(values) for values in (users, items, ratings)]

        def my_part(rows):
            size = tf.shape(rows)[0]
            mine = rows[size * part // parts: size * (part + 1) // parts]
            user, item, rating = (tf.gather(values, mine) for values in columns)
            return (user, item), rating, size

        batches = tf.data.Dataset.from_tensor_slices(orders).flat_map(
            lambda order: tf.data.Dataset.from_tensor_slices(order).batch(global_batch_size))
        # .repeat(): a dataset without end. For a finite one, MultiWorkerMirroredStrategy asks
        # every worker at every step whether it still has data (one more collective, about
        # 0.4 s a step here); the loop counts each epoch's steps itself instead.
        return batches.map(my_part).repeat()

    def replica_step(inputs, batch_ratings, batch_size):
        with tf.GradientTape() as tape:
            predictions = model(list(inputs), training=True)
            squared_errors = tf.square(batch_ratings - predictions)
            # sum of this worker's squared errors / the GLOBAL batch size: once the optimizer sums
            # the workers' gradients, that is the gradient of the mean over the global batch
            loss = tf.nn.compute_average_loss(squared_errors, global_batch_size=batch_size)
            # PerExampleL2's add_loss is λ · mean over THIS worker's rows. Weighted by the share
            # of the global batch those rows are, the workers' penalties add up to the
            # one-process penalty, also for an uneven last batch. With equal halves the weight
            # is 1 / num_replicas: what tf.nn.scale_regularization_loss and Keras' own TF
            # trainer (_aggregate_additional_loss) divide by; unscaled, it would count twice.
            share = (tf.cast(tf.shape(batch_ratings)[0], loss.dtype)
                     / tf.cast(batch_size, loss.dtype))
            loss += tf.add_n(model.losses) * share
        gradients = tape.gradient(loss, model.trainable_variables)
        # in a replica context Keras' TF optimizer all-reduces (SUM) the gradients before Adam.
        # Every gradient here is an embedding's IndexedSlices (rows and their indices), which the
        # collective "sums" by gathering: worker 0's rows, then worker 1's, the same rows in the
        # same order as one process's gradient of the whole batch. Adam then reads them as
        # model.fit does (keras.ops on IndexedSlices): the same update in every process.
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    def train_step(batch):
        per_replica_loss = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_loss, axis=None)

    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))
    # one trace for every batch size (the last batch is smaller): the workers must run the same
    # graph, with the same collectives; no autograph, the step has no tensor-dependent Python
    train_step = tf.function(train_step, input_signature=[batches.element_spec], autograph=False)
    losses, epoch_seconds = [], []
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        batch_losses = [train_step(next(batches)) for _ in batch_sizes]
        batch_losses = np.array([float(loss) for loss in batch_losses])
        losses.append(float(batch_losses @ batch_sizes / n_ratings))  # weighted by batch size
        epoch_seconds.append(time.perf_counter() - epoch_start)
    weights = {layer.name: np.array(layer.get_weights()[0]) for layer in model.layers
               if layer.weights}
    return TrainingRun(losses, weights, epoch_seconds, time.perf_counter() - start)


def train_one_process(train_user, train_item, train_rating, n_users: int, n_items: int,
                      epochs: int = 2, global_batch_size: int = 8192,
                      seed: int = SEED) -> TrainingRun:
    """The two workers' training loop, run here in one process: the reference they must match.

    Same model, seed, initial weights, order of global batches, loss and optimizer, under the
    default strategy (one replica, whose all-reduce does nothing). How close the workers come:

    - The weights can be bitwise equal. Every gradient of the tuned MF belongs to an embedding
      table and is sparse (``IndexedSlices``: one row per rating); the all-reduce of sparse
      gradients gathers the workers' rows, worker 0's half first, which is exactly the list
      of rows one process computes for the whole batch. Nothing is added in another order. The
      one difference is the penalty's weight, share = n_local / n_global: when a batch splits
      into equal halves it is 0.5 and every product is exact, when it does not (4,095 and
      4,096 rows) the last bit can round differently. Measured on MovieLens 100k's 80,000
      training ratings, 2 epochs: batches of 8,192, weights bitwise equal; of 8,191, at most
      4.5e-8 apart.
    - The loss differs in its last digits (about 2e-8 relative): each worker sums its half's
      squared errors and the two sums are added, where one process sums the whole batch at
      once; float32 addition in another order rounds differently.

    A model with dense weights (a ``Dense`` layer) would have its gradients summed across
    workers, and differ in the last bits each step.

    The loop is TensorFlow's (``tf.distribute``): when Keras runs on another backend (JAX), it
    runs in one TensorFlow process started for the purpose, as the workers do.
    """
    import keras

    users, items, ratings = check_training_inputs(train_user, train_item, train_rating, n_users,
                                                  n_items, epochs, global_batch_size)
    if keras.backend.backend() != "tensorflow":
        runs, _ = _run_in_processes(users, items, ratings, n_users, n_items, epochs,
                                    global_batch_size, seed, TIMEOUT, n_workers=1)
        return runs[0]
    import tensorflow as tf

    return _train(tf.distribute.get_strategy(), users, items, ratings, n_users, n_items, epochs,
                  global_batch_size, seed)


def max_abs_difference(weights: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> float:
    """The largest absolute difference between two sets of weights with the same layers."""
    if weights.keys() != other.keys():
        raise ValueError(f"the weights are of different layers: {sorted(weights)} and "
                         f"{sorted(other)}")
    return max(float(np.max(np.abs(weights[name] - other[name]), initial=0.0))
               for name in weights)


# --------------------------------------------------------------------------------------------
# A worker: `python -m helpers.distributed --index I --ports P0,P1 --data DIR --out DIR …`
# --------------------------------------------------------------------------------------------


def worker_command(index: int, ports: list[int], data_dir, out_dir, n_users: int, n_items: int,
                   epochs: int, global_batch_size: int, seed: int = SEED,
                   threads: int = WORKER_THREADS) -> list[str]:
    """The command line that starts worker ``index``: what each machine of a cluster runs.

    It reads ``user_index.npy``, ``item_index.npy`` and ``rating.npy`` in ``data_dir`` and writes
    ``worker_<index>.npz`` to ``out_dir``. With no ``ports`` it trains alone, under TensorFlow's
    default strategy (``train_one_process`` on another Keras backend).
    """
    cluster = ["--ports", ",".join(str(port) for port in ports)] if ports else ["--alone"]
    return [sys.executable, "-m", "helpers.distributed", "--index", str(index), *cluster,
            "--data", str(data_dir),
            "--out", str(out_dir), "--n-users", str(n_users), "--n-items", str(n_items),
            "--epochs", str(epochs), "--global-batch-size", str(global_batch_size),
            "--seed", str(seed), "--threads", str(threads), "--parent-pid", str(os.getpid())]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _ports(text: str) -> list[int]:
    try:
        return [int(port) for port in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be ports separated by commas, "
                                         f"got {text!r}") from None


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.distributed",
                                     description="One worker of the two-worker training "
                                                 "(notebook 09).")
    parser.add_argument("--index", type=int, required=True, help="this worker's number, from 0")
    cluster = parser.add_mutually_exclusive_group(required=True)
    cluster.add_argument("--ports", type=_ports, help="every worker's port: P0,P1")
    cluster.add_argument("--alone", action="store_true",
                         help="no cluster: train in this process alone (the default strategy)")
    parser.add_argument("--data", type=Path, required=True, help="folder of the three .npy files")
    parser.add_argument("--out", type=Path, required=True, help="folder for worker_<index>.npz")
    for name in ("--n-users", "--n-items", "--epochs", "--global-batch-size"):
        parser.add_argument(name, type=_positive_int, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--threads", type=_positive_int, default=WORKER_THREADS)
    parser.add_argument("--parent-pid", type=int, default=None,
                        help="exit when this process is no longer the parent")
    return parser.parse_args(argv)


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker if its parent dies (then the parent's own clean-up cannot run)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker_main(argv: list[str] | None = None) -> None:
    """One worker: TF_CONFIG, the strategy before anything else in TensorFlow, train, save."""
    arguments = _arguments(argv)
    if arguments.parent_pid is not None:
        _exit_with_parent(arguments.parent_pid)
    if not arguments.alone:
        os.environ["TF_CONFIG"] = tf_config(arguments.ports, arguments.index)
    quiet_tensorflow()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(arguments.threads)
    tf.config.threading.set_inter_op_parallelism_threads(arguments.threads)
    # the first thing TensorFlow does here: reads TF_CONFIG, starts this worker's gRPC server and
    # sets up the collective ops with its peers; it must come before any op, model or dataset
    strategy = (tf.distribute.get_strategy() if arguments.alone
                else tf.distribute.MultiWorkerMirroredStrategy())
    users, items, ratings = (np.load(arguments.data / f"{name}.npy")
                             for name in ("user_index", "item_index", "rating"))
    run = _train(strategy, users, items, ratings, arguments.n_users, arguments.n_items,
                 arguments.epochs, arguments.global_batch_size, arguments.seed)
    arguments.out.mkdir(parents=True, exist_ok=True)
    partial = arguments.out / f"worker_{arguments.index}.partial.npz"
    np.savez(partial, losses=run.losses, epoch_seconds=run.epoch_seconds,
             wall_seconds=run.wall_seconds,
             **{f"weights.{name}": table for name, table in run.weights.items()})
    partial.replace(arguments.out / f"worker_{arguments.index}.npz")  # complete, or absent


def _read_run(path: Path) -> TrainingRun:
    if not path.exists():
        raise RuntimeError(f"a worker ended without an error but wrote no {path.name}: "
                           "run it by hand with the same arguments to see why")
    with np.load(path) as saved:
        return TrainingRun(losses=saved["losses"].tolist(),
                           weights={key.removeprefix("weights."): saved[key] for key in saved.files
                                    if key.startswith("weights.")},
                           epoch_seconds=saved["epoch_seconds"].tolist(),
                           wall_seconds=float(saved["wall_seconds"]))


# --------------------------------------------------------------------------------------------
# The parent: start the workers, wait, always stop them
# --------------------------------------------------------------------------------------------


def _worker_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in _PROXY_VARIABLES and key != "TF_CONFIG"}  # gRPC would use a proxy
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment.update(TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0",
                       KERAS_BACKEND="tensorflow")
    return environment


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no error output)"
    return next((line.strip() for line in reversed(lines) if line.strip()), "(no error output)")


def _stop(processes: list[subprocess.Popen]) -> None:
    """Kill every process still running and wait for each, so none is left, not even a zombie."""
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover (SIGKILL does not wait this long)
            pass


def run_workers(commands: list[list[str]], timeout: float = TIMEOUT,
                log_dir=None) -> list[int]:
    """Run one process per command until all succeed; returns their process ids (all ended).

    The processes start together (cwd: the series' folder, TensorFlow quiet, no HTTP proxy for
    gRPC) and are watched every 0.1 s. As soon as one fails, the others are killed and a
    ``RuntimeError`` names it with the last line it wrote to stderr; after ``timeout`` seconds
    all are killed and a ``TimeoutError`` is raised. Whatever happens, also a ``KeyboardInterrupt``
    in this process, no process outlives the call (each worker also ends if its parent dies).
    stderr goes to ``worker_<i>.log`` in ``log_dir`` (a temporary folder if None).
    """
    if not commands:
        raise ValueError("commands is empty: give one command line per worker")
    with tempfile.TemporaryDirectory(prefix="mf-series-logs-") as scratch:
        log_dir = Path(log_dir or scratch)
        logs = [log_dir / f"worker_{index}.log" for index in range(len(commands))]
        processes: list[subprocess.Popen] = []
        try:
            environment = _worker_environment()
            for command, log in zip(commands, logs):
                with open(log, "wb") as stderr:
                    processes.append(subprocess.Popen(command, cwd=ROOT, env=environment,
                                                      stdin=subprocess.DEVNULL,
                                                      stdout=subprocess.DEVNULL, stderr=stderr))
            deadline = time.monotonic() + timeout
            while True:
                codes = [process.poll() for process in processes]
                failed = [index for index, code in enumerate(codes) if code not in (None, 0)]
                if failed:
                    index = failed[0]
                    raise RuntimeError(f"worker {index} failed (exit code {codes[index]}): "
                                       f"{_last_line(logs[index])}")
                if all(code == 0 for code in codes):
                    return [process.pid for process in processes]
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {len(commands)} workers took longer than {timeout} s "
                                       "and were stopped: train less or raise the timeout")
                time.sleep(0.1)
        finally:
            _stop(processes)


def train_two_workers(train_user, train_item, train_rating, n_users: int, n_items: int,
                      epochs: int = 2, global_batch_size: int = 8192, seed: int = SEED,
                      timeout: float = TIMEOUT) -> TwoWorkerRun:
    """Train the tuned MF with two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy).

    The ratings go to ``.npy`` files in a temporary folder; two free ports make the cluster;
    ``run_workers`` starts ``worker_command(0, …)`` and ``worker_command(1, …)``, waits at most
    ``timeout`` seconds and always stops both. Each worker trains on its half of every global
    batch of ``global_batch_size`` ratings; returns both workers' ``TrainingRun`` (they should be
    identical: the same combined gradients, the same updates) and the call's wall time.

    On one 2-core machine two workers are slower than one process, and the helper says by how
    much: every step waits for the collectives (gRPC, even on 127.0.0.1), each worker has one
    core, and starting two Pythons with TensorFlow costs seconds before the first step. Measured
    on MovieLens 100k (2 epochs, batches of 8,192, the machine shared with other work): the call
    took 13–27 s, most of it starting up; a worker's second epoch about 0.5 s against 0.15 s in
    one process.
    """
    users, items, ratings = check_training_inputs(train_user, train_item, train_rating, n_users,
                                                  n_items, epochs, global_batch_size, N_WORKERS)
    start = time.perf_counter()
    workers, pids = _run_in_processes(users, items, ratings, n_users, n_items, epochs,
                                      global_batch_size, seed, timeout, N_WORKERS)
    return TwoWorkerRun(workers, time.perf_counter() - start, pids)


def _run_in_processes(users, items, ratings, n_users: int, n_items: int, epochs: int,
                      global_batch_size: int, seed: int, timeout: float,
                      n_workers: int) -> tuple[list[TrainingRun], list[int]]:
    """``n_workers`` TensorFlow processes (a cluster on free ports, or one alone) train on the
    ratings saved as ``.npy`` files in a temporary folder; their runs and process ids."""
    with tempfile.TemporaryDirectory(prefix="mf-series-workers-") as folder:
        folder = Path(folder)
        for name, values in (("user_index", users), ("item_index", items), ("rating", ratings)):
            np.save(folder / f"{name}.npy", values)
        ports = free_ports(n_workers) if n_workers > 1 else []
        commands = [worker_command(index, ports, folder, folder, n_users, n_items, epochs,
                                   global_batch_size, seed) for index in range(n_workers)]
        pids = run_workers(commands, timeout, log_dir=folder)
        return [_read_run(folder / f"worker_{index}.npz") for index in range(n_workers)], pids


if __name__ == "__main__":
    worker_main()
