"""Command line of fastloss: ``python -m fastloss <command> [options]``.

Commands
--------
bench
    Time the fused ``loss_gradient`` of every loss against its memory floor,
    the NumPy reference, scikit-learn and PyTorch and print a table (see
    :mod:`fastloss._bench`).  ``--mode linear`` times
    ``LinearModelLoss.loss_gradient`` against one streaming read of X
    (:mod:`fastloss._bench_linear`); ``--mode fits`` fits fastloss's and
    scikit-learn's estimators side by side (:mod:`fastloss._bench_fit`).
"""

import argparse
import json
import os
import sys

from fastloss import _bench_fit

_DESCRIPTION = """\
fastloss: fast, validated loss functions (a drop-in for scikit-learn's loss
objects). Run 'python -m fastloss COMMAND --help' for a command's options."""

_BENCH_DESCRIPTION = """\
Time the fused loss_gradient (validated, reduction="none") of every loss in
fastloss.LOSSES against its floor, the plain NumPy reference
(fastloss.reference) and, when they are importable, scikit-learn's loss
objects and PyTorch, on the same data: raw_prediction ~ N(0, 1) (multinomial:
10 classes, C-ordered (n, 10)) and y_true drawn from each loss's model (Poisson
counts, Gamma values, 0/1 labels, class labels, ...), with a fixed seed.

floor: a compiled kernel of fastloss that streams exactly the bytes of the
call (read y_true and raw_prediction, write the loss and gradient arrays) and
does no maths, in the same dtype and with the same threads. torch: the
explicit closed-form loss and gradient written with PyTorch CPU tensor ops
(no autograd) under torch.set_num_threads(threads).

fastloss, scikit-learn and PyTorch write into preallocated per-sample outputs
of the input dtype; the NumPy reference allocates its own (float64) outputs.
Each measurement is repeated --repeat times in interleaved rounds (fastloss
and its floor first, then the peers, whose large allocations slow whatever
runs after them), and the median is reported in nanoseconds per sample, with
the ratios fastloss / floor and fastloss / best peer (the fastest of numpy, sklearn,
torch). --reduction mean times loss_gradient(reduction="mean") against the
floor of reading two arrays and writing one and the NumPy reference's mean.
Progress is shown on stderr, the table on stdout.

The default run takes 25-60 s on a 2-core machine (the multinomial loss and
the NumPy reference dominate; --n 1e7 takes about ten times longer). Timings on a busy machine are
unreliable: compare runs made under the same conditions.

Other modes (--mode):
  linear  LinearModelLoss.loss_gradient (the fused one-pass linear-model
          objective: X @ w, loss, gradient and X.T @ g in one read of X) for
          the Poisson and binomial losses on C- and F-ordered X, and
          scikit-learn's LinearModelLoss, against the floor: one streaming
          read of X. X has --n rows, --n-features columns and --dtype.
          About 30 s at the defaults.
  fits    fastloss.linear_model's PoissonRegressor and binary and 10-class
          LogisticRegression against scikit-learn's, same solver (--solver)
          and tolerance (--tol), X dense float64, dense float32 and sparse CSR
          (--x), both libraries limited to --threads threads. Wall time
          (median of --repeat fits), iteration counts and the largest
          coefficient difference. Needs scikit-learn and scipy. At --n 1e6
          (the default) a full run takes about 4 minutes on 2 cores; try
          --n 1e5 first."""

_BENCH_EPILOG = """\
examples:
  python -m fastloss bench
  python -m fastloss bench --dtype float32 --threads 2
  python -m fastloss bench --losses poisson_loss,multinomial_loss --n 1e5
  python -m fastloss bench --no-sklearn --json results.json
  python -m fastloss bench --n 1e7 --plot bench.png
  python -m fastloss bench --reduction mean
  python -m fastloss bench --mode linear --dtype float32
  python -m fastloss bench --mode fits --n 1e5 --x dense-f64,sparse"""


