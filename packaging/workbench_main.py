"""The bundle's entry point: PyInstaller freezes this file as `dist/workbench/workbench`."""

import multiprocessing
import sys

from workbench.paths import use_user_cache

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen program re-runs itself for child processes
    use_user_cache()  # before transformers, datasets or huggingface_hub read their cache variables
    from workbench.cli import main

    sys.exit(main())
