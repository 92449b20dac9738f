#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Boot the reference 6.12 guest under TCG with our QEMU, run one guest test
# and check the guest's logs.
#
#   tests/vm/run-vm.sh [options] [TEST] [-- QEMU-ARGS...]
#
# TEST is a busybox-sh script run by the guest's /init (a path, or a name in
# tests/vm/guest/, with or without .sh). It prints KTAP on its stdout; that
# goes to the host over its own serial port and is printed on this script's
# stdout. Header lines in TEST add to the run:
#   # vm-qemu: ARGS...      QEMU arguments (split on blanks)
#   # vm-env: NAME=VALUE    exported in the guest
#   # vm-timeout: SECONDS
#   # vm-ko: PATH           out-of-tree module, relative to the top (as --ko)
#   # vm-bin: PATH[:DEST]   program, relative to the top (as --bin)
#   # vm-allow: REGEX       expected log lines (as --allow)
#   # vm-known-report: REGEX a kernel report (lockdep, WARN ... from its
#                           "-----"/"=====" line to the end of its stack
#                           trace) that matches REGEX is a known problem
#                           outside the driver: it is listed, not failed on
#                           (as --known-report)
#   # vm-modules: M...      more in-kernel modules to load (as --add-modules),
#                           e.g. vgem for the selftests' fence gate
#   # vm-data: FILE         a file of $RBNN_DATA (default ../shared/data),
#                           copied to /data/FILE in the guest when present
#   # vm-file: PATH         a file of the checkout (e.g. a shipped model),
#                           copied to /PATH in the guest
#   # vm-boot: bios         boot the compressed kernel (bzImage) through
#                           SeaBIOS instead of the ELF vmlinux through PVH
#                           (as --boot bios)
# (tests/vm/build-guest.sh builds the module and the test programs.)
#
# Options:
#   --kernel stock|debug the reference kernel (Debian's 6.12, tests/vm/kernel.sh,
#                        one vCPU) or the debug kernel (the same release with
#                        KASAN, lockdep, kmemleak, UBSAN, fault injection:
#                        tests/vm/kernel-debug.sh, $RBNN_VM_SMP or 4 vCPUs,
#                        kernel/rbnn.ko built against it; kmemleak scanned
#                        after the test); default $RBNN_VM_KERNEL or stock
#   --device SPEC        add "-device SPEC" (repeatable), e.g. --device rbnn
#   --ko FILE.ko         out-of-tree module to include and load (repeatable)
#   --bin FILE[:DEST]    executable plus its shared libraries (repeatable)
#   --file SRC:DEST      file or directory to include (repeatable)
#   --env NAME=VALUE     exported in the guest (repeatable)
#   --modules "M..."     in-kernel modules to load (default: the DRM set)
#   --add-modules "M..." more in-kernel modules, after those (repeatable)
#   --append "ARGS"      extra kernel command line
#   --boot pvh|bios      pvh (default): QEMU loads the ELF vmlinux and enters
#                        it directly, the fastest boot; bios: the bzImage
#                        through SeaBIOS's Linux loader, which is what a real
#                        ACPI S3 sleep needs to come back (the resume goes
#                        through the firmware). Falls back to pvh when the
#                        kernel has no bzImage (the debug build makes only
#                        vmlinux). The guest sees RBNN_VM_BOOT=pvh|bios.
#   --mem SIZE           guest RAM (default 512M)
#   --timeout SECONDS    wall-clock limit (default $RBNN_VM_TIMEOUT or 120)
#   --allow REGEX        ignore log lines matching REGEX in the checks (repeatable)
#   --known-report REGEX ignore whole reports matching REGEX (repeatable)
#   --allow-taint MASK   taint bits not to fail on (e.g. 512 for W, when a test
#                        provokes a WARN on purpose and --allow's its lines)
#   --logdir DIR         where the logs go (default $RBNN_VM_LOGROOT/TEST,
#                        RBNN_VM_LOGROOT defaulting to build/vm-logs)
#   --verbose            boot without "quiet" (every boot message on the console)
#   --shell              interactive: the console is this terminal and /init
#                        drops into a busybox shell after loading the modules
#                        (TEST, if given, is in /tests). Ctrl-D powers off;
#                        Ctrl-A X kills QEMU. No timeout unless --timeout.
#
# Exit status 0 only when the guest test exited 0, QEMU did not time out and
# neither the console nor the kernel log has an Oops, BUG, WARNING, Call
# Trace, lockdep, KASAN, UBSAN or panic report (and the taint flags show no
# warning, oops, bad page, lockup or machine check), and no request of the
# guest to the host failed. Logs in LOGDIR: console.log (ttyS0), ktap.log
# (ttyS1), kernel.log (full dmesg from ttyS2), host.log (the host agent),
# qemu.sh (the command line, to rerun by hand), result.
#
# Host agent: QEMU gets a QMP socket, and tests/vm/host-agent.py follows the
# guest's KTAP port: a line "# RBNN-VM-HOST: device_del ID" (or "device_add
# SPEC") from the guest test makes it send that to QEMU, e.g. to unplug a
# card behind a pcie-root-port (the guest's pciehp then removes it, after
# the attention button's 5 s) and plug it back.
#
# Environment: RBNN_QEMU (QEMU binary; default: the newest one built in the
# cache, else emulator/qemu/build-qemu.sh builds it), RBNN_CACHE,
# RBNN_VM_TIMEOUT, RBNN_VM_LOGROOT.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}

