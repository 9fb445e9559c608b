"""Search: an Optuna study over a run config's settings within a wall-clock budget, every trial an
ordinary run, the study kept in SQLite beside the comparison so it resumes and can run on several
processes.

May import: everything below it in core.
"""
