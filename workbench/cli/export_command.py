"""`workbench export` and `workbench predict`: a run's model as a folder, and that model on a file."""

from __future__ import annotations

import sys

from workbench.cli.reporters import RowsReporter


def cmd_export(args) -> int:
    from workbench.core.export.folder import export_run

    report = export_run(args.run_dir, args.output, onnx=args.onnx or args.int8, int8=args.int8, force=args.force,
                        progress=lambda text: print(text, file=sys.stderr), adapter=args.adapter)
    print(f"Exported {report.dest}: {', '.join(report.files)}")
    if report.onnx is not None:
        print(report.onnx.summary())
    return 0


def cmd_predict(args) -> int:
    import signal

    from workbench.core.export.predict import Predictor
    from workbench.core.export.predict_files import predict_file

    backend = "int8" if args.int8 else "onnx" if args.onnx else "torch"
    reporter = RowsReporter()
    asked = []

    def stop(signum, frame):  # the first Ctrl-C ends after the rows in hand are written; a second one kills
        asked.append(signum)
        reporter.say("Stopping after the rows being predicted now (Ctrl-C again to quit at once, writing nothing).")
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    predictor = Predictor.load(args.model_dir, backend, args.precision)
    reporter.say(f"Predicting with {predictor.how}.")
    previous = signal.signal(signal.SIGINT, stop)
    try:
        done = predict_file(args.model_dir, args.input, args.output, args.text_column, args.pair_column, sheet=args.sheet,
                            say=reporter.say, progress=reporter.progress, stop=lambda: bool(asked),
                            predictor=predictor)
    finally:
        signal.signal(signal.SIGINT, previous)
        reporter.close()
    print(done.sentence())
    return 130 if done.stopped else 0


def register(sub) -> None:
    """Adds `export` and `predict` to the subcommands."""
    p = sub.add_parser("export", help="export a run's model as a Hugging Face folder (optionally ONNX)")
    p.add_argument("run_dir", help="the run folder")
    p.add_argument("-o", "--output", help="the export folder (default: RUN_DIR/export)")
    p.add_argument("--onnx", action="store_true", help="add model.onnx, checked against PyTorch on validation rows")
    p.add_argument("--int8", action="store_true", help="add a dynamically quantized int8 ONNX model (implies --onnx)")
    p.add_argument("--adapter", action="store_true", help="a LoRA run: add its adapter alone (adapter/), which "
                   "peft loads onto the base model; the exported model has the adapters merged in either way")
    p.add_argument("--force", action="store_true", help="replace the export folder if it exists")
    p.set_defaults(func=cmd_export, error_status=1)
    p = sub.add_parser("predict", help="add predicted labels and confidences to a CSV, JSON Lines, Parquet or "
                       "workbook file")
    p.add_argument("model_dir", help="a model folder: an export, or a run's model/")
    p.add_argument("input", help="the CSV, JSON Lines (.jsonl), Parquet or workbook (.xlsx, .xlsm, .xls, .ods) file "
                   "to read (never modified)")
    p.add_argument("-o", "--output", required=True, help="the file to write: .xlsx writes a workbook, .jsonl JSON "
                   "Lines, .parquet Parquet, any other name a CSV")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--onnx", action="store_true", help="predict with the export's model.onnx (onnxruntime)")
    engine.add_argument("--int8", action="store_true", help="predict with the export's model.int8.onnx (onnxruntime, "
                        "quantized: faster, labels may differ from PyTorch's on a few rows)")
    p.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="fp32",
                   help="the PyTorch model's precision: fp32 (default: the pipeline's answers), bf16 autocast (faster "
                   "on CPUs with AMX; labels may differ on a few rows), or auto: bf16 where it measures faster")
    p.add_argument("--sheet", help="the workbook sheet to read (default: the first)")
    p.add_argument("--text-column", help="the text's column (default: text; question-answering models: question)")
    p.add_argument("--pair-column", help="the second text's column, for sentence-pair models "
                   "(question-answering models: the context's, default context)")
    p.set_defaults(func=cmd_predict, error_status=1)
