"""Exercises of notebook 09 (scaling up and out). The checkers read small given problems and the
learner's own scaling table: none trains a model or starts a process."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from helpers.exercises import Exercise, Unanswered, letter_choice

CLUSTER = ["trainer-0.example.com:2222", "trainer-1.example.com:2222", "trainer-2.example.com:2222"]
"""Exercise 1: the three machines of a cluster, as their operators list them."""


def _tf_config(index: int = 1, task_type: str = "worker", cluster: list[str] | None = None) -> dict:
    return {"cluster": {"worker": list(CLUSTER if cluster is None else cluster)},
            "task": {"type": task_type, "index": index}}


def _config_test(answer) -> str | None:
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except json.JSONDecodeError:
            return "that string is not JSON: build a dict (or json.dumps one)."
    if not isinstance(answer, dict):
        return Unanswered("answer with a dict with the keys \"cluster\" and \"task\".")
    if answer == _tf_config():
        return None
    if set(answer) != {"cluster", "task"}:
        return f"TF_CONFIG has exactly two keys, \"cluster\" and \"task\"; yours has {sorted(answer)}."
    workers = answer["cluster"].get("worker") if isinstance(answer["cluster"], dict) else None
    if workers != CLUSTER:
        if isinstance(workers, list) and sorted(workers) == sorted(CLUSTER):
            return "the workers are listed in another order: every machine must list them in the same order."
        return ("the cluster lists every worker, this machine included, in the same order on every "
                "machine: CLUSTER as given.")
    task = answer["task"]
    if not isinstance(task, dict) or task.get("type") != "worker":
        return "this machine is a \"worker\" (the cluster has no \"chief\" entry): task type \"worker\"."
    if task.get("index") == 2:
        return "indices count from 0: trainer-1 is the second entry of the list, index 1."
    return "the task index says which entry of the worker list this machine is: trainer-1's."


q1 = Exercise(
    title="Exercise 1",
    hint_text=("Look at `tf_config(ports, index)` in section 4: a cluster, and this machine's place "
               "in it.",
               "{\"cluster\": {\"worker\": [...the three addresses...]}, \"task\": {\"type\": "
               "\"worker\", \"index\": ...}} — which entry of the list is trainer-1?"),
    test=_config_test,
    praise="Every machine gets the same cluster and its own index; worker 0 also saves checkpoints "
           "and writes logs (it is the chief when the cluster names none).",
)


ITEM_ROWS, EMBEDDING_DIM, DEVICES = 10_677, 32, 4
"""Exercise 2: MovieLens 10M's movie table, 32 float32 columns, split by rows over 4 devices."""


