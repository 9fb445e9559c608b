"""Evaluation: the Trainer's metric hooks (the task's scores and further `evaluate` modules), the
results files a finished run writes and the results page reads, and the check that a run learned
more than a constant answer would.

May import: `data`, `model`, `tasks` and the top of core.
"""
