"""The claims notebook 09's prose makes, held to the values the notebook records and to the
committed full-scale record it reads (``notebooks/results/scaling.json``).

Nothing here trains a model, starts a process or parses printed text.
"""

from __future__ import annotations

import pytest

from conftest import ROOT
from helpers import experiments
from helpers.scaling import FULL_SIZES, LAZY, LAZY_RECORD, load_full_scale

NOTEBOOK = ROOT / "notebooks" / "09_scaling_up_and_out.ipynb"
BIG, SMALL = "Keras MF, batch 8,192", "Keras MF, batch 1,024"


@pytest.fixture(scope="module")
def recorded():
    table, metadata = load_full_scale()
    return table.set_index(["method", "ratings"]), metadata


def test_the_record_is_the_full_curve_on_two_cores(recorded):
    table, metadata = recorded
    assert metadata["cores"] == 2 and metadata["command"] == "python -m helpers.scaling"
    for method in (SMALL, BIG, "implicit ALS (in memory)"):
        assert sorted(table.loc[method].index) == list(FULL_SIZES)


def test_the_synthetic_ratings_have_the_real_shape(records):
    real, fake = records["calibration"]["MovieLens 100k"], records["calibration"]["synthetic (for timing)"]
    for key in ("item_gini", "user_gini"):
        assert fake[key] == pytest.approx(real[key], abs=0.05)
    for key in ("top_1pct_share", "top_10pct_share"):  # "top shares within 20 %"
        assert fake[key] == pytest.approx(real[key], rel=0.2)


def test_memory_less_than_doubles_while_the_data_grows_a_hundredfold(recorded, records):
    table, _ = recorded
    peaks = table.loc[SMALL, "peak MB"]
    assert peaks.loc[10_000_000] < 2 * peaks.loc[100_000]  # "less than doubles, from 86 to 166 MB"
    assert round(peaks.loc[100_000]) == 86 and round(peaks.loc[10_000_000]) == 166
    assert records["peak_mb"][SMALL] == {"min": pytest.approx(peaks.min()), "max": pytest.approx(peaks.max())}


def test_time_grows_faster_than_the_data_from_1m_on_and_als_linearly(recorded, records):
    table, _ = recorded
    for method in (SMALL, BIG):  # "up to 1M the epoch grows about as the data does"
        assert 8 < table.loc[(method, 1_000_000), "seconds"] / table.loc[(method, 100_000), "seconds"] < 12
    growth = records["growth_1m_to_10m"]
    assert growth[SMALL] > 12 and growth[BIG] > 12  # superlinear: "37 times" and "26 times"
    assert round(growth[SMALL]) == 37 and round(growth[BIG]) == 26
    assert 8 < growth["implicit ALS (in memory)"] < 12 and round(growth["implicit ALS (in memory)"], 1) == 10.7
    assert growth[BIG] == pytest.approx(table.loc[(BIG, 10_000_000), "seconds"] / table.loc[(BIG, 1_000_000), "seconds"])
    throughput = records["throughput_10m"]
    assert round(throughput[BIG]) == 283_385
    assert round(throughput["implicit ALS (in memory)"] / throughput[BIG]) == 36


def test_the_larger_batch_pays_off_more_once_the_tables_are_large(recorded, records):
    speedup = records["batch_speedup"]
    assert round(speedup["1000000"], 1) == 2.0 and round(speedup["10000000"], 1) == 2.8
    assert speedup["10000000"] > speedup["1000000"] > 1
    table, _ = recorded
    at_3m = table.loc[(BIG, 3_000_000), "ratings/s"] / table.loc[(SMALL, 3_000_000), "ratings/s"]
    assert round(at_3m, 1) == 3.2


def test_bigger_tables_make_the_same_steps_slower(records):
    small, big = records["table_size_seconds"]
    assert big > 2 * small  # "more than twice the time"


def test_the_workers_agree_and_are_slower_on_one_machine(records):
    workers, seconds = records["workers"], records["workers_seconds"]
    assert workers["between"] == 0.0 and workers["to_one_process"] == 0.0  # "to the last bit"
    assert workers["losses"] == pytest.approx(workers["one_process_losses"], abs=5e-7)  # six decimals
    assert seconds["epoch"][1] > 2 * seconds["one_process_epoch"][1]  # "more than twice one process's"
    assert seconds["wall"] > sum(seconds["epoch"]) + 3  # "seconds more than its training"


def test_the_sharded_model_is_the_one_device_model(records):
    sharding = records["sharding"]
    assert sharding["max_abs_difference"] == 0.0
    assert sharding["loss"] == sharding["unsharded_loss"]


