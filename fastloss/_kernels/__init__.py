"""Compiled kernels, and the choice of their instruction-set variant.

The loss kernels are compiled once per instruction set (see setup.py): the
portable ``_loss`` module, and on x86-64 also ``_loss_avx2`` and
``_loss_avx512``.  At import, ``kernels`` is the best variant that this CPU can
run.  The environment variable ``FASTLOSS_KERNELS`` (``baseline``, ``avx2``,
``avx512``) forces one, e.g. to compare them; asking for one the CPU cannot run
raises ``ImportError`` instead of crashing on an illegal instruction.
"""

import importlib
import os

from fastloss._kernels import _loss as _baseline

VARIANTS = ("avx512", "avx2", "baseline")


def _module(isa):
    if isa == "baseline":
        return _baseline
    return importlib.import_module(f"fastloss._kernels._loss_{isa}")


def available_variants():
    """The variants that are built *and* supported by this CPU, best first."""
    found = []
    for isa in VARIANTS:
        if not _baseline.cpu_supports(isa):
            continue
        try:
            _module(isa)
        except ImportError:
            continue
        found.append(isa)
    return found


def load(isa=None):
    """Return the kernel module for ``isa`` (default: the best available)."""
    if isa is None:
        return _module(available_variants()[0])
    if isa not in VARIANTS:
        raise ValueError(f"unknown kernel variant {isa!r}; choose from {VARIANTS}")
    if not _baseline.cpu_supports(isa):
        raise ImportError(f"this CPU cannot run the {isa!r} kernels")
    return _module(isa)


kernels = load(os.environ.get("FASTLOSS_KERNELS") or None)
