"""Distillation: a student with fewer encoder layers, initialised from its teacher's, trained against
the teacher's softened outputs as an ordinary run.

May import: `training`, `export` and everything below them in core; never `compare`, `explain`,
`label_issues` or `search`.
"""
