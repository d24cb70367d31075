"""The seeded validation experiments behind the notebooks' choices, and their recorded results.

Each experiment takes the training set only, carves its own validation split
(``helpers.selection.carve_validation``) and trains every setting with each of the five
``SEEDS``. Together they take about 55 minutes on two cores, far more than a notebook's
45-second budget, so ``python -m helpers.experiments`` runs them and writes one JSON file per
experiment into ``notebooks/results/``. The notebooks (02 to 07) read those files;
02 and 03 re-run the seed-42 entry of each setting they discuss and assert that they get the
recorded number; ``tests/test_selection.py`` re-runs every setting of every experiment with the
first seed (for ``svdpp``, ``dae``, ``dae_temporal``, ``dnn`` and the peers: the chosen settings) and
checks the files. Nothing here reads a test set; for ``dae_temporal`` the record also holds the
test scores of its choices, which ``helpers.reports`` computes after the choice is made.

``k_sweep``        the classic model for k in K_VALUES, one short budget (notebook 02)
``steps``          notebook 03's steps one at a time, with each penalty's λ chosen from L2_VALUES
``final_recipe``   the final recipe (fixed epochs on the fit part) for k × λ in FINAL_GRID
``dnn``            notebook 04's DNN, embedding width × dropout of DNN_GRID, as final_recipe
``classic``        notebook 02's classic recipe over the seeds, the reference of notebook 03
``ranking``        notebook 05's ranking model, validation NDCG@10 per epoch for each λ
``factors``        notebook 06's free, NonNeg and softplus factors, each λ from FACTOR_L2_GRID
``svdpp``          SVD++ on both sides (``helpers.svdpp``), λ on p, q × λ on z (SVDPP_GRID), as final_recipe
``dae``            the ranking autoencoder's width × λ (DAE_GRID), validation NDCG@10 every 3 epochs
``rating_peers``   Surprise's settings (``helpers.peers.PEER_GRIDS``), on the tuned MF's validation split
``ranking_peers``  implicit's settings and EASE's λ (``EASE_GRID``), on the ranking validation split
``dae_temporal``   the autoencoder and EASE tuned on the temporal split's own time-ordered validation
                   split, then scored on the temporal test (notebook 07, section 6)
``retrieval``      notebook 08's two-tower model, temperature × λ × logQ correction (RETRIEVAL_GRID),
                   validation NDCG@10 per epoch; then scored on the standard test over five seeds
``cold_start``     notebook 08's feature towers' id dropouts (COLD_START_GRID) on a cold-start
                   split carved from the cold-start train; then scored on the held-out movies/users
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED
from helpers.selection import SEEDS, carve_validation, fit_on_validation

RESULTS_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "results"
K_VALUES = (3, 5, 10, 20, 50)
K_SWEEP_BUDGET = {"epochs": 6, "learning_rate": 0.01}
L2_VALUES = {"whole_table_l2": (3e-5, 1e-4, 3e-4), "per_example_l2": (0.05, 0.13, 0.3)}
FINAL_GRID = {"k": (16, 32, 64), "l2": (0.08, 0.13, 0.2)}
WHOLE_TABLE_GRID = {"k": (16, 32, 64), "l2": (3e-5, 1e-4, 3e-4)}
DNN_GRID = {"embedding_dim": (16, 32, 64), "dropout": (0.1, 0.3, 0.5)}
FACTOR_L2_GRID = {"free": (0.08, 0.15, 0.3), "nonneg": (0.02, 0.05, 0.1), "softplus": (0.003, 0.01, 0.03)}


def standard_train():
    """The training part of the series' standard split, encoded (the test part is dropped here)."""
    from helpers.data import movielens_split

    split = movielens_split()
    return split.train, split.encoding.n_users, split.encoding.n_items


def _best(history) -> tuple[float, int]:
    curve = history.history["val_rmse"]
    return float(min(curve)), int(np.argmin(curve)) + 1


