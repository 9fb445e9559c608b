import time
import tracemalloc

import datasets
import pandas as pd
import pyarrow as pa
import pytest
from PySide6.QtCore import QModelIndex, Qt

from tests.ui.pages_fixtures import tiny_backbone  # noqa: F401
from workbench.core.config import BackboneConfig, TaskConfig
from workbench.core.model.freezing import apply_freeze, build_layer_tree, count_parameters
from workbench.core.model.heads import load_model
from workbench.ui.qmodels.layer_tree_model import NAME, TRAINABLE, LayerTreeModel
from workbench.ui.qmodels.table_model import FrameTableModel

CHECK = Qt.ItemDataRole.CheckStateRole


# --- FrameTableModel ---------------------------------------------------------------------------

def test_table_model_over_a_dataset(qtmodeltester):
    features = datasets.Features({
        "tokens": datasets.List(datasets.Value("string")),
        "tag": datasets.ClassLabel(names=["neg", "pos"]),
        "score": datasets.Value("float32"),
        "note": datasets.Value("string"),
    })
    dataset = datasets.Dataset.from_dict(
        {"tokens": [["a", "b"]] * 600, "tag": [0, 1] * 300, "score": [0.5] * 600, "note": ["two\nlines", None] * 300},
        features=features,
    )
    model = FrameTableModel(dataset)
    qtmodeltester.check(model)
    assert (model.rowCount(), model.columnCount()) == (600, 4)
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(4)] == ["tokens", "tag", "score", "note"]
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"  # rows count from 1, as in the engine's messages
    row = [model.data(model.index(599, c)) for c in range(4)]
    assert row == ["[a b]", "pos", "0.5", ""]
    assert model.data(model.index(0, 3)) == "two ⏎ lines"
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole) == "two\nlines"


def test_table_model_over_a_dataframe(qtmodeltester):
    frame = pd.DataFrame({"text": [f"row {i}" for i in range(1000)], "label": range(1000)})
    model = FrameTableModel(frame)
    qtmodeltester.check(model)
    assert model.data(model.index(999, 0)) == "row 999"
    assert model.data(model.index(999, 1)) == "999"
    model.set_frame(None)
    assert (model.rowCount(), model.columnCount()) == (0, 0)


def test_a_million_rows_open_without_a_copy(tmp_path):
    n = 1_000_000
    table = pa.table({"text": pa.array([f"example number {i}" for i in range(n)]), "label": pa.array([i % 3 for i in range(n)])})
    datasets.Dataset(table).save_to_disk(str(tmp_path / "big"))
    del table
    dataset = datasets.load_from_disk(str(tmp_path / "big"))  # memory-mapped Arrow

    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    model = FrameTableModel(dataset)
    created = time.perf_counter() - started
    last = model.data(model.index(n - 1, 0))
    middle = model.data(model.index(n // 2, 1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert created < 0.5
    assert model.rowCount() == n and last == f"example number {n - 1}" and middle == str((n // 2) % 3)
    assert peak < 2_000_000  # two blocks of rows as Python values, not a million
    assert pa.total_allocated_bytes() - arrow_before < 2_000_000


# --- LayerTreeModel ----------------------------------------------------------------------------

@pytest.fixture(params=["single_label", "token"])
def real_model(request, tiny_backbone):  # noqa: F811
    return load_model(BackboneConfig(name=str(tiny_backbone)), TaskConfig(type=request.param), ["O", "B-X", "I-X"])


@pytest.fixture
def tree_model(real_model):
    return LayerTreeModel(build_layer_tree(real_model))


def trainable_in_torch(model, frozen: list[str]) -> int:
    apply_freeze(model, frozen)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_layer_tree_model_contract(qtmodeltester, tree_model):
    qtmodeltester.check(tree_model)
    tree_model.set_frozen(["bert.encoder.layer.0"])
    qtmodeltester.check(tree_model)


def test_unchecking_and_checking_nodes_counts_like_torch(qtbot, tree_model, real_model):
    layer0 = tree_model.index_for("bert.encoder.layer.0")
    with qtbot.waitSignal(tree_model.mask_changed):
        assert tree_model.setData(layer0, Qt.CheckState.Unchecked.value, CHECK)
    assert tree_model.frozen_paths() == ["bert.encoder.layer.0"]
    assert tree_model.trainable_parameters() == trainable_in_torch(real_model, tree_model.frozen_paths())
    assert tree_model.data(layer0, CHECK) == Qt.CheckState.Unchecked
    for parent in ("bert.encoder.layer", "bert.encoder", "bert"):
        assert tree_model.data(tree_model.index_for(parent), CHECK) == Qt.CheckState.PartiallyChecked
    assert tree_model.data(tree_model.index_for("bert.encoder.layer.1"), CHECK) == Qt.CheckState.Checked

    # Unchecking the other layer leaves every layer frozen: the parent path replaces the two.
    tree_model.setData(tree_model.index_for("bert.encoder.layer.1"), Qt.CheckState.Unchecked.value, CHECK)
    assert tree_model.frozen_paths() == ["bert.encoder"]
    assert tree_model.data(tree_model.index_for("bert.encoder"), CHECK) == Qt.CheckState.Unchecked

    # Checking a child of a frozen node unfreezes that child only.
    tree_model.setData(tree_model.index_for("bert.encoder.layer.1.attention"), Qt.CheckState.Checked.value, CHECK)
    expected = ["bert.encoder.layer.0", "bert.encoder.layer.1.intermediate", "bert.encoder.layer.1.output"]
    assert tree_model.frozen_paths() == expected
    assert tree_model.trainable_parameters() == trainable_in_torch(real_model, expected)

    # Checking a parent makes everything under it trainable.
    tree_model.setData(tree_model.index_for("bert"), Qt.CheckState.Checked.value, CHECK)
    assert tree_model.frozen_paths() == []
    assert tree_model.trainable_parameters() == tree_model.total_parameters() == count_parameters(real_model)[1]


def test_data_changed_names_exact_roles(qtbot, tree_model):
    changes = []
    tree_model.dataChanged.connect(lambda first, last, roles: changes.append((first.column(), list(roles))))
    tree_model.set_frozen(["bert.embeddings"])
    assert changes and all(
        (column, roles) in ((NAME, [CHECK]), (TRAINABLE, [Qt.ItemDataRole.DisplayRole])) for column, roles in changes
    )
    changes.clear()
    tree_model.set_frozen(["bert.embeddings"])  # no change, no signal
    assert changes == []


def test_head_is_not_user_checkable(tree_model):
    head = tree_model.index_for("classifier")
    assert not tree_model.flags(head) & Qt.ItemFlag.ItemIsUserCheckable
    assert "must stay trainable" in tree_model.data(head, Qt.ItemDataRole.ToolTipRole)
    assert tree_model.data(head, CHECK) == Qt.CheckState.Checked
    assert not tree_model.setData(head, Qt.CheckState.Unchecked.value, CHECK)
    tree_model.set_frozen(["classifier", "bert"])  # the head is ignored even when asked for
    assert tree_model.frozen_paths() == ["bert"]
    assert tree_model.data(head, CHECK) == Qt.CheckState.Checked


def test_set_frozen_keeps_the_minimal_paths(tree_model):
    embeddings = tree_model.tree().find("bert.embeddings")
    tree_model.set_frozen([child.path for child in embeddings.children])
    assert tree_model.frozen_paths() == ["bert.embeddings"]
    assert tree_model.index_for("no.such.module") == QModelIndex()