# Log lines that fail a run.
BAD_RE='Oops|\bBUG\b|\bWARNING\b|Call Trace|lockdep|KASAN|UBSAN|[Kk]ernel panic|general protection fault|soft lockup|hard LOCKUP|blocked for more than|rcu_.*stall|Unable to handle kernel|unreferenced object|DMA-API:|ODEBUG:|rbnn-vm: kmemleak: [0-9]'
# Taint flags that fail a run: M(4) B(5) D(7) W(9) L(14).
BAD_TAINT=$(((1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)))

log() { printf 'run-vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

test="" logdir="" shell=0 verbose=0 mem=512M append="" timeout="" boot=""
kflavour=${RBNN_VM_KERNEL:-stock}
iargs=() qargs=() kos_opt=() known=()
# Not problem reports: our own report of the debug kernel's checkers, and
# the checkers' banners at boot.
allow=('rbnn-vm: checkers: ' 'RCU lockdep checking is enabled'
	'DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)')
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kflavour=$2; shift ;;
	--device) qargs+=(-device "$2"); shift ;;
	--ko) kos_opt+=("$2"); shift ;;
	--bin | --file | --env | --modules | --add-modules) iargs+=("$1" "$2"); shift ;;
	--append) append="$append $2"; shift ;;
	--mem) mem=$2; shift ;;
	--boot) boot=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--allow) allow+=("$2"); shift ;;
	--known-report) known+=("$2"); shift ;;
	--allow-taint) BAD_TAINT=$((BAD_TAINT & ~($2))); shift ;;
	--logdir) logdir=$2; shift ;;
	--verbose) verbose=1 ;;
	--shell) shell=1 ;;
	--) shift; qargs+=("$@"); break ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$1'" ;;
	*) [ -z "$test" ] || die "one TEST per run ('$test', '$1')"; test=$1 ;;
	esac
	shift
done

case $kflavour in
stock) smp=1 ;;
debug) smp=${RBNN_VM_SMP:-4} ;;
*) die "--kernel wants stock or debug, got '$kflavour'" ;;
esac
# The driver is built against the kernel it runs on: under the debug
# kernel, kernel/rbnn.ko means its debug build (tests/vm/kernel-debug.sh
# --rbnn-ko, run by tests/vm/build-guest.sh --kernel debug).
ko_for() { # PATH
	if [ "$kflavour" = debug ] && [ "$1" = "$TOP/kernel/rbnn.ko" ]; then
		[ -f "$TOP/build/kernel-debug/rbnn.ko" ] ||
			die "no build/kernel-debug/rbnn.ko: run tests/vm/build-guest.sh --kernel debug"
		echo "$TOP/build/kernel-debug/rbnn.ko"
	else
		echo "$1"
	fi
}

