"""Build script for fastloss's compiled kernels.

Everything declarative lives in ``pyproject.toml``; this file only does what
needs code:

1. expand the Tempita templates (``*.pyx.tp``, ``*.pxd.tp``) into Cython sources,
2. probe whether the C compiler can build *and run* an OpenMP program, and build
   serially (with a warning) when it cannot,
3. cythonize every ``.pyx`` under ``fastloss/`` with the kernel directives.

Environment switches (read at build time)
-----------------------------------------
FASTLOSS_DEBUG=1
    Build with Cython's safety checks back on (``boundscheck``,
    ``wraparound``, ``initializedcheck``), without optimisation and with
    debug symbols.  Use it when a kernel misbehaves: an out-of-bounds access
    then raises ``IndexError`` instead of corrupting memory.
FASTLOSS_NO_OPENMP=1
    Skip the OpenMP probe and build serial kernels.
FASTLOSS_NO_ISA_VARIANTS=1
    Build only the portable (baseline) loss kernels, not the AVX2 and
    AVX-512 variants (x86-64 with GCC or Clang only).
FASTLOSS_BUILD_ONLY=mod1,mod2
    Build only these extension modules (dotted names), e.g.
    ``fastloss.linear_model._linear_loss``; for quick rebuilds while
    developing one module.
"""

import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path

import numpy as np
from Cython import Tempita
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "fastloss"
DEBUG = os.environ.get("FASTLOSS_DEBUG", "0") not in ("", "0")


def kernel_table():
    """The shared kernel table (fastloss/_kernels/_kernel_table.py), loaded by
    path: the package itself cannot be imported before it is built."""
    namespace = {}
    path = PACKAGE / "_kernels" / "_kernel_table.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return {k: namespace[k] for k in ("KERNELS", "KERNEL_IDS", "MULTINOMIAL_ID")}


def expand_templates():
    """Write ``X.pyx`` / ``X.pxd`` next to every ``X.pyx.tp`` / ``X.pxd.tp``.

    Every template sees the names of ``kernel_table()``.
    """
    table = kernel_table()
    for template in sorted(PACKAGE.rglob("*.tp")):
        target = template.with_suffix("")  # strip ".tp"
        text = Tempita.sub(template.read_text(), **table)
        header = f"# Generated from {template.name} by setup.py. Do not edit.\n"
        text = header + text
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


# Instruction-set variants of the loss kernels (x86-64, GCC/Clang).  The same
# Cython source is compiled once per entry; fastloss/_kernels/__init__.py picks
# the best one the CPU supports at import time (runtime dispatch).  The baseline
# module (_loss) is portable and is what non-x86 machines use.
ISA_VARIANTS = {
    # x86-64-v3 (Haswell, Zen 1 and later)
    "avx2": ["-mavx2", "-mfma", "-mbmi", "-mbmi2", "-mf16c"],
    # x86-64-v4 (Skylake-X, Ice Lake, Zen 4 and later); 512-bit vectors
    "avx512": [
        "-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mavx2", "-mfma",
        "-mbmi", "-mbmi2", "-mf16c", "-mprefer-vector-width=512",
    ],
}


def isa_variants_enabled():
    if os.environ.get("FASTLOSS_NO_ISA_VARIANTS", "0") not in ("", "0"):
        return False
    if sys.platform == "win32" or platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return True


# The modules whose hot loops use the vectorisable maths of simd_math.h, and so
# are compiled once per instruction set.
ISA_MODULES = [
    PACKAGE / "_kernels" / "_loss.pyx",
    PACKAGE / "linear_model" / "_linear_kernels.pyx",
]


def write_isa_copies():
    """X.pyx -> X_<isa>.pyx for each ISA module (a module's name is its file's name)."""
    for src in ISA_MODULES:
        if not src.exists():
            continue
        text = src.read_text()
        for isa in ISA_VARIANTS:
            dst = src.with_name(f"{src.stem}_{isa}.pyx")
            if not dst.exists() or dst.read_text() != text:
                dst.write_text(text)


