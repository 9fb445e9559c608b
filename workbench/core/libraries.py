"""Import the heavy libraries once, from whichever thread gets there first, before any other uses them.

transformers resolves its names lazily on first access; two threads doing that first access at once can
see a half-initialised module ("module 'transformers' has no attribute 'PreTrainedTokenizerBase'"). The
GUI runs engine work on several threads, so each of them calls `load_engine_libraries()` first.
"""

from __future__ import annotations

import gc
import os
import threading

_lock = threading.Lock()
_loaded = False


def quiet_environment() -> None:
    """Keep the libraries' progress bars and info logs out of our terminal and log pane."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def load_engine_libraries() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        quiet_environment()
        import datasets
        import sklearn.metrics  # noqa: F401 - the built-in metrics': scipy and ~500 modules, loaded before the freeze
        import torch  # noqa: F401
        import transformers

        # touch the lazily resolved names that datasets' fingerprinting and the Trainer reach for
        transformers.PreTrainedTokenizerBase, transformers.Trainer, transformers.AutoModel  # noqa: B018
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        datasets.disable_progress_bars()
        # A full collection holds the GIL for ~250 ms with these loaded, and accelerate runs one at every
        # training start; moving what is loaded now to the permanent generation keeps collections short.
        gc.freeze()
        _loaded = True
