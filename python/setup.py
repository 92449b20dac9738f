# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""The C extension bnn._bnn (metadata: pyproject.toml).

libbnn is found, in this order, through
  BNN_INCLUDE_DIRS / BNN_LIBRARY_DIRS (os.pathsep-separated; `make python`
  sets them to the tree's build), else
  pkg-config --cflags --libs libbnn (an installed libbnn, `make install`).
The extension links libbnn.so (SONAME libbnn.so.0) dynamically.
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


inc, lib = _libbnn()
setup(ext_modules=[Extension(
    "bnn._bnn",
    sources=["src/bnn/_bnn.c"],
    include_dirs=[numpy.get_include()] + inc,
    library_dirs=lib,
    libraries=["bnn"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-std=gnu11", "-Wall", "-Wextra"],
)])
