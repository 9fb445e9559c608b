"""The pre-flight charts of the Data page: rows per split, rows per label, training token lengths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from workbench.core.data import LengthStats
    from workbench.core.data.preflight import PreflightReport

STAGGER_FROM = 6  # more labels than this alternate between two lines so they do not overlap
SPLIT_COLOURS = {"train": "#1f77b4", "validation": "#ff7f0e", "test": "#2ca02c"}


class PreflightPlots(QWidget):
    """Rows per split, rows per label (grouped by split) and the histogram of training token lengths."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._view = view = pg.GraphicsLayoutWidget()
        self._shown: tuple = (None, None, None)  # the report, lengths and limit drawn: drawn again in new colours
        view.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self._foreground = self.palette().color(QPalette.ColorRole.Text)
        self._splits, self._labels, self._lengths = (view.addPlot(col=i) for i in range(3))
        for column, (plot, title) in enumerate(
            ((self._splits, "Rows per split"), (self._labels, "Rows per label"), (self._lengths, "Token lengths (train)"))
        ):
            view.ci.layout.setColumnStretchFactor(column, (1, 3, 2)[column])
            plot.setTitle(title, color=self._foreground)
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
        self._colour_axes()
        backdrop = pg.mkBrush(self.palette().color(QPalette.ColorRole.Base))
        self._legend, self._length_legend = (
            plot.addLegend(offset=(-5, 5), labelTextColor=self._foreground, brush=backdrop)
            for plot in (self._labels, self._lengths)
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)

    def _colour_axes(self) -> None:
        for plot in (self._splits, self._labels, self._lengths):
            plot.titleLabel.setText(plot.titleLabel.text, color=self._foreground)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(self._foreground)
                plot.getAxis(axis).setTextPen(self._foreground)

    def changeEvent(self, event: QEvent) -> None:
        """Light to dark (or back): the background, axes and labels in the new palette's colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            base = self.palette().color(QPalette.ColorRole.Base)
            self._foreground = self.palette().color(QPalette.ColorRole.Text)
            self._view.setBackground(base)
            for legend in (self._legend, self._length_legend):
                legend.setBrush(pg.mkBrush(base))
                legend.setLabelTextColor(self._foreground)
            self._colour_axes()
            report, lengths, limit = self._shown
            self.show_counts(report)
            self.show_lengths(lengths, limit)

    def show_counts(self, report: PreflightReport | None) -> None:
        self._shown = (report, *self._shown[1:])
        self._splits.clear()
        self._labels.clear()
        self._legend.clear()
        if report is None:
            return
        splits = list(report.split_counts)
        for x, split in enumerate(splits):
            count = report.split_counts[split]
            self._splits.addItem(pg.BarGraphItem(x=[x], height=[count], width=0.6, brush=SPLIT_COLOURS[split]))
            label = pg.TextItem(f"{count:,}", color=self._foreground, anchor=(0.5, 1))
            label.setPos(x, count)
            self._splits.addItem(label)
        self._splits.getAxis("bottom").setTicks([list(enumerate(splits))])
        self._splits.setYRange(0, max(report.split_counts.values()) * 1.15)
        names = list(report.label_counts[splits[0]])
        width = 0.8 / len(splits)
        for j, split in enumerate(splits):
            x = np.arange(len(names)) + (j - (len(splits) - 1) / 2) * width
            heights = [report.label_counts[split].get(name, 0) for name in names]
            bars = pg.BarGraphItem(x=x, height=heights, width=width, brush=SPLIT_COLOURS[split])
            self._labels.addItem(bars)
            self._legend.addItem(bars, split)
        stagger = len(names) > STAGGER_FROM
        axis = self._labels.getAxis("bottom")
        axis.setTicks([[(i, "\n" + name if stagger and i % 2 else name) for i, name in enumerate(names)]])
        axis.setHeight(2 * self.fontMetrics().height() + 12 if stagger else None)
        self._labels.setYRange(0, max(max(counts.values(), default=0) for counts in report.label_counts.values()) * 1.3)
        self._labels.setTitle("Tags per label" if report.task == "token" else "Rows per label", color=self._foreground)

    def show_lengths(self, lengths: LengthStats | None, limit: int | None) -> None:
        self._shown = (self._shown[0], lengths, limit)
        self._lengths.clear()
        self._length_legend.clear()
        if lengths is None or not len(lengths.lengths["train"]):
            return
        values = lengths.lengths["train"]
        low, high = int(values.min()), int(values.max())
        step = -(-(high - low + 1) // 40)  # whole tokens per bin, at most 40 bins
        counts, edges = np.histogram(values, bins=np.arange(low - 0.5, high + step + 0.5, step))
        self._lengths.plot(edges, counts, stepMode="center", fillLevel=0, brush=SPLIT_COLOURS["train"], pen=None)
        p95 = lengths.per_split["train"]["p95"]
        dashed = pg.mkPen(self._foreground, width=1, style=Qt.PenStyle.DashLine)
        solid = pg.mkPen("#c0392b", width=2)
        for position, pen, text in ((p95, dashed, f"p95: {p95}"), (limit, solid, f"max_length: {limit}")):
            self._lengths.addItem(pg.InfiniteLine(position, 90, pen))
            self._length_legend.addItem(pg.PlotDataItem(pen=pen), text)
        shown = max(high, limit) if limit <= 2 * high else high  # a far-off max_length would squash the bars
        self._lengths.setXRange(0, shown * 1.05, padding=0)
        self._lengths.setYRange(0, counts.max() * 1.3, padding=0)  # room for the legend
