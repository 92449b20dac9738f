#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: every allocation of every rbnn ioctl path failed in turn
# (fault_inject: fail-nth with failslab and fail_page_alloc filtered to the
# rbnn module's stack frames). Each call must fail cleanly and the card go
# on working; kmemleak (debug kernel) then finds any leak. Skips on a
# kernel without fault injection (Debian's). The page allocator's reports
# of the failures it was told to make are expected.
#
# vm-qemu: -device rbnn,error-model=off
# vm-timeout: 300
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/fault_inject
# vm-file: tests/vm/guest-lib/sel-run.sh
# vm-known-report: page allocation failure: order:|vmalloc error: size
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run fault_inject
exit $rc
