"""`workbench compare`: variants of a run config one after another, tabulated."""

from __future__ import annotations

import sys

from workbench.cli.reporters import ComparisonReporter
from workbench.core.errors import WorkbenchError


def cmd_compare(args) -> int:
    import signal
    from pathlib import Path

    from workbench.core.compare.comparison import load_comparison, new_comparison, run_comparison
    from workbench.core.compare.variants import parse_variant
    from workbench.core.config import load_config
    from workbench.core.training.control import RunControl

    if args.resume:
        if args.config or args.variant:
            raise WorkbenchError("--resume continues a comparison as it was set up; give it no run config or --variant.")
        folder = Path(args.resume)
        load_comparison(folder)  # refused now, not after the first lines
    elif args.config:
        base = load_config(args.config)
        if args.runs_root:
            base.output.runs_root = args.runs_root
        folder = new_comparison(base, [parse_variant(text) for text in args.variant or []], args.name)
    else:
        raise WorkbenchError("Name a run config (workbench compare CONFIG.json --variant ...), or use --resume DIR.")
    print(f"Comparison folder {folder}", file=sys.stderr)

    control = RunControl()

    def stop(signum, frame):  # as in cmd_train: the running variant stops with a checkpoint
        control.request_stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    result = run_comparison(folder, ComparisonReporter(), control)
    try:
        from workbench.ui.views.comparison_plot import save_comparison_plot

        save_comparison_plot(folder)
    except (ImportError, OSError) as exc:
        print(f"Warning: the curves could not be drawn ({exc}); table.csv and table.md are written.", file=sys.stderr)
    print(result.markdown)
    if result.unfinished:
        print(f"Not finished: {', '.join(result.unfinished)}. Continue with: workbench compare --resume {folder}")
    return 1 if any(row[1] == "failed" for row in result.rows) else 0


def register(sub) -> None:
    """Adds `compare` to the subcommands."""
    from workbench.core.compare.variants import PRESETS

    p = sub.add_parser("compare", help="train variants of a run config one after another and tabulate them",
                       description="Presets: " + ", ".join(f"{name} ({', '.join(f'{k}={v}' for k, v in changes.items())})"
                                                           for name, changes in PRESETS.items()) + ".")
    p.add_argument("config", nargs="?", help="the base run config JSON file")
    p.add_argument("--variant", action="append", metavar="NAME[:section.field=value,...]",
                   help="a variant: a preset's name, or a name and the settings it changes (repeat for each)")
    p.add_argument("--name", default="comparison", help="the comparison's name; its runs are named NAME-VARIANT")
    p.add_argument("--resume", metavar="DIR", help="run a comparison folder's variants that are not finished")
    p.add_argument("--runs-root", help="folder that holds the runs (overrides output.runs_root)")
    p.set_defaults(func=cmd_compare)
