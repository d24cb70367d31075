"""A neural network recommender to set beside matrix factorization (notebook 04).

Matrix factorization scores a pair by a dot product of two embeddings. The network here learns
the scoring function instead: it concatenates the user's and the item's embedding and feeds them
through dense layers to one output, the predicted rating. It is the "DNN" the classic Keras
lessons compare with MF; notebook 04 measures whether the extra freedom pays on MovieLens 100k.
"""

from __future__ import annotations

import keras
import pandas as pd
from keras import layers

from helpers import SEED, seed_everything
from helpers.checks import check_sizes, check_train, configure
from helpers.models import compile_rating_model, model_inputs

DNN_CONFIG = {"embedding_dim": 32, "hidden_units": (64, 32), "dropout": 0.5,
              "learning_rate": 2e-3, "batch_size": 1024, "epochs": 10, "validation_fraction": 0.0}
"""The network's settings (notebook 04): the embedding width and dropout are the choice of a
search on the validation split, with the same budget as the tuned MF's (``helpers.experiments``,
``dnn``); the rest is fixed, small enough to fit in seconds on two CPU cores. Like the tuned MF,
the final network trains on all of ``train`` (``validation_fraction=0``); pass 0.1 for a
validation curve."""


def build_dnn(n_users: int, n_items: int, mean_rating: float, **settings):
    """(user, item) → [user embedding ‖ item embedding] → dense ReLU layers → predicted rating.

    The output layer starts from ``mean_rating`` (its bias), so training begins at the global
    mean instead of 0 stars. Dropout after each dense layer holds the network back from
    memorising the train ratings. ``settings`` override entries of ``DNN_CONFIG``.
    """
    config = configure(DNN_CONFIG, settings)
    user = keras.Input(shape=(), dtype="int32", name="user_index")
    item = keras.Input(shape=(), dtype="int32", name="item_index")
    user_vector = layers.Embedding(n_users, config["embedding_dim"], name="user_embedding")(user)
    item_vector = layers.Embedding(n_items, config["embedding_dim"], name="item_embedding")(item)
    hidden = layers.Concatenate(name="user_and_item")([user_vector, item_vector])
    for number, units in enumerate(config["hidden_units"], start=1):
        hidden = layers.Dense(units, activation="relu", name=f"dense_{number}")(hidden)
        hidden = layers.Dropout(config["dropout"], name=f"dropout_{number}")(hidden)
    rating = layers.Dense(1, name="rating",
                          bias_initializer=keras.initializers.Constant(float(mean_rating)))(hidden)
    model = keras.Model([user, item], layers.Flatten(name="flatten")(rating), name="dnn")
    return compile_rating_model(model, config["learning_rate"])


def fit_dnn(train: pd.DataFrame, n_users: int, n_items: int, seed: int = SEED, **settings):
    """Build and fit the network on ``train``; returns ``(model, history)``.

    The last ``validation_fraction`` of a seeded shuffle of ``train`` (the shuffle of
    ``helpers.models``, so the validation rows are the MF models') is held out for the validation
    curve (``history.history["val_mae"]``); the test set is never seen. ``settings``
    override entries of ``DNN_CONFIG``.
    """
    config = configure(DNN_CONFIG, settings)
    check_sizes(n_users, n_items, config["embedding_dim"])
    check_train(train, n_users, n_items)
    seed_everything(seed)
    model = build_dnn(n_users, n_items, float(train["rating"].mean()), **config)
    shuffled = train.sample(frac=1.0, random_state=seed)  # the same shuffle as helpers.models
    history = model.fit(model_inputs(shuffled), shuffled["rating"].to_numpy("float32"),
                        batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_split=config["validation_fraction"], verbose=0)
    return model, history
