"""Fixtures for the Data, Model and Freeze page tests; import the ones a module uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from tests.tiny_models import build_tiny_backbone, write_ner_conll, write_sentiment_csv
from workbench.core.config import RunConfig

WAIT_MS = 60_000  # a first check imports datasets and transformers and loads a tokenizer


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory) -> Path:
    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert-pages"))


@pytest.fixture
def sentiment_csv(tmp_path) -> Path:
    return write_sentiment_csv(tmp_path / "sentiment.csv")


@pytest.fixture
def ner_conll(tmp_path) -> Path:
    return write_ner_conll(tmp_path / "ner.conll")


@pytest.fixture
def idle_pool():
    """Let background jobs a test started finish before the next test (and its widgets) begins."""
    yield
    QThreadPool.globalInstance().waitForDone(WAIT_MS)


@pytest.fixture
def data_view(qtbot, tiny_backbone):
    """A shown Data page that checks data with the tiny backbone."""
    from workbench.ui.views.data_view import DataView

    view = DataView()
    qtbot.addWidget(view)
    view.set_backbone(str(tiny_backbone))
    view.show()
    return view


def config_on(backbone: Path) -> RunConfig:
    """The default run config on the tiny backbone."""
    config = RunConfig()
    config.backbone.name = str(backbone)
    return config


def shown_freeze_page(qtbot, config: RunConfig):
    """A Freeze page showing `config`, its layer tree built."""
    from workbench.ui.views.freeze_view import FreezeView

    view = FreezeView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.tree_shown, timeout=WAIT_MS):
        view.show_config(config)
    return view
