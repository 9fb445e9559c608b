"""Sparse word-embedding updates: AdamW's arithmetic on the rows a batch uses, nothing on the others."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from tests.core.test_training import Recorder
from workbench.core.config import ConfigError, RunConfig
from workbench.core.events import MessageLogged, ProgressReported, RunFinished
from workbench.core.training.control import RunControl
from workbench.core.training.run import train
from workbench.core.training.speed.sparse_embeddings import LazyAdamW, clip_grad_norm_

WORD = "bert.embeddings.word_embeddings.weight"


def embedding_and_head(sparse: bool) -> torch.nn.Sequential:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Embedding(50, 8, sparse=sparse), torch.nn.Linear(8, 2))


def adamw_groups(model, cls, **kwargs):
    """Two groups as the Trainer makes them: decayed weights, and biases without decay."""
    weights = [model[0].weight, model[1].weight]
    return cls([{"params": weights, "weight_decay": 0.1}, {"params": [model[1].bias], "weight_decay": 0.0}],
               lr=1e-2, fused=True, **kwargs)


def test_lazy_adamw_is_adamw_on_the_rows_a_batch_uses_and_leaves_the_others_alone():
    lazy, dense = embedding_and_head(sparse=True), embedding_and_head(sparse=False)
    start = lazy[0].weight.detach().clone()
    optimizers = adamw_groups(lazy, LazyAdamW), adamw_groups(dense, torch.optim.AdamW)
    batches = [torch.tensor([[1, 2, 3, 2], [5, 5, 1, 0]])] * 3 + [torch.tensor([[1, 2, 3, 5]])]
    for ids in batches:
        for model, optimizer in zip((lazy, dense), optimizers):
            (model(ids) ** 2).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
    assert lazy[0].weight.grad is None  # the sparse gradient went the usual way of zero_grad
    used_always = torch.tensor([1, 2, 3, 5])
    torch.testing.assert_close(lazy[0].weight[used_always], dense[0].weight[used_always])
    torch.testing.assert_close(lazy[1].weight, dense[1].weight)
    torch.testing.assert_close(lazy[1].bias, dense[1].bias)
    # row 0 took part in the first three steps only: dense AdamW kept moving it by its momentum and
    # decaying it on the fourth, the lazy update left it where the third step put it
    assert not torch.allclose(lazy[0].weight[0], dense[0].weight[0])
    never = torch.tensor([4, 6, 49])  # dense AdamW decays rows no batch used; the lazy update does not
    assert torch.equal(lazy[0].weight[never], start[never])
    assert not torch.equal(dense[0].weight[never], start[never])
    # the state is AdamW's: same keys, shapes and step count
    lazy_state, dense_state = (o.state_dict()["state"] for o in optimizers)
    assert {k: v.shape for k, v in lazy_state[0].items()} == {k: v.shape for k, v in dense_state[0].items()}
    assert float(lazy_state[0]["step"]) == float(dense_state[0]["step"]) == 4


def test_clipping_with_a_sparse_embedding_gradient_is_the_dense_clipping(tiny_backbone_dir):
    models, norms = [], []
    ids = torch.tensor([[2, 10, 11, 10, 3], [2, 12, 12, 13, 3]])  # repeated ids: an uncoalesced gradient
    for sparse in (True, False):
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(tiny_backbone_dir, num_labels=2)
        model.get_input_embeddings().sparse = sparse
        optimizer = (LazyAdamW if sparse else torch.optim.AdamW)(model.parameters(), lr=1e-2, weight_decay=0.01)
        model(input_ids=ids, labels=torch.tensor([0, 1])).loss.backward()
        assert model.get_input_embeddings().weight.grad.is_sparse == sparse
        clip = clip_grad_norm_ if sparse else torch.nn.utils.clip_grad_norm_
        norms.append(float(clip(model.parameters(), 1e-3)))
        optimizer.step()
        models.append(model)
    assert norms[0] == pytest.approx(norms[1], rel=1e-5) and norms[0] > 1e-3  # so it clips
    lazy, dense = (dict(m.named_parameters()) for m in models)
    rows = ids.unique()
    for name in lazy:
        if name == WORD:
            torch.testing.assert_close(lazy[name][rows], dense[name][rows])
        else:
            torch.testing.assert_close(lazy[name], dense[name], msg=name)


def test_a_full_fine_tune_updates_only_the_rows_its_data_uses_and_saves_a_dense_model(tiny_config, tiny_backbone_dir):
    events = Recorder()
    result = train(tiny_config, events)
    assert isinstance(result, RunFinished)
    assert any("sparse gradients" in e.text for e in events.of(MessageLogged))
    start = load_file(Path(tiny_backbone_dir) / "model.safetensors")
    saved = AutoModelForSequenceClassification.from_pretrained(result.model_dir)
    assert not saved.get_input_embeddings().sparse
    tokenizer = AutoTokenizer.from_pretrained(result.model_dir)
    used, unused = tokenizer.convert_tokens_to_ids(["movie", "great"]), tokenizer.convert_tokens_to_ids(["paris", "acme"])
    trained = saved.get_input_embeddings().weight.detach()
    initial = start["embeddings.word_embeddings.weight"]
    assert not torch.allclose(trained[used], initial[used])
    assert torch.equal(trained[unused], initial[unused])  # no sentiment text has these words

    tiny_config.training.sparse_embeddings = False
    tiny_config.output.run_name = "dense"
    dense_events = Recorder()
    dense = train(tiny_config, dense_events)
    assert any("training.sparse_embeddings is off" in e.text for e in dense_events.of(MessageLogged))
    moved = AutoModelForSequenceClassification.from_pretrained(dense.model_dir).get_input_embeddings().weight.detach()
    assert not torch.equal(moved[unused], initial[unused])  # dense AdamW decays every row


def test_frozen_word_embeddings_stay_frozen(tiny_config, tiny_backbone_dir):
    tiny_config.freeze.preset = "custom"
    tiny_config.freeze.frozen = ["bert.embeddings.word_embeddings"]
    tiny_config.training.max_steps = 4
    events = Recorder()
    result = train(tiny_config, events)
    assert any(e.text == "Word embeddings are frozen." for e in events.of(MessageLogged))
    trained = AutoModelForSequenceClassification.from_pretrained(result.model_dir).get_input_embeddings().weight
    assert torch.equal(trained.detach(), load_file(Path(tiny_backbone_dir) / "model.safetensors")["embeddings.word_embeddings.weight"])


def test_a_stopped_and_resumed_run_ends_where_an_uninterrupted_one_does(tiny_config):
    straight = train(tiny_config)
    tiny_config.output.run_name = "resumed"
    control = RunControl()
    stopped = train(tiny_config, Recorder(lambda e: control.request_stop()
                                          if isinstance(e, ProgressReported) and e.step == 3 else None), control)
    resumed = train(tiny_config, resume_dir=stopped.run_dir)
    assert isinstance(resumed, RunFinished) and not resumed.stopped
    ends = [Path(run.run_dir) / "checkpoints" / "checkpoint-12" for run in (straight, resumed)]
    weights = [load_file(end / "model.safetensors") for end in ends]
    for name in weights[0]:
        torch.testing.assert_close(weights[1][name], weights[0][name], msg=name)
    states = [torch.load(end / "optimizer.pt", weights_only=True)["state"] for end in ends]
    for index in states[0]:  # every parameter's moments, the embedding's lazy ones too
        torch.testing.assert_close(states[1][index]["exp_avg_sq"], states[0][index]["exp_avg_sq"])


def test_sparse_embeddings_must_be_true_or_false():
    with pytest.raises(ConfigError, match=r"training.sparse_embeddings must be true or false, not 'yes'"):
        RunConfig.from_dict({"data": {"source": "x.csv"}, "training": {"sparse_embeddings": "yes"}})


def _ddp_rank(rank: int, init_file: str, sparse: bool, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    model = torch.nn.parallel.DistributedDataParallel(embedding_and_head(sparse))
    ids = torch.tensor([[1, 2, 3, 2]]) if rank == 0 else torch.tensor([[5, 5, 1, 7]])  # each rank its own batch
    (model(ids) ** 2).sum().backward()
    grad = model.module[0].weight.grad
    torch.save(grad.to_dense() if sparse else grad, f"{out}.{rank}")
    dist.barrier()  # neither rank tears gloo down while the other still talks to it (a SIGABRT on a loaded CI machine)
    dist.destroy_process_group()


def test_ddp_on_gloo_averages_a_sparse_embedding_gradient_as_a_dense_one(tmp_path):
    grads = {}
    for sparse in (True, False):
        out = str(tmp_path / f"grad-{sparse}")
        torch.multiprocessing.spawn(_ddp_rank, args=(str(tmp_path / f"init-{sparse}"), sparse, out), nprocs=2)
        grads[sparse] = [torch.load(f"{out}.{rank}") for rank in (0, 1)]
    torch.testing.assert_close(grads[True][0], grads[True][1])  # both ranks step with the same gradient
    torch.testing.assert_close(grads[True][0], grads[False][0])
    assert grads[True][0][7].abs().sum() > 0 and grads[True][0][2].abs().sum() > 0  # rows from both ranks
