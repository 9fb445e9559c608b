"""The main window: the navigation (each page with its step's state), the menus and their shortcuts, the
device in the status bar, closing during a run."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QByteArray, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from workbench.core.config import RunConfig, load_config
from workbench.core.errors import WorkbenchError
from workbench.core.events import ComparisonStarted, RunFinished, VariantStarted
from workbench.core.model.device import device_summary
from workbench.core.runs import CONFIG_FILE, MODEL
from workbench.demo import demo_config
from workbench.paths import default_runs_root
from workbench.ui import about, settings, step_states
from workbench.ui.background import BackgroundCall
from workbench.ui.menu_actions import add_menus, menu_shortcuts
from workbench.ui.source_defaults import RUN_NAME, SOURCE_FIELDS, changed_fields, defaults_for_source, reset_note
from workbench.ui.views.compare_view import CompareView
from workbench.ui.views.data_view import DataView
from workbench.ui.views.freeze_view import FreezeView
from workbench.ui.views.interrupted_notice import InterruptedNotice
from workbench.ui.views.model_view import ModelView
from workbench.ui.views.results_view import ResultsView
from workbench.ui.views.runs_view import RunsView
from workbench.ui.views.start_view import StartView
from workbench.ui.views.step_list import StepList
from workbench.ui.views.train_view import TrainView
from workbench.ui.views.try_view import TryView

APP_TITLE = "BERT Workbench"
CONFIG_FILTER = "Run configs (*.json);;All files (*)"
ICONS_AFTER_MS = 50  # after the first paint
STATE_POLL_MS = 250  # how often the navigation's state lines are read from the pages


class MainWindow(QMainWindow):
    """Opens with the bundled demo config unless given another one, on the Data page (`start_page`: on the
    start page, which offers the user's own data, the demos and recent runs and configs). A source the
    user opens gets the engine's defaults for every setting not changed in this window (see
    `source_defaults`); a run config opened from a file keeps what it holds."""

    def __init__(self, config: RunConfig | None = None, parent: QWidget | None = None, start_page: bool = False):
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

        self._train_result: object | None = None  # how the last run of the Train page ended
        self._compare_result: object | None = None
        self._variant = ""  # the variant the Compare page trains
        self.nav = StepList(list(self.pages))
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.changed.connect(self._on_page_changed)
        self.start_view = StartView()
        self.stack.addWidget(self.start_view)  # after the pages: the navigation's rows are the pages' indexes
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.stack.currentChanged.connect(self._on_stack_current_changed)
        self.start_view.source_chosen.connect(self.open_own_data)
        self.start_view.demo_chosen.connect(self._on_start_demo_chosen)
        self.start_view.config_chosen.connect(self._on_start_config_chosen)
        self.start_view.run_chosen.connect(self.open_run)
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

        self.train_view.running_changed.connect(self._on_train_running_changed)
        self.compare_view.running_changed.connect(self._on_compare_running_changed)
        self.compare_view.worker.event_received.connect(self._on_compare_event_received)
        self.compare_view.comparison_finished.connect(self._on_compare_result)
        self.freeze_view.changed.connect(self._update_freeze_state)
        self.freeze_view.tree_shown.connect(self._update_freeze_state)

        add_menus(self)
        self.interrupted_notice = InterruptedNotice()
        self.interrupted_notice.resume_requested.connect(self._on_runs_resume_requested)
        self.statusBar().addWidget(self.interrupted_notice, 1)
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
        self.interrupted_notice.check(self._config.output.runs_root)
        if start_page:
            self.show_start()
        self._update_steps()
        self._state_timer = QTimer(self, interval=STATE_POLL_MS)
        self._state_timer.timeout.connect(self._update_steps)
        self._state_timer.start()
        # qtawesome (0.2 s) loads once the window has painted
        self.nav.first_painted.connect(lambda: QTimer.singleShot(ICONS_AFTER_MS, self._show_icons))

    def _show_icons(self) -> None:
        self.nav.show_icons()
        self.start_view.show_icons()

    # --- menus and shortcuts ----------------------------------------------------------------

    def shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut of the menus, as Help > Keyboard shortcuts lists them."""
        return menu_shortcuts(self.menuBar())

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(name))

    def current_page(self) -> str:
        """The shown page's name ("Start" for the start page)."""
        return next((name for name, page in self.pages.items() if page is self.stack.currentWidget()), "Start")

    def show_start(self) -> None:
        self.nav.setCurrentRow(-1)
        self.stack.setCurrentWidget(self.start_view)

    # --- what the start page opens ----------------------------------------------------------

    @Slot(str)
    def open_own_data(self, source: str) -> None:
        """A fresh run config (not the demo's settings) and the source opened on the Data page, as if chosen there."""
        config = RunConfig()
        config.output.runs_root = default_runs_root()
        self.show_config(config)
        self.setWindowTitle(f"{APP_TITLE} — {Path(source).name or source}[*]")
        self.show_page("Data")
        self.data_view.load(source)

    @Slot(str)
    def _on_start_demo_chosen(self, task: str) -> None:
        self.show_config(demo_config(task))
        self.show_page("Data")

    @Slot(str)
    def _on_start_config_chosen(self, path: str) -> None:
        if self.open_config(path):
            self.show_page("Data")

    @Slot(str)
    def open_run(self, run_dir: str | Path) -> bool:
        """A recorded run again: its config on every page, its results and model on Results and Try it."""
        run_dir = Path(run_dir)
        try:
            config = load_config(run_dir / CONFIG_FILE)
        except (WorkbenchError, OSError) as exc:
            QMessageBox.warning(self, "Reopen a run", str(exc))
            return False
        self.show_config(config)
        self.setWindowTitle(f"{APP_TITLE} — {run_dir.name}[*]")
        self.show_run(run_dir)
        settings.add_recent_run(run_dir)
        self.show_page("Results")
        return True

    # --- the steps' states ------------------------------------------------------------------

    def _update_steps(self) -> None:
        """Read each page's state into the navigation (the Freeze page's only when it changes: see below)."""
        nav, train, compare = self.nav, self.train_view, self.compare_view
        nav.set_state("Data", *step_states.data_state(self.data_view))
        nav.set_state("Model", *step_states.model_state(self.model_view))
        nav.set_state("Train", *step_states.run_state(train.worker.is_running, train.worker.is_paused,
                                                      train.progress.value(), train.progress.maximum(),
                                                      self._train_result))
        nav.set_state("Runs", *step_states.runs_state(self.runs_view.model.rowCount()))
        nav.set_state("Compare", *step_states.compare_state(
            compare.worker.is_running, compare.progress.value(), compare.progress.maximum(), self._variant,
            self._compare_result, len(compare.checked_variants())))
        nav.set_state("Results", *step_states.results_state(self.results_view.run_dir()))
        nav.set_state("Try it", *step_states.try_state(self.try_view.predictor() is not None))

    @Slot(int)
    def _on_stack_current_changed(self, _index: int) -> None:
        """On Try it, Ctrl+Return predicts (the page's own shortcut), so it does not train there."""
        if hasattr(self, "train_action"):
            self.train_action.setEnabled(self.stack.currentWidget() is not self.try_view)

    @Slot()
    def _update_freeze_state(self) -> None:
        config = RunConfig()
        self.freeze_view.update_config(config)
        self.nav.set_state("Freeze", *step_states.freeze_state(self.freeze_view, config))

    @Slot(bool)
    def _on_train_running_changed(self, running: bool) -> None:
        if running:
            self._train_result = None
        self._update_steps()

    @Slot(bool)
    def _on_compare_running_changed(self, running: bool) -> None:
        if running:
            self._compare_result, self._variant = None, ""
        self._update_steps()

    @Slot(object)
    def _on_compare_event_received(self, event: object) -> None:
        if isinstance(event, VariantStarted):
            self._variant = f"{event.name} ({event.index + 1} of {event.total})"
        elif isinstance(event, ComparisonStarted):
            self._variant = ""

    @Slot(object)
    def _on_compare_result(self, result: object) -> None:
        self._compare_result = result
        self._update_steps()

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
        self._update_freeze_state()

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
        self._train_result = result
        if self._closing:
            self.close()
            return
        self.runs_view.refresh()
        if isinstance(result, RunFinished) and Path(result.model_dir).is_dir():
            settings.add_recent_run(result.run_dir)
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
    def _on_open_data_action_triggered(self) -> None:
        self.show_page("Data")
        self.data_view.ask_for_file()

    @Slot()
    def _on_train_action_triggered(self) -> None:
        """Ctrl+Return: to the Train page, and Start unless a run is going."""
        self.show_page("Train")
        if self.train_view.start_button.isEnabled():
            self.train_view.start_button.click()

    @Slot()
    def _on_shortcuts_action_triggered(self) -> None:
        rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in self.shortcuts())
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    @Slot()
    def _on_about_action_triggered(self) -> None:
        self.about_dialog = about.AboutDialog(self)
        self.about_dialog.open()

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
