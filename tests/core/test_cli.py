import json

from workbench.cli import main


def test_train_prints_a_summary_and_runs_lists_it(tiny_config, tmp_path, capsys):
    tiny_config.save(tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr()
    assert "validation_f1" in out.out and "run folder" in out.out
    assert "12/12" in out.err  # the progress bar reached the end

    assert main(["runs", "--runs-root", tiny_config.output.runs_root]) == 0
    listing = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("  Warning: ")]
    assert len(listing) == 2 and "finished" in listing[1] and "single_label" in listing[1]


def test_bad_config_is_one_sentence_and_exit_code_2(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"training": {"batch_size": 0}}))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: The run config") and "training.batch_size must be at least 1" in err


def test_failed_run_exits_1_with_its_sentence(tiny_config, tmp_path, capsys):
    tiny_config.data.source = str(tmp_path / "missing.csv")
    tiny_config.save(tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json")]) == 1
    assert "missing.csv" in capsys.readouterr().err
