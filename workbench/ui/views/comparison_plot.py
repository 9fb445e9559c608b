"""curves.png of a comparison: each variant's train loss and validation metric, overlaid, one colour
per variant. Drawn with pyqtgraph offscreen, so the command line writes it too (the engine draws nothing)."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.core.compare.comparison import CURVES_PNG, load_comparison
from workbench.core.events import EvalFinished, StepLogged
from workbench.core.runs import read_events

SIZE = (1200, 480)


def save_comparison_plot(folder: str | Path) -> Path:
    """Write `curves.png` into the comparison folder, from its variants' recorded runs."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:  # the command line: no window is ever shown
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QApplication([])
    import pyqtgraph as pg

    from workbench.ui.views.curves import COLOURS, Series

    folder = Path(folder)
    state = load_comparison(folder)
    metric = state["base"].get("training", {}).get("metric_for_best", "f1")
    view = pg.GraphicsLayoutWidget()
    view.setBackground("w")
    view.resize(*SIZE)
    loss = view.addPlot(row=0, col=0)
    score = view.addPlot(row=0, col=1)
    score.setXLink(loss)  # one step axis: a lone evaluation sits at its step, not on an axis of its own
    loss.setTitle("Train loss", color="k")
    score.setTitle(f"Validation {metric}", color="k")
    for plot in (loss, score):
        plot.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen("k")
            plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(56)  # an axis widens to its labels only after a first paint
        plot.setLabel("bottom", "step")
        plot.addLegend(offset=(-10, 10) if plot is score else (10, 10), labelTextColor="k")
    for i, entry in enumerate(v for v in state["variants"] if v.get("run_dir")):
        events = read_events(Path(entry["run_dir"]))
        colour = COLOURS[i % len(COLOURS)]
        losses, scores = Series(), Series()  # a resumed run's re-logged steps replace the earlier ones
        for event in events:
            if isinstance(event, StepLogged):
                losses.append(event.step, event.loss)
            elif isinstance(event, EvalFinished) and event.split == "validation" and metric in event.metrics:
                scores.append(event.step, event.metrics[metric])
        loss.plot(losses.x, losses.y, pen=pg.mkPen(colour, width=2), name=entry["name"])
        score.plot(scores.x, scores.y, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                   symbolBrush=colour, name=entry["name"])
    path = folder / CURVES_PNG
    tmp = folder / f".{CURVES_PNG}.tmp.png"
    if not view.grab().save(str(tmp)):
        raise OSError(f"Could not write {tmp}")
    tmp.replace(path)
    view.deleteLater()
    return path
