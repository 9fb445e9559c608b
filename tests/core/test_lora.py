"""LoRA through peft: adapters go where the mask and the targets say, only they and the head train, and a
run saves a plain merged model (which predicts what the adapted model does) and the adapter alone."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

from tests.tiny_models import tiny_task_config
from workbench.cli import main
from workbench.core.config import BackboneConfig, LoraConfig, RunConfig, TaskConfig
from workbench.core.errors import WorkbenchError
from workbench.core.events import MessageLogged, ProgressReported, RunFailed, RunFinished, RunStarted
from workbench.core.export.folder import export_run
from workbench.core.model.freezing import apply_freeze, build_layer_tree
from workbench.core.model.heads import load_model
from workbench.core.model.lora import adapter_targets, check_targets, lora_trainable, wrap_with_lora
from workbench.core.runs import read_events
from workbench.core.training.control import RunControl
from workbench.core.training.run import train

TEXTS = ["the movie was very good", "the plot was awful and bad", "john visited paris .", "it was not so nice"]


def lora_config(folder: Path, backbone: Path, task: str = "single_label", max_steps: int = 24) -> RunConfig:
    config = tiny_task_config(folder, backbone, task, max_steps)
    config.lora.enabled = True
    config.training.learning_rate = 1e-2
    return config


def events_of(run_dir, cls):
    return [e for e in read_events(run_dir) if isinstance(e, cls)]


def logits(model, tokenizer, texts=TEXTS):
    with torch.no_grad():
        return model.eval()(**tokenizer(texts, padding=True, return_tensors="pt")).logits


def base_model(backbone: Path, run_dir: Path, auto=AutoModelForSequenceClassification):
    """The backbone with a fresh head sized to the run's labels: what the adapter is loaded onto."""
    config = json.loads((run_dir / "model" / "config.json").read_text())
    return auto.from_pretrained(backbone, id2label={int(k): v for k, v in config["id2label"].items()},
                                label2id=config["label2id"])


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_backbone_dir):
    """A finished single-label LoRA run (24 steps), trained once for the module."""
    result = train(lora_config(tmp_path_factory.mktemp("lora-run"), tiny_backbone_dir))
    assert isinstance(result, RunFinished), result
    return Path(result.run_dir)


def test_adapters_go_to_the_unfrozen_backbone_targets_only(tiny_backbone_dir):
    model = load_model(BackboneConfig(name=str(tiny_backbone_dir)), TaskConfig(), ["a", "b"])
    tree = build_layer_tree(model)
    frozen = ["bert.encoder.layer.0"]
    lora = LoraConfig(enabled=True, rank=4, target_modules=["query", "value", "dense"])
    targets = [node.path for node in adapter_targets(tree, frozen, lora.target_modules + ["classifier"])]
    assert targets == ["bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value",
                       "bert.encoder.layer.1.attention.output.dense", "bert.encoder.layer.1.intermediate.dense",
                       "bert.encoder.layer.1.output.dense", "bert.pooler.dense"]  # no head, nothing frozen

    apply_freeze(model, frozen)
    wrapped, trainable, total = wrap_with_lora(model, tree, check_targets(tree, frozen, lora), lora, "single_label",
                                               str(tiny_backbone_dir))
    adapted = sorted(name.removeprefix("base_model.model.").removesuffix(".lora_A")
                     for name, _ in wrapped.named_modules() if name.endswith(".lora_A"))
    assert adapted == sorted(targets)
    trains = {name for name, p in wrapped.named_parameters() if p.requires_grad}
    assert all("lora_" in name or ".modules_to_save." in name for name in trains)
    assert {"base_model.model.classifier.modules_to_save.default.weight",
            "base_model.model.classifier.modules_to_save.default.bias"} <= trains
    # rank 4: q and v are 32x32, attention.output 32x32, intermediate 32x64, output 64x32, pooler 32x32
    adapters = 4 * (64 * 4 + 96 * 2)
    assert trainable == sum(p.numel() for p in wrapped.parameters() if p.requires_grad) == adapters + 66
    assert trainable == lora_trainable(tree, frozen, lora)
    assert total == tree.params + adapters


