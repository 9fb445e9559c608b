"""`workbench runs` and `workbench backbones`: what is there to look at or start from."""

from __future__ import annotations

from workbench.paths import default_runs_root


def cmd_runs(args) -> int:
    from workbench.core.runs import list_runs

    root = args.runs_root or default_runs_root()
    runs = list_runs(root)
    if not runs:
        print(f"No runs under {root}.")
        return 0
    print(f"{'run':<48} {'status':<11} {'task':<12} {'best (validation)':<20}  created")
    for run in runs:
        best = "-" if run.best_metric is None else f"{run.best_metric:.4f} {run.metric_name}"
        print(f"{run.path.name:<48} {run.status:<11} {run.task:<12} {best:<20}  {run.created}")
        for warning in run.warnings:
            print(f"  Warning: {warning}")
    return 0


def cmd_backbones(args) -> int:
    from workbench.core.model.catalogue import CATALOGUE

    print(f"{'backbone.name':<34} {'parameters':>10}  {'languages':<21} good at")
    for entry in CATALOGUE:
        print(f"{entry.name:<34} {entry.parameters:>9g}M  {entry.languages:<21} {entry.good_at}")
    print("Any other Hub model id or local model folder works too; Hub ids download on first use.")
    return 0


def register(sub) -> None:
    """Adds `runs` and `backbones` to the subcommands."""
    p = sub.add_parser("runs", help="list runs with their status and best metric")
    p.add_argument("--runs-root", help=f"folder that holds the runs (default: {default_runs_root()})")
    p.set_defaults(func=cmd_runs)
    p = sub.add_parser("backbones", help="list the curated backbones to start from (set one as backbone.name)")
    p.set_defaults(func=cmd_backbones)
