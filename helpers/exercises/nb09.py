"""Exercises of notebook 09 (scaling up and out). The checkers read small given problems and the
learner's own scaling table: none trains a model or starts a process."""

from __future__ import annotations

import json
import math

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


CLUSTER_CHOICES = {
    "a": "yes: each worker takes half of every global batch, so each does half the work, and a "
         "fast link makes the all-reduce cheap",
    "b": "no: only the per-example work (lookups, dot products and their gradients) is halved; "
         "each worker still updates every row of its full copy of the tables at every step, and "
         "an epoch has as many steps as before",
    "c": "no: the two workers train two different models, which have to be averaged at the end",
    "d": "yes, even more than twice as fast: each worker's tables are half as big",
}

q3 = Exercise(
    title="Exercise 3",
    hint_text=("What does a worker do at every step besides its half of the batch's lookups and "
               "dot products? Section 3's last cell timed it.",
               "With the global batch fixed, how many steps does an epoch have with two workers, "
               "and what does Adam touch at each of them, on each worker's copy?"),
    test=letter_choice(CLUSTER_CHOICES, {
        "a": "each worker does half the per-example work, but section 3 showed a cost per step "
             "that does not depend on the batch, Adam's update of every row, and every worker "
             "repeats it on its full copy.",
        "b": None,
        "c": "the workers apply the same all-reduced gradient at every step: they never diverge "
             "(section 4 shows identical weights), so there is nothing to average.",
        "d": "data parallelism gives every worker a full copy of the tables; splitting them is "
             "model parallelism (section 5).",
    }),
    praise="Data parallelism divides the per-example work, not what every step repeats on every "
           "copy: that is why recommenders with huge tables split them and update only the rows "
           "a batch touched.",
)


GROWTH_BATCH = 8_192
GROWTH_FROM, GROWTH_TO = 1_000_000, 10_000_000
"""Exercise 4: the time of one step at batch 8,192 from 1M to 10M ratings, in the recorded table."""


def _step_growth(table: pd.DataFrame, batch: int = GROWTH_BATCH, column: str = "seconds",
                 per_step: bool = True) -> float:
    rows = table[table["method"] == f"Keras MF, batch {batch:,}"].set_index("ratings")[column]
    if GROWTH_FROM not in rows.index or GROWTH_TO not in rows.index:
        raise ValueError("the table has no rows at 1M and 10M ratings: pass the recorded full-scale table")
    growth = float(rows.loc[GROWTH_TO] / rows.loc[GROWTH_FROM])
    steps = math.ceil(GROWTH_TO / batch) / math.ceil(GROWTH_FROM / batch)
    return growth / steps if per_step else growth


def _growth_test(answer, table) -> str | None:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return Unanswered("answer with one number: how many times longer one step takes at 10M.")
    expected = _step_growth(table)
    close = lambda value: abs(answer - value) <= 0.02 * abs(value)  # noqa: E731
    if close(expected):
        return None
    if close(1 / expected):
        return "that is the ratio upside down: the 10M step's time over the 1M step's."
    if close(_step_growth(table, per_step=False)):
        return ("that is how much the whole epoch grew: divide by how much the number of steps grew "
                "(about ten times).")
    if close(_step_growth(table, batch=1_024)):
        return "that is the growth at batch 1,024: the question is about batch 8,192."
    return "not the growth of a step's time in the table (within 2 %): seconds ÷ steps at 10M, over the same at 1M."


q4 = Exercise(
    title="Exercise 4",
    hint_text=("In `recorded`, find the rows \"Keras MF, batch 8,192\" at 1,000,000 and 10,000,000 "
               "ratings; a step's time is an epoch's seconds divided by its number of steps.",
               "Steps: math.ceil(ratings / 8_192). Divide the 10M step time by the 1M step time; "
               "then compare with (69,878 + 10,677) / (6,040 + 3,706)."),
    test=_growth_test,
    needs=("table",),
    praise="A step grows with the tables, though less than they do: part of it is fixed. Ten times "
           "the steps, each dearer: that is the superlinear epoch of section 3.",
)
