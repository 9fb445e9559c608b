"""The model: backbones (bundled, local folders, Hub ids; `catalogue` lists a curated few), the task's
head on them (`AutoModelFor*`, so exports load in plain transformers), the layer tree and its freeze
masks, LoRA adapters, and the device and precision a model runs on (measured, not flagged).

May import: `tasks` and the top of core.
"""