name=shell
if [ -n "$test" ]; then
	for t in "$test" "$HERE/guest/$test" "$HERE/guest/$test.sh"; do
		if [ -f "$t" ]; then test=$(realpath "$t"); break; fi
	done
	[ -f "$test" ] || die "no guest test '$test'"
	name=$(basename "$test" .sh)
	# Header directives.
	read -ra more <<<"$(sed -n 's/^# vm-qemu: *//p' "$test" | tr '\n' ' ')"
	qargs+=(${more[@]+"${more[@]}"})
	while read -r e; do
		[ -n "$e" ] && iargs+=(--env "$e")
	done < <(sed -n 's/^# vm-env: *//p' "$test")
	[ -n "$timeout" ] || timeout=$(sed -n 's/^# vm-timeout: *//p' "$test" | sed -n 1p)
	[ -n "$boot" ] || boot=$(sed -n 's/^# vm-boot: *//p' "$test" | sed -n 1p)
	while read -r f; do
		[ -n "$f" ] || continue
		[ -f "$TOP/$f" ] || die "$name needs $f: run tests/vm/build-guest.sh"
		iargs+=(--ko "$(ko_for "$TOP/$f")")
	done < <(sed -n 's/^# vm-ko: *//p' "$test")
	while read -r f; do
		[ -n "$f" ] || continue
		[ -f "$TOP/${f%%:*}" ] || die "$name needs ${f%%:*}: run tests/vm/build-guest.sh"
		iargs+=(--bin "$TOP/$f")
	done < <(sed -n 's/^# vm-bin: *//p' "$test")
	while read -r f; do
		[ -n "$f" ] && allow+=("$f")
	done < <(sed -n 's/^# vm-allow: *//p' "$test")
	while read -r f; do
		[ -n "$f" ] && known+=("$f")
	done < <(sed -n 's/^# vm-known-report: *//p' "$test")
	while read -r f; do
		[ -n "$f" ] && iargs+=(--add-modules "$f")
	done < <(sed -n 's/^# vm-modules: *//p' "$test")
	while read -r f; do
		[ -n "$f" ] || continue
		[ -f "$TOP/$f" ] || die "$name needs $f (a file of the checkout)"
		iargs+=(--file "$TOP/$f:/$f")
	done < <(sed -n 's/^# vm-file: *//p' "$test")
	data=${RBNN_DATA:-$TOP/../shared/data}
	while read -r f; do
		[ -n "$f" ] && [ -e "$data/$f" ] && iargs+=(--file "$data/$f:/data/$f")
	done < <(sed -n 's/^# vm-data: *//p' "$test")
	iargs+=(--test "$test")
fi
if [ -z "$timeout" ] && [ "$shell" -eq 0 ]; then
	timeout=${RBNN_VM_TIMEOUT:-120}
fi
logdir=${logdir:-${RBNN_VM_LOGROOT:-$TOP/build/vm-logs}/$name}
rm -rf "$logdir"
mkdir -p "$logdir"
logdir=$(realpath "$logdir")

for k in ${kos_opt[@]+"${kos_opt[@]}"}; do
	iargs+=(--ko "$(ko_for "$(realpath "$k")")")
done

# The kernel, the QEMU binary, the initramfs.
if [ "$kflavour" = debug ]; then
	kenv=$("$HERE/kernel-debug.sh")
	[ "$mem" != 512M ] || mem=1G # KASAN's shadow and quarantine
	# Slower under the checkers and with 4 vCPUs on 2 host cores.
	[ -z "$timeout" ] || timeout=$((timeout * ${RBNN_VM_DEBUG_SLOWDOWN:-6}))
	iargs+=(--env RBNN_VM_DEBUG=1)
else
	kenv=$("$HERE/kernel.sh")
fi
# shellcheck source=/dev/null
. "$kenv"
case ${boot:-pvh} in
pvh) kimage=$VMLINUX boot=pvh ;;
bios)
	if [ -f "${BZIMAGE:-}" ]; then
		kimage=$BZIMAGE
	else
		log "no bzImage for this kernel: booting vmlinux (PVH)"
		kimage=$VMLINUX boot=pvh
	fi
	;;
