"""`workbench` on the command line: train a run config headless, compare variants of one, list runs,
export a run, predict a file (CSV, JSON Lines, Parquet, workbook); no arguments opens the GUI."""

from __future__ import annotations

import argparse
import sys

from workbench.core.errors import WorkbenchError
from workbench.core.events import (
    ComparisonEvent, EvalFinished, Event, MessageLogged, ProgressReported, RunFailed, RunFinished, RunStarted,
    VariantEvent, VariantFinished, VariantStarted,
)
from workbench.paths import default_runs_root


class TerminalReporter:
    """Prints engine events: a tqdm progress bar (steps, elapsed, ETA, the loss of every step and the
    samples per second), the messages above it, then a summary."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._bar = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, ProgressReported):
            self._progress(event)
        elif isinstance(event, MessageLogged):
            self._line(event.text)
        elif isinstance(event, RunStarted):
            self._line(f"Run folder {event.run_dir}: {event.total_steps} steps on {event.device} ({event.precision}).")
        elif isinstance(event, EvalFinished):
            shown = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items())
            self._line(f"Evaluation on {event.split} at step {event.step}: {shown}")
        elif isinstance(event, RunFailed):
            self._close()
            self._line(f"Error: {event.message}")
        elif isinstance(event, RunFinished):
            self._close()

    def _progress(self, p: ProgressReported) -> None:
        """tqdm draws the bar; the times and rate are the engine's, which leave out pauses and the steps
        a resumed run had done before."""
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=p.total_steps, initial=p.step - 1, file=self.stream, dynamic_ncols=True,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}{postfix}")
        eta = "?" if p.eta_seconds is None else tqdm.format_interval(p.eta_seconds)
        shown = [f"{tqdm.format_interval(p.elapsed_seconds)}<{eta}"]
        if p.loss is not None:
            shown.append(f"loss={p.loss:.4f}")
        if p.samples_per_second is not None:
            shown.append(f"{p.samples_per_second:.1f} samples/s")
        self._bar.set_postfix_str(", ".join(shown), refresh=False)
        self._bar.update(p.step - self._bar.n)

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ComparisonReporter:
    """Prints a comparison: a line as each variant starts and ends, its run as `workbench train` does."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._run = TerminalReporter(self.stream)

    def __call__(self, event: ComparisonEvent) -> None:
        if isinstance(event, VariantEvent):
            self._run(event.event)
        elif isinstance(event, VariantStarted):
            how = "resuming" if event.resumed else "starting"
            self.stream.write(f"Variant {event.index + 1} of {event.total}, {event.name}: {how}.\n")
        elif isinstance(event, VariantFinished):
            self.stream.write(f"Variant {event.name}: {event.status}.\n")
        self.stream.flush()


def summary_table(result: RunFinished) -> str:
    rows = [("run folder", result.run_dir), ("model", result.model_dir),
            ("status", "stopped" if result.stopped else "finished"), ("wall time", f"{result.wall_seconds:.1f} s")]
    rows += [(name, f"{value:.4f}") for name, value in sorted(result.final_metrics.items())]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def cmd_train(args) -> int:
    import signal

    from workbench.core.config import load_config
    from workbench.core.training.control import RunControl
    from workbench.core.training.distributed import is_main_process
    from workbench.core.training.run import train
    from workbench.demo import demo_config

    if args.resume:
        config = None
    elif args.demo:
        config = demo_config(args.demo_task, runs_root=args.runs_root)
    elif args.config:
        config = load_config(args.config)
    else:
        raise WorkbenchError("Name a run config (workbench train CONFIG.json), or use --demo or --resume RUN_DIR.")
    if config is not None and args.runs_root:
        config.output.runs_root = args.runs_root

    control = RunControl()

    def stop(signum, frame):  # first Ctrl-C stops cleanly with a checkpoint; a second one kills
        control.request_stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    result = train(config, TerminalReporter(), control, resume_dir=args.resume)
    while args.retry_half_batch and isinstance(result, RunFailed) and result.out_of_memory and not control.stop_requested:
        from workbench.core.training.memory import prepare_retry

        config, resume = prepare_retry(result.run_dir, config)
        t = config.training
        how = f"resuming {resume} from its last checkpoint" if resume else "as a new run"
        print(f"Retrying at batch size {t.batch_size} with {t.gradient_accumulation_steps} accumulation steps "
              f"(the same effective batch), {how}.", flush=True)
        result = train(config, TerminalReporter(), control, resume_dir=resume)
    if isinstance(result, RunFailed):
        return 1
    if is_main_process():  # under torchrun, rank 0 alone reports
        print(summary_table(result))
        for warning in result.warnings:
            print(f"Warning: {warning}")
    return 0


