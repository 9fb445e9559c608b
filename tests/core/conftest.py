import pytest

from tests.tiny_models import write_ner_conll, write_sentiment_csv


@pytest.fixture
def sentiment_csv(tmp_path):
    return write_sentiment_csv(tmp_path / "sentiment.csv")


@pytest.fixture
def ner_conll(tmp_path):
    return write_ner_conll(tmp_path / "ner.conll")
