# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash; sourced by the sel-*.sh guest tests
# (they copy it into the guest with "# vm-file: tests/vm/guest-lib/sel-run.sh").
# sel_run BINARY ARGS...: run a kselftest binary of the initramfs; its KTAP
# passes through; rc becomes 1 when it fails (exit 4, all skipped, is fine).
# A binary missing from the initramfs is one skipped KTAP line.
# shellcheck disable=SC2034 # rc is the caller's exit status
rc=0
sel_run() { # BINARY ARGS...: its KTAP passes through; rc=1 if it failed
	b=$1
	shift
	if [ -x "/bin/$b" ]; then
		"/bin/$b" "$@"
		r=$?
		[ "$r" -eq 0 ] || [ "$r" -eq 4 ] || rc=1
	else
		echo "TAP version 13"
		echo "1..1"
		echo "ok 1 $b # SKIP /bin/$b not in the initramfs (run-vm.sh --bin)"
	fi
}