def cmd_compare(args) -> int:
    import signal
    from pathlib import Path

    from workbench.core.compare.comparison import load_comparison, new_comparison, run_comparison
    from workbench.core.compare.variants import parse_variant
    from workbench.core.config import load_config
    from workbench.core.training.control import RunControl

    if args.resume:
        if args.config or args.variant:
            raise WorkbenchError("--resume continues a comparison as it was set up; give it no run config or --variant.")
        folder = Path(args.resume)
        load_comparison(folder)  # refused now, not after the first lines
    elif args.config:
        base = load_config(args.config)
        if args.runs_root:
            base.output.runs_root = args.runs_root
        folder = new_comparison(base, [parse_variant(text) for text in args.variant or []], args.name)
    else:
        raise WorkbenchError("Name a run config (workbench compare CONFIG.json --variant ...), or use --resume DIR.")
    print(f"Comparison folder {folder}", file=sys.stderr)

    control = RunControl()

    def stop(signum, frame):  # as in cmd_train: the running variant stops with a checkpoint
        control.request_stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    result = run_comparison(folder, ComparisonReporter(), control)
    try:
        from workbench.ui.views.comparison_plot import save_comparison_plot

        save_comparison_plot(folder)
    except (ImportError, OSError) as exc:
        print(f"Warning: the curves could not be drawn ({exc}); table.csv and table.md are written.", file=sys.stderr)
    print(result.markdown)
    if result.unfinished:
        print(f"Not finished: {', '.join(result.unfinished)}. Continue with: workbench compare --resume {folder}")
    return 1 if any(row[1] == "failed" for row in result.rows) else 0


def cmd_runs(args) -> int:
    from workbench.core.runs import list_runs

    root = args.runs_root or default_runs_root()
    runs = list_runs(root)
    if not runs:
        print(f"No runs under {root}.")
        return 0
    print(f"{'run':<48} {'status':<11} {'task':<12} {'best (validation)':<20}  created")
    for run in runs:
        best = "-" if run.best_metric is None else f"{run.best_metric:.4f} {run.metric_name}"
        print(f"{run.path.name:<48} {run.status:<11} {run.task:<12} {best:<20}  {run.created}")
        for warning in run.warnings:
            print(f"  Warning: {warning}")
    return 0


def cmd_backbones(args) -> int:
    from workbench.core.model.catalogue import CATALOGUE

    print(f"{'backbone.name':<34} {'parameters':>10}  {'languages':<21} good at")
    for entry in CATALOGUE:
        print(f"{entry.name:<34} {entry.parameters:>9g}M  {entry.languages:<21} {entry.good_at}")
    print("Any other Hub model id or local model folder works too; Hub ids download on first use.")
    return 0


def cmd_export(args) -> int:
    from workbench.core.export.folder import export_run

    report = export_run(args.run_dir, args.output, onnx=args.onnx or args.int8, int8=args.int8, force=args.force,
                        progress=lambda text: print(text, file=sys.stderr), adapter=args.adapter)
    print(f"Exported {report.dest}: {', '.join(report.files)}")
    if report.onnx is not None:
        print(report.onnx.summary())
    return 0


