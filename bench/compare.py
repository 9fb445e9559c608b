"""The workbench against the plain tutorial recipe, on one machine, in one run.

    .venv/bin/python bench/compare.py [--data DIR_OR_CSV] [--epochs 1] [--legs plain,engine,gui]

Four legs, each in a fresh process (so peak RSS is its own), same data, same bundled backbone,
same number of epochs:

  plain   what tutorials teach: AutoModelForSequenceClassification + Trainer, batch 16, lr 2e-5,
          fp32, DataCollatorWithPadding, default (random) sampler, evaluation each epoch;
  tuned   the same Trainer with the settings a careful user finds alone: batch 32 (eval 64), lr 5e-5,
          warmup 10%, length-grouped batches, and bf16 autocast when a short measurement in this run
          finds it faster than fp32 (the engine's own rule: `measure_bf16_speedup`, at least 1.15x), or on a GPU;
  tuned_fp32  the tuned leg in fp32 unless the CPU has AMX, as earlier results measured it (continuity);
  engine  `workbench.core.training.run.train` with the RunConfig defaults, headless;
  gui     the main window (offscreen), Train pressed programmatically with the same config as
          `engine`; a 20 ms QTimer on the UI thread measures stalls.

Every leg's training time is timed the same way, from its first optimizer step to its last (scaled
by steps/(steps-1)), so the evaluations and checkpoints between are in none of them; evaluation is
timed apart (from the last step before it to its end) and shown as a share of the leg's wall time.
Prints one Markdown table (wall time, samples/s, evaluation, test F1, peak RSS) and the ratios
engine/plain, engine/tuned and gui/engine, then the GUI's stall max and p99, launch-to-window and
Train-to-first-step times.
Data defaults to ../shared/data/rotten_tomatoes when present, else the bundled demo CSV.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RT = ROOT.parent / "shared" / "data" / "rotten_tomatoes"
LEGS = ("plain", "tuned", "tuned_fp32", "engine", "gui")
OVERRIDES: list[str] = []  # --set items, applied to the engine's and the GUI's config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(RT) if RT.is_dir() else None)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--legs", default="plain,tuned,engine,gui", help=f"comma-separated, of {', '.join(LEGS)}")
    parser.add_argument("--trace-stalls", metavar="FILE", help="gui: dump every thread's stack to FILE whenever "
                        "the UI timer is 60 ms late (faulthandler; it needs no GIL, so it names the holder)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=JSON",
                        help="engine and gui: change one setting of the default config, to measure a lever "
                        "(e.g. --set training.batch_size=64); repeatable")
    parser.add_argument("--leg", choices=LEGS, help=argparse.SUPPRESS)  # run one leg in this process
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.data is None:
        from workbench.demo import DEMO_CSV

        args.data = str(DEMO_CSV)
    OVERRIDES.extend(args.set)
    if args.leg:
        legs = {"plain": plain_leg, "tuned": tuned_leg, "tuned_fp32": tuned_fp32_leg, "engine": engine_leg,
                "gui": lambda data, epochs: gui_leg(data, epochs, args.trace_stalls)}
        result = legs[args.leg](args.data, args.epochs)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")
        return 0

    results = {}
    for leg in args.legs.split(","):
        out = Path(tempfile.mkdtemp(prefix=f"bench-{leg}-")) / "result.json"
        started = time.perf_counter()
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        trace = ["--trace-stalls", args.trace_stalls] if args.trace_stalls else []
        trace += [f"--set={item}" for item in args.set]
        done = subprocess.run([sys.executable, __file__, "--leg", leg, "--data", args.data, "--epochs",
                               str(args.epochs), "--out", str(out), *trace], env=env)
        if done.returncode != 0:  # report the legs that ran
            print(f"leg {leg} failed with exit status {done.returncode}", file=sys.stderr)
            continue
        results[leg] = json.loads(out.read_text()) | {"wall_s": time.perf_counter() - started}
        print(f"leg {leg}: {json.dumps(results[leg])}", file=sys.stderr, flush=True)
    print(report(results, args))
    return 0


def report(results: dict, args) -> str:
    lines = [f"data {args.data}, {args.epochs:g} epoch(s), {os.cpu_count()} CPU cores, {_cpu()}", "",
             "| leg | wall s | train s | samples/s | eval s (share of wall) | test F1 | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for leg, r in results.items():
        lines.append(f"| {leg} | {r['wall_s']:.1f} | {r['train_s']:.1f} | {r['samples_per_s']:.1f} | "
                     f"{r['eval_s']:.1f} ({r['eval_s'] / r['wall_s']:.1%}) | {r['test_f1']:.4f} | {r['peak_rss_mb']:.0f} |")
    lines.append("")
    pairs = (("engine", "plain"), ("engine", "tuned"), ("engine", "tuned_fp32"), ("gui", "engine"))
    for a, b in pairs:
        if a in results and b in results:
            speed = results[a]["samples_per_s"] / results[b]["samples_per_s"]
            wall = results[b]["wall_s"] / results[a]["wall_s"]
            lines.append(f"{a}/{b}: {speed:.2f}x samples/s, {wall:.2f}x wall time, "
                         f"F1 {results[a]['test_f1'] - results[b]['test_f1']:+.4f}")
    if "gui" in results:
        g = results["gui"]
        lines.append(f"gui: UI stall max {g['stall_max_ms']:.1f} ms, p99 {g['stall_p99_ms']:.1f} ms "
                     f"({g['ticks']} ticks of a 20 ms timer); launch to window shown {g['window_shown_s']:.2f} s; "
                     f"Train to first optimizer step {g['first_step_s']:.2f} s; before Train (torch loading in the "
                     f"background) the UI stalled up to {g['startup_stall_max_ms']:.0f} ms; during the run the UI "
                     f"thread used {g['ui_cpu_share']:.1%} of one core")
        lines += [f"  gap over 50 ms: {gap}" for gap in g.get("long_gaps", [])]
    for leg in ("tuned", "tuned_fp32"):
        if leg in results:
            lines.append(f"{leg}: {results[leg]['precision']}")
    if "engine" in results:
        lines.append(f"engine: {results['engine']['precision']}, max_length {results['engine']['max_length']}, "
                     f"train() called to first optimizer step {results['engine']['first_step_s']:.2f} s"
                     + (f", settings changed: {' '.join(args.set)}" if args.set else ", default settings"))
    return "\n".join(lines)


def _cpu() -> str:
    from workbench.core.model.device import _cpu_name

    flags = [flag for flag in ("avx512_bf16", "amx_bf16") if flag in _cpu_flags()]
    return f"{_cpu_name()} (flags: {', '.join(flags) or 'neither avx512_bf16 nor amx_bf16'})"


def _cpu_flags() -> set[str]:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in cpuinfo.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def _splits(data: str) -> dict[str, str]:
    path = Path(data)
    if path.is_file():
        return {"train": str(path)}
    return {name: str(path / f"{name}.csv") for name in ("train", "validation", "test") if (path / f"{name}.csv").is_file()}


# The plain recipe, as tutorials write it, and as a careful user tunes it ---------------------------

def plain_leg(data: str, epochs: float) -> dict:
    return trainer_leg(data, epochs, dict(per_device_train_batch_size=16, per_device_eval_batch_size=16,
                                          learning_rate=2e-5))


def tuned_leg(data: str, epochs: float) -> dict:
    return trainer_leg(data, epochs, TUNED, bf16="measure")


def tuned_fp32_leg(data: str, epochs: float) -> dict:
    return trainer_leg(data, epochs, TUNED, bf16="amx")


TUNED = dict(per_device_train_batch_size=32, per_device_eval_batch_size=64, learning_rate=5e-5, warmup_steps=0.1,
             train_sampling_strategy="group_by_length")


def _bf16_choice(how: str, model, seq_len: int) -> tuple[bool, str]:
    """Whether the tuned Trainer runs in bf16, and why: "amx" is the old rule (bf16 only with AMX),
    "measure" times a few forward and backward steps of the model at batch 32 in both precisions."""
    import torch

    from workbench.core.model.device import BF16_MIN_SPEEDUP, measure_bf16_speedup

    if torch.cuda.is_available():
        return True, "bf16 (a GPU)"
    if how == "amx":
        amx = "amx_bf16" in _cpu_flags()
        return amx, "bf16 (the CPU has AMX)" if amx else "fp32 (no AMX, so bf16 is not tried)"
    if not {"avx512_bf16", "amx_bf16"} & _cpu_flags():
        return False, "fp32 (the CPU has no bf16 instructions)"
    speedup = measure_bf16_speedup(model, 32, seq_len)
    return speedup >= BF16_MIN_SPEEDUP, (f"{'bf16' if speedup >= BF16_MIN_SPEEDUP else 'fp32'} (bf16 autocast "
                                         f"measured {speedup:.2f}x fp32 at batch 32 x {seq_len} tokens)")


def trainer_leg(data: str, epochs: float, settings: dict, bf16: str | None = None) -> dict:
    """The Trainer recipe with `settings`; `bf16` ("measure" or "amx") picks its precision as `_bf16_choice` says."""
    import numpy as np
    from datasets import load_dataset
    from sklearn.metrics import f1_score
    from transformers import (
        AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, TrainerCallback,
        TrainingArguments,
    )

    from workbench.core.config import BUNDLED_BACKBONE
    from workbench.core.events import EvalFinished, ProgressReported
    from workbench.core.model.backbones import resolve_backbone

    ds = load_dataset("csv", data_files=_splits(data)).class_encode_column("label")
    if "test" not in ds:  # the demo CSV: hold out the same shares the engine carves
        ds = ds["train"].train_test_split(test_size=0.2, seed=42)
        ds["validation"] = ds["test"]
    path = resolve_backbone(BUNDLED_BACKBONE)
    tokenizer = AutoTokenizer.from_pretrained(path)
    labels = ds["train"].features["label"].names
    ds = ds.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(labels))
    precision = "fp32"
    if bf16 is not None:
        import torch

        median = int(np.median([len(ids) for ids in ds["train"]["input_ids"]]))
        chosen, precision = _bf16_choice(bf16, model, median)
        settings = settings | {"bf16": chosen, "use_cpu": not torch.cuda.is_available()}

    def compute_metrics(p):
        return {"f1": f1_score(p.label_ids, np.argmax(p.predictions, -1), average="binary" if len(labels) == 2 else "macro")}

    clock = StepClock()

    class Clock(TrainerCallback):  # the StepClock's events, from the Trainer's own callbacks
        def on_step_end(self, args, state, control, **kwargs):
            clock(ProgressReported(state.global_step, state.max_steps, 0.0, None))

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            split = "test" if any(key.startswith("test_") for key in metrics or {}) else "validation"
            clock(EvalFinished(state.global_step, float(state.epoch or 0), split))

    args = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="trainer-"), num_train_epochs=epochs, weight_decay=0.01,
        eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True, metric_for_best_model="f1",
        report_to="none", disable_tqdm=True, **settings,
    )
    trainer = Trainer(model=model, args=args, train_dataset=ds["train"], eval_dataset=ds["validation"],
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=compute_metrics, callbacks=[Clock()])
    trainer.train()
    test = trainer.evaluate(ds["test"], metric_key_prefix="test")
    train_s = clock.train_s(trainer.state.global_step)
    return {"train_s": train_s, "samples_per_s": len(ds["train"]) * epochs / train_s, "test_f1": test["test_f1"],
            "eval_s": clock.eval_s, "precision": precision}


# The workbench, headless and through the window ----------------------------------------------------

def bench_config(data: str, epochs: float):
    from workbench.core.config import RunConfig

    config = RunConfig()  # the defaults, as a user gets them
    config.data.source = data
    config.training.epochs = epochs
    config.output.runs_root = tempfile.mkdtemp(prefix="bench-runs-")
    for item in OVERRIDES:
        dotted, _, value = item.partition("=")
        section, field = dotted.split(".")
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            pass  # a plain string
        setattr(getattr(config, section), field, value)
    return config.checked()


class StepClock:
    """An event sink that notes when training steps happen (first and last), how long the validation
    evaluations took (from the step before each to its end) and what the run reported."""

    def __init__(self):
        self.created = time.perf_counter()
        self.first = self.last = None
        self.eval_s = self.eval_between_steps_s = self._eval_since_step = 0.0
        self.started = None
        self.result = None

    def __call__(self, event) -> None:
        from workbench.core.events import EvalFinished, ProgressReported, RunFailed, RunFinished, RunStarted

        now = time.perf_counter()
        if isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, ProgressReported):
            self.first = self.first or now
            self.last = now
            self.eval_between_steps_s += self._eval_since_step
            self._eval_since_step = 0.0
        elif isinstance(event, EvalFinished) and event.split == "validation" and self.last is not None:
            taken = now - self.last - self._eval_since_step
            self.eval_s += taken
            self._eval_since_step += taken
        elif isinstance(event, (RunFinished, RunFailed)):
            self.result = event

    def train_s(self, steps: int) -> float:
        """First to last step, less the evaluations between; the first step's own time is not in that
        span, so it is scaled by steps/(steps-1)."""
        return (self.last - self.first - self.eval_between_steps_s) * steps / max(steps - 1, 1)

    def summary(self, data: str, epochs: float) -> dict:
        from workbench.core.events import RunFinished

        if not isinstance(self.result, RunFinished):
            raise SystemExit(f"the run failed: {getattr(self.result, 'message', self.result)}")
        train_s = self.train_s(self.started.total_steps)
        rows = self.started.train_rows * epochs
        return {"train_s": train_s, "samples_per_s": rows / train_s, "test_f1": _test_f1(self.result.final_metrics),
                "eval_s": self.eval_s, "first_step_s": self.first - self.created,
                "precision": self.started.precision, "max_length": self.started.max_length}


def _test_f1(metrics: dict) -> float:
    """Test F1, or validation F1 for data without a test split (the demo CSV)."""
    return metrics.get("test_f1", metrics["validation_f1"])


def engine_leg(data: str, epochs: float) -> dict:
    from workbench.core.training.run import train

    clock = StepClock()
    train(bench_config(data, epochs), clock)
    return clock.summary(data, epochs)


def gc_pauses() -> list[tuple[float, float, int]]:
    """From now on, (start, end, generation) of every garbage collection over 10 ms, in any thread."""
    import gc

    pauses, started = [], {}

    def note(phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            started["at"] = now
        elif now - started.get("at", now) > 0.01:
            pauses.append((started["at"], now, info["generation"]))

    gc.callbacks.append(note)
    return pauses


def gui_leg(data: str, epochs: float, trace_stalls: str | None = None) -> dict:
    import psutil

    launched = psutil.Process().create_time()
    import numpy as np
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.ui.app import collect_garbage_on_ui_thread
    from workbench.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    collector = collect_garbage_on_ui_thread()  # noqa: F841 - as the app does
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    marks: dict[str, float] = {}
    QTimer.singleShot(0, lambda: marks.setdefault("shown", time.time() - launched))
    while "shown" not in marks:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    ticks: list[float] = []
    probe = QTimer(interval=20, timerType=Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    if trace_stalls:
        import faulthandler

        trace_file = open(trace_stalls, "w")  # noqa: SIM115 - open until the process ends
        armed_at = float(os.environ.get("BENCH_TRACE_AFTER_S", "0"))  # seconds after launch; 0: from the start
        t_launch = time.perf_counter()
        probe.timeout.connect(lambda: time.perf_counter() - t_launch >= armed_at
                              and faulthandler.dump_traceback_later(0.06, file=trace_file))
    probe.start()

    # As a user would: the config is set, then Train is pressed once the window has settled
    # (the device probe has loaded torch in the background and the data page has checked the data).
    window.show_config(bench_config(data, epochs))
    calls = (window._device_call, window.data_view._load_call, window.data_view._check_call)
    settle = time.perf_counter() + 1.0
    while any(call.busy for call in calls) or window.data_view._check_timer.isActive() \
            or window.device_label.text().startswith("Detecting") or time.perf_counter() < settle:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # sleeps until an event comes
    start_up = np.diff(np.array(ticks)) * 1000

    clock = StepClock()
    view = window.train_view
    view.worker.event_received.connect(clock)
    delivered: list[tuple[float, str]] = []  # when each event reached the UI thread, to place long gaps
    collections = gc_pauses()
    view.worker.event_received.connect(lambda event: delivered.append((time.perf_counter(), type(event).__name__)))
    view.run_finished.connect(lambda result: (clock(result), app.quit()))
    ticks.clear()
    pressed, ui_cpu = time.perf_counter(), time.thread_time()
    view.start_button.click()
    app.exec()
    probe.stop()
    ui_cpu_share = (time.thread_time() - ui_cpu) / (time.perf_counter() - pressed)  # of the cores the run trains on
    gaps = np.diff(np.array(ticks)) * 1000
    long_gaps = []
    for i in np.flatnonzero(gaps > 50):
        before = [name for at, name in delivered if at <= ticks[i + 1]]
        inside = [f"{(end - begin) * 1000:.0f} ms gen-{generation} GC" for begin, end, generation in collections
                  if begin < ticks[i + 1] and end > ticks[i]]
        long_gaps.append(f"{gaps[i]:.0f} ms at {ticks[i] - pressed:.1f} s after Train, after {before[-1] if before else 'no event'}"
                         + (f", overlapping a {', '.join(inside)}" if inside else ", no garbage collection in it"))
    return clock.summary(data, epochs) | {"long_gaps": long_gaps,
        "stall_max_ms": float(gaps.max()), "stall_p99_ms": float(np.percentile(gaps, 99)), "ticks": len(ticks),
        "window_shown_s": marks["shown"], "first_step_s": clock.first - pressed,
        "startup_stall_max_ms": float(start_up.max()), "ui_cpu_share": ui_cpu_share,
    }


if __name__ == "__main__":
    raise SystemExit(main())
