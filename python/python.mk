# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# python/python.mk - the Python package bnn (python/), included by the
# top-level Makefile after libbnn/libbnn.mk:
#
#   make python        build the wheel under build/python/dist against the
#                      tree's libbnn (headers as installed, libbnn.so) and
#                      unpack it into build/python/lib (PYTHONPATH for the
#                      tests; libbnn.so.0 from build/, LD_LIBRARY_PATH)
#   make test-python   pytest (tests/python), counted by make test; the model
#                      importers' tests there need PyTorch (scripts/deps.sh train)
#   make install       also installs the wheel under $(DESTDIR)$(PREFIX)
#
# The build runs in a copy (build/python/src), so nothing is written into
# python/; pip builds without isolation, with Debian's setuptools and
# NumPy (scripts/deps.sh python), offline.
PYTHON ?= /usr/bin/python3
PY_B := $(B)/python
PY_STAMP := $(PY_B)/.built
PY_SRCS := python/pyproject.toml python/setup.py python/README.md \
	$(wildcard python/src/bnn/*.py python/src/bnn/*.c) \
	tools/bnn-run/metrics.c tools/bnn-run/metrics.h tools/bnn-run/ec57.c \
	tools/bnn-run/ec57.h
# bnn._ec57 compiles bnn-run's statistics (setup.py): the same numbers.
PY_ENV = BNN_INCLUDE_DIRS=$(abspath $(PY_B)/include) \
	BNN_LIBRARY_DIRS=$(abspath $(B)) BNN_METRICS_DIR=$(abspath tools/bnn-run)

.PHONY: python test-python install-python
python: $(PY_STAMP)

$(PY_STAMP): $(PY_SRCS) $(LIBBNN_SO) libbnn/include/bnn.h \
		libbnn/include/bnn_error.h libbnn/data/bnn_data.h
	@scripts/deps.sh python
	rm -rf $(PY_B)
	mkdir -p $(PY_B)/include $(PY_B)/src
	install -m 644 libbnn/include/bnn.h libbnn/include/bnn_error.h \
		$(PY_B)/include/
	$(LIBBNN_DATA_H_SED) libbnn/data/bnn_data.h > $(PY_B)/include/bnn_data.h
	cp -R python/pyproject.toml python/setup.py python/README.md python/src \
		$(PY_B)/src/
	cd $(PY_B)/src && $(PY_ENV) CFLAGS="-Werror" \
		$(PYTHON) -m pip wheel -q --no-deps --no-build-isolation \
		--no-index -w ../dist .
	$(PYTHON) -m pip install -q --root-user-action=ignore --no-deps --no-index --target $(PY_B)/lib \
		$(PY_B)/dist/bnn-*.whl
	@touch $@

# The same extension with ASan + UBSan (build/python/san), for the tests'
# second run (libasan preloaded into the interpreter, leaks not checked:
# CPython's own allocations at exit are not ours).
PY_SAN_STAMP := $(PY_B)/.built-san
PY_SAN_CFLAGS := -Werror -O1 $(SANFLAGS)
$(PY_SAN_STAMP): $(PY_STAMP)
	rm -rf $(PY_B)/san $(PY_B)/src/build
	cd $(PY_B)/src && $(PY_ENV) CFLAGS="$(PY_SAN_CFLAGS)" \
		LDFLAGS="$(SANFLAGS)" $(PYTHON) -m pip wheel -q --no-deps \
		--no-build-isolation --no-index -w ../san/dist .
	$(PYTHON) -m pip install -q --root-user-action=ignore --no-deps --no-index \
		--target $(PY_B)/san/lib $(PY_B)/san/dist/bnn-*.whl
	@touch $@

# The model importers' tests (tests/python/test_fx_export.py,
# test_onnx_import.py) need PyTorch (the train group) and python3-onnx.
test-python: $(PY_STAMP) $(PY_SAN_STAMP) $(BNN_RUN)
	@scripts/deps.sh python train
	@echo "== Python package bnn (pytest; then the extension under ASan + UBSan)"
	@tests/run-tap.sh python $(B)/test-logs/python -- tests/python/run.sh \
		$(abspath $(B)) --- tests/python/run.sh $(abspath $(B)) san

# pip install --root: the wheel's files under DESTDIR, for PREFIX's
# Python: with PREFIX=/usr in Debian's /usr/lib/python3/dist-packages
# (DEB_PYTHON_INSTALL_LAYOUT, Debian's pip), else in
# $(PREFIX)/lib/python3.X/dist-packages (/usr/local: on Debian's sys.path).
install-python: $(PY_STAMP)
	$(if $(filter /usr,$(PREFIX)),DEB_PYTHON_INSTALL_LAYOUT=deb_system) \
	$(PYTHON) -m pip install -q --root-user-action=ignore --no-deps --no-index --root=$(DESTDIR)/ \
		--prefix=$(PREFIX) $(PY_B)/dist/bnn-*.whl