def k_sweep(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Validation RMSE of the classic model after a fixed short budget, for each k and seed."""
    from helpers.models import build_classic_mf

    fit_part, validation = carve_validation(train)
    scores = {}
    for k in K_VALUES:
        scores[str(k)] = []
        for seed in seeds:
            _, history = fit_on_validation(
                lambda k=k: build_classic_mf(n_users, n_items, k=k,
                                             learning_rate=K_SWEEP_BUDGET["learning_rate"]),
                fit_part, validation, seed, epochs=K_SWEEP_BUDGET["epochs"], patience=None)
            scores[str(k)].append(float(history.history["val_rmse"][-1]))
    return {"seeds": list(seeds), "val_rmse": scores}


def step_variants(global_mean: float, l2: dict[str, float]) -> dict[str, tuple[dict, int]]:
    """Notebook 03's steps: name → (``build_mf`` switches, early-stopping patience); the "check"
    entries each take one part away again (or swap the penalty) to see whether it still pays."""
    biased = {"global_mean": global_mean, "biases": True}
    return {
        "1 · plain MF, early stopping, cosine LR": ({}, 2),
        "2 · + global mean": ({"global_mean": global_mean}, 2),
        "3 · + user and item biases": (biased, 2),
        "4a · + whole-table L2": ({**biased, "whole_table_l2": l2["whole_table_l2"]}, 10),
        "4b · + per-example L2": ({**biased, "per_example_l2": l2["per_example_l2"]}, 10),
        "5 · + output range (0.5, 5.5)": ({**biased, "per_example_l2": l2["per_example_l2"],
                                           "rating_range": (0.5, 5.5)}, 10),
        # checks: does each part still pay once the model is regularised?
        "check · 4b without the biases": ({"global_mean": global_mean,
                                           "per_example_l2": l2["per_example_l2"]}, 10),
        "check · 4b without the global mean": ({"biases": True,
                                                "per_example_l2": l2["per_example_l2"]}, 10),
        "check · 5 with whole-table L2": ({**biased, "whole_table_l2": l2["whole_table_l2"],
                                           "rating_range": (0.5, 5.5)}, 10),
    }


def cosine_schedule(fit_part: pd.DataFrame, epochs: int = 10, start: float = 0.01,
                    batch_size: int = 1024):
    """A learning rate from ``start`` decaying along a cosine to 0 at the end of the last epoch."""
    import keras

    steps = int(np.ceil(len(fit_part) / batch_size)) * epochs
    return keras.optimizers.schedules.CosineDecay(start, decay_steps=steps)


def run_step(switches: dict, patience: int, fit_part, validation, n_users, n_items, seed=SEED):
    """One step of notebook 03 trained with one seed: ``(model, history)``."""
    from helpers.models import CLASSIC_CONFIG, build_mf

    switches = {"k": CLASSIC_CONFIG["k"], **switches}  # notebook 02's k, unless a switch sets it
    return fit_on_validation(
        lambda: build_mf(n_users, n_items, learning_rate=cosine_schedule(fit_part), **switches),
        fit_part, validation, seed, epochs=10, patience=patience)


def steps(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Validation RMSE (best epoch) of each step over the seeds; each penalty's λ from L2_VALUES."""
    fit_part, validation = carve_validation(train)
    global_mean = float(fit_part["rating"].mean())
    biased = {"global_mean": global_mean, "biases": True}
    l2_scores, l2_epochs, chosen_l2 = {}, {}, {}
    for penalty, values in L2_VALUES.items():
        l2_scores[penalty], l2_epochs[penalty] = {}, {}
        for value in values:
            results = [_best(run_step({**biased, penalty: value}, 10, fit_part, validation,
                                      n_users, n_items, seed)[1]) for seed in seeds]
            l2_scores[penalty][repr(value)] = [score for score, _ in results]
            l2_epochs[penalty][repr(value)] = [epoch for _, epoch in results]
        chosen_l2[penalty] = float(min(values, key=lambda v: np.mean(l2_scores[penalty][repr(v)])))
    scores, best_epochs = {}, {}
    for name, (switches, patience) in step_variants(global_mean, chosen_l2).items():
        penalty = next((p for p in L2_VALUES if p in switches and switches.keys() == {*biased, p}), None)
        if penalty is not None:  # trained in the λ search already: the same runs, not new ones
            scores[name] = l2_scores[penalty][repr(chosen_l2[penalty])]
            best_epochs[name] = l2_epochs[penalty][repr(chosen_l2[penalty])]
            continue
        results = [_best(run_step(switches, patience, fit_part, validation, n_users, n_items, seed)[1])
                   for seed in seeds]
        scores[name] = [score for score, _ in results]
        best_epochs[name] = [epoch for _, epoch in results]
    return {"seeds": list(seeds), "l2_search": l2_scores, "chosen_l2": chosen_l2,
            "val_rmse": scores, "best_epoch": best_epochs}


def final_recipe(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The final recipe's settings, and its penalty against the alternative, on validation.

    ``per_example``: ``fit_tuned_mf``'s recipe (fixed epochs, no early stopping) on the fit part,
    for each k × λ of FINAL_GRID and each seed. ``whole_table``: the same model with whole-table
    L2 instead, which needs early stopping (patience 2, best epoch restored), for each k × λ of
    WHOLE_TABLE_GRID: the same budget of nine settings. Within each family the setting with the
    lowest mean validation RMSE is chosen (settings are numbers on a grid); the two families'
    choices are then compared seed by seed, and whole-table L2 replaces per-example L2 only if it
    is measurably better, since it needs one more choice (the stopping epoch)."""
    from helpers.metrics import rmse
    from helpers.models import fit_tuned_mf, predict_ratings
    from helpers.selection import paired_interval

    fit_part, validation = carve_validation(train)
    global_mean = float(fit_part["rating"].mean())
    per_example, whole_table, stopped_at = {}, {}, {}
    for k in FINAL_GRID["k"]:
        for l2 in FINAL_GRID["l2"]:
            name = f"k={k}, λ={l2}"
            per_example[name] = []
            for seed in seeds:
                model, _ = fit_tuned_mf(fit_part, n_users, n_items, seed=seed, k=k, l2=l2)
                predicted = predict_ratings(model, validation["user_index"], validation["item_index"])
                per_example[name].append(rmse(validation["rating"], predicted))
    for k in WHOLE_TABLE_GRID["k"]:
        for l2 in WHOLE_TABLE_GRID["l2"]:
            name = f"k={k}, λ={l2}"
            switches = {"k": k, "global_mean": global_mean, "biases": True, "whole_table_l2": l2,
                        "rating_range": (0.5, 5.5)}
            results = [_best(run_step(switches, 2, fit_part, validation, n_users, n_items, seed)[1])
                       for seed in seeds]
            whole_table[name] = [score for score, _ in results]
            stopped_at[name] = [epoch for _, epoch in results]
    chosen = min(per_example, key=lambda name: np.mean(per_example[name]))
    rival = min(whole_table, key=lambda name: np.mean(whole_table[name]))
    difference, low, high = paired_interval(whole_table[rival], per_example[chosen])
    k, l2 = (part.split("=")[1] for part in chosen.split(", "))
    return {"seeds": list(seeds), "val_rmse": per_example,
            "whole_table": {"val_rmse": whole_table, "best_epoch": stopped_at},
            "penalty": {"per_example": chosen, "whole_table": rival, "difference": difference,
                        "95% low": low, "95% high": high,
                        "kept": "whole_table" if high < 0 else "per_example"},
            "chosen": {"k": int(k), "l2": float(l2)}}


def factors(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Notebook 06: free, NonNeg-constrained and softplus factors (``helpers.nonnegative``), each
    with its per-example L2 from FACTOR_L2_GRID, five seeds each, scored on validation; the
    chosen λ per variant is the lowest mean."""
    from helpers.baselines import with_fallback
    from helpers.metrics import rmse
    from helpers.nonnegative import fit_factor_mf, predict_factor_mf

    fit_part, validation = carve_validation(train)
    scores = {}
    for variant, values in FACTOR_L2_GRID.items():
        scores[variant] = {}
        for l2 in values:
            scores[variant][repr(l2)] = []
            for seed in seeds:
                model, _ = fit_factor_mf(fit_part, n_users, n_items, seed=seed, factors=variant, l2=l2)
                predicted = predict_factor_mf(model, validation["user_index"], validation["item_index"])
                scores[variant][repr(l2)].append(
                    rmse(validation["rating"], with_fallback(predicted, fit_part, validation)))
    chosen = {variant: float(min(by_l2, key=lambda v: np.mean(by_l2[v])))
              for variant, by_l2 in scores.items()}
    return {"seeds": list(seeds), "val_rmse": scores, "chosen_l2": chosen}


def dnn(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Notebook 04: the DNN's settings searched like the final MF recipe's, on the same fit part
    and validation rows, with the same budget of nine settings and five seeds: ``fit_dnn`` with
    each embedding width × dropout of DNN_GRID, trained on the fit part for its fixed epochs,
    scored on validation. The chosen setting is the lowest mean."""
    from helpers.dnn import fit_dnn
    from helpers.metrics import rmse
    from helpers.models import predict_ratings

    fit_part, validation = carve_validation(train)
    scores = {}
    for dim in DNN_GRID["embedding_dim"]:
        for dropout in DNN_GRID["dropout"]:
            name = f"dim={dim}, dropout={dropout}"
            scores[name] = []
            for seed in seeds:
                model, _ = fit_dnn(fit_part, n_users, n_items, seed=seed, embedding_dim=dim,
                                   dropout=dropout, validation_fraction=0.0)
                predicted = predict_ratings(model, validation["user_index"], validation["item_index"])
                scores[name].append(rmse(validation["rating"], predicted))
    chosen = min(scores, key=lambda name: np.mean(scores[name]))
    dim, dropout = (part.split("=")[1] for part in chosen.split(", "))
    return {"seeds": list(seeds), "val_rmse": scores,
            "chosen": {"embedding_dim": int(dim), "dropout": float(dropout)}}


def classic(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The classic recipe of notebook 02 (``CLASSIC_CONFIG``: k = 20, 20 epochs, Adam at 0.005) on
    the fit part, each seed's validation RMSE after its last epoch: what notebook 03's steps are
    measured against."""
    from helpers.models import CLASSIC_CONFIG, build_classic_mf

    fit_part, validation = carve_validation(train)
    scores = [float(fit_on_validation(lambda: build_classic_mf(n_users, n_items), fit_part,
                                      validation, seed, epochs=CLASSIC_CONFIG["epochs"],
                                      patience=None)[1].history["val_rmse"][-1])
              for seed in seeds]
    return {"seeds": list(seeds), "val_rmse": scores}


RANKING_L2_VALUES, RANKING_EPOCHS = (3e-5, 1e-4, 3e-4), 16


def ranking(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Notebook 05: the softmax ranking model's validation NDCG@10 after every epoch, for each λ of
    RANKING_L2_VALUES and each seed, on notebook 05's validation split (``random_split(train)``),
    and the popularity list's on the same split. The chosen (λ, epochs) has the highest mean."""
    from helpers.data import random_split
    from helpers.ranking import evaluate_ranking, popularity_scores, validation_curve

    fit_part, valid_part = random_split(train)
    curves = {repr(l2): [validation_curve(fit_part, valid_part, n_users, n_items, seed=seed, l2=l2,
                                          epochs=RANKING_EPOCHS) for seed in seeds]
              for l2 in RANKING_L2_VALUES}
    popularity = evaluate_ranking(popularity_scores(fit_part, n_users, n_items), fit_part,
                                  valid_part)["ndcg@10"]
    mean_curves = {l2: np.mean(runs, axis=0) for l2, runs in curves.items()}
    best = max(mean_curves, key=lambda l2: mean_curves[l2].max())
    return {"seeds": list(seeds), "val_ndcg": curves, "popularity_val_ndcg": float(popularity),
            "chosen": {"l2": float(best), "epochs": int(np.argmax(mean_curves[best])) + 1}}


SVDPP_GRID = {"l2": (0.4, 0.5, 0.7), "z_l2": (0.03, 0.1, 0.25)}
"""A first grid, λ (0.3, 0.4, 0.5) × z's λ (0.1, 0.25, 0.5), chose its corner (0.5, 0.1): moved to this one."""


def svdpp(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """``helpers.svdpp``'s model on the tuned MF's fit part and validation rows, with its fixed
    epochs, for each setting of SVDPP_GRID and each seed; the chosen setting is the lowest mean
    validation RMSE. (The other settings of SVDPP_CONFIG — k, y's λ, epochs — were chosen in a
    wider exploration on the same validation rows; the grid is the last step of that search.)"""
    from helpers.metrics import rmse
    from helpers.models import predict_ratings
    from helpers.svdpp import fit_svdpp

    fit_part, validation = carve_validation(train)
    scores = {}
    for settings in _grid(SVDPP_GRID):
        scores[_setting_name(settings)] = []
        for seed in seeds:
            model, _ = fit_svdpp(fit_part, n_users, n_items, seed=seed, **settings)
            predicted = predict_ratings(model, validation["user_index"], validation["item_index"])
            scores[_setting_name(settings)].append(rmse(validation["rating"], predicted))
    best = min(scores, key=lambda name: np.mean(scores[name]))
    return {"seeds": list(seeds), "val_rmse": scores, "chosen": _grid(SVDPP_GRID)[list(scores).index(best)]}


LAZY_ADAM_GRID = {"learning_rate": (0.005, 0.01, 0.02)}
"""LazyAdam's learning rates (notebook 09): its own small search, Adam keeps its tuned 0.01."""


def lazy_adam(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The tuned MF trained as ``fit_tuned_mf`` trains it (Keras' Adam) and with sparse reads and
    ``LazyAdam`` (``helpers.scaling.fit_tuned_sparse``) at each learning rate of LAZY_ADAM_GRID,
    the same initial weights and batches, scored on the validation rows; the chosen rate is
    LazyAdam's lowest mean validation RMSE (notebook 09)."""
    from helpers.metrics import rmse
    from helpers.models import fit_tuned_mf, predict_ratings
    from helpers.scaling import fit_tuned_sparse

    fit_part, validation = carve_validation(train)

    def scored(model) -> float:
        return rmse(validation["rating"], predict_ratings(model, validation["user_index"], validation["item_index"]))

    scores = {"adam": [scored(fit_tuned_mf(fit_part, n_users, n_items, seed=seed)[0]) for seed in seeds]}
    for settings in _grid(LAZY_ADAM_GRID):
        scores[f"lazy_adam, {_setting_name(settings)}"] = [
            scored(fit_tuned_sparse(fit_part, n_users, n_items, seed=seed, **settings)[0]) for seed in seeds]
    lazy = [name for name in scores if name != "adam"]
    best = min(lazy, key=lambda name: np.mean(scores[name]))
    return {"seeds": list(seeds), "val_rmse": scores, "chosen": _grid(LAZY_ADAM_GRID)[lazy.index(best)]}


def dae_curve(fit_part: pd.DataFrame, valid_part: pd.DataFrame, n_users: int, n_items: int,
              seed: int, **settings) -> list[float]:
    """The autoencoder fitted on ``fit_part`` for ``DAE_EPOCHS`` epochs: its NDCG@10 on
    ``valid_part`` after every ``DAE_EVERY`` epochs (``dae`` and ``dae_temporal`` read it)."""
    import keras

    from helpers.autoencoder import dae_scores, fit_dae
    from helpers.ranking import evaluate_ranking

    scores: list[float] = []

    class Every(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % DAE_EVERY == 0:
                ranked = dae_scores(self.model, fit_part, n_users, n_items)
                scores.append(float(evaluate_ranking(ranked, fit_part, valid_part)["ndcg@10"]))

    fit_dae(fit_part, n_users, n_items, seed=seed, epochs=DAE_EPOCHS, callbacks=[Every()], **settings)
    return scores


DAE_GRID = {"hidden": (200, 400, 600), "l2": (1e-3, 3e-3, 1e-2)}
DAE_EPOCHS, DAE_EVERY = 45, 3


def dae(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The autoencoder of ``helpers.autoencoder`` on the ranking validation split
    (``random_split(train)``, the split the softmax MF, EASE and implicit's models were chosen on):
    validation NDCG@10 after every ``DAE_EVERY`` epochs up to ``DAE_EPOCHS``, for each setting of
    DAE_GRID and each seed. The chosen (setting, epochs) has the highest mean over the seeds."""
    from helpers.data import random_split

    fit_part, valid_part = random_split(train)
    curves = {_setting_name(settings): [dae_curve(fit_part, valid_part, n_users, n_items, seed, **settings)
                                        for seed in seeds]
              for settings in _grid(DAE_GRID)}
    means = {name: np.mean(runs, axis=0) for name, runs in curves.items()}
    best = max(means, key=lambda name: means[name].max())
    chosen = dict(zip(DAE_GRID, (value for value in _grid(DAE_GRID)[list(curves).index(best)].values())))
    return {"seeds": list(seeds), "every": DAE_EVERY, "val_ndcg": curves,
            "chosen": {**chosen, "epochs": int(np.argmax(means[best]) + 1) * DAE_EVERY}}


EASE_GRID = {"l2": (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0), "positives_from": (None, 4.0)}


def _grid(grid: dict) -> list[dict]:
    """Every combination of a grid's values, as settings dicts, in a fixed order."""
    import itertools

    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def _setting_name(settings: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())


def rating_peers(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The benchmark's rating peers tuned like the series' rating models, with a comparable budget.

    Surprise's SVD, SVD++ and KNNBaseline on ``carve_validation(train)``, the split the tuned MF
    and the DNN were chosen on: validation RMSE for every setting of ``helpers.peers.PEER_GRIDS``
    (each seed for the stochastic SVD and SVD++; KNNBaseline is deterministic, one run), and for
    Surprise's defaults. The chosen setting of each is the lowest mean. myFM has no setting to
    tune (its penalties are sampled)."""
    from helpers.metrics import rmse
    from helpers.peers import PEER_GRIDS, SURPRISE_DEFAULTS, SurpriseModel

    fit_part, validation = carve_validation(train)

    def surprise_rmse(algorithm: str, settings: dict, seed: int) -> float:
        model = SurpriseModel(algorithm, seed, **settings).fit(fit_part)
        return rmse(validation["rating"], model.predict(validation["user_index"], validation["item_index"]))

    results = {"seeds": list(seeds), "val_rmse": {}, "defaults_val_rmse": {}, "chosen": {}}
    for algorithm in ("svd", "svdpp", "knn_baseline"):
        runs = seeds if algorithm != "knn_baseline" else seeds[:1]
        scores = {}
        for settings in _grid(PEER_GRIDS[algorithm]):
            if algorithm == "knn_baseline":
                settings = {"k": settings["k"], "sim_options": {"name": settings["name"],
                                                                "user_based": settings["user_based"]}}
            elif algorithm == "svdpp":
                settings = {**settings, "cache_ratings": True}
            scores[_setting_name(settings)] = ([surprise_rmse(algorithm, settings, seed) for seed in runs],
                                               settings)
        results["val_rmse"][algorithm] = {name: values for name, (values, _) in scores.items()}
        best = min(scores, key=lambda name: np.mean(scores[name][0]))
        results["chosen"][algorithm] = scores[best][1]
        results["defaults_val_rmse"][algorithm] = [surprise_rmse(algorithm, SURPRISE_DEFAULTS[algorithm], seed)
                                                   for seed in runs]
    return results


def ranking_peers(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """The benchmark's ranking peers tuned like the series' ranking models: implicit's ALS and BPR
    (each seed) and EASE (closed form, one run) on ``random_split(train)``, the split the softmax
    ranking model was chosen on: validation NDCG@10 for every setting of ``PEER_GRIDS`` and
    ``EASE_GRID``. The chosen setting of each is the highest mean."""
    from helpers.data import random_split
    from helpers.peers import PEER_GRIDS, ImplicitModel
    from helpers.ranking import ease_scores, evaluate_ranking

    rank_part, rank_validation = random_split(train)

    def ndcg(scores: np.ndarray) -> float:
        return float(evaluate_ranking(scores, rank_part, rank_validation)["ndcg@10"])

    results = {"seeds": list(seeds), "val_ndcg": {}, "chosen": {}}
    for algorithm in ("als", "bpr"):
        scores = {}
        for settings in _grid(PEER_GRIDS[algorithm]):
            scores[_setting_name(settings)] = ([ndcg(ImplicitModel(algorithm, n_users, n_items, seed, **settings)
                                                     .fit(rank_part).scores(np.arange(n_users)))
                                                for seed in seeds], settings)
        results["val_ndcg"][algorithm] = {name: values for name, (values, _) in scores.items()}
        results["chosen"][algorithm] = scores[max(scores, key=lambda name: np.mean(scores[name][0]))][1]
    scores = {_setting_name(settings): ([ndcg(ease_scores(rank_part, n_users, n_items, **settings))], settings)
              for settings in _grid(EASE_GRID)}
    results["val_ndcg"]["ease"] = {name: values for name, (values, _) in scores.items()}
    results["chosen"]["ease"] = scores[max(scores, key=lambda name: np.mean(scores[name][0]))][1]
    return results


DAE_TEMPORAL_GRID = {"hidden": (400, 600, 1000), "dropout": (0.2, 0.5)}
"""The autoencoder's width × dropout searched on the temporal split (λ 1e-3). An exploration on
the same validation rows (2–3 seeds) came first: λ 3e-3 to 3e-2 and 1,500 or 2,500 units scored
lower, and 1,500 units took 35 s a fit."""
DAE_TEMPORAL_L2 = 1e-3
TEMPORAL_EASE_GRID = {"l2": (100.0, 300.0, 1000.0), "positives_from": (None, 4.0)}


def dae_temporal(train: pd.DataFrame, n_users: int, n_items: int, seeds=SEEDS) -> dict:
    """Is EASE's lead on the temporal split (notebook 07, section 6) a tuning artefact? The
    autoencoder's settings chosen for that split: ``train`` is the temporal split's train
    (``EXPERIMENT_SPLITS``); each user's latest 10 % of it (``temporal_split(train, 0.1)``) is a
    time-ordered validation split. Validation NDCG@10 every ``DAE_EVERY`` epochs up to
    ``DAE_EPOCHS`` for each setting of DAE_TEMPORAL_GRID and each seed, and EASE's λ on the same
    rows (TEMPORAL_EASE_GRID). Only validation here: ``helpers.reports.dae_temporal`` then scores
    the choices on the temporal test (``run`` adds it to the record as ``test_ndcg``)."""
    from helpers.data import temporal_split
    from helpers.ranking import ease_scores, evaluate_ranking

    fit_part, valid_part = temporal_split(train, 0.1)
    curves = {_setting_name(settings): [dae_curve(fit_part, valid_part, n_users, n_items, seed,
                                                  l2=DAE_TEMPORAL_L2, **settings) for seed in seeds]
              for settings in _grid(DAE_TEMPORAL_GRID)}
    means = {name: np.mean(runs, axis=0) for name, runs in curves.items()}
    best = max(means, key=lambda name: means[name].max())
    chosen = {**_grid(DAE_TEMPORAL_GRID)[list(curves).index(best)], "l2": DAE_TEMPORAL_L2,
              "epochs": int(np.argmax(means[best]) + 1) * DAE_EVERY}
    ease = {_setting_name(settings): (float(evaluate_ranking(ease_scores(fit_part, n_users, n_items, **settings),
                                                             fit_part, valid_part)["ndcg@10"]), settings)
            for settings in _grid(TEMPORAL_EASE_GRID)}
    ease_chosen = ease[max(ease, key=lambda name: ease[name][0])][1]
    return {"seeds": list(seeds), "every": DAE_EVERY, "val_ndcg": curves, "chosen": chosen,
            "ease_val_ndcg": {name: value for name, (value, _) in ease.items()}, "ease_chosen": ease_chosen}


RETRIEVAL_GRID = {"temperature": (0.1, 0.3, 1.0), "l2": (1e-4, 3e-4, 1e-3), "correction": (True, False)}
RETRIEVAL_EPOCHS = 15
RETRIEVAL_SEEDS = SEEDS[:3]
"""The two-tower grid is searched with three seeds (18 settings × 15 epochs: about 15 minutes);
its claims are made on the test set over all five (``helpers.reports.retrieval``)."""


def retrieval_curve(fit_part: pd.DataFrame, valid_part: pd.DataFrame, n_users: int, n_items: int,
                    seed: int, **settings) -> list[float]:
    """The two-tower model fitted on ``fit_part``: its NDCG@10 on ``valid_part`` after every epoch
    up to ``RETRIEVAL_EPOCHS`` (``retrieval`` reads it)."""
    import keras

    from helpers.ranking import evaluate_ranking
    from helpers.retrieval import fit_two_tower, two_tower_scores

    scores: list[float] = []

    class Every(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores.append(float(evaluate_ranking(two_tower_scores(self.model), fit_part, valid_part)["ndcg@10"]))

    fit_two_tower(fit_part, n_users, n_items, seed=seed, epochs=RETRIEVAL_EPOCHS, callbacks=[Every()],
                  **settings)
    return scores


def _best_on_curves(curves: dict, grid: dict, keep) -> dict | None:
    """The setting (and epochs) with the highest mean validation curve among those ``keep`` accepts."""
    settings = {name: setting for name, setting in zip(curves, _grid(grid)) if keep(setting)}
    if not settings:
        return None
    means = {name: np.mean(curves[name], axis=0) for name in settings}
    best = max(means, key=lambda name: means[name].max())
    return {**settings[best], "epochs": int(np.argmax(means[best])) + 1}


def retrieval(train: pd.DataFrame, n_users: int, n_items: int, seeds=RETRIEVAL_SEEDS) -> dict:
    """Notebook 08: the two-tower model's validation NDCG@10 per epoch on the ranking validation
    split (``random_split(train)``, as notebook 05's softmax MF), for each setting of
    RETRIEVAL_GRID and each seed. With and without the logQ correction, each gets its own best
    (temperature, λ, epochs): the same budget for both."""
    from helpers.data import random_split
    from helpers.ranking import evaluate_ranking, popularity_scores

    fit_part, valid_part = random_split(train)
    curves = {_setting_name(settings): [retrieval_curve(fit_part, valid_part, n_users, n_items, seed,
                                                        **settings) for seed in seeds]
              for settings in _grid(RETRIEVAL_GRID)}
    popularity = evaluate_ranking(popularity_scores(fit_part, n_users, n_items), fit_part,
                                  valid_part)["ndcg@10"]
    return {"seeds": list(seeds), "val_ndcg": curves, "popularity_val_ndcg": float(popularity),
            "chosen": _best_on_curves(curves, RETRIEVAL_GRID, lambda s: s["correction"]),
            "uncorrected_chosen": _best_on_curves(curves, RETRIEVAL_GRID, lambda s: not s["correction"])}


COLD_START_GRID = {"user_id_dropout": (0.0, 0.2, 0.5), "item_id_dropout": (0.0, 0.2, 0.5)}


def cold_start(train: pd.DataFrame, n_users: int, n_items: int, seeds=RETRIEVAL_SEEDS) -> dict:
    """Notebook 08: the feature towers' id dropouts, on a cold-start split carved from the
    cold-start split's own train (10 % more movies and users held out, another seed): validation
    NDCG@10 for the held-out movies and for the held-out users, each setting and seed. The
    chosen setting has the highest mean of the two (one model serves both kinds of newcomer)."""
    from helpers.data import load_movielens_100k, load_movielens_100k_users
    from helpers.retrieval import (
        cold_start_report,
        cold_start_split,
        fit_two_tower,
        item_features,
        two_tower_scores,
        user_features,
    )

    _, movies = load_movielens_100k()
    encoding_ids = _standard_ids()
    users = user_features(load_movielens_100k_users(), encoding_ids[0])
    items = item_features(movies, encoding_ids[1])
    inner = cold_start_split(train, seed=SEED + 1)
    scores: dict[str, dict[str, list[float]]] = {"items": {}, "users": {}}
    for settings in _grid(COLD_START_GRID):
        name = _setting_name(settings)
        for new in scores:
            scores[new][name] = []
        for seed in seeds:
            model, _ = fit_two_tower(inner.train, n_users, n_items, seed=seed, users=users, items=items,
                                     **settings)
            ranked = two_tower_scores(model, users, items, unknown_users=inner.cold_users,
                                      unknown_items=inner.cold_items)
            for new in scores:
                scores[new][name].append(float(cold_start_report(ranked, inner, new)["ndcg@10"]))
    means = {name: np.mean([np.mean(scores[new][name]) for new in scores]) for name in scores["items"]}
    best = max(means, key=means.get)
    return {"seeds": list(seeds), "val_ndcg": scores,
            "chosen": _grid(COLD_START_GRID)[list(means).index(best)]}


def _standard_ids():
    from helpers.data import movielens_split

    encoding = movielens_split().encoding
    return encoding.user_ids, encoding.item_ids


def peer_choices(results_dir: Path = RESULTS_DIR) -> dict:
    """Every peer's recorded choice: ``rating_peers``' and ``ranking_peers``' ``chosen``, merged."""
    return {**load("rating_peers", results_dir)["chosen"], **load("ranking_peers", results_dir)["chosen"]}


EXPERIMENTS = {"k_sweep": k_sweep, "steps": steps, "final_recipe": final_recipe, "factors": factors,
               "dnn": dnn, "classic": classic, "ranking": ranking, "svdpp": svdpp, "dae": dae,
               "rating_peers": rating_peers, "ranking_peers": ranking_peers, "dae_temporal": dae_temporal,
               "retrieval": retrieval, "cold_start": cold_start, "lazy_adam": lazy_adam}
EXPERIMENT_SPLITS = {"dae_temporal": "temporal", "cold_start": "cold_start"}
"""The experiments that run on another split's train than the standard one."""


def training_set(name: str):
    """The train part an experiment runs on, with n_users and n_items: the standard split's,
    or the one ``EXPERIMENT_SPLITS`` names (the test part is dropped here)."""
    from helpers.data import movielens_split

    if EXPERIMENT_SPLITS.get(name) == "cold_start":  # notebook 08's: movies and users held out
        from helpers.retrieval import cold_start_split

        split = movielens_split()
        return cold_start_split(split.ratings).train, split.encoding.n_users, split.encoding.n_items
    split = movielens_split(EXPERIMENT_SPLITS.get(name, "random"))
    return split.train, split.encoding.n_users, split.encoding.n_items


def load(name: str, results_dir: Path = RESULTS_DIR) -> dict:
    """The recorded results of experiment ``name`` (written by ``python -m helpers.experiments``)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}: choose from {sorted(EXPERIMENTS)}")
    path = Path(results_dir) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m helpers.experiments {name}`")
    return json.loads(path.read_text(encoding="utf-8"))


def run(name: str, results_dir: Path = RESULTS_DIR) -> dict:
    """Run experiment ``name`` on its training set (``training_set``) and write its JSON file, with
    the test-set report of its choices where ``helpers.reports`` has one."""
    from helpers import reports

    train, n_users, n_items = training_set(name)
    results = EXPERIMENTS[name](train, n_users, n_items)
    if name in reports.REPORTS:
        results.update(reports.REPORTS[name](results))
    path = Path(results_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)  # never a half-written file
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.experiments",
        description="Run the notebooks' seeded validation experiments and write their results "
                    f"into {RESULTS_DIR.relative_to(RESULTS_DIR.parent.parent)}/ (about 55 "
                    "minutes on two cores for all of them).")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which to run: {', '.join(EXPERIMENTS)} (default: all)")
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.names) - set(EXPERIMENTS))
    if unknown:
        parser.exit(2, f"python -m helpers.experiments: unknown experiment(s) {', '.join(unknown)}: "
                       f"choose from {', '.join(EXPERIMENTS)}\n")
    import helpers

    helpers.setup(SEED)
    for name in arguments.names or list(EXPERIMENTS):
        start = time.perf_counter()
        run(name)
        print(f"{name}: written in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
