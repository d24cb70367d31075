"""helpers.scaling's sparse reads and lazy Adam: the same arithmetic where they should be, rows
left alone where they should be (notebook 09). Data: conftest's SYNTHETIC ratings, tiny tables."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from conftest import tensorflow_only
from helpers import seed_everything
from helpers.models import build_tuned_mf, model_inputs
from helpers.scaling import LazyAdam, SparseReadEmbedding, sparse_variant


def _weights(model) -> list[np.ndarray]:
    return [np.array(weight) for weight in model.get_weights()]


def test_sparse_reads_change_no_number(encoded_synthetic):
    """The swapped layers with Keras' Adam train exactly as the original model does."""
    train, n_users, n_items = encoded_synthetic
    seed_everything()
    model = build_tuned_mf(n_users, n_items, 3.5)
    swapped = sparse_variant(model, 0.01, lazy=False)
    assert sum(type(layer) is SparseReadEmbedding for layer in swapped.layers) == 4
    inputs, ratings = model_inputs(train.iloc[:256]), train["rating"].to_numpy("float32")[:256]
    for _ in range(3):
        model.train_on_batch(inputs, ratings)
        swapped.train_on_batch(inputs, ratings)
    for ours, theirs in zip(_weights(swapped), _weights(model)):
        np.testing.assert_array_equal(ours, theirs)


class OneHotTable(keras.layers.Layer):
    """A table looked up by a one-hot product: its gradient is dense, as in Adam's definition."""

    def __init__(self, rows: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.rows, self.width = rows, width

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.rows, self.width), initializer="uniform")

    def call(self, index):
        return keras.ops.matmul(keras.ops.one_hot(index, self.rows), self.embeddings)


def _table_model(optimizer, rows: int = 6, table=SparseReadEmbedding):
    seed_everything()
    index = keras.Input(shape=(), dtype="int32")
    model = keras.Model(index, keras.ops.sum(table(rows, 2, name="table")(index), axis=1))
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_lazy_adam_is_adam_when_every_row_is_in_every_batch():
    """Compared with Adam on the dense gradient: with a row repeated in a batch, Keras' Adam on
    TensorFlow's sparse gradient squares each repeat's gradient before adding them up (its
    second moment gets Σ g² where Adam's definition has (Σ g)²); LazyAdam adds them first."""
    batch = np.array([0, 1, 2, 3, 4, 5, 2, 2], dtype="int32")  # every row, row 2 three times
    targets = np.linspace(-1, 1, len(batch)).astype("float32")
    adam = _table_model(keras.optimizers.Adam(0.05), table=OneHotTable)
    lazy = _table_model(LazyAdam(0.05))
    np.testing.assert_array_equal(_weights(lazy)[0], _weights(adam)[0])  # the same initial draw
    for _ in range(5):
        adam.train_on_batch(batch, targets)
        lazy.train_on_batch(batch, targets)
    np.testing.assert_allclose(_weights(lazy)[0], _weights(adam)[0], rtol=1e-5, atol=1e-6)


@tensorflow_only("JAX's gradients are dense: LazyAdam takes Adam's step there")
def test_lazy_adam_leaves_the_rows_a_batch_did_not_look_up():
    first, second = np.array([0, 1, 2, 3], dtype="int32"), np.array([0, 1], dtype="int32")
    runs = {}
    for name, optimizer in (("adam", keras.optimizers.Adam(0.05)), ("lazy", LazyAdam(0.05))):
        model = _table_model(optimizer)
        model.train_on_batch(first, np.ones(4, "float32"))
        after_first = _weights(model)[0]
        model.train_on_batch(second, np.ones(2, "float32"))
        runs[name] = (after_first, _weights(model)[0])
    before, after = runs["lazy"]
    np.testing.assert_array_equal(after[2:], before[2:])  # rows 2–5 not in the second batch
    assert not np.array_equal(after[:2], before[:2])
    before, after = runs["adam"]
    assert not np.array_equal(after[2:4], before[2:4])  # Adam moves rows 2 and 3 on momentum


def test_lazy_adam_refuses_amsgrad():
    with pytest.raises(ValueError, match="amsgrad"):
        LazyAdam(amsgrad=True)


def test_fit_tuned_sparse_with_adam_is_fit_tuned_mf(encoded_synthetic):
    """The lazy arm of the accuracy experiment differs from the series' recipe by the optimizer
    only: with Keras' Adam it gives fit_tuned_mf's very predictions (same weights, same batches)."""
    from helpers.models import fit_tuned_mf, predict_ratings
    from helpers.scaling import fit_tuned_sparse

    train, n_users, n_items = encoded_synthetic
    series, _ = fit_tuned_mf(train, n_users, n_items, epochs=2)
    swapped, _ = fit_tuned_sparse(train, n_users, n_items, lazy=False, epochs=2)
    lazy, _ = fit_tuned_sparse(train, n_users, n_items, epochs=2)
    users, items = train["user_index"], train["item_index"]
    np.testing.assert_array_equal(predict_ratings(swapped, users, items), predict_ratings(series, users, items))
    if keras.backend.backend() == "tensorflow":  # on JAX, LazyAdam takes Adam's step
        assert not np.array_equal(predict_ratings(lazy, users, items), predict_ratings(series, users, items))


def test_sparse_variant_can_keep_keras_embedding():
    seed_everything()
    model = build_tuned_mf(10, 12, 3.5)
    kept = sparse_variant(model, 0.01, sparse_reads=False)
    assert not any(type(layer) is SparseReadEmbedding for layer in kept.layers)
    assert isinstance(kept.optimizer, LazyAdam)
