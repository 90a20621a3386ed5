"""Command line of fastloss: ``python -m fastloss <command> [options]``.

Commands
--------
bench
    Time the fused ``loss_gradient`` of every loss against its memory floor,
    the NumPy reference, scikit-learn and PyTorch and print a table (see
    :mod:`fastloss._bench`).
"""

import argparse
import json
import os
import sys

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
Each measurement is repeated --repeat times, all columns interleaved within a
round, and the median is reported in nanoseconds per sample, with the ratios
fastloss / floor and fastloss / best peer (the fastest of numpy, sklearn,
torch). --reduction mean times loss_gradient(reduction="mean") against the
floor of reading two arrays and writing one and the NumPy reference's mean.
Progress is shown on stderr, the table on stdout.

The default run takes 25-60 s on a 2-core machine (the multinomial loss and
the NumPy reference dominate; --n 1e7 takes about ten times longer). Timings on a busy machine are
unreliable: compare runs made under the same conditions."""

_BENCH_EPILOG = """\
examples:
  python -m fastloss bench
  python -m fastloss bench --dtype float32 --threads 2
  python -m fastloss bench --losses poisson_loss,multinomial_loss --n 1e5
  python -m fastloss bench --no-sklearn --json results.json
  python -m fastloss bench --n 1e7 --plot bench.png
  python -m fastloss bench --reduction mean"""


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
        default=5,
        metavar="R",
        help="interleaved rounds per loss; the median is reported (default: 5)",
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


def _run_bench(args, parser):
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
        repeat=args.repeat,
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
