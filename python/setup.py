# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""The C extension bnn._bnn (metadata: pyproject.toml).

libbnn is found, in this order, through
  BNN_INCLUDE_DIRS / BNN_LIBRARY_DIRS (os.pathsep-separated; `make python`
  sets them to the tree's build), else
  pkg-config --cflags --libs libbnn (an installed libbnn, `make install`).
The extensions link libbnn.so (SONAME libbnn.so.0) dynamically; bnn._ec57
also compiles bnn-run's metrics.c and ec57.c (BNN_METRICS_DIR, else
../tools/bnn-run), so Python's statistics are bnn-run's.
"""
import os
import shlex
import subprocess

import numpy
from setuptools import Extension, setup


def _pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "libbnn"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("bnn: libbnn not found: install it (make install in the RBNN tree) "
                         "or set BNN_INCLUDE_DIRS and BNN_LIBRARY_DIRS (%s)" % e)
    return shlex.split(out)


def _libbnn():
    inc = os.environ.get("BNN_INCLUDE_DIRS")
    lib = os.environ.get("BNN_LIBRARY_DIRS")
    if inc and lib:
        return inc.split(os.pathsep), lib.split(os.pathsep)
    cflags = _pkg_config("--cflags")
    libs = _pkg_config("--libs")
    return ([f[2:] for f in cflags if f.startswith("-I")],
            [f[2:] for f in libs if f.startswith("-L")])


def _metrics_dir():
    """bnn-run's statistics (metrics.c, ec57.c) for bnn._ec57: one
    implementation for bnn-run and Python.  BNN_METRICS_DIR, else the
    checkout's tools/bnn-run beside python/."""
    d = os.environ.get("BNN_METRICS_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tools", "bnn-run")
    if not all(os.path.exists(os.path.join(d, f)) for f in ("metrics.c", "ec57.c", "ec57.h")):
        raise SystemExit("bnn: bnn-run's metrics.c and ec57.c not found in %s: build from the "
                         "RBNN checkout or set BNN_METRICS_DIR to its tools/bnn-run" % d)
    return os.path.abspath(d)


inc, lib = _libbnn()
mdir = _metrics_dir()
setup(ext_modules=[Extension(
    "bnn._bnn",
    sources=["src/bnn/_bnn.c"],
    include_dirs=[numpy.get_include()] + inc,
    library_dirs=lib,
    libraries=["bnn"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-std=gnu11", "-Wall", "-Wextra"],
), Extension(
    "bnn._ec57",
    sources=["src/bnn/_ec57.c", os.path.join(mdir, "metrics.c"), os.path.join(mdir, "ec57.c")],
    include_dirs=[mdir] + inc,
    library_dirs=lib,
    libraries=["bnn", "m"],
    extra_compile_args=["-std=gnu11", "-Wall", "-Wextra"],
)])
