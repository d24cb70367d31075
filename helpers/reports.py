"""Test-set reports of the choices ``helpers.experiments`` made: each fits the chosen settings on
a split's whole train and scores the split's test once per seed. Nothing here chooses anything,
and nothing in ``helpers.experiments`` reads a test set (``tests/test_selection.py`` checks that);
``python -m helpers.experiments NAME`` adds the report to the experiment's record.

``dae_temporal``  notebook 07, section 6: the autoencoder and EASE with the settings chosen on the
                  temporal split's own validation rows, scored on the temporal test (NDCG@10)
``retrieval``     notebook 08, section 2: the two-tower model (with and without the logQ correction)
                  beside the softmax MF and popularity on the standard test, five seeds
``cold_start``    notebook 08, section 3: the feature towers on the held-out movies and users
``myfm_implicit`` notebook 07, section 5: myFM with SVD++-style implicit features on both sides
                  (``MYFM_CONFIG`` with ``implicit``), untuned as the benchmark's myFM is, on the
                  standard split; one fit takes about 10 minutes, so it runs with seed 42 only:
                  ``python -m helpers.reports myfm_implicit`` writes
                  ``notebooks/results/myfm_implicit.json`` (about 10 minutes; ``make test`` does
                  not re-run it)
"""

from __future__ import annotations

import json
import sys
import time

from helpers.selection import SEEDS


def dae_temporal(choices: dict, seeds=SEEDS) -> dict:
    """``{"test_ndcg": {"mult_dae": [one per seed], "ease": value}}`` for the record of
    ``helpers.experiments.dae_temporal`` (``choices``: its ``chosen`` and ``ease_chosen``)."""
    from helpers.autoencoder import dae_scores, fit_dae
    from helpers.data import movielens_split
    from helpers.ranking import ease_scores, evaluate_ranking

    split = movielens_split("temporal")
    train, n_users, n_items = split.train, split.encoding.n_users, split.encoding.n_items

    def ndcg(scores) -> float:
        return float(evaluate_ranking(scores, train, split.test)["ndcg@10"])

    autoencoder = []
    for seed in seeds:
        model, _ = fit_dae(train, n_users, n_items, seed=seed, **choices["chosen"])
        autoencoder.append(ndcg(dae_scores(model, train, n_users, n_items)))
    return {"test_ndcg": {"mult_dae": autoencoder,
                          "ease": ndcg(ease_scores(train, n_users, n_items, **choices["ease_chosen"]))}}


METRICS_KEPT = ("ndcg@10", "recall@10", "coverage")


def retrieval(choices: dict, seeds=SEEDS, fitted=None) -> dict:
    """``{"test": {model: {metric: [one per seed]}}}`` on the standard split for the record of
    ``helpers.experiments.retrieval``: the two-tower model with its chosen settings, with and
    without the logQ correction, beside notebook 05's softmax MF and popularity. ``fitted``
    (names) fits only those of the three trained models (default: all)."""
    from helpers.data import movielens_split
    from helpers.ranking import (
        evaluate_ranking,
        fit_ranking_model,
        popularity_scores,
        ranking_scores,
    )
    from helpers.retrieval import fit_two_tower, two_tower_scores

    split = movielens_split()
    train, n_users, n_items = split.train, split.encoding.n_users, split.encoding.n_items

    def scored(scores) -> dict[str, float]:
        report = evaluate_ranking(scores, train, split.test)
        return {metric: float(report[metric]) for metric in METRICS_KEPT}

    fits = {"two_tower": lambda seed: two_tower_scores(
                fit_two_tower(train, n_users, n_items, seed=seed, **choices["chosen"])[0]),
            "two_tower_uncorrected": lambda seed: two_tower_scores(
                fit_two_tower(train, n_users, n_items, seed=seed, **choices["uncorrected_chosen"])[0]),
            "softmax_mf": lambda seed: ranking_scores(fit_ranking_model(train, n_users, n_items, seed=seed)[0])}
    fits = {name: fit for name, fit in fits.items() if fitted is None or name in fitted}
    test = {name: {metric: [] for metric in METRICS_KEPT} for name in fits}
    for name, fit in fits.items():
        for seed in seeds:
            for metric, value in scored(fit(seed)).items():
                test[name][metric].append(value)
    test["popularity"] = {metric: [value] for metric, value in
                          scored(popularity_scores(train, n_users, n_items)).items()}
    return {"test": test}