class RowsReporter:
    """`workbench predict`'s progress: a tqdm bar of rows (done, total, elapsed, ETA, rows per
    second), the messages above it."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._bar = None

    def say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def progress(self, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, file=self.stream, dynamic_ncols=True, unit=" rows", unit_scale=True,
                             smoothing=0.1)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def cmd_predict(args) -> int:
    import signal

    from workbench.core.export.predict import Predictor
    from workbench.core.export.predict_files import predict_file

    backend = "int8" if args.int8 else "onnx" if args.onnx else "torch"
    reporter = RowsReporter()
    asked = []

    def stop(signum, frame):  # the first Ctrl-C ends after the rows in hand are written; a second one kills
        asked.append(signum)
        reporter.say("Stopping after the rows being predicted now (Ctrl-C again to quit at once, writing nothing).")
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    predictor = Predictor.load(args.model_dir, backend, args.precision)
    reporter.say(f"Predicting with {predictor.how}.")
    previous = signal.signal(signal.SIGINT, stop)
    try:
        done = predict_file(args.model_dir, args.input, args.output, args.text_column, args.pair_column, sheet=args.sheet,
                            say=reporter.say, progress=reporter.progress, stop=lambda: bool(asked),
                            predictor=predictor)
    finally:
        signal.signal(signal.SIGINT, previous)
        reporter.close()
    print(done.sentence())
    return 130 if done.stopped else 0


def build_parser() -> argparse.ArgumentParser:
    from workbench.core.compare.variants import PRESETS

    parser = argparse.ArgumentParser(prog="workbench", description="Fine-tune BERT-family encoders.")
    parser.add_argument("--self-test", action="store_true", help="open the window offscreen, train a few steps on "
                        "the demo, export and reload the model, then exit (0: all works)")
    parser.add_argument("--start", action="store_true", help="open the window on its start page (your data, the "
                        "demos, recent runs and configs) instead of on the bundled demo")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("train", help="train a run config headless (also under torchrun)")
    p.add_argument("config", nargs="?", help="a run config JSON file, as the GUI saves it")
    p.add_argument("--demo", action="store_true", help="train the bundled backbone on the bundled demo data")
    p.add_argument("--demo-task", choices=["single_label", "token", "qa"], default="single_label")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--runs-root", help="folder that holds the runs (overrides output.runs_root)")
    p.add_argument("--retry-half-batch", action="store_true", help="when the run runs out of memory, retry it at "
                   "half the batch size with twice the gradient accumulation (the same effective batch), from its "
                   "last checkpoint, until it fits or the batch is 1")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("compare", help="train variants of a run config one after another and tabulate them",
                       description="Presets: " + ", ".join(f"{name} ({', '.join(f'{k}={v}' for k, v in changes.items())})"
                                                           for name, changes in PRESETS.items()) + ".")
    p.add_argument("config", nargs="?", help="the base run config JSON file")
    p.add_argument("--variant", action="append", metavar="NAME[:section.field=value,...]",
                   help="a variant: a preset's name, or a name and the settings it changes (repeat for each)")
    p.add_argument("--name", default="comparison", help="the comparison's name; its runs are named NAME-VARIANT")
    p.add_argument("--resume", metavar="DIR", help="run a comparison folder's variants that are not finished")
    p.add_argument("--runs-root", help="folder that holds the runs (overrides output.runs_root)")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("runs", help="list runs with their status and best metric")
    p.add_argument("--runs-root", help=f"folder that holds the runs (default: {default_runs_root()})")
    p.set_defaults(func=cmd_runs)
    p = sub.add_parser("backbones", help="list the curated backbones to start from (set one as backbone.name)")
    p.set_defaults(func=cmd_backbones)
    p = sub.add_parser("export", help="export a run's model as a Hugging Face folder (optionally ONNX)")
    p.add_argument("run_dir", help="the run folder")
    p.add_argument("-o", "--output", help="the export folder (default: RUN_DIR/export)")
    p.add_argument("--onnx", action="store_true", help="add model.onnx, checked against PyTorch on validation rows")
    p.add_argument("--int8", action="store_true", help="add a dynamically quantized int8 ONNX model (implies --onnx)")
    p.add_argument("--adapter", action="store_true", help="a LoRA run: add its adapter alone (adapter/), which "
                   "peft loads onto the base model; the exported model has the adapters merged in either way")
    p.add_argument("--force", action="store_true", help="replace the export folder if it exists")
    p.set_defaults(func=cmd_export, error_status=1)
    p = sub.add_parser("predict", help="add predicted labels and confidences to a CSV, JSON Lines, Parquet or "
                       "workbook file")
    p.add_argument("model_dir", help="a model folder: an export, or a run's model/")
    p.add_argument("input", help="the CSV, JSON Lines (.jsonl), Parquet or workbook (.xlsx, .xlsm, .xls, .ods) file "
                   "to read (never modified)")
    p.add_argument("-o", "--output", required=True, help="the file to write: .xlsx writes a workbook, .jsonl JSON "
                   "Lines, .parquet Parquet, any other name a CSV")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--onnx", action="store_true", help="predict with the export's model.onnx (onnxruntime)")
    engine.add_argument("--int8", action="store_true", help="predict with the export's model.int8.onnx (onnxruntime, "
                        "quantized: faster, labels may differ from PyTorch's on a few rows)")
    p.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="fp32",
                   help="the PyTorch model's precision: fp32 (default: the pipeline's answers), bf16 autocast (faster "
                   "on CPUs with AMX; labels may differ on a few rows), or auto: bf16 where it measures faster")
    p.add_argument("--sheet", help="the workbook sheet to read (default: the first)")
    p.add_argument("--text-column", help="the text's column (default: text; question-answering models: question)")
    p.add_argument("--pair-column", help="the second text's column, for sentence-pair models "
                   "(question-answering models: the context's, default context)")
    p.set_defaults(func=cmd_predict, error_status=1)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from workbench.ui.self_test import run_self_test

        return run_self_test()
    if args.command is None:
        from workbench.ui.app import main as gui_main

        return gui_main(start_page=args.start)
    try:
        return args.func(args)
    except WorkbenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return getattr(args, "error_status", 2)  # train: 2 for a bad config (1 is a run that failed)


if __name__ == "__main__":
    sys.exit(main())