*) die "--boot wants pvh or bios, got '$boot'" ;;
esac
iargs+=(--env "RBNN_VM_BOOT=$boot")
qemu=${RBNN_QEMU:-}
if [ -z "$qemu" ]; then
	qemu=$(find "$CACHE" -maxdepth 3 -path "$CACHE/qemu-*/build/qemu-system-x86_64" 2>/dev/null |
		sort -V | tail -n1)
	if [ -z "$qemu" ]; then
		log "building QEMU"
		paths=$("$TOP/emulator/qemu/build-qemu.sh")
		qemu=$(grep -m1 '/qemu-system-x86_64$' <<<"$paths")
	fi
fi
[ -x "$qemu" ] || die "no QEMU binary '$qemu'"
initrd=$logdir/initramfs.cpio
"$HERE/initramfs.sh" --kernel-env "$kenv" -o "$initrd" ${iargs[@]+"${iargs[@]}"}

kargs="console=ttyS0 cryptomgr.notests panic=-1"
[ "$verbose" -eq 1 ] || kargs="$kargs quiet"
[ "$shell" -eq 0 ] || kargs="$kargs RBNN_SHELL=1"
kargs="$kargs$append"
if [ "$shell" -eq 1 ]; then
	console=(-serial mon:stdio)
else
	console=(-serial "file:$logdir/console.raw")
fi
# QEMU's QMP socket, for the host agent (tests/vm/host-agent.py) that
# carries out the guest's "RBNN-VM-HOST: device_del ID" requests. A short
# path: unix socket paths are limited to 107 bytes.
rundir=$(mktemp -d "${TMPDIR:-/tmp}/rbnn-vm.XXXXXX")
qmp=$rundir/qmp.sock
qpid="" agent=""
# On any exit (an interrupt too): end the QEMU run and the agent we
# started, by their PIDs, and remove the socket directory.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2054 # the commas belong to QEMU option values
cmd=("$qemu" -L /usr/share/seabios -L /usr/share/qemu
	-nodefaults -machine q35 -accel tcg -smp "$smp" -m "$mem"
	-display none -monitor none -no-reboot -nic none
	-kernel "$kimage" -initrd "$initrd" -append "$kargs"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	"${console[@]}" -serial "file:$logdir/ktap.raw" -serial "file:$logdir/kernel.raw"
	-qmp "unix:$qmp,server=on,wait=off"
	${qargs[@]+"${qargs[@]}"})
# The same command for a human: console on the terminal (Ctrl-A C for the
# monitor), no QMP socket.
rerun=()
skip=0
for a in "${cmd[@]}"; do
	if [ "$skip" -eq 1 ]; then skip=0; continue; fi
	[ "$a" = -qmp ] && { skip=1; continue; }
	[ "$a" = "file:$logdir/console.raw" ] && a=mon:stdio
	rerun+=("$a")
done
{
	echo "#!/bin/sh"
	echo "# $name: rerun this boot by hand (console on this terminal; Ctrl-A X quits)"
	printf '%q ' "${rerun[@]}"
	echo
} >"$logdir/qemu.sh"
chmod +x "$logdir/qemu.sh"

# The host agent: runs while PID lives, logs to host.log.
start_agent() { # PID
	python3 "$HERE/host-agent.py" --qmp "$qmp" --serial "$logdir/ktap.raw" \
		--pid "$1" </dev/null 2>"$logdir/host.log" &
	agent=$!
}
stop_agent() {
	local i=0
	# It notices within 50 ms that its PID is gone; do not wait forever.
	while kill -0 "$agent" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$agent" 2>/dev/null || true
	wait "$agent" 2>/dev/null || true
	agent=""
}

log "booting $name (TCG${timeout:+, timeout ${timeout}s}); logs: $logdir"
start=$(date +%s%N)
set +e
if [ "$shell" -eq 1 ]; then
	log "interactive: Ctrl-D in the guest shell powers off, Ctrl-A X kills QEMU"
	start_agent $$
	if [ -n "$timeout" ]; then
		timeout --foreground -k 5 "$timeout" "${cmd[@]}"
	else
		"${cmd[@]}"
	fi
	status=$?
	kill "$agent" 2>/dev/null
	wait "$agent" 2>/dev/null
	agent=""
