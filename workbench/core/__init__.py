"""The headless engine: no Qt here (an import-linter contract keeps it so).

At the top, what every package may import: `config` (the run-config dataclass tree, the only thing
the UI hands the engine), `events` (the typed events, the only thing it hands back), `runs` (run
folders), `errors`, `hub`, `filetypes` and `libraries`. Below them, one package per concern, each
importing only those before it: `tasks` < `model` < `data` < `evaluation` < `training` | `export` <
`compare` (the layers contract in pyproject.toml; ARCHITECTURE.md draws it).
"""