def test_a_target_that_fits_nothing_and_a_mask_that_leaves_nothing_are_one_sentence(tmp_path, tiny_backbone_dir):
    config = lora_config(tmp_path, tiny_backbone_dir)
    config.lora.target_modules = ["query", "qkv_proj"]
    failed = train(config)
    assert isinstance(failed, RunFailed) and failed.run_dir is None
    assert failed.message == ("lora.target_modules names qkv_proj, which is no Linear module of this backbone; "
                              "its Linear modules are dense, key, query, value; leave the list empty for this "
                              "architecture's own (query, value).")  # the head's classifier is no target

    config.lora.target_modules = ["query"]
    config.freeze.preset = "head_only"
    failed = train(config)
    assert isinstance(failed, RunFailed)
    assert failed.message == ("The freeze mask freezes every module lora.target_modules names, so LoRA has nothing "
                              "to adapt; unfreeze some encoder layers or turn lora.enabled off.")


@pytest.mark.parametrize("field, value, message", [
    ("rank", 0, "lora.rank must be at least 1, not 0."),
    ("alpha", 0, "lora.alpha must be positive, not 0."),
    ("dropout", 1.0, "lora.dropout must be in [0, 1), not 1.0."),
    ("target_modules", ["query", " "], "lora.target_modules holds an empty name: name the Linear modules that get "
                                       "adapters, such as query and value, or leave the list empty for the "
                                       "architecture's own."),
])
def test_config_checks(field, value, message):
    config = RunConfig()
    config.data.source = "data.csv"
    setattr(config.lora, field, value)
    assert config.validate() == [message]


def test_old_configs_load_with_lora_off_and_lora_round_trips():
    raw = RunConfig().to_dict()
    del raw["lora"]
    raw["data"]["source"] = "data.csv"
    assert RunConfig.from_dict(raw).lora == LoraConfig()
    raw["lora"] = {"enabled": True, "rank": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["query", "key"]}
    assert RunConfig.from_dict(raw).lora == LoraConfig(True, 4, 8, 0.0, ["query", "key"])


def test_a_lora_run_trains_the_adapters_and_head_only(lora_run, tiny_backbone_dir):
    started = events_of(lora_run, RunStarted)[0]
    assert 0 < started.trainable_params < started.total_params / 5
    assert any(f"Training {started.trainable_params:,} of {started.total_params:,} parameters (LoRA rank 8 on 4 "
               "Linear modules and the task head, freeze preset 'full')." == e.text
               for e in events_of(lora_run, MessageLogged))
    assert any(e.text == "Word embeddings are frozen." for e in events_of(lora_run, MessageLogged))

    adapter = load_file(lora_run / "adapter" / "adapter_model.safetensors")
    lora_b = [value for key, value in adapter.items() if "lora_B" in key]
    assert len(lora_b) == 4 and all(value.abs().sum() > 0 for value in lora_b)  # B starts at zero: it trained
    merged = load_file(lora_run / "model" / "model.safetensors")
    base = {"bert." + key: value for key, value in load_file(tiny_backbone_dir / "model.safetensors").items()}
    untouched = [key for key in base if "query" not in key and "value" not in key]
    assert untouched and all(torch.equal(merged[key], base[key]) for key in untouched)
    changed = [key for key in base if key.endswith(("query.weight", "value.weight"))]
    assert all(not torch.equal(merged[key], base[key]) for key in changed)  # the adapters, merged in


