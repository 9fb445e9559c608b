"""Live training curves: loss per step (raw and smoothed), evaluation loss and metric, learning rate,
and a vertical line on the loss plot at each step where gradual unfreezing added layers.

The three plots share the step axis (the loss plot's), so an evaluation drawn at step 63 sits where
the loss of step 63 is, even while it is the only point. Until the first point arrives the widget
shows a sentence saying what will appear, not empty axes.

Each curve is created once and its points kept in growing numpy buffers; `add_event` only appends
and a single-shot timer redraws what changed, so a run that logs every step costs one `setData` per
curve every few tens of milliseconds. The curves of compared runs are hidden and reused rather than
removed and re-created (with PySide6 6.12 on Python 3.11, each removal leaks ~20 references to True).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.core.events import EvalFinished, Event, LayersUnfrozen, StepLogged

REDRAW_MS = 80
EMA_WEIGHT = 0.7  # the previous smoothed value's share, as TensorBoard's smoothing slider
SHARE_METRICS = ("f1", "accuracy", "f1_macro", "f1_micro", "precision", "recall")  # the built-in ones, in [0, 1]
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
PLACEHOLDER = "Press Start: the loss and validation curves appear here."


def _short_name(path: str) -> str:
    """"bert.encoder.layer.3" -> "layer 3", "bert.embeddings" -> "embeddings"."""
    parts = path.split(".")
    return f"{parts[-2]} {parts[-1]}" if parts[-1].isdigit() and len(parts) > 1 else parts[-1]


class Series:
    """(x, y) points in arrays that double when full. A point at or before the last x replaces the
    points from that x on (a resumed run re-logging steps after its checkpoint)."""

    def __init__(self) -> None:
        self._x = np.empty(64)
        self._y = np.empty(64)
        self.n = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def cut_from(self, x: float) -> None:
        """Drop the points at x and after."""
        if self.n and x <= self._x[self.n - 1]:
            self.n = int(np.searchsorted(self._x[: self.n], x))

    def append(self, x: float, y: float) -> None:
        self.cut_from(x)
        if self.n == len(self._x):
            self._x = np.resize(self._x, 2 * self.n)
            self._y = np.resize(self._y, 2 * self.n)
        self._x[self.n], self._y[self.n] = x, y
        self.n += 1

    def clear(self) -> None:
        self.n = 0


class RunCurves:
    """The series of one run and the plot items that draw them, in one colour."""

    def __init__(self, plots: dict[str, pg.PlotItem], colour: str):
        self.name = ""
        self.colour = colour
        self.series = {key: Series() for key in ("raw_loss", "smoothed_loss", "eval_loss", "metric", "learning_rate")}
        faint = pg.mkColor(colour)
        faint.setAlpha(90)
        loss, metric, lr = plots["loss"], plots["metric"], plots["learning_rate"]
        self.raw_loss = loss.plot(pen=pg.mkPen(faint, width=1))
        self.smoothed_loss = loss.plot(pen=pg.mkPen(colour, width=2))
        self.eval_loss = loss.plot(pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                                   symbol="o", symbolSize=7, symbolBrush=colour)
        self.metric = metric.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7, symbolBrush=colour)
        self.learning_rate = lr.plot(pen=pg.mkPen(colour, width=2))
        for item in self.items():
            item.setDownsampling(auto=True, method="peak")
        for item in (self.raw_loss, self.smoothed_loss):  # not the step-linked plots: their range may be stale
            item.setClipToView(True)
        self.dirty = False

    def items(self) -> list[pg.PlotDataItem]:
        return [self.raw_loss, self.smoothed_loss, self.eval_loss, self.metric, self.learning_rate]

    def has_points(self) -> bool:
        return any(series.n for series in self.series.values())

    def add(self, event: Event, metric_name: str) -> None:
        s = self.series
        if isinstance(event, StepLogged):
            s["raw_loss"].append(event.step, event.loss)
            s["learning_rate"].append(event.step, event.learning_rate)
            smoothed = s["smoothed_loss"]
            smoothed.cut_from(event.step)
            previous = smoothed.y[-1] if smoothed.n else event.loss
            smoothed.append(event.step, EMA_WEIGHT * previous + (1 - EMA_WEIGHT) * event.loss)
            self.dirty = True
        elif isinstance(event, EvalFinished) and event.split == "validation":
            if "loss" in event.metrics:
                s["eval_loss"].append(event.step, event.metrics["loss"])
            if metric_name in event.metrics:
                s["metric"].append(event.step, event.metrics[metric_name])
            self.dirty = True

    def redraw(self) -> None:
        for key, series in self.series.items():
            getattr(self, key).setData(series.x, series.y)
        self.dirty = False

    def reset(self, name: str, show_raw: bool) -> None:
        """Empty, named, and shown (the raw loss only if `show_raw`)."""
        self.name = name
        for series in self.series.values():
            series.clear()
        self.redraw()
        for item in self.items():
            item.setVisible(item is not self.raw_loss or show_raw)

    def hide(self) -> None:
        for item in self.items():
            item.hide()


class CurvesWidget(QWidget):
    """Three plots: loss, the main validation metric, learning rate. Run 0 is live; overlays follow.

    `placeholder`: the sentence shown instead of the plots while no run has a point."""

    def __init__(self, parent: QWidget | None = None, placeholder: str = PLACEHOLDER):
        super().__init__(parent)
        self._metric = "f1"
        self._view = pg.GraphicsLayoutWidget(self)
        self.plots = {
            "loss": self._view.addPlot(row=0, col=0, rowspan=2),
            "metric": self._view.addPlot(row=0, col=1),
            "learning_rate": self._view.addPlot(row=1, col=1),
        }
        for key, plot in self.plots.items():
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "step")
            if key != "loss":
                plot.setXLink(self.plots["loss"])  # one step axis: a lone evaluation sits at its step
        self._view.ci.layout.setColumnStretchFactor(0, 3)
        self._view.ci.layout.setColumnStretchFactor(1, 2)
        self.plots["learning_rate"].getAxis("left").enableAutoSIPrefix(False)
        self._foreground = self.palette().color(QPalette.ColorRole.Text)
        self.legend = QLabel(textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.placeholder = QLabel(placeholder, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.placeholder.setFrameShape(QFrame.Shape.StyledPanel)
        self.placeholder.setEnabled(False)  # drawn in the palette's dimmed text colour
        font = self.placeholder.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.placeholder.setFont(font)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self._view)
        self._apply_palette()
        self.set_metric(self._metric)
        self._pool = [RunCurves(self.plots, COLOURS[0])]
        self._shown = 1
        self._update_legend()
        self._markers: list[pg.InfiniteLine] = []  # the first `_marked` are shown, at increasing steps
        self._marked = 0
        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self.flush)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.legend)
        layout.addWidget(self._stack, 1)
        self._show_plots_if_any()

    def set_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)

    def plots_shown(self) -> bool:
        """Whether the plots are shown (a run has a point), rather than the placeholder sentence."""
        return self._stack.currentWidget() is self._view

    def _show_plots_if_any(self) -> None:
        shown = any(run.has_points() for run in self.runs)
        self._stack.setCurrentWidget(self._view if shown else self.placeholder)
        self.legend.setVisible(shown)

    def _apply_palette(self) -> None:
        """Background, axes and titles in the palette's colours (again when it changes: light to dark)."""
        palette = self.palette()
        self._foreground = foreground = palette.color(QPalette.ColorRole.Text)
        self._view.setBackground(palette.color(QPalette.ColorRole.Base))
        for plot in self.plots.values():
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(foreground)
                plot.getAxis(axis).setTextPen(foreground)
        self.plots["loss"].setTitle("Loss", color=foreground)
        self.plots["learning_rate"].setTitle("Learning rate", color=foreground)
        self.plots["metric"].setTitle(f"Validation {self._metric}", color=foreground)
        for line in getattr(self, "_markers", []):
            line.setPen(pg.mkPen(foreground, width=1, style=Qt.PenStyle.DotLine))
            line.label.setColor(foreground)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    @property
    def runs(self) -> list[RunCurves]:
        """The runs shown: the live (or first selected) one, then the overlays."""
        return self._pool[: self._shown]

    @property
    def live(self) -> RunCurves:
        return self._pool[0]

    def set_metric(self, name: str) -> None:
        """The evaluation metric drawn in the metric plot (training.metric_for_best)."""
        self._metric = name
        plot = self.plots["metric"]
        plot.setTitle(f"Validation {name}", color=self._foreground)
        bounded = name in SHARE_METRICS  # an extra evaluate metric may take any value
        plot.setLimits(yMin=-0.05 if bounded else None, yMax=1.05 if bounded else None)

    @property
    def markers(self) -> list[pg.InfiniteLine]:
        """The lines shown where layers joined the live run."""
        return self._markers[: self._marked]

    def add_event(self, event: Event, run: RunCurves | None = None) -> None:
        """Add to the live run, or to `run` (an overlay that is live too: a comparison's variant)."""
        if isinstance(event, LayersUnfrozen):
            if run is None:
                self._mark(event)
            return
        run = run or self.live
        run.add(event, self._metric)
        if run.dirty and not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def clear(self) -> None:
        """Empty the live curves and hide the overlays."""
        for run in self.runs[1:]:
            run.hide()
        self._shown = 1
        self.live.reset("", show_raw=True)
        for line in self.markers:
            line.hide()
        self._marked = 0
        self._update_legend()
        self._show_plots_if_any()

    def load_events(self, events: Iterable[Event], name: str = "") -> None:
        """Show a recorded run (from `read_events`) in place of everything shown."""
        self.clear()
        self.live.name = name
        for event in events:
            if isinstance(event, LayersUnfrozen):
                self._mark(event)
            else:
                self.live.add(event, self._metric)
        self.live.redraw()
        self._show_plots_if_any()

    def overlay(self, events: Iterable[Event], name: str) -> RunCurves:
        """Draw another recorded run over the shown ones, in the next colour."""
        if self._shown == len(self._pool):
            self._pool.append(RunCurves(self.plots, COLOURS[self._shown % len(COLOURS)]))
        run = self._pool[self._shown]
        self._shown += 1
        run.reset(name, show_raw=False)
        self.live.raw_loss.hide()  # compared runs show their smoothed loss only
        for event in events:
            run.add(event, self._metric)
        run.redraw()
        self._update_legend()
        self._show_plots_if_any()
        return run

    def _mark(self, event: LayersUnfrozen) -> None:
        """A line at the step, labelled with the layers that joined; lines at or after it go first (a
        resumed run joins them again). Lines are hidden and reused, as the curves are."""
        while self._marked and self._markers[self._marked - 1].value() >= event.step:
            self._marked -= 1
            self._markers[self._marked].hide()
        if self._marked == len(self._markers):
            pen = pg.mkPen(self._foreground, width=1, style=Qt.PenStyle.DotLine)
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen, label="",
                                   labelOpts={"position": 0.95, "color": self._foreground, "rotateAxis": (1, 0)})
            self.plots["loss"].addItem(line)
            self._markers.append(line)
        line = self._markers[self._marked]
        self._marked += 1
        line.setValue(event.step)
        line.label.setFormat("+" + ", ".join(_short_name(path) for path in event.paths))
        line.show()

    def _update_legend(self) -> None:
        """One run: what each line is. Several: which colour is which run.

        A label rather than pyqtgraph's LegendItem, whose entries would be removed and re-added.
        """
        def swatch(colour: str, line: str) -> str:
            return f'<span style="color:{colour}; font-weight:bold">{line}</span>'

        if len(self.runs) == 1:
            colour = self.live.colour
            faint = pg.mkColor(colour).lighter(160).name()
            parts = [f"{swatch(faint, '───')} train loss", f"{swatch(colour, '━━━')} smoothed",
                     f"{swatch(colour, '- ● -')} evaluation"]
        else:
            parts = [f"{swatch(run.colour, '━━━')} {html.escape(run.name)}" for run in self.runs]
        self.legend.setText("&nbsp;&nbsp;&nbsp;&nbsp;".join(parts))

    def flush(self) -> None:
        """Draw what arrived since the last redraw now (the timer would do it within REDRAW_MS)."""
        self._redraw_timer.stop()
        for run in self.runs:
            if run.dirty:
                run.redraw()
        if not self.plots_shown():
            self._show_plots_if_any()
