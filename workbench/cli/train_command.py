"""`workbench train`: one run config, headless (also under torchrun)."""

from __future__ import annotations

from workbench.cli.reporters import TerminalReporter, summary_table
from workbench.core.errors import WorkbenchError
from workbench.core.events import RunFailed


def cmd_train(args) -> int:
    import signal

    from workbench.core.config import load_config
    from workbench.core.training.control import RunControl
    from workbench.core.training.distributed import is_main_process
    from workbench.core.training.run import train
    from workbench.demo import demo_config

    if args.resume:
        config = None
    elif args.demo:
        config = demo_config(args.demo_task, runs_root=args.runs_root)
    elif args.config:
        config = load_config(args.config)
    else:
        raise WorkbenchError("Name a run config (workbench train CONFIG.json), or use --demo or --resume RUN_DIR.")
    if config is not None and args.runs_root:
        config.output.runs_root = args.runs_root

    control = RunControl()

    def stop(signum, frame):  # first Ctrl-C stops cleanly with a checkpoint; a second one kills
        control.request_stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    result = train(config, TerminalReporter(), control, resume_dir=args.resume)
    while args.retry_half_batch and isinstance(result, RunFailed) and result.out_of_memory and not control.stop_requested:
        from workbench.core.training.memory import prepare_retry

        config, resume = prepare_retry(result.run_dir, config)
        t = config.training
        how = f"resuming {resume} from its last checkpoint" if resume else "as a new run"
        print(f"Retrying at batch size {t.batch_size} with {t.gradient_accumulation_steps} accumulation steps "
              f"(the same effective batch), {how}.", flush=True)
        result = train(config, TerminalReporter(), control, resume_dir=resume)
    if isinstance(result, RunFailed):
        return 1
    if is_main_process():  # under torchrun, rank 0 alone reports
        print(summary_table(result))
        for warning in result.warnings:
            print(f"Warning: {warning}")
    return 0


def register(sub) -> None:
    """Adds `train` to the subcommands."""
    p = sub.add_parser("train", help="train a run config headless (also under torchrun)")
    p.add_argument("config", nargs="?", help="a run config JSON file, as the GUI saves it")
    p.add_argument("--demo", action="store_true", help="train the bundled backbone on the bundled demo data")
    p.add_argument("--demo-task", choices=["single_label", "token", "qa"], default="single_label")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--runs-root", help="folder that holds the runs (overrides output.runs_root)")
    p.add_argument("--retry-half-batch", action="store_true", help="when the run runs out of memory, retry it at "
                   "half the batch size with twice the gradient accumulation (the same effective batch), from its "
                   "last checkpoint, until it fits or the batch is 1")
    p.set_defaults(func=cmd_train)
