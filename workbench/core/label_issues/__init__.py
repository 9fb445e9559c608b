"""Label issues: training rows whose given label is most likely wrong, ranked by cleanlab from
out-of-sample probabilities (quick: frozen embeddings and logistic regression; thorough: k-fold runs),
with near-duplicates that disagree, rows shared across splits, and the corrected copy of the data.

May import: `training`, `export` and everything below them in core; never `compare`, `distill`,
`explain` or `search`.
"""