# --mode fits: CLI names of fastloss._bench_fit's models and kinds of X
# (_bench_fit imports scikit-learn and scipy only when it fits).
_FIT_MODELS = {
    "poisson": "PoissonRegressor",
    "binary": "LogisticRegression binary",
    "multinomial": "LogisticRegression 10 classes",
}
_FIT_X = {kind.replace(" ", "-"): kind for kind in _bench_fit.X_KINDS}

# Options that only some modes read: option -> (dest, modes).  An option is
# "given" when its value differs from the parser's default.
_MODE_ONLY = {
    "--losses": ("losses", ("losses",)),
    "--plot": ("plot", ("losses",)),
    "--reduction": ("reduction", ("losses",)),
    "--no-torch": ("no_torch", ("losses",)),
    "--no-sklearn": ("no_sklearn", ("losses",)),
    "--dtype": ("dtype", ("losses", "linear")),
    "--n-features": ("n_features", ("linear", "fits")),
    "--models": ("models", ("fits",)),
    "--x": ("x", ("fits",)),
    "--solver": ("solver", ("fits",)),
    "--tol": ("tol", ("fits",)),
}


def _positive_int(text):
    """Parse '1000', '1_000_000' or '1e6' as a positive int."""
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not number.is_integer():
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _threads(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or -1 (all CPUs), got {value}"
        )
    return value


def build_parser():
    """Build the argument parser of ``python -m fastloss``.

    Returns
    -------
    parser : argparse.ArgumentParser
        The top-level parser, with one sub-parser per command.
    """
    parser = argparse.ArgumentParser(
        prog="python -m fastloss",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    bench = commands.add_parser(
        "bench",
        help="time loss_gradient of every loss against its floor, NumPy, "
        "scikit-learn and PyTorch",
        description=_BENCH_DESCRIPTION,
        epilog=_BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "--mode",
        choices=("losses", "linear", "fits"),
        default="losses",
        help="'losses': every loss's loss_gradient (default); 'linear': "
        "LinearModelLoss.loss_gradient against one read of X; 'fits': whole "
        "estimator fits against scikit-learn's (see below)",
    )
    bench.add_argument(
        "--n",
        type=_positive_int,
        default=1_000_000,
        metavar="N",
        help="number of samples; accepts 1_000_000 or 1e6 (default: 1_000_000)",
    )
    bench.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="dtype of y_true, raw_prediction and the outputs (default: float64)",
    )
    bench.add_argument(
        "--threads",
        type=_threads,
        default=1,
        metavar="T",
        help="n_threads passed to fastloss, the floor kernel, scikit-learn and "
        "torch.set_num_threads; -1 uses all CPUs (default: 1). The NumPy "
        "reference is single-threaded.",
    )
    bench.add_argument(
        "--repeat",
        type=_positive_int,
        default=None,
        metavar="R",
        help="interleaved rounds per case; the median is reported (default: 5, "
        "--mode fits: 3)",
    )
    bench.add_argument(
        "--n-features",
        type=_positive_int,
        default=50,
        metavar="D",
        help="columns of X, --mode linear and fits (default: 50)",
    )
    bench.add_argument(
        "--models",
        default=None,
        metavar="NAMES",
        help="--mode fits: comma-separated models among "
        f"{','.join(_FIT_MODELS)} (default: all)",
    )
    bench.add_argument(
        "--x",
        default=None,
        metavar="KINDS",
        help="--mode fits: comma-separated kinds of X among "
        f"{','.join(_FIT_X)} (default: all)",
    )
    bench.add_argument(
        "--solver",
        default=None,
        help="--mode fits: solver of both libraries (default: lbfgs)",
    )
    bench.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="--mode fits: tolerance of both libraries (default: 1e-4)",
    )
    bench.add_argument(
        "--losses",
        default=None,
        metavar="NAMES",
        help="comma-separated loss names to run, e.g. "
        "'poisson_loss,binomial_loss' (default: all of fastloss.LOSSES)",
    )
    bench.add_argument(
        "--json",
        default=None,
        metavar="FILE",
        help="also write the full results (settings, machine, every round) as "
        "JSON to FILE",
    )
    bench.add_argument(
        "--plot",
        default=None,
        metavar="FILE.png",
        help="also draw a grouped bar chart of ns/sample by loss and library, "
        "the floor as a line, to FILE.png (needs matplotlib)",
    )
    bench.add_argument(
        "--reduction",
        choices=("none", "mean"),
        default="none",
        help="'none': per-sample outputs against every library (default); "
        "'mean': loss_gradient(reduction=\"mean\") against its floor (read two "
        "arrays, write one) and the NumPy reference's mean",
    )
    bench.add_argument(
        "--no-torch",
        action="store_true",
        help="do not time PyTorch even when it is importable",
    )
    bench.add_argument(
        "--no-sklearn",
        action="store_true",
        help="do not time scikit-learn even when it is importable",
    )
    bench.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the generated data (default: 0)",
    )
    bench.add_argument(
        "--no-progress",
        action="store_true",
        help="do not show the progress line on stderr",
    )
    bench.set_defaults(func=_run_bench, command_parser=bench)
    return parser


