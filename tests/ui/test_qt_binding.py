"""The installed Qt binding must keep reference counts straight over long sessions.

PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a void Qt method;
a training run makes enough such calls to abort the app with "none_dealloc" within minutes.
pyproject.toml excludes that release; this test catches a binding with the same fault.
"""

import subprocess
import sys

PROBE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar
app = QApplication([])
label, bar = QLabel(), QProgressBar()
def calls(n):
    for i in range(n):
        label.setText("step"); bar.setValue(i % 100); label.update(); bar.setEnabled(True)
calls(10)
before = sys.getrefcount(None), sys.getrefcount(True)
calls(20000)
after = sys.getrefcount(None), sys.getrefcount(True)
print(after[0] - before[0], after[1] - before[1])
"""


def test_void_qt_calls_leave_the_refcounts_of_none_and_true_alone():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    none_delta, true_delta = map(int, done.stdout.split())
    assert abs(none_delta) < 100 and abs(true_delta) < 100
