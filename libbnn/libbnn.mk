# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# libbnn/libbnn.mk - build of libbnn (model format, host executor,
# backends), to be included by the top-level Makefile:
#
#     include libbnn/libbnn.mk
#
# placed AFTER the definitions of B, CC, CPPFLAGS, CFLAGS, SANFLAGS,
# LDLIBS, CORE_SRCS, CORE_OBJS, CORE_SAN_OBJS, CORE_HDRS, CORE_LIB and
# CORE_SAN_LIB, and BEFORE the pattern rules (so that UNIT_LIBS is known
# when the unit-test rule's prerequisites are read).
#
# It provides:
#   $(LIBBNN_A)          build/libbnn.a: libbnn + data readers + the
#                        device-model core (for the emu backend)
#   $(LIBBNN_SO)         build/libbnn.so.0.1.0, SONAME libbnn.so.0, with
#                        the links libbnn.so.0 and libbnn.so; exports only
#                        the functions of the installed headers, by name
#                        (libbnn/libbnn.map, checked by make test-abi)
#   $(LIBBNN_PC)         build/libbnn.pc from libbnn/libbnn.pc.in
#   UNIT_LIBS            sanitizer objects of libbnn for the unit tests
#   libbnn               phony: all of the above
#   install-libbnn       phony: headers, libraries, pkg-config file, man
#                        pages (section 3) under $(DESTDIR)$(PREFIX)
#   fuzz-model           phony: the model-reader fuzzer for
#                        $(FUZZ_SECONDS) seconds (clang, libFuzzer)
#   bench-bnn            phony: binary GEMV/GEMM micro-benchmark

