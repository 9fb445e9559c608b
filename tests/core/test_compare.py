import csv
import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.compare.comparison import load_comparison, new_comparison, run_comparison
from workbench.core.errors import WorkbenchError
from workbench.core.training.control import RunControl
from workbench.core.events import (
    ComparisonFinished, ComparisonStarted, ProgressReported, RunFinished, RunStarted, VariantEvent, VariantFinished,
    VariantStarted,
)
from workbench.core.compare.variants import PRESETS, Variant, parse_variant, variant_config
from workbench.core.runs import last_checkpoint, read_status


def test_a_bare_preset_name_is_the_preset_and_values_parse_as_json_or_text():
    assert parse_variant("head_only") == Variant("head_only", {"freeze.preset": "head_only"})
    assert parse_variant("lora").changes == {"lora.enabled": True, "lora.rank": 8}
    assert PRESETS["llrd"] == {"training.layer_lr_decay": 0.9}
    variant = parse_variant("fast: training.learning_rate=5e-4, training.epochs=2, freeze.preset=lower_half")
    assert variant == Variant("fast", {"training.learning_rate": 5e-4, "training.epochs": 2,
                                       "freeze.preset": "lower_half"})
    assert variant.describe() == 'training.learning_rate=0.0005, training.epochs=2, freeze.preset="lower_half"'
    assert parse_variant("base:") == Variant("base", {})


@pytest.mark.parametrize("text, words", [
    ("nonsense", "'nonsense' is neither a preset"),
    ("x:training.learning_rate", "In the variant 'x', 'training.learning_rate' is not written section.field=value"),
    ("x:learning_rate=1", "'learning_rate=1' is not written section.field=value"),
    ("a b:training.epochs=1", "needs a name of letters"),
])
def test_a_badly_written_variant_is_one_sentence_naming_it(text, words):
    with pytest.raises(WorkbenchError) as raised:
        parse_variant(text)
    message = str(raised.value)
    assert words in message and message.count(". ") == 0 and message.endswith((".", "..."))


def test_applying_a_variant_goes_through_the_config_checks(tiny_config):
    config = variant_config(tiny_config, parse_variant("slow:training.learning_rate=1e-5,training.max_steps=3"), "cmp")
    assert config.training.learning_rate == 1e-5 and config.training.max_steps == 3
    assert config.output.run_name == "cmp-slow" and tiny_config.training.max_steps == 12  # the base is untouched
    for text, words in (("typo:training.learnig_rate=1", "training.learnig_rate is not a setting"),
                        ("words:training.epochs=many", "training.epochs must be a number, not 'many'"),
                        ("zero:training.batch_size=0", "training.batch_size must be at least 1"),
                        ("new:nosuch.field=1", "'nosuch' is not a section")):
        with pytest.raises(WorkbenchError) as raised:
            variant_config(tiny_config, parse_variant(text), "cmp")
        name = text.split(":")[0]
        assert str(raised.value).startswith(f"The variant '{name}' does not make a valid run config: ")
        assert words in str(raised.value)


def test_a_comparison_checks_every_variant_before_it_makes_a_folder(tiny_config):
    with pytest.raises(WorkbenchError, match="variant 'bad' does not make a valid run config"):
        new_comparison(tiny_config, [parse_variant("full"), parse_variant("bad:training.epochs=x")], "c")
    with pytest.raises(WorkbenchError, match="Two variants are named 'full'"):
        new_comparison(tiny_config, [parse_variant("full"), parse_variant("full:training.seed=1")], "c")
    with pytest.raises(WorkbenchError, match="at least one variant"):
        new_comparison(tiny_config, [], "c")
    with pytest.raises(WorkbenchError, match="comparison name 'a/b'"):
        new_comparison(tiny_config, [parse_variant("full")], "a/b")
    assert not (Path(tiny_config.output.runs_root) / "comparisons").exists()
    with pytest.raises(WorkbenchError, match="is not a comparison folder"):
        load_comparison(tiny_config.output.runs_root)