def cold_start(choices: dict, seeds=SEEDS, fitted=None) -> dict:
    """``{"test": {...}}`` for the record of ``helpers.experiments.cold_start``: the feature towers
    with the chosen id dropouts, fitted on the cold-start split's train, scored on the held-out
    movies (against genre popularity) and the held-out users (against popularity). ``fitted``
    without ``"features"`` leaves the towers out (the popularity baselines only)."""
    from helpers.data import load_movielens_100k_users, movielens_split
    from helpers.ranking import popularity_scores
    from helpers.retrieval import (
        cold_start_report,
        cold_start_split,
        fit_two_tower,
        genre_popularity_scores,
        item_features,
        two_tower_scores,
        user_features,
    )

    split = movielens_split()
    n_users, n_items = split.encoding.n_users, split.encoding.n_items
    users = user_features(load_movielens_100k_users(), split.encoding.user_ids)
    items = item_features(split.movies, split.encoding.item_ids)
    cold = cold_start_split(split.ratings)

    def scored(scores, new) -> dict[str, float]:
        report = cold_start_report(scores, cold, new)
        return {metric: float(report[metric]) for metric in METRICS_KEPT}

    test = {"features": {new: {metric: [] for metric in METRICS_KEPT} for new in ("items", "users")}}
    for seed in seeds if fitted is None or "features" in fitted else ():
        model, _ = fit_two_tower(cold.train, n_users, n_items, seed=seed, users=users, items=items,
                                 **choices["chosen"])
        ranked = two_tower_scores(model, users, items, unknown_users=cold.cold_users,
                                  unknown_items=cold.cold_items)
        for new in ("items", "users"):
            for metric, value in scored(ranked, new).items():
                test["features"][new][metric].append(value)
    test["genre_popularity"] = {"items": scored(genre_popularity_scores(cold.train, items["genres"], n_users), "items")}
    test["popularity"] = {"users": scored(popularity_scores(cold.train, n_users, n_items), "users")}
    return {"test": test}


REPORTS = {"dae_temporal": dae_temporal, "retrieval": retrieval, "cold_start": cold_start}
"""Experiment name → its report: ``report(record) -> the keys it adds to the record``."""


def myfm_implicit(seeds=(SEEDS[0],)) -> dict:
    """myFM with implicit features on the standard split: test RMSE and fit seconds per seed."""
    from helpers.data import movielens_split
    from helpers.metrics import rmse
    from helpers.peers import MYFM_CONFIG, MyFMModel

    split = movielens_split()
    train, n_users, n_items = split.train, split.encoding.n_users, split.encoding.n_items
    scores, seconds = [], []
    for seed in seeds:
        start = time.perf_counter()
        model = MyFMModel(n_users, n_items, seed, implicit=True).fit(train)
        seconds.append(round(time.perf_counter() - start, 1))
        predicted = model.predict(split.test["user_index"], split.test["item_index"])
        scores.append(rmse(split.test["rating"], predicted))  # as the benchmark scores myFM: no fallback
    return {"seeds": list(seeds), "settings": {**MYFM_CONFIG, "implicit": True},
            "test_rmse": scores, "fit_seconds": seconds}


STANDALONE = {"myfm_implicit": myfm_implicit}
"""Reports with a record of their own in ``notebooks/results/``: name → ``report() -> record``."""


def load(name: str) -> dict:
    """The record of standalone report ``name`` (written by ``python -m helpers.reports NAME``)."""
    from helpers.experiments import RESULTS_DIR

    if name not in STANDALONE:
        raise ValueError(f"unknown report {name!r}: choose from {sorted(STANDALONE)}")
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m helpers.reports {name}`")
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    from helpers.experiments import RESULTS_DIR

    names = argv if argv is not None else sys.argv[1:]
    unknown = sorted(set(names) - set(STANDALONE))
    if not names or unknown:
        print(f"python -m helpers.reports NAME: choose from {', '.join(STANDALONE)}", file=sys.stderr)
        return 2
    for name in names:
        path = RESULTS_DIR / f"{name}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(STANDALONE[name](), indent=1) + "\n", encoding="utf-8")
        temporary.replace(path)  # never a half-written record
        print(f"{name}: written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
