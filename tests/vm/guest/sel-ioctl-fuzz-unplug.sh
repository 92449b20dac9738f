#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the random ioctl fuzzer (rbnn_ioctl_fuzz) with a hot-unplug in
# the middle: the card sits behind a PCIe root port; a third of the way
# through the fuzzer asks the host (tests/vm/host-agent.py) to unplug it
# from QEMU (device_del; the guest's pciehp removes it after the attention
# button's 5 s) while its workers keep calling, then to plug it back
# (device_add). Every call on the dead files must fail cleanly (-ENODEV),
# every job end, the files close, and the card that comes back must work
# (tiles free, a fresh file computes the reference answer).
# RBNN_FUZZ_CALLS (default 40000), RBNN_FUZZ_SEED (default 1),
# RBNN_FUZZ_PROCS (default 3) as in sel-ioctl-fuzz.sh.
#
# vm-qemu: -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
# vm-qemu: -device pcie-root-port,id=rp1,slot=1,chassis=1
# vm-qemu: -device rbnn,bus=rp1,id=card1,error-model=off,seed=73
# vm-modules: vgem
# vm-timeout: 200
# The 6.12 pciehp lockdep report on surprise removal (see sel-unplug.sh).
# vm-known-report: is trying to acquire lock:.*ctrl->reset_lock.*pciehp_unconfigure_device
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_ioctl_fuzz
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
# On the debug kernel (KASAN, lockdep, 4 vCPUs on 2 host cores: about 5x
# slower) a quarter of the calls, with the time to make them.
calls=40000 max_s=${RBNN_FUZZ_MAX_S:-150}
if [ "${RBNN_VM_DEBUG:-0}" = 1 ]; then
	calls=15000 max_s=${RBNN_FUZZ_MAX_S:-600}
fi
# shellcheck disable=SC2086 # RBNN_FUZZ_ARGS: more options, split
sel_run rbnn_ioctl_fuzz --seed "${RBNN_FUZZ_SEED:-1}" \
	--calls "${RBNN_FUZZ_CALLS:-$calls}" --procs "${RBNN_FUZZ_PROCS:-3}" \
	--unplug card1 --replug rbnn,bus=rp1,id=card1,error-model=off,seed=73 \
	--max-seconds "$max_s" ${RBNN_FUZZ_ARGS:-}
exit $rc