else
	# QEMU 10.0.2 under TCG with several vCPUs has aborted, rarely, before
	# the guest printed anything (an assertion in memory_region_get_ram_ptr
	# while the firmware ran): such a boot tested nothing, so it is retried
	# once; the abort stays in qemu.out.1.
	for attempt in 1 2; do
		timeout -k 5 "$timeout" "${cmd[@]}" </dev/null >"$logdir/qemu.out" 2>&1 &
		qpid=$!
		start_agent "$qpid"
		wait "$qpid"
		status=$?
		qpid=""
		stop_agent
		if [ "$attempt" -eq 1 ] && [ "$status" -gt 128 ] && [ "$status" -ne 137 ] &&
			[ ! -s "$logdir/console.raw" ] && [ ! -s "$logdir/ktap.raw" ]; then
			log "QEMU died from signal $((status - 128)) before the guest started: $(head -c 300 "$logdir/qemu.out"); booting again"
			mv "$logdir/qemu.out" "$logdir/qemu.out.1"
			rm -f "$logdir/console.raw" "$logdir/ktap.raw" "$logdir/kernel.raw"
			continue
		fi
		break
	done
fi
set -e
ms=$((($(date +%s%N) - start) / 1000000))
wall=$((ms / 1000)).$(((ms % 1000) / 100))

# Clean copies of the serial logs: no CR, no terminal escape sequences.
clean() { # RAW OUT
	if [ -f "$1" ]; then
		sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c=>]//g' "$1" >"$2"
		rm -f "$1"
	else
		: >"$2"
	fi
}
clean "$logdir/console.raw" "$logdir/console.log"
clean "$logdir/ktap.raw" "$logdir/ktap.log"
clean "$logdir/kernel.raw" "$logdir/kernel.log"

fail=()
# The guest's last word: "rbnn-vm: done rc=N taint=T" (maybe glued to the
# end of another line, so match anywhere).
done_line=$(grep -oE 'rbnn-vm: done rc=[0-9]+ taint=[0-9]+' "$logdir/console.log" | tail -n1 || true)
guest_rc=$(echo "$done_line" | sed -n 's/.*rc=\([0-9]*\).*/\1/p')
taint=$(echo "$done_line" | sed -n 's/.*taint=\([0-9]*\).*/\1/p')
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	fail+=("timeout after ${timeout}s")
elif [ "$status" -gt 128 ] && [ -z "$done_line" ]; then
	fail+=("QEMU died from signal $((status - 128))")
elif [ "$shell" -eq 1 ]; then
	# The console was the terminal: judge by the kernel log alone.
	:
elif [ -z "$done_line" ]; then
	fail+=("the guest did not report (QEMU exit $status)")
	[ -s "$logdir/qemu.out" ] && sed 's/^/    qemu: /' "$logdir/qemu.out" | sed -n 1,5p >&2
elif [ $(((guest_rc << 1) | 1)) -ne "$status" ]; then
	fail+=("QEMU exit $status does not match the guest's rc=$guest_rc")
elif [ "$guest_rc" -ne 0 ]; then
	fail+=("guest test exited $guest_rc")
fi
if [ "$kflavour" = debug ] && [ "$shell" -eq 0 ]; then
	# Every checker must have run: a config change that drops one
	# must not pass silently.
	chk=$(grep -oE 'rbnn-vm: checkers: .*' "$logdir/console.log" | tail -n1 || true)
	case $chk in
	*"kasan=1 lockdep=1 kmemleak=1 faults=1"*) log "${chk#rbnn-vm: }" ;;
	*) fail+=("debug kernel without all its checkers (${chk:-no report})") ;;
	esac
	if [ -n "$test" ] && [ -n "$done_line" ] &&
		! grep -qE 'rbnn-vm: kmemleak: (clean|[0-9]+ unreferenced)' "$logdir/console.log"; then
		fail+=("no kmemleak scan after the test")
	fi
