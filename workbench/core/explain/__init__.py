"""Why the model said what it said: captum's integrated gradients over the word embeddings, per word,
for a label, an entity or an answer's start and end.

May import: `training`, `export` and everything below them in core; never `compare`, `distill`,
`label_issues` or `search`.
"""
