#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: two cards, one behind a PCIe root port with modeled timing
# (unplug_test): both usable independently; rmmod refused while a file is
# open; 10 module unload/reload cycles with work in flight; then the
# root-port card removed twice while jobs run on it, wait in its queue
# behind a vgem fence and threads wait in JOB_INFO:
#  - from inside the guest (echo 1 > /sys/bus/pci/devices/BDF/remove: the
#    driver's PCI remove path), the card re-probed by a PCI rescan;
#  - really unplugged from QEMU: the test prints "# RBNN-VM-HOST:
#    device_del card1", run-vm.sh's host agent (tests/vm/host-agent.py)
#    sends QMP device_del, the guest's pciehp (native PCIe hotplug: ACPI
#    hotplug is off for the root ports) sees the attention button and
#    powers the slot off after 5 s, and the driver's remove() runs; then
#    "device_add" of the same card plugs it back, pciehp powers the slot on
#    and the driver probes it;
# and two more reload cycles after all that.
#
# vm-qemu: -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
# vm-qemu: -device pcie-root-port,id=rp1,slot=1,chassis=1
# vm-qemu: -device rbnn,bus=rp1,id=card1,error-model=off,timing=modeled,seed=51
# vm-qemu: -device rbnn,id=card0,error-model=off,seed=52
# vm-env: RBNN_EXPECT_CARDS=2
# vm-env: RBNN_UNPLUG_HOST_ID=card1
# vm-env: RBNN_REPLUG_HOST_DEVICE=rbnn,bus=rp1,id=card1,error-model=off,timing=modeled,seed=51
# vm-modules: vgem
# vm-timeout: 200
# Linux 6.12's pciehp takes a child port's reset_lock under
# pci_rescan_remove_lock when it removes the slot, which lockdep reports as
# a possible circular dependency (pciehp's own locks, no rbnn code in the
# chain); the debug kernel shows it on every surprise removal here.
# vm-known-report: is trying to acquire lock:.*ctrl->reset_lock.*pciehp_unconfigure_device
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/unplug_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
for t in two_cards_independent rmmod_refused_with_open_fd module_reload_loop \
	hot_unplug_with_jobs_in_flight rescan_reprobes \
	hot_unplug_via_host_with_jobs_in_flight host_replug_reprobes; do
	sel_run unplug_test -t "$t"
done
RBNN_RELOADS=2 sel_run unplug_test -t module_reload_loop
exit $rc