def _shard(padded: bool = True, bytes_per_value: int = 4, devices: int = DEVICES) -> tuple[int, int]:
    rows = -(-ITEM_ROWS // devices) if padded else ITEM_ROWS // devices
    return rows, rows * EMBEDDING_DIM * bytes_per_value


def _shard_test(answer) -> str | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return Unanswered("answer with two whole numbers: (rows on each device, bytes of one shard).")
    try:
        rows, size = (float(value) for value in answer)
    except (TypeError, ValueError):
        return Unanswered("answer with two whole numbers: (rows on each device, bytes of one shard).")
    expected_rows, expected_bytes = _shard()
    if (rows, size) == (expected_rows, expected_bytes):
        return None
    if rows == ITEM_ROWS / DEVICES or rows == ITEM_ROWS // DEVICES:
        return (f"{ITEM_ROWS:,} rows do not split evenly over {DEVICES} devices: JAX needs equal "
                "shards, so the table is padded up to a multiple of 4 first.")
    if rows == ITEM_ROWS:
        return "each device holds only its share of the rows, not the whole table."
    if rows == expected_rows and size == expected_rows * EMBEDDING_DIM:
        return "that is the number of values; a float32 takes 4 bytes."
    if rows == expected_rows and size == expected_rows * EMBEDDING_DIM * 8:
        return "Keras' tables are float32 (4 bytes a value), not float64."
    if rows == expected_rows:
        return "the rows are right; a shard is rows × columns × 4 bytes."
    return "not the padded rows per device: round 10,677 / 4 up."


q2 = Exercise(
    title="Exercise 2",
    hint_text=("`helpers.sharding.padded_rows` pads a table so that every device gets the same "
               "number of rows.",
               "Rows per device: 10,677 / 4 rounded up. Bytes: rows × 32 columns × 4 bytes."),
    test=_shard_test,
    praise="Each device stores a quarter of the table and of Adam's two moments for it: three "
           "times the shard, so the memory a table needs per device falls with every device added.",
)


SLOWER_CHOICES = {
    "a": "the two workers train two different models and must average them at the end",
    "b": "every step each worker waits for the other's gradients over the network, and each has "
         "one core instead of two, while a step of this model is only milliseconds of arithmetic",
    "c": "MultiWorkerMirroredStrategy reads the whole data set twice, once in each worker",
    "d": "TensorFlow cannot use threads under a distribution strategy",
}

q3 = Exercise(
    title="Exercise 3",
    hint_text=("Both workers end with the same weights after every step: what has to travel "
               "between them for that, and how often?",
               "Compare the time of the arithmetic of one step with the time of one round trip "
               "between two processes, and count the cores."),
    test=letter_choice(SLOWER_CHOICES, {
        "a": "the workers never diverge: they apply the same all-reduced gradients at every step, "
             "so there is nothing to average at the end (section 4 shows identical weights).",
        "b": None,
        "c": "each worker reads only its half of every global batch.",
        "d": "each worker runs TensorFlow's usual thread pools; the notebook gives each one core "
             "because that is its share of this machine.",
    }),
    praise="Data parallelism pays when a step's arithmetic is large next to the all-reduce: big "
           "models, big batches, fast links between machines, and each worker with its own cores.",
)


GROWTH_BATCH = 8_192
GROWTH_FROM, GROWTH_TO = 1_000_000, 10_000_000
"""Exercise 4: the time of an epoch at batch 8,192 from 1M to 10M ratings, in the recorded table."""


def _epoch_time(table: pd.DataFrame, n_ratings: int, batch: int = GROWTH_BATCH,
                column: str = "seconds") -> float | None:
    rows = table[(table["method"] == f"Keras MF, batch {batch:,}")]
    rows = rows[np.isclose(rows["ratings"], n_ratings, rtol=0.01)]
    return None if rows.empty else float(rows[column].iloc[0])


def _growth_test(answer, table) -> str | None:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return Unanswered("answer with one number: how many times longer the 10M epoch takes.")
    start, end = _epoch_time(table, GROWTH_FROM), _epoch_time(table, GROWTH_TO)
    if start is None or end is None:
        raise ValueError("the table has no batch-8,192 rows at 1M and 10M ratings: pass the recorded full-scale table")
    expected = end / start
    if abs(answer - expected) <= 0.02 * expected:
        return None
    if abs(answer - start / end) <= 0.02 * start / end:
        return "that is the ratio upside down: the 10M epoch's time over the 1M epoch's."
    other = (_epoch_time(table, GROWTH_TO, 1_024) or np.nan) / (_epoch_time(table, GROWTH_FROM, 1_024) or np.nan)
    if abs(answer - other) <= 0.02 * other:
        return "that is the ratio at batch 1,024: the question is about batch 8,192."
    throughput = _epoch_time(table, GROWTH_TO, column="ratings/s") / _epoch_time(table, GROWTH_FROM, column="ratings/s")
    if abs(answer - throughput) <= 0.02 * throughput:
        return "that is the ratio of the throughputs (ratings/s): the question is about seconds."
    return "not the ratio of the two seconds in the table (within 2 %)."


q4 = Exercise(
    title="Exercise 4",
    hint_text=("In the recorded table, find the two rows \"Keras MF, batch 8,192\" at 1,000,000 and "
               "10,000,000 ratings.",
               "Divide the seconds at 10M by the seconds at 1M; linear growth would give 10."),
    test=_growth_test,
    needs=("table",),
    praise="Linear growth would give 10: far above it, each step costs more as the data grows. "
           "Ten times the ratings means ten times the steps, and each step's Adam update touches "
           "every row of tables that grew with the data (section 3's last cell).",
)
