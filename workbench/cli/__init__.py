"""`workbench` on the command line: train a run config headless, compare variants of one, list runs,
export a run, predict a file (CSV, JSON Lines, Parquet, workbook); no arguments opens the GUI.

Each subcommand lives in a module of its own whose `register(sub)` adds its parser."""

from __future__ import annotations

import argparse
import sys

from workbench.cli import compare_command, export_command, runs_command, train_command
from workbench.core.errors import WorkbenchError

COMMANDS = (train_command, compare_command, runs_command, export_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Fine-tune BERT-family encoders.")
    parser.add_argument("--self-test", action="store_true", help="open the window offscreen, train a few steps on "
                        "the demo, export and reload the model, then exit (0: all works)")
    parser.add_argument("--start", action="store_true", help="open the window on its start page (your data, the "
                        "demos, recent runs and configs) instead of on the bundled demo")
    sub = parser.add_subparsers(dest="command")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from workbench.ui.self_test import run_self_test

        return run_self_test()
    if args.command is None:
        from workbench.ui.app import main as gui_main

        return gui_main(start_page=args.start)
    try:
        return args.func(args)
    except WorkbenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return getattr(args, "error_status", 2)  # train: 2 for a bad config (1 is a run that failed)


if __name__ == "__main__":
    sys.exit(main())