def test_jax_is_more_than_twice_as_fast_after_compiling(records):
    second = {name: epochs["2"] for name, epochs in records["backends_seconds"].items()}
    assert second["TensorFlow (this kernel)"] > 2 * second["JAX, one device"]  # "more than twice as fast"
    assert second["JAX, 4 devices, tables split"] > second["JAX, one device"]  # "slower than one device"


def test_cells_nbval_does_not_compare_only_record_timings():
    """A cell tagged nbval-ignore-output shows the reader nothing: its outputs are records only."""
    from helpers.records import MIME
    from tools.notebook_tools import read

    tagged = [cell for cell in read(NOTEBOOK).cells if "nbval-ignore-output" in cell.metadata.get("tags", [])]
    assert len(tagged) == 4
    for cell in tagged:
        assert cell.source.startswith("# this machine's timings") and cell.outputs
        for output in cell.outputs:  # a record's only other view is the empty plain text
            assert output.output_type == "display_data" and MIME in output.data
            assert not any(output.data[kind] for kind in output.data if kind != MIME)


LAZY_SMALL, LAZY_BIG = f"Keras MF, {LAZY}, batch 1,024", f"Keras MF, {LAZY}, batch 8,192"


def test_the_lazy_record_is_the_full_curve_on_two_cores():
    table, metadata = load_full_scale(LAZY_RECORD)
    assert metadata["cores"] == 2 and metadata["command"] == "python -m helpers.scaling --lazy"
    for method in (LAZY_SMALL, LAZY_BIG):
        assert sorted(table[table["method"] == method]["ratings"]) == list(FULL_SIZES)


def test_each_fix_does_half_the_work_and_both_bring_back_the_small_tables_time(records):
    seconds = records["lazy_table_seconds"]
    adam, lazy_alone = seconds["Keras' Embedding + Adam (the series')"], seconds["Keras' Embedding + LazyAdam"]
    both = seconds["sparse reads + LazyAdam"]
    small_tables = records["table_size_seconds"][0]
    assert both < lazy_alone < adam and both < adam / 2
    assert both < 1.5 * small_tables  # "about what they took on 100k's tables"


def test_with_sparse_reads_and_lazy_adam_the_epoch_grows_as_the_data(recorded, records):
    table, _ = load_full_scale(LAZY_RECORD)
    table = table.set_index(["method", "ratings"])
    growth = records["lazy_growth_1m_to_10m"]
    for method in (LAZY_SMALL, LAZY_BIG):
        assert growth[method] == pytest.approx(table.loc[(method, 10_000_000), "seconds"]
                                               / table.loc[(method, 1_000_000), "seconds"])
    assert round(growth[LAZY_BIG], 1) == 11.6 and round(growth[LAZY_SMALL], 1) == 13.2
    assert growth[LAZY_BIG] <= 12  # the target: ×10 data, at most ×12 time
    throughput = records["lazy_throughput_10m"]
    assert round(throughput[LAZY_BIG]) == 844_782 and round(throughput[LAZY_SMALL]) == 673_763
    assert throughput[LAZY_BIG] >= 500_000  # the target at the larger batch
    per_step_ms = {size: 1000 * table.loc[(LAZY_BIG, size), "seconds"] / -(-size // 8_192)
                   for size in (1_000_000, 10_000_000)}
    assert round(per_step_ms[1_000_000], 1) == 8.3 and round(per_step_ms[10_000_000], 1) == 9.7
    series = recorded[0]
    day = {batch: series.loc[(f"Keras MF, batch {batch:,}", 100_000), "seconds"]
           / table.loc[(f"Keras MF, {LAZY}, batch {batch:,}", 100_000), "seconds"] for batch in (1_024, 8_192)}
    assert round(day[8_192], 1) == 1.8 and round(day[1_024], 1) == 2.5  # "1.8–2.5 times faster" at 100k


def test_lazy_adam_costs_no_measurable_accuracy_on_validation(records):
    from helpers.selection import paired_interval

    search = experiments.load("lazy_adam")
    chosen = f"lazy_adam, learning_rate={search['chosen']['learning_rate']}"
    interval = paired_interval(search["val_rmse"][chosen], search["val_rmse"]["adam"])
    assert records["lazy_adam_vs_adam"] == pytest.approx(list(interval))
    assert interval[1] <= 0 <= interval[2]  # "no measurable difference"
    assert search["chosen"] == {"learning_rate": 0.01}  # Adam's own tuned rate
    for rate in (0.005, 0.02):  # "the smaller and the larger rate are measurably worse"
        assert paired_interval(search["val_rmse"][f"lazy_adam, learning_rate={rate}"], search["val_rmse"]["adam"])[1] > 0
