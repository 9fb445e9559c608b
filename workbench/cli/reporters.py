"""What the command line prints while the engine works: progress bars, messages and summaries."""

from __future__ import annotations

import sys

from workbench.core.events import (
    ComparisonEvent, EvalFinished, Event, MessageLogged, ProgressReported, RunFailed, RunFinished, RunStarted,
    VariantEvent, VariantFinished, VariantStarted,
)


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
