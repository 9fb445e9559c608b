"""The main window: page navigation, the File menu, the device in the status bar, closing during a run."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QByteArray, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QWidget,
)

from workbench.core.config import RunConfig, load_config
from workbench.core.errors import WorkbenchError
from workbench.core.events import RunFinished
from workbench.core.model.device import device_summary
from workbench.core.runs import MODEL
from workbench.demo import demo_config
from workbench.ui import settings
from workbench.ui.background import BackgroundCall
from workbench.ui.source_defaults import RUN_NAME, SOURCE_FIELDS, changed_fields, defaults_for_source, reset_note
from workbench.ui.views.compare_view import CompareView
from workbench.ui.views.data_view import DataView
from workbench.ui.views.freeze_view import FreezeView
from workbench.ui.views.model_view import ModelView
from workbench.ui.views.results_view import ResultsView
from workbench.ui.views.runs_view import RunsView
from workbench.ui.views.train_view import TrainView
from workbench.ui.views.try_view import TryView

APP_TITLE = "BERT Workbench"
CONFIG_FILTER = "Run configs (*.json);;All files (*)"


class MainWindow(QMainWindow):
    """Opens with the bundled demo config unless given another one. A source the user opens on the
    Data page gets the engine's defaults for every setting not changed in this window (see
    `source_defaults`); a run config opened from a file keeps what it holds."""

    def __init__(self, config: RunConfig | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._config = RunConfig()
        self._config_path: Path | None = None
        self._shown = RunConfig()  # the config the pages were last filled with: what differs from it was edited
        self._edited: set[str] = set()  # the settings the user changed in this window session
        self._kept_from: str | None = None  # the run config file whose settings a newly opened source keeps
        self._closing = False
        self.data_view, self.model_view, self.freeze_view = DataView(), ModelView(), FreezeView()
        self.train_view, self.runs_view, self.compare_view = TrainView(), RunsView(), CompareView()
        self.results_view, self.try_view = ResultsView(), TryView()
        self.pages = {"Data": self.data_view, "Model": self.model_view, "Freeze": self.freeze_view,
                      "Train": self.train_view, "Runs": self.runs_view, "Compare": self.compare_view,
                      "Results": self.results_view, "Try it": self.try_view}

        self.nav = QListWidget()
        self.nav.addItems(list(self.pages))
        self.nav.setFixedWidth(120)
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.changed.connect(self._on_page_changed)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.data_view.task_guessed.connect(self.model_view.set_task)
        self.data_view.class_weights_applied.connect(self.model_view.use_class_weights)
        self.data_view.opened_by_user.connect(self._on_data_view_opened_by_user)
        self.model_view.backbone_changed.connect(self.freeze_view.set_backbone)
        self.model_view.backbone_changed.connect(self.data_view.set_backbone)
        self.train_view.start_requested.connect(self._on_train_start_requested)
        self.train_view.running_changed.connect(self.runs_view.set_run_active)
        self.train_view.run_finished.connect(self._on_train_run_finished)
        self.train_view.running_changed.connect(self.compare_view.set_other_run_active)
        self.compare_view.compare_requested.connect(self._on_compare_requested)
        self.compare_view.running_changed.connect(self.runs_view.set_run_active)
        self.compare_view.comparison_finished.connect(self._on_compare_comparison_finished)
        self.runs_view.resume_requested.connect(self._on_runs_resume_requested)
        self.runs_view.run_selected.connect(self._on_runs_run_selected)
        self.runs_view.results_requested.connect(lambda: self.show_page("Results"))

        self._build_menus()
        self.device_label = QLabel("Detecting the device…")
        self.statusBar().addPermanentWidget(self.device_label)
        self._device_call = BackgroundCall(self)
        self._device_call.returned.connect(self._on_device_call_returned)
        self._device_call.failed.connect(self._on_device_call_returned)
        self._device_call.start(device_summary)  # in the thread pool: torch loads there, not here

        self.resize(1280, 800)
        self.restoreGeometry(settings.settings().value("window/geometry", QByteArray()))
        self.show_config(config or demo_config())
        self.nav.setCurrentRow(0)

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open run config…", self, shortcut=QKeySequence.StandardKey.Open)
        save_action = QAction("&Save run config…", self, shortcut=QKeySequence.StandardKey.Save)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        open_action.triggered.connect(self._on_open_action_triggered)
        save_action.triggered.connect(self._on_save_action_triggered)
        quit_action.triggered.connect(self.close)
        menu.addAction(open_action)
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        menu.addAction(save_action)
        menu.addSeparator()
        menu.addAction(quit_action)

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(name))

    def show_config(self, config: RunConfig, path: Path | None = None) -> None:
        """Fill every page from `config`; `path` is the file it came from (None for the demo)."""
        self._config_path = path
        self._edited, self._kept_from = set(), path.name if path else None
        self._fill_pages(config)
        self.setWindowTitle(f"{APP_TITLE} — {path.name if path else 'demo'}[*]")
        self.setWindowModified(False)

    def _fill_pages(self, config: RunConfig) -> None:
        self._config, self._shown = copy.deepcopy(config), copy.deepcopy(config)
        for page in self.pages.values():
            page.show_config(copy.deepcopy(config))

    def current_config(self) -> RunConfig:
        """The shown config with every page's edits written in, page by page."""
        config = copy.deepcopy(self._config)
        for page in self.pages.values():
            page.update_config(config)
        return config

    def open_config(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            config = load_config(path)
        except WorkbenchError as exc:
            QMessageBox.warning(self, "Open run config", str(exc))
            return False
        self.show_config(config, path)
        settings.add_recent_file(path)
        settings.remember_folder("configs", path)
        return True

    def save_config(self, path: str | Path) -> bool:
        path = Path(path)
        config = self.current_config()
        try:
            config.save(path)
        except OSError as exc:
            QMessageBox.warning(self, "Save run config", f"Could not write {path}: {exc.strerror or exc}.")
            return False
        self._config, self._config_path = config, path
        self.setWindowTitle(f"{APP_TITLE} — {path.name}[*]")
        self.setWindowModified(False)
        settings.add_recent_file(path)
        settings.remember_folder("configs", path)
        return True

    def _confirm_close(self) -> bool:
        answer = QMessageBox.question(
            self, "Quit during a run", "A run is training. Stop it (a checkpoint is saved, so it can be resumed) "
            "and quit?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        workers = [w for w in (self.train_view.worker, self.compare_view.worker) if w.is_running]
        if workers:
            event.ignore()
            if not self._closing and self._confirm_close():
                self._closing = True
                self.setEnabled(False)
                self.statusBar().showMessage("Stopping the run and saving a checkpoint…")
                for worker in workers:
                    worker.stop()
            return
        settings.settings().setValue("window/geometry", self.saveGeometry())
        event.accept()

    @Slot()
    def _on_page_changed(self) -> None:
        self.setWindowModified(True)

    @Slot(str)
    def _on_data_view_opened_by_user(self, source: str) -> None:
        """Another source: the settings not changed here go back to the engine's defaults, and say so."""
        current = self.current_config()
        self._edited |= changed_fields(self._shown, current) - {*SOURCE_FIELDS, RUN_NAME}
        config = defaults_for_source(current, self._edited, keep_all=self._kept_from is not None)
        self._fill_pages(config)
        self.statusBar().showMessage(reset_note(config, [] if self._kept_from else list(self._edited), self._kept_from))
        self.setWindowModified(True)

    @Slot()
    def _on_train_start_requested(self) -> None:
        if self.compare_view.worker.is_running:  # one run at a time
            self.statusBar().showMessage("A comparison is training on the Compare page; stop it or wait for it "
                                         "first.", 8000)
            return
        config = self.current_config()
        settings.add_recent_backbone(config.backbone.name)
        self.train_view.start(config)

    @Slot()
    def _on_compare_requested(self) -> None:
        if self.train_view.worker.is_running:  # one run at a time
            self.statusBar().showMessage("A run is training on the Train page; stop it or wait for it first.", 8000)
            return
        self.compare_view.start(self.current_config())

    @Slot(object)
    def _on_compare_comparison_finished(self, result: object) -> None:
        if self._closing:
            self.close()
            return
        self.runs_view.refresh()

    @Slot(object)
    def _on_train_run_finished(self, result: object) -> None:
        if self._closing:
            self.close()
            return
        self.runs_view.refresh()
        if isinstance(result, RunFinished) and Path(result.model_dir).is_dir():
            self.show_run(Path(result.run_dir))

    def show_run(self, run_dir: Path) -> None:
        """Point the Results and Try it pages at this run."""
        self.results_view.show_run(run_dir)
        if (run_dir / MODEL).is_dir():
            self.try_view.show_model(run_dir / MODEL)

    @Slot(object)
    def _on_runs_run_selected(self, run: object) -> None:
        self.show_run(run.path)

    @Slot(object)
    def _on_runs_resume_requested(self, run: object) -> None:
        self.show_page("Train")
        self.train_view.resume(run)

    @Slot(object)
    def _on_device_call_returned(self, summary: object) -> None:
        self.device_label.setText(str(summary))

    @Slot()
    def _on_open_action_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open run config", settings.last_folder("configs"), CONFIG_FILTER)
        if path:
            self.open_config(path)

    @Slot()
    def _on_save_action_triggered(self) -> None:
        start = str(self._config_path) if self._config_path else settings.last_folder("configs")
        path, _ = QFileDialog.getSaveFileName(self, "Save run config", start, CONFIG_FILTER)
        if path:
            self.save_config(path)

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_config(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)