def _names(parser, option, text, known):
    """Parse a comma-separated list of names among ``known`` (a dict)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        parser.error(
            f"{option}: unknown name(s) {unknown or [text]}; valid names are: "
            f"{', '.join(known)}"
        )
    return [known[name] for name in names]


def _report(args, mode, repeat, threads, title, table, rows):
    """Print a --mode linear / fits table; write the JSON file if asked."""
    print(title)
    print(table)
    if args.json is not None:
        meta = _meta(args, mode, repeat, threads)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=2)
            f.write("\n")
        print(f"\nresults written to {args.json}")
    return 0


def _meta(args, mode, repeat, threads):
    """Settings, machine and versions of a --mode linear / fits run."""
    import platform
    from datetime import datetime, timezone

    import numpy as np

    from fastloss import _bench

    meta = {
        "mode": mode,
        "n_samples": args.n,
        "n_features": args.n_features,
        "n_threads": threads,
        "repeat": repeat,
        "statistic": "median",
        "seed": args.seed,
        "cpu_count": os.cpu_count(),
        "cpu_available": _bench._cpu_available(),
        "load_average": _bench._load_average(),
        "platform": platform.platform(),
        "processor": _bench._processor_name(),
        "python": platform.python_version(),
        "versions": {
            "fastloss": _bench._version("fastloss"),
            "numpy": np.__version__,
            "sklearn": _bench._version("scikit-learn"),
            "scipy": _bench._version("scipy"),
        },
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if mode == "linear":
        meta["dtype"] = args.dtype
        meta["unit"] = "ns/sample"
    return meta


def _run_bench_linear(args, parser):
    from fastloss import _bench, _bench_linear

    repeat = _bench.DEFAULT_REPEAT if args.repeat is None else args.repeat
    threads = _bench._resolve_threads(args.threads)
    if not args.no_progress:
        print(
            f"timing LinearModelLoss.loss_gradient, X ({args.n}, "
            f"{args.n_features}) {args.dtype}, {repeat} rounds ...",
            file=sys.stderr,
            flush=True,
        )
    rows = _bench_linear.bench_linear_loss(
        n=args.n,
        n_features=args.n_features,
        dtype=args.dtype,
        repeat=repeat,
        n_threads=threads,
        seed=args.seed,
    )
    title = (
        f"LinearModelLoss.loss_gradient, X ({args.n}, {args.n_features}) "
        f"{args.dtype}, n_threads={threads}, median of {repeat}; "
        "ratio = time / floor (one streaming read of X)"
    )
    return _report(
        args, "linear", repeat, threads, title, _bench_linear.format_rows(rows), rows
    )


def _run_bench_fits(args, parser):
    models = list(_FIT_MODELS.values())
    if args.models is not None:
        models = _names(parser, "--models", args.models, _FIT_MODELS)
    kinds = list(_FIT_X.values())
    if args.x is not None:
        kinds = _names(parser, "--x", args.x, _FIT_X)
    if not args.tol > 0:
        parser.error(f"--tol must be > 0, got {args.tol}")
    try:
        import scipy.sparse  # noqa: F401
        import sklearn.linear_model  # noqa: F401
    except ImportError as exc:
        parser.error(
            f"--mode fits needs scikit-learn and scipy, which cannot be imported "
            f"({exc}): pip install 'fastloss[sklearn]'"
        )
    from fastloss import _bench

    repeat = _bench_fit.DEFAULT_REPEAT if args.repeat is None else args.repeat
    threads = _bench._resolve_threads(args.threads)
    progress = None
    if not args.no_progress:
        def progress(line):
            print(line, file=sys.stderr, flush=True)

    rows = _bench_fit.bench_fits(
        n=args.n,
        n_features=args.n_features,
        repeat=repeat,
        estimators=models,
        kinds=kinds,
        solver=args.solver,
        tol=args.tol,
        n_threads=threads,
        seed=args.seed,
        progress=progress,
    )
    title = (
        f"fits, X ({args.n}, {args.n_features}), tol={args.tol}, "
        f"threads={threads}, median wall time of {repeat}; ratio = fastloss / "
        "scikit-learn"
    )
    return _report(
        args, "fits", repeat, threads, title, _bench_fit.format_fit_table(rows), rows
    )


def _run_bench(args, parser):
    # An option that the chosen mode does not read is a usage error, not
    # silently ignored.
    for option, (dest, modes) in _MODE_ONLY.items():
        if args.mode not in modes and getattr(args, dest) != parser.get_default(dest):
            parser.error(f"{option} does not apply to --mode {args.mode}")
    if args.mode == "linear":
        return _run_bench_linear(args, parser)
    if args.mode == "fits":
        return _run_bench_fits(args, parser)

    import fastloss
    from fastloss import _bench

    losses = None
    if args.losses is not None:
        losses = [name.strip() for name in args.losses.split(",") if name.strip()]
        unknown = [name for name in losses if name not in fastloss.LOSSES]
        if not losses or unknown:
            parser.error(
                f"--losses: unknown loss name(s) {unknown or [args.losses]}; "
                f"valid names are: {', '.join(fastloss.LOSSES)}"
            )
    if args.plot is not None:
        # Checked before the run, not after a minute of timing.
        try:
            import matplotlib.figure  # noqa: F401
        except ImportError as exc:
            parser.error(
                f"--plot needs matplotlib, which cannot be imported ({exc}): "
                "pip install matplotlib (or: pip install 'fastloss[plot]')"
            )
    result = _bench.bench(
        n=args.n,
        dtype=args.dtype,
        n_threads=args.threads,
        repeat=_bench.DEFAULT_REPEAT if args.repeat is None else args.repeat,
        losses=losses,
        sklearn=not args.no_sklearn,
        seed=args.seed,
        progress=not args.no_progress,
        torch=not args.no_torch,
        reduction=args.reduction,
    )
    print(_bench.format_table(result))
    written = []
    if args.json is not None:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        written.append(f"results written to {args.json}")
    if args.plot is not None:
        _bench.plot(result, args.plot)
        written.append(f"chart written to {args.plot}")
    if written:
        print("\n" + "\n".join(written))
    failed = [row["loss"] for row in result["results"] if row["status"] != "ok"]
    if failed:
        print(f"error: fastloss failed on {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        Exit status: 0 on success, 1 if a loss failed, 2 on a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args, args.command_parser)
    except BrokenPipeError:
        # stdout closed early (e.g. piped into `head`): exit quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
