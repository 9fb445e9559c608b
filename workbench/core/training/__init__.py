"""Training: `run.train(config)`, the run in stages (data, model, Trainer, results), on transformers'
Trainer with the workbench's corrections (`trainer`) and callbacks that turn its steps into events;
the epoch and rate plan (`schedule`), stopping (`control`), running out of memory (`memory`), losses,
layer-wise rates, gradual unfreezing and torchrun (`distributed`). The CPU levers live in `speed`.

May import: `evaluation`, `data`, `model`, `tasks` and the top of core; never `export` or `compare`.
"""