def isa_of(pyx):
    """The instruction set a .pyx is compiled for ("baseline" for all others)."""
    for src in ISA_MODULES:
        for isa in ISA_VARIANTS:
            if pyx == src.with_name(f"{src.stem}_{isa}.pyx"):
                return isa
    return "baseline"


class ParallelBuildExt(build_ext):
    """build_ext compiling the extensions in parallel (they are independent)."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = int(os.environ.get("FASTLOSS_BUILD_JOBS", os.cpu_count() or 1))


def openmp_flags():
    """Return (compile_args, link_args) for OpenMP, or ([], []) if unusable.

    The probe compiles, links and *runs* a tiny program, because some
    toolchains (Apple clang without libomp, for one) accept ``-fopenmp`` at
    compile time and then fail to link or load the runtime.
    """
    if os.environ.get("FASTLOSS_NO_OPENMP", "0") not in ("", "0"):
        warnings.warn("FASTLOSS_NO_OPENMP is set: building serial kernels.")
        return [], []
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    if sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    elif sys.platform == "win32":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    source = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n > 0 && omp_get_max_threads() > 0);
    return 0;
}
"""
    tmp = tempfile.mkdtemp(prefix="fastloss-omp-probe-")
    try:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(source)
        for compile_args, link_args in candidates:
            try:
                subprocess.run(
                    cc + compile_args + [src, "-o", exe] + link_args,
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
                out = subprocess.run(
                    [exe], check=True, capture_output=True, timeout=60, text=True
                )
                if out.stdout.strip() == "1":
                    return compile_args, link_args
            except (OSError, subprocess.SubprocessError):
                continue
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warnings.warn(
        "fastloss: the C compiler cannot build and run an OpenMP program; "
        "building SERIAL kernels (n_threads will have no effect). Install an "
        "OpenMP runtime (e.g. libgomp or libomp) and reinstall for threads."
    )
    return [], []


def extensions():
    expand_templates()
    variants = isa_variants_enabled()
    if variants:
        write_isa_copies()
    omp_compile, omp_link = openmp_flags()
    if sys.platform == "win32":
        base = ["/O2"]
    else:
        base = [
            "-O0" if DEBUG else "-O3",
            # libm functions never set errno for us: lets the compiler drop an
            # unused exp/log (e.g. the loss part when only the gradient is
            # stored) and vectorise more loops.
            "-fno-math-errno",
            # No FMA contraction: the same per-sample formula must give the same
            # bits in every loop it is inlined into (loss vs loss_gradient).
            "-ffp-contract=off",
            # Selects (a ? b : c) vectorise only without trapping math on GCC;
            # we never inspect floating-point exception flags.
            "-fno-trapping-math",
        ]
        if DEBUG:
            base.append("-g")
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")]
    only = [m for m in os.environ.get("FASTLOSS_BUILD_ONLY", "").split(",") if m]
    exts = []
    for pyx in sorted(PACKAGE.rglob("*.pyx")):
        rel = pyx.relative_to(HERE).with_suffix("")
        name = ".".join(rel.parts)
        if only and name not in only:
            continue
        isa = isa_of(pyx)
        if isa != "baseline" and not variants:
            continue
        exts.append(
            Extension(
                name,
                [str(pyx.relative_to(HERE))],
                include_dirs=[np.get_include(), str(pyx.parent), str(PACKAGE / "_kernels")],
                define_macros=macros + [("FASTLOSS_ISA", f'"{isa}"')],
                extra_compile_args=base + ISA_VARIANTS.get(isa, []) + omp_compile,
                extra_link_args=omp_link,
            )
        )
    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": DEBUG,
        "initializedcheck": DEBUG,
        "cdivision": not DEBUG,
        "nonecheck": DEBUG,
        "embedsignature": True,
        "cpow": True,
    }
    return cythonize(
        exts,
        compiler_directives=directives,
        compile_time_env={"FASTLOSS_DEBUG": DEBUG},
        nthreads=int(os.environ.get("FASTLOSS_BUILD_JOBS", os.cpu_count() or 1)),
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": ParallelBuildExt})