fi
if [ -n "$taint" ] && [ $((taint & BAD_TAINT)) -ne 0 ]; then
	fail+=("kernel tainted $taint (warning/oops/bad page/lockup/MCE)")
fi

# Oops/BUG/WARNING... in the console (live, includes panics) or the full
# kernel log (dumped at the end, all levels).
filter_allowed() {
	local re
	if [ ${#allow[@]} -eq 0 ]; then cat; return; fi
	re=$(IFS='|'; echo "${allow[*]}")
	grep -vE "$re" || true
}
# Known reports (--known-report): drop each report block that matches,
# and say which. A block runs from a "----[ cut here ]" or "=====" line to
# the first "</TASK>" or "---[ end trace" after it.
drop_known() { # LOG
	if [ ${#known[@]} -eq 0 ]; then cat "$1"; return; fi
	local re
	re=$(IFS='|'; echo "${known[*]}")
	awk -v re="$re" -v name="$(basename "$1")" '
		function flush() {
			if (blk == "") return
			if (blk ~ re) {
				printf "run-vm: known report in %s ignored: %s\n", name, first > "/dev/stderr"
				gsub(/[^\n]+/, "", blk)  # keep the line count
			}
			printf "%s", blk
			blk = ""
		}
		inblk == 0 && /-----*\[ cut here \]|^\[ *[0-9.]+\] =====+$|page allocation failure: order:|vmalloc error: size/ { inblk = 1; blk = ""; first = "" }
		inblk == 1 {
			blk = blk $0 "\n"
			if (first == "" && $0 ~ /WARNING|BUG|possible|DEADLOCK|failure|error/) first = $0
			if ($0 ~ /<\/TASK>|---\[ end trace/) { inblk = 0; flush() }
			next
		}
		{ print }
		END { flush() }' "$1"
}
for f in console kernel; do
	drop_known "$logdir/$f.log" >"$logdir/$f.checked"
done
bad=$(grep -HnE "$BAD_RE" "$logdir/console.checked" "$logdir/kernel.checked" | filter_allowed || true)
rm -f "$logdir/console.checked" "$logdir/kernel.checked"
if [ -n "$bad" ]; then
	fail+=("kernel log reports problems ($(echo "$bad" | wc -l) lines)")
fi

# KTAP from the guest test, between the markers, on stdout.
if [ -n "$test" ] && [ "$shell" -eq 0 ]; then
	if grep -q '<<<RBNN-VM KTAP BEGIN' "$logdir/ktap.log"; then
		sed -n '/<<<RBNN-VM KTAP BEGIN/,/<<<RBNN-VM KTAP END/{/<<<RBNN-VM KTAP/d;p}' "$logdir/ktap.log"
		grep -q '<<<RBNN-VM KTAP END' "$logdir/ktap.log" || fail+=("KTAP output cut short")
	else
		fail+=("no KTAP output from the guest test")
	fi
fi

# What the host agent did for the guest (requests, QEMU's replies, events).
if grep -q 'guest asks' "$logdir/host.log" 2>/dev/null; then
	grep -E 'guest asks|QEMU|refused|event' "$logdir/host.log" | sed 's/^/run-vm: host: /' >&2
	if grep -qE 'refused|QEMU error|no reply' "$logdir/host.log"; then
		fail+=("a guest request to the host failed (host.log)")
	fi
fi

{
	echo "test=$name status=$status guest_rc=${guest_rc:-none} taint=${taint:-none} wall=${wall}s"
	for f in ${fail[@]+"${fail[@]}"}; do echo "FAIL: $f"; done
} >"$logdir/result"
if [ ${#fail[@]} -eq 0 ]; then
	log "$name passed in ${wall}s (logs: $logdir)"
	exit 0
fi
for f in "${fail[@]}"; do log "ERROR $name: $f"; done
if [ -n "$bad" ]; then
	echo "$bad" | sed -n 1,40p | sed 's/^/    /' >&2
fi
if [ -z "$done_line" ] || [ "$status" -eq 124 ]; then
	log "last console lines:"
	tail -n 15 "$logdir/console.log" | sed 's/^/    /' >&2
fi
log "logs: $logdir (rerun this boot by hand: $logdir/qemu.sh)"
exit 1