def test_two_variants_train_as_ordinary_runs_and_fill_the_table(tiny_config):
    tiny_config.training.max_steps = 6
    folder = new_comparison(tiny_config, [parse_variant("full"), parse_variant("head_only")], "tiny")
    assert folder.parent == Path(tiny_config.output.runs_root) / "comparisons"
    events = []
    result = run_comparison(folder, events.append)

    assert isinstance(events[0], ComparisonStarted) and events[0].variants == ["full", "head_only"]
    assert [e.name for e in events if isinstance(e, VariantStarted)] == ["full", "head_only"]
    tagged = [e for e in events if isinstance(e, VariantEvent)]
    assert {e.variant for e in tagged if isinstance(e.event, RunFinished)} == {"full", "head_only"}
    assert [len(e.rows) for e in events if isinstance(e, VariantFinished)] == [1, 2]
    assert isinstance(result, ComparisonFinished) and events[-1] is result and result.unfinished == []

    state = json.loads((folder / "comparison.json").read_text())
    assert state["base"] == tiny_config.to_dict()
    assert [v["status"] for v in state["variants"]] == ["finished", "finished"]
    for entry in state["variants"]:  # each an ordinary run, named after the comparison and the variant
        run_dir = Path(entry["run_dir"])
        assert run_dir.parent == Path(tiny_config.output.runs_root) and run_dir.name.endswith(f"tiny-{entry['name']}")
        assert read_status(run_dir)["status"] == "finished" and (run_dir / "model").is_dir()

    with open(folder / "table.csv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    assert [row["variant"] for row in rows] == ["full", "head_only"]
    full, head = rows
    assert int(full["trainable params"]) > int(head["trainable params"]) > 0
    for row in rows:
        assert float(row["train time (s)"]) > 0 and float(row["samples/s"]) > 0
        assert float(row["final train loss"]) > 0 and 0 <= float(row["validation_f1"]) <= 1
        assert float(row["peak memory (MiB, process RSS)"]) > 100
    markdown = (folder / "table.md").read_text()
    assert markdown == result.markdown + "\n"
    assert markdown.startswith("| variant | status | trainable params |") and "| head_only | finished |" in markdown


def test_a_stopped_comparison_resumes_with_the_variants_not_finished(tiny_config):
    control = RunControl()

    def stop_in_the_second(event) -> None:
        if (isinstance(event, VariantEvent) and event.variant == "second" and isinstance(event.event, ProgressReported)
                and event.event.step >= 2):
            control.request_stop()

    tiny_config.training.max_steps = 6
    variants = [parse_variant("first:training.max_steps=4"), parse_variant("second:"),
                parse_variant("third:training.max_steps=3")]
    folder = new_comparison(tiny_config, variants, "halfway")
    stopped = run_comparison(folder, stop_in_the_second, control)
    assert stopped.unfinished == ["second", "third"] and [row[1] for row in stopped.rows] == ["finished", "stopped"]
    state = load_comparison(folder)
    first_run, second_run = (Path(v["run_dir"]) for v in state["variants"][:2])
    assert state["variants"][2] == {**variants[2].to_dict(), "status": "pending", "run_dir": None}
    assert last_checkpoint(second_run) is not None and read_status(second_run)["status"] == "stopped"
    first_events = (first_run / "metrics.jsonl").read_text()

    events = []
    resumed = run_comparison(folder, events.append)
    assert [(e.name, e.resumed) for e in events if isinstance(e, VariantStarted)] == [("second", True), ("third", False)]
    second_started = [e.event for e in events if isinstance(e, VariantEvent) and isinstance(e.event, RunStarted)]
    assert second_started[0].run_dir == str(second_run)  # the same run, continued from its checkpoint
    assert resumed.unfinished == [] and [row[0] for row in resumed.rows] == ["first", "second", "third"]
    assert (first_run / "metrics.jsonl").read_text() == first_events  # the finished variant was left alone
    assert read_status(second_run)["status"] == "finished"


def test_compare_on_the_command_line_prints_the_table_and_draws_the_curves(tiny_config, tmp_path, capsys):
    tiny_config.training.max_steps = 4
    tiny_config.save(tmp_path / "base.json")
    assert main(["compare", str(tmp_path / "base.json"), "--variant", "head_only",
                 "--variant", "fast:training.learning_rate=0.002", "--name", "cli"]) == 0
    out = capsys.readouterr()
    assert "| variant | status |" in out.out and "| fast | finished |" in out.out
    assert "Variant 2 of 2, fast: starting." in out.err and "4/4" in out.err
    (folder,) = (Path(tiny_config.output.runs_root) / "comparisons").glob("cli-*")
    png = (folder / "curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert main(["compare", "--resume", str(folder)]) == 0  # nothing left to run: the table again
    assert "| head_only | finished |" in capsys.readouterr().out

    assert main(["compare", str(tmp_path / "base.json"), "--variant", "x:training.epochs"]) == 2
    assert capsys.readouterr().err.strip() == ("Error: In the variant 'x', 'training.epochs' is not written "
                                               "section.field=value (for example training.learning_rate=5e-5).")


def test_a_variant_killed_before_its_first_checkpoint_starts_again(tiny_config):
    """As a process killed mid-variant leaves it: marked running, its run folder without a checkpoint."""
    tiny_config.training.max_steps = 3
    folder = new_comparison(tiny_config, [parse_variant("only:")], "killed")
    killed = Path(tiny_config.output.runs_root) / "20000101-000000-killed-only"
    killed.mkdir(parents=True)
    state = load_comparison(folder)
    state["variants"][0].update(status="running", run_dir=str(killed), train_seconds=99.0, train_samples=1.0)
    (folder / "comparison.json").write_text(json.dumps(state))
    events = []
    result = run_comparison(folder, events.append)
    assert [e.resumed for e in events if isinstance(e, VariantStarted)] == [False]
    entry = load_comparison(folder)["variants"][0]
    assert entry["status"] == "finished" and entry["run_dir"] != str(killed) and entry["train_seconds"] < 99
    assert result.unfinished == [] and result.rows[0][0] == "only"


def test_ctrl_c_stops_the_command_line_comparison_and_leaves_it_to_resume(tiny_config, tmp_path, capsys):
    """The real command in a child process, sent SIGINT once its first variant trains."""
    import os
    import signal
    import subprocess
    import sys

    tiny_config.training.max_steps = 400
    tiny_config.training.eval_steps = 200
    tiny_config.save(tmp_path / "base.json")
    env = {**os.environ, "TQDM_MININTERVAL": "0", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-m", "workbench", "compare", str(tmp_path / "base.json"),
                              "--variant", "full", "--variant", "short:training.max_steps=2", "--name", "sig"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = ""
    while "/400" not in seen:  # the progress bar has drawn a step
        line = child.stderr.readline()
        assert line, seen
        seen += line if "/400" in line else line[-200:]
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert "Not finished: full, short. Continue with: workbench compare --resume" in out
    (folder,) = (Path(tiny_config.output.runs_root) / "comparisons").glob("sig-*")
    assert [v["status"] for v in load_comparison(folder)["variants"]] == ["stopped", "pending"]

    assert main(["compare", "--resume", str(folder), "--variant", "full"]) == 2
    assert "give it no run config or --variant" in capsys.readouterr().err
    assert main(["compare", "--resume", str(tmp_path)]) == 2
    assert "is not a comparison folder" in capsys.readouterr().err