LIBBNN_VERSION := 0.1.0
# Section 3 pages, one per installed header, generated from the headers'
# comments (scripts/gen-man3.py; make test-abi checks they are current);
# make install adds a link page per function (bnn_run(3) -> bnn(3)).
LIBBNN_MAN3 := $(sort $(wildcard Documentation/man3/*.3))
MANDIR ?= $(PREFIX)/share/man
LIBBNN_SOVER := 0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
FUZZ_SECONDS ?= 600
CLANG ?= clang-14

LIBBNN_SRCS := $(sort $(wildcard libbnn/src/*.c))
LIBBNN_HDRS := $(wildcard libbnn/src/*.h libbnn/include/*.h)
LIBBNN_OBJS := $(LIBBNN_SRCS:%.c=$(B)/rel/%.o)
LIBBNN_SAN_OBJS := $(LIBBNN_SRCS:%.c=$(B)/san/%.o)
LIBBNN_PIC_OBJS := $(LIBBNN_SRCS:%.c=$(B)/pic/%.o) \
	$(CORE_SRCS:%.c=$(B)/pic/%.o)
LIBBNN_A := $(B)/libbnn.a
LIBBNN_SO := $(B)/libbnn.so.$(LIBBNN_VERSION)
LIBBNN_PC := $(B)/libbnn.pc
# EDFlib (libedf-dev) reads EDF / BDF for libbnn/data/edf.c; zlib
# (zlib1g-dev) computes the .bnn checksums (CRC-32) in libbnn/src/format.c.
LIBBNN_LDLIBS := -lm -lpthread -ledf -lz

CPPFLAGS += -Ilibbnn/include -Ilibbnn/src

# bnn_data.h includes ../include/bnn_error.h.
CORE_HDRS += libbnn/include/bnn_error.h
$(CORE_OBJS) $(CORE_SAN_OBJS): libbnn/include/bnn_error.h

# libbnn's own objects depend on its headers and the core's.
$(LIBBNN_OBJS) $(LIBBNN_SAN_OBJS) $(LIBBNN_PIC_OBJS): $(LIBBNN_HDRS) \
	$(CORE_HDRS)

# Unit tests link the sanitizer objects directly (not an archive), so
# every backend present is linked in.
UNIT_LIBS += $(LIBBNN_SAN_OBJS)
LDLIBS += -lpthread -lz

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(LIBBNN_A): $(LIBBNN_OBJS) $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBBNN_SO): $(LIBBNN_PIC_OBJS) libbnn/libbnn.map
	$(CC) -shared -Wl,-soname,libbnn.so.$(LIBBNN_SOVER) \
		-Wl,--version-script=libbnn/libbnn.map -Wl,--no-undefined \
		$(LDFLAGS) $(LIBBNN_PIC_OBJS) $(LIBBNN_LDLIBS) -o $@
	ln -sf libbnn.so.$(LIBBNN_VERSION) $(B)/libbnn.so.$(LIBBNN_SOVER)
	ln -sf libbnn.so.$(LIBBNN_SOVER) $(B)/libbnn.so

# The installed bnn_data.h: without its test hook and internal helpers.
LIBBNN_DATA_H_SED := sed -e '/NOT-INSTALLED-BEGIN/,/NOT-INSTALLED-END/d'

LIBBNN_PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(LIBBNN_VERSION)|g'

# Regenerated every time: it depends on PREFIX / LIBDIR / INCLUDEDIR.
$(LIBBNN_PC): libbnn/libbnn.pc.in FORCE
	@mkdir -p $(dir $@)
	@$(LIBBNN_PC_SED) $< > $@.tmp && mv $@.tmp $@
FORCE:

.PHONY: libbnn install-libbnn fuzz-model bench-bnn FORCE
libbnn: $(LIBBNN_A) $(LIBBNN_SO) $(LIBBNN_PC)

install-libbnn: libbnn
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 libbnn/include/bnn.h libbnn/include/bnn_error.h \
		$(DESTDIR)$(INCLUDEDIR)/
	$(LIBBNN_DATA_H_SED) libbnn/data/bnn_data.h > $(DESTDIR)$(INCLUDEDIR)/bnn_data.h
	chmod 644 $(DESTDIR)$(INCLUDEDIR)/bnn_data.h
	install -m 644 $(LIBBNN_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBBNN_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libbnn.so.$(LIBBNN_VERSION) \
		$(DESTDIR)$(LIBDIR)/libbnn.so.$(LIBBNN_SOVER)
	ln -sf libbnn.so.$(LIBBNN_SOVER) $(DESTDIR)$(LIBDIR)/libbnn.so
	$(LIBBNN_PC_SED) libbnn/libbnn.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libbnn.pc
	install -d $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(LIBBNN_MAN3) $(DESTDIR)$(MANDIR)/man3/
	@for p in $(LIBBNN_MAN3); do \
		for f in $$(sed -n 's/^Functions: //p' $$p | grep -o 'bnn_[a-z0-9_]*'); do \
			echo ".so man3/$$(basename $$p)" > $(DESTDIR)$(MANDIR)/man3/$$f.3; \
		done; \
	done

# ---- fuzzing (clang + libFuzzer + ASan + UBSan) ----
FUZZ_MODEL := $(B)/fuzz/fuzz_model
$(FUZZ_MODEL): tests/fuzz/fuzz_model.c $(LIBBNN_SRCS) $(CORE_SRCS) \
		$(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $(CPPFLAGS) \
		tests/fuzz/fuzz_model.c $(LIBBNN_SRCS) $(CORE_SRCS) \
		-lm -lpthread -ledf -lz -o $@

# A seed corpus of valid models (written by the fuzzer's -seeds mode).
fuzz-model: $(FUZZ_MODEL)
	@mkdir -p $(B)/fuzz/corpus-model
	$(FUZZ_MODEL) -seeds=$(B)/fuzz/corpus-model >/dev/null
	$(FUZZ_MODEL) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix=$(B)/fuzz/ \
		$(B)/fuzz/corpus-model

# ---- micro-benchmark ----
BENCH_BNN := $(B)/bench/bench_bnn
$(BENCH_BNN): tests/bench/bench_bnn.c $(LIBBNN_OBJS) $(CORE_LIB) \
		$(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(BENCH_BNN_FLAGS) $< $(LIBBNN_OBJS) \
		$(CORE_LIB) $(LDLIBS) $(BENCH_BNN_LIBS) -o $@
# float32 GEMM reference: OpenBLAS (libopenblas-pthread-dev, installed by
# scripts/deps.sh bench), found through its own pkg-config file, whose
# cblas.h declares openblas_set_num_threads: the generic cblas.h that
# another package may install (netlib's) does not.
BENCH_BNN_BLAS := $(shell pkg-config --exists openblas 2>/dev/null && echo y)
ifeq ($(BENCH_BNN_BLAS),y)
BENCH_BNN_FLAGS := -DHAVE_CBLAS $(shell pkg-config --cflags openblas)
BENCH_BNN_LIBS := $(shell pkg-config --libs openblas)
endif
# OpenBLAS picks generic kernels for CPUs it does not recognise (VMs):
# run with e.g. OPENBLAS_CORETYPE=SkylakeX (the bench prints the core).
bench-bnn: $(BENCH_BNN)
	$(BENCH_BNN)

# ======================================================================
# rbnn backend and card access (libdrm + libudev): libbnn/src/device.c,
# libbnn/src/backend_rbnn.c, libbnn/include/bnn_device.h. Maintained
# with those files; the rest of this file does not depend on it.
# ======================================================================
LIBBNN_RBNN_SRCS := libbnn/src/device.c libbnn/src/backend_rbnn.c
LIBBNN_RBNN_OBJS := $(foreach v,rel san pic,$(LIBBNN_RBNN_SRCS:%.c=$(B)/$(v)/%.o))
# The uAPI header from the tree; libdrm's drm.h and xf86drm.h.
LIBBNN_DRM_CFLAGS := $(or $(shell pkg-config --cflags libdrm 2>/dev/null),-I/usr/include/libdrm)
$(LIBBNN_RBNN_OBJS): CPPFLAGS += -Ikernel/include/uapi/drm $(LIBBNN_DRM_CFLAGS)
$(LIBBNN_RBNN_OBJS): kernel/include/uapi/drm/rbnn_accel.h
# libudev has no static library; libdrm links either way.  api.c refers
# to the backend weakly (backend.h), so a static link would leave it out:
# -u pulls it from libbnn.a (wherever the option stands on the line).
LIBBNN_LDLIBS += -ldrm -ludev -Wl,-u,bnn__backend_rbnn_ops
LDLIBS += -ldrm -ludev
# The model-reader fuzzer builds the sources itself, without libdrm and
# libudev: leave the card code out (the rbnn backend then reports
# BNN_E_NODEV through its weak symbol).
$(FUZZ_MODEL): LIBBNN_SRCS := $(filter-out $(LIBBNN_RBNN_SRCS),$(LIBBNN_SRCS))
# The public header of the card API.
.PHONY: install-libbnn-device
install-libbnn: install-libbnn-device
install-libbnn-device:
	install -d $(DESTDIR)$(INCLUDEDIR)
	install -m 644 libbnn/include/bnn_device.h $(DESTDIR)$(INCLUDEDIR)/
# The VM tier's test of the rbnn backend (tests/vm/guest/libbnn-rbnn.sh),
# linked with the static library but dynamically with libc, libdrm and
# libudev (the harness copies what ldd lists).  -u pulls in the emu
# backend too (compared with), which api.c only references weakly.  Its
# "stages" mode times libbnn's calls of libdrm through --wrap.
LIBBNN_RBNN_TEST := $(B)/vm/libbnn_rbnn_test
LIBBNN_RBNN_TEST_WRAP := -Wl,--wrap=drmIoctl -Wl,--wrap=drmSyncobjTimelineWait
$(LIBBNN_RBNN_TEST): tests/vm/libbnn_rbnn_test.c tests/unit/bnn_test_models.h \
		$(LIBBNN_A) $(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -Ikernel/include/uapi/drm \
		$(LIBBNN_DRM_CFLAGS) $< $(LIBBNN_RBNN_TEST_WRAP) \
		-Wl,-u,bnn__backend_emu_ops $(LIBBNN_A) $(LIBBNN_LDLIBS) -o $@
# The same with ASan + UBSan (libasan and libubsan are copied along).
LIBBNN_RBNN_TEST_SAN := $(B)/vm/libbnn_rbnn_test-san
$(LIBBNN_RBNN_TEST_SAN): tests/vm/libbnn_rbnn_test.c \
		tests/unit/bnn_test_models.h $(LIBBNN_SAN_OBJS) $(CORE_SAN_LIB) \
		$(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -Itests/unit \
		-Ikernel/include/uapi/drm $(LIBBNN_DRM_CFLAGS) $< \
		$(LIBBNN_RBNN_TEST_WRAP) $(LIBBNN_SAN_OBJS) $(CORE_SAN_LIB) \
		$(LIBBNN_LDLIBS) -o $@
# ==================== end of the rbnn block ====================

# ---- end-to-end benchmark of the backends (cpu, emu): ECG beats/s ----
# tests/bench/bench_backends.c; links libbnn's objects like bench-bnn, so
# every backend built is in.  `make bench-backends` (printed, never fails).
BENCH_BACKENDS := $(B)/bench/bench_backends
$(BENCH_BACKENDS): tests/bench/bench_backends.c $(LIBBNN_OBJS) $(CORE_LIB) \
		$(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBBNN_OBJS) $(CORE_LIB) $(LDLIBS) -o $@
.PHONY: bench-backends
bench-backends: $(BENCH_BACKENDS)
	$(BENCH_BACKENDS)
