# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""pytest setup for the bnn package's tests: one TAP line per test into
$BNN_TAP (tests/python/run.sh prints them for tests/run-tap.sh)."""
import os

import pytest

_n = [0]


def pytest_runtest_logreport(report):
    path = os.environ.get("BNN_TAP")
    if not path:
        return
    line = None
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _n[0] += 1
        name = report.nodeid.split("::", 1)[-1]
        if report.skipped:
            line = "ok %d - %s # SKIP %s" % (_n[0], name, report.longrepr[-1]
                                             if isinstance(report.longrepr, tuple) else "")
        elif report.passed:
            line = "ok %d - %s" % (_n[0], name)
        else:
            line = "not ok %d - %s" % (_n[0], name)
    if line:
        with open(path, "a") as f:
            f.write(line + "\n")


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("RBNN_DATA") or os.path.join(REPO, "..", "shared", "data")


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def mitdb():
    d = os.path.join(DATA, "mitdb")
    if not os.path.exists(os.path.join(d, "100.hea")):
        pytest.skip("MIT-BIH not found in %s (RBNN_DATA)" % d)
    return d
