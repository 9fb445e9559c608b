"""The last layer computed for the first token only: the same head input, loss and gradients, less work."""

import json
import shutil

import pytest
import torch
from transformers import (AutoModel, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification)

from tests.core.test_training import Recorder
from workbench.core.events import EvalFinished, MessageLogged, RunFinished
from workbench.core.training.run import train
from workbench.core.training.speed.cpu_dropout import ATTENTION, use_fast_dropout
from workbench.core.training.speed.first_token import plan_first_token_layer, use_first_token_layer


def padded_batch():
    ids = torch.tensor([[2, 10, 11, 12, 13, 14, 3], [2, 15, 16, 3, 0, 0, 0], [2, 17, 3, 0, 0, 0, 0]])
    return {"input_ids": ids, "attention_mask": (ids != 0).long(), "labels": torch.tensor([0, 1, 1])}


def loss_logits_and_grads(model, batch):
    model.zero_grad()
    out = model(**batch)
    out.loss.backward()
    return out.logits.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("attention", ["sdpa", "eager", ATTENTION])
def test_first_token_layer_gives_the_heads_input_and_every_gradient(tiny_backbone_dir, attention):
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_backbone_dir, num_labels=2).eval()  # no dropout
    if attention == ATTENTION:
        use_fast_dropout(model, True)  # the attention dropout masks' function, which is SDPA in eval mode
    else:
        model.set_attn_implementation(attention)
    whole_logits, whole_grads = loss_logits_and_grads(model, padded_batch())
    assert use_first_token_layer(model, True)
    logits, grads = loss_logits_and_grads(model, padded_batch())
    assert model.bert(**{k: v for k, v in padded_batch().items() if k != "labels"}).last_hidden_state.shape[1] == 1
    assert torch.allclose(logits, whole_logits, atol=1e-6)
    assert grads.keys() == whole_grads.keys()  # every weight of the last layer still learns
    for name, grad in grads.items():
        assert torch.allclose(grad, whole_grads[name], atol=1e-6), name

    use_first_token_layer(model, False)  # the layer's own forward again: every token comes out
    assert "forward" not in vars(model.bert.encoder.layer[-1])
    assert model.bert(**{k: v for k, v in padded_batch().items() if k != "labels"}).last_hidden_state.shape[1] == 7


@pytest.mark.parametrize("family", ["roberta", "electra"])
def test_first_token_layer_in_other_bert_family_models(family):
    from transformers import AutoConfig

    config = AutoConfig.for_model(family, vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=32, max_position_embeddings=40, num_labels=2, pad_token_id=0)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config).eval()
    whole_logits, whole_grads = loss_logits_and_grads(model, padded_batch())
    assert use_first_token_layer(model, True)
    logits, grads = loss_logits_and_grads(model, padded_batch())
    assert torch.allclose(logits, whole_logits, atol=1e-6)
    assert all(torch.allclose(grad, whole_grads[name], atol=1e-6) for name, grad in grads.items())


def test_first_token_layer_is_for_heads_that_read_the_first_token_only(tiny_backbone_dir):
    for auto_class in (AutoModelForTokenClassification, AutoModelForQuestionAnswering, AutoModel):
        model = auto_class.from_pretrained(tiny_backbone_dir)
        assert use_first_token_layer(model, True) is False
        assert all("forward" not in vars(module) for module in model.modules())


def test_a_model_the_lever_does_not_fit_keeps_its_whole_last_layer_and_the_log_says_why(tiny_backbone_dir):
    from transformers import AutoConfig

    token = AutoModelForTokenClassification.from_pretrained(tiny_backbone_dir)
    assert plan_first_token_layer(token, True) == (False, "Last layer: computed for every token (the head reads every "
                                                          "token; training.last_layer_first_token does not apply).")
    config = AutoConfig.for_model("distilbert", vocab_size=40, dim=16, n_layers=2, n_heads=2, hidden_dim=32, num_labels=2)
    distilbert = AutoModelForSequenceClassification.from_config(config)
    assert plan_first_token_layer(distilbert, True) == (False, (
        "Last layer: computed for every token (only the layers of BERT, RoBERTa, XLM-R, CamemBERT and ELECTRA are "
        "cut to one token, not DistilBertForSequenceClassification's; training.last_layer_first_token does not apply)."))
    assert use_first_token_layer(distilbert, True) is False
    bert = AutoModelForSequenceClassification.from_pretrained(tiny_backbone_dir, num_labels=2)
    assert plan_first_token_layer(bert, True)[0] and not plan_first_token_layer(bert, False)[0]


def test_training_with_the_first_token_layer_is_training_with_the_whole_one(tmp_path, tiny_config):
    """Without dropout (no randomness in the forward pass) the two runs learn the same weights."""
    backbone = shutil.copytree(tiny_config.backbone.name, tmp_path / "no-dropout")
    config_json = backbone / "config.json"
    config_json.write_text(json.dumps(json.loads(config_json.read_text()) | {
        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}))
    tiny_config.backbone.name = str(backbone)
    results = {}
    for on in (True, False):
        tiny_config.training.last_layer_first_token = on
        tiny_config.output.runs_root = str(tmp_path / f"runs-{on}")
        recorder = Recorder()
        train(tiny_config, recorder)
        finished = recorder.of(RunFinished)[0]
        logs = [e.text for e in recorder.of(MessageLogged) if e.text.startswith("Last layer")]
        results[on] = [e.metrics["loss"] for e in recorder.of(EvalFinished)], logs, finished.model_dir
    assert results[True][1] == ["Last layer: computed for the first token only, the one the head reads "
                                "(training.last_layer_first_token)."]
    assert results[False][1] == ["Last layer: computed for every token (training.last_layer_first_token is off)."]
    assert results[True][0] == pytest.approx(results[False][0], rel=1e-4)
    saved = AutoModelForSequenceClassification.from_pretrained(results[True][2])  # an ordinary model
    out = saved.bert(input_ids=padded_batch()["input_ids"])
    assert out.last_hidden_state.shape[1] == 7
