"""Fixtures shared by the core and UI tests."""

from pathlib import Path

import pytest

TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (
    "the a an is was my i you it to and of in on for not very good bad great awful movie film plot "
    "order refund charge card account password login app crash error package delivery late broken "
    "john mary paris london acme corp visited works at . , ! ?"
).split()


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory):
    """A folder with vocab.txt and a saved BERT WordPiece tokenizer over TINY_VOCAB (lower-cased)."""
    from transformers import BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-tokenizer")
    (folder / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    # transformers 5 reads the vocabulary from `vocab=`; `vocab_file=` alone is silently ignored.
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_backbone_dir(tmp_path_factory):
    from tests.tiny_models import build_tiny_backbone

    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def tiny_config(tmp_path, tiny_backbone_dir):
    """A run config that trains the tiny BERT for 12 steps, evaluating and saving every 6."""
    from tests.tiny_models import tiny_run_config

    return tiny_run_config(tmp_path, tiny_backbone_dir)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_backbone_dir):
    """`trained_run(task)`: the folder of a finished tiny run of that task, trained once per session."""
    from tests.tiny_models import tiny_task_config
    from workbench.core.events import RunFinished
    from workbench.core.training.run import train

    runs = {}

    def get(task: str):
        if task not in runs:
            config = tiny_task_config(tmp_path_factory.mktemp(f"trained-{task}"), tiny_backbone_dir, task)
            result = train(config)
            assert isinstance(result, RunFinished), result
            runs[task] = Path(result.run_dir)
        return runs[task]

    return get