def test_the_merged_model_predicts_what_the_adapted_model_does(lora_run, tiny_backbone_dir):
    from peft import PeftModel

    tokenizer = AutoTokenizer.from_pretrained(lora_run / "model")
    merged = AutoModelForSequenceClassification.from_pretrained(lora_run / "model")
    assert not (lora_run / "model" / "adapter_config.json").exists()
    adapted = PeftModel.from_pretrained(base_model(tiny_backbone_dir, lora_run), lora_run / "adapter")
    config = json.loads((lora_run / "adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_backbone_dir)
    torch.testing.assert_close(logits(merged, tokenizer), logits(adapted, tokenizer), atol=1e-5, rtol=0)


def test_the_best_checkpoint_is_what_the_run_saves(lora_run):
    finished = events_of(lora_run, RunFinished)[0]
    best = load_file(Path(finished.best_checkpoint) / "adapter_model.safetensors")
    saved = load_file(lora_run / "adapter" / "adapter_model.safetensors")
    assert best.keys() == saved.keys() and all(torch.equal(best[key], saved[key]) for key in best)


# Runs in a fresh interpreter where peft cannot be imported: what a user of the export runs.
NO_PEFT_PIPELINE = """
import json, sys
sys.modules["peft"] = None  # any import of peft fails
from transformers import pipeline
classify = pipeline("text-classification", model=sys.argv[1], top_k=None, device="cpu")
print(json.dumps([{d["label"]: d["score"] for d in row} for row in classify(json.loads(sys.argv[2]))]))
"""


def test_the_export_loads_without_peft_and_its_adapter_loads_with_peft(lora_run, tiny_backbone_dir, tmp_path):
    from peft import PeftModel

    dest = tmp_path / "export"
    report = export_run(lora_run, dest, adapter=True)
    assert {"model.safetensors", "config.json", "adapter/adapter_config.json",
            "adapter/adapter_model.safetensors"} <= set(report.files)
    out = subprocess.run([sys.executable, "-c", NO_PEFT_PIPELINE, str(dest), json.dumps(TEXTS)],
                         capture_output=True, text=True, check=True)
    scores = json.loads(out.stdout)
    tokenizer = AutoTokenizer.from_pretrained(dest)
    adapted = PeftModel.from_pretrained(base_model(tiny_backbone_dir, lora_run), dest / "adapter")
    probs = logits(adapted, tokenizer).softmax(-1)
    labels = adapted.config.id2label
    expected = [{labels[i]: float(p) for i, p in enumerate(row)} for row in probs]
    for got, want in zip(scores, expected):
        assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-5 for k in got)


def test_cli_exports_the_adapter_and_onnx_parity_holds(lora_run, tmp_path, capsys):
    assert main(["export", str(lora_run), "-o", str(tmp_path / "out"), "--adapter", "--onnx"]) == 0
    assert (tmp_path / "out" / "adapter" / "adapter_model.safetensors").is_file()
    report = json.loads((tmp_path / "out" / "onnx_report.json").read_text())
    assert report["max_abs_diff"] < 1e-3 and report["rows_checked"] > 0
    assert "adapter/adapter_config.json" in capsys.readouterr().out


def test_exporting_an_adapter_of_a_run_without_lora_is_one_sentence(trained_run, tmp_path):
    run_dir = trained_run("single_label")
    with pytest.raises(WorkbenchError, match=r"^The run .* has no LoRA adapter to export \(it was not trained with "
                                             r"lora\.enabled\); export it without the adapter\.$"):
        export_run(run_dir, tmp_path / "export", adapter=True)
    assert not (tmp_path / "export").exists()


def test_a_stopped_lora_run_resumes(tmp_path, tiny_backbone_dir):
    config = lora_config(tmp_path, tiny_backbone_dir, max_steps=12)
    control = RunControl()

    def stop_at_3(event):
        if isinstance(event, ProgressReported) and event.step == 3:
            control.request_stop()

    stopped = train(config, stop_at_3, control)
    assert isinstance(stopped, RunFinished) and stopped.stopped
    run_dir = Path(stopped.run_dir)
    checkpoint = run_dir / "checkpoints" / "checkpoint-3"
    assert (checkpoint / "adapter_model.safetensors").is_file() and (checkpoint / "optimizer.pt").is_file()
    at_stop = load_file(checkpoint / "adapter_model.safetensors")

    steps = []
    resumed = train(config, lambda e: steps.append(e.step) if isinstance(e, ProgressReported) else None,
                    resume_dir=run_dir)
    assert isinstance(resumed, RunFinished) and not resumed.stopped
    assert steps == list(range(4, 13))  # the adapter, the optimizer and the step count restored
    assert (run_dir / "adapter" / "adapter_config.json").is_file()
    final = load_file(run_dir / "checkpoints" / "checkpoint-12" / "adapter_model.safetensors")
    assert any(not torch.equal(final[key], at_stop[key]) for key in at_stop)


def test_a_token_classification_lora_run(tmp_path, tiny_backbone_dir):
    from peft import PeftModel

    result = train(lora_config(tmp_path, tiny_backbone_dir, "token", max_steps=12))
    assert isinstance(result, RunFinished), result
    run_dir = Path(result.run_dir)
    adapter = json.loads((run_dir / "adapter" / "adapter_config.json").read_text())
    assert adapter["task_type"] == "TOKEN_CLS"
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    merged = AutoModelForTokenClassification.from_pretrained(run_dir / "model")
    adapted = PeftModel.from_pretrained(base_model(tiny_backbone_dir, run_dir, AutoModelForTokenClassification),
                                        run_dir / "adapter")
    torch.testing.assert_close(logits(merged, tokenizer), logits(adapted, tokenizer), atol=1e-5, rtol=0)


def test_the_model_card_says_lora(lora_run):
    from workbench.core.export.model_card import model_card

    assert ("- **LoRA:** rank 8, alpha 16, dropout 0.1 on `query`, `value` outside the frozen layers, merged into "
            "these weights") in model_card(lora_run).splitlines()
