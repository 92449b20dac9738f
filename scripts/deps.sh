#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Idempotent dependency installer for RBNN on Debian 12 (bookworm).
#
#   scripts/deps.sh [GROUP...]     groups: run build python qemu vm kernel-build train results peers conformance edf-check bench report deb
#                                  (default: build qemu)
#   scripts/deps.sh --list [GROUP...]  the packages of each group (nothing installed)
#   RBNN_DEPS_DRY_RUN=1 scripts/deps.sh GROUP...  say what would be installed, install nothing
#   scripts/deps.sh bpo-pkgnames PREFIX        package names known to the private lists
#   scripts/deps.sh bpo-candidate PKG...       "PKG VERSION" for each PKG apt can fetch
#   scripts/deps.sh bpo-download DIR PKG...    apt-get download PKGs (or PKG=VERSION)
#                                              from bookworm + backports into DIR,
#                                              skipping any whose .deb is already there
#
# Debian packages come from the system's sources. Packages that only
# bookworm-backports has are installed through a private deb822 sources file
# kept in the cache, so the system's own sources are never changed.
#
# It runs on Debian 12 (bookworm) only: the package names, versions and
# bookworm-backports are that release's. Elsewhere it stops and says so;
# RBNN_DEPS_ANY_OS=1 runs it anyway (a bookworm derivative, at your own
# risk), or install the packages of `--list` by your system's means.
# RBNN_OS_RELEASE names another os-release file (tests).
set -euo pipefail

CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}
APTDIR=$CACHE/apt
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf 'deps: %s\n' "$*" >&2; }

# Packages from bookworm itself, per group.
# make run and make demo: compile libbnn, bnn-run and the core (libdrm and
# libudev for the card backend, EDFlib for the EDF reader, zlib for the
# model files' CRC-32; the -dev packages pull in their runtime libraries,
# zlib1g and the rest), nothing else.
PKGS_run="build-essential pkg-config libdrm-dev libudev-dev libedf-dev zlib1g-dev"
# Everything host-side, with the unit tests (cmocka) and fuzzers (clang).
PKGS_build="$PKGS_run ccache xz-utils ca-certificates libcmocka-dev clang-14 libclang-rt-14-dev"
# The Python package bnn (python/, make python, make test-python): a C
# extension over libbnn built with Debian's setuptools against NumPy's C
# API, pip to build and install the wheel, pytest for its tests;
# Dask.distributed for bnn.dask (recordings classified across a cluster);
# onnx for the ONNX importer's tests (tools/train/onnx_import.py).
PKGS_python="$PKGS_run python3-dev python3-numpy python3-setuptools python3-wheel python3-pip python3-pytest python3-distributed python3-onnx"
PKGS_qemu="libglib2.0-dev ninja-build python3-venv zlib1g-dev seabios qemu-system-data dpkg-dev"
# VM test tier: guest initramfs (busybox, cpio, kmod's depmod/modprobe), the
# kernel's compressed payloads (zstd, xz), out-of-tree module builds against
# the unpacked headers (pahole for BTF, sparse for C=1), shell lint.
PKGS_vm="busybox-static cpio kmod zstd xz-utils dwarves sparse shellcheck libc-bin make gcc"
# The VM tier's debug kernel (tests/vm/kernel-debug.sh): what a kernel build
# from linux-source needs beyond the vm group.
PKGS_kernel_build="bc bison flex libelf-dev libssl-dev python3"
# Model training (tools/train, run with /usr/bin/python3): PyTorch with a threaded OpenBLAS.
PKGS_train="python3-torch libopenblas0-pthread python3-numpy"
# make results: the study's plots (PNG).
PKGS_results="python3-matplotlib"
# make test-report: bnn-run --report's page rendered by headless Chromium.
PKGS_report="chromium"
# Beat-detection peers (tools/results/qrs_peers.py): a venv on top of the
# system Python with pinned wfdb (XQRS, GQRS) and NeuroKit2 from PyPI.
PKGS_peers="python3-venv python3-numpy python3-scipy"
PEERS_VENV=$CACHE/venv-peers
# matplotlib too: the system one is built for numpy 1, wfdb pulls numpy 2.
PEERS_PIP="wfdb==4.3.1 neurokit2==0.2.13 matplotlib==3.10.3"
# WFDB conformance tests: the reference reader/writer (the wfdb package from
# PyPI, pinned) in a venv over the system's NumPy/SciPy, see conformance_venv.
PKGS_conformance="python3-venv python3-numpy python3-scipy"
WFDB_PY_VERSION=4.3.1
# EDF conformance check (tests/unit/test_bnn_run.sh): a venv over the system
# Python with pyedflib from PyPI (Debian has no package of it), pinned.
PKGS_edf_check="python3-venv python3-numpy"
EDF_VENV=$CACHE/venv-edf
PYEDFLIB_VERSION=0.1.42
# make bench: OpenBLAS as bench_bnn's float32 reference (its own cblas.h,
# found through pkg-config), PyTorch CPU and, in a venv over the system
# Python, the runtimes a user would pick instead: ONNX Runtime (fp32) and
# Larq Compute Engine (the same binarized network; it converts through
# TensorFlow's Keras 2, hence tf-keras). Benchmark-only: nothing else uses
# them. The LCE set is optional: when it does not install, pip's error is
# kept in $BENCH_VENV/lce-install.log and the benchmark says so.
PKGS_bench="libopenblas-pthread-dev pkg-config python3-venv python3-numpy python3-torch"
BENCH_VENV=$CACHE/venv-bench
BENCH_PIP="onnxruntime==1.32.0"
BENCH_LCE_PIP="larq==0.14.0 larq-compute-engine==0.16.0 tensorflow-cpu==2.16.2 tf-keras==2.16.0"
# make deb and make test-deb (packaging/): Debian's packaging tools
# (dh with the dkms addon, lintian), the run group to compile, gcc-12 for
# the guest kernel's headers, and mmdebstrap for the clean test root.
PKGS_deb="$PKGS_run debhelper dh-dkms dkms lintian fakeroot dpkg-dev gcc-12 mmdebstrap"
# Packages taken from bookworm-backports (too old or missing in bookworm).
BPO_qemu="meson python3-pycotap"

DRY_RUN=${RBNN_DEPS_DRY_RUN:-}
[ "$DRY_RUN" = 0 ] && DRY_RUN=

# One KEY of an os-release file, unquoted (the file is read, never sourced).
os_field() {
	awk -v k="$1" 'index($0, k "=") == 1 {
		v = substr($0, length(k) + 2)
		if (v ~ /^".*"$/ || v ~ /^\047.*\047$/) v = substr(v, 2, length(v) - 2)
		print v
		exit
	}' "$2"
}

# Stop unless this is Debian 12 (or RBNN_DEPS_ANY_OS=1).
check_os() {
	local f=${RBNN_OS_RELEASE:-} id='' ver='' code='' what
	if [ -z "$f" ]; then
		f=/etc/os-release
		[ -r "$f" ] || f=/usr/lib/os-release
	fi
	if [ -r "$f" ]; then
		id=$(os_field ID "$f") ver=$(os_field VERSION_ID "$f")
		code=$(os_field VERSION_CODENAME "$f")
		what=$(os_field PRETTY_NAME "$f")
		what=${what:-${id:-?} ${ver:-?}}
	else
		what="unknown (no readable $f)"
	fi
	if [ "$id" = debian ] && { [ "$ver" = 12 ] || [ "$code" = bookworm ]; }; then
		return 0
	fi
	if [ "${RBNN_DEPS_ANY_OS:-0}" = 1 ]; then
		log "warning: this is $what, not Debian 12 (bookworm); going on because RBNN_DEPS_ANY_OS=1 (package names and bookworm-backports may not exist here)"
		return 0
	fi
	log "this script installs Debian 12 (bookworm) packages, some from bookworm-backports;"
	log "this system is $what: nothing installed."
	log "Install the equivalents of 'scripts/deps.sh --list GROUP...' yourself, or set"
	log "RBNN_DEPS_ANY_OS=1 to run it anyway (e.g. on a bookworm derivative)."
	exit 3
}

list_groups() {
	local g v pk bpo
	[ $# -gt 0 ] || set -- run build python qemu vm kernel-build train results peers conformance edf-check bench report deb
	for g in "$@"; do
		v=${g//-/_}
		pk="PKGS_$v" bpo="BPO_$v"
		[ -n "${!pk+x}" ] || { log "unknown group '$g'"; exit 2; }
		printf '%s: %s' "$g" "${!pk}"
		[ -z "${!bpo:-}" ] || printf ' (bookworm-backports: %s)' "${!bpo}"
		case $g in
		peers) printf ' (pip, in %s: %s)' "$PEERS_VENV" "$PEERS_PIP" ;;
		conformance) printf ' (pip, in %s: wfdb==%s)' "$CACHE/venv-wfdb" "$WFDB_PY_VERSION" ;;
		edf-check) printf ' (pip, in %s: pyedflib==%s)' "$EDF_VENV" "$PYEDFLIB_VERSION" ;;
		bench) printf ' (pip, in %s: %s; optional: %s)' "$BENCH_VENV" "$BENCH_PIP" "$BENCH_LCE_PIP" ;;
		esac
		echo
	done
}

missing() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			out+=("$p")
	done
	echo "${out[@]:-}"
}

apt_updated=
apt_update_system() {
	[ -n "$apt_updated" ] && return
	log "apt-get update (system sources)"
	$SUDO apt-get update -qq
	apt_updated=1
}

# The Debian mirror the system already uses (first non-security deb URI).
debian_mirror() {
	local uri
	uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -n1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# Private apt configuration that sees bookworm + bookworm-backports.
BPO_OPTS=()
bpo_setup() {
	[ ${#BPO_OPTS[@]} -gt 0 ] && return
	local mirror
	mirror=$(debian_mirror)
	mkdir -p "$APTDIR/lists/partial"
	cat >"$APTDIR/sources.list.tmp" <<SRC
Types: deb deb-src
URIs: $mirror
Suites: bookworm bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	mv "$APTDIR/sources.list.tmp" "$APTDIR/backports.sources"
	BPO_OPTS=(-o "Dir::Etc::sourcelist=$APTDIR/backports.sources"
		-o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$APTDIR/lists")
	# Refresh the private lists at most once a day.
	if [ -z "$(find "$APTDIR/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		log "apt-get update (private bookworm-backports lists)"
		$SUDO apt-get "${BPO_OPTS[@]}" update -qq
	fi
}

install_group() {
	local g=$1 pk bpo need
	pk="PKGS_$g"; bpo="BPO_$g"
	need=$(missing ${!pk:-})
	if [ -n "$DRY_RUN" ]; then
		log "dry run, group $g: would install: ${need:-nothing}"
		need=$(missing ${!bpo:-})
		[ -z "$need" ] || log "dry run, group $g: would install from bookworm-backports: $need"
		return 0
	fi
	if [ -n "$need" ]; then
		apt_update_system
		log "installing: $need"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
	fi
	need=$(missing ${!bpo:-})
	if [ -n "$need" ]; then
		bpo_setup
		local spec=()
		for p in $need; do spec+=("$p/bookworm-backports"); done
		log "installing from bookworm-backports: $need"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${BPO_OPTS[@]}" install -y -qq \
			--no-install-recommends "${spec[@]}"
	fi
}

install_peers() {
	install_group peers
	[ -z "$DRY_RUN" ] || { log "dry run: would set up $PEERS_VENV with $PEERS_PIP"; return 0; }
	if [ ! -x "$PEERS_VENV/bin/python" ]; then
		log "creating $PEERS_VENV"
		/usr/bin/python3 -m venv --system-site-packages "$PEERS_VENV"
	fi
	# The stamp holds the pinned set last installed: reinstall when it changes.
	local stamp=$PEERS_VENV/.rbnn-pins
	if [ "$(cat "$stamp" 2>/dev/null)" != "$PEERS_PIP" ]; then
		log "pip install into $PEERS_VENV: $PEERS_PIP"
		"$PEERS_VENV/bin/python" -m pip install -q $PEERS_PIP
		echo "$PEERS_PIP" >"$stamp"
	fi
}

# The bench venv: ONNX Runtime must install; the LCE set may fail (its
# wheels and TensorFlow's exist for few Pythons), which is recorded, not
# fatal. A stamp per set: each is retried only when its pins change.
bench_venv() {
	install_group bench
	[ -z "$DRY_RUN" ] || { log "dry run: would set up $BENCH_VENV with $BENCH_PIP, then try $BENCH_LCE_PIP"; return 0; }
	if [ ! -x "$BENCH_VENV/bin/python" ]; then
		log "creating $BENCH_VENV"
		mkdir -p "$CACHE"
		/usr/bin/python3 -m venv --system-site-packages "$BENCH_VENV"
	fi
	local pip=("$BENCH_VENV/bin/python" -m pip install -q --disable-pip-version-check)
	if [ "$(cat "$BENCH_VENV/.rbnn-pins" 2>/dev/null)" != "$BENCH_PIP" ]; then
		log "pip install into $BENCH_VENV: $BENCH_PIP"
		"${pip[@]}" $BENCH_PIP
		echo "$BENCH_PIP" >"$BENCH_VENV/.rbnn-pins"
	fi
	if [ "$(cat "$BENCH_VENV/.rbnn-lce-pins" 2>/dev/null)" != "$BENCH_LCE_PIP" ]; then
		log "pip install into $BENCH_VENV (optional, Larq Compute Engine): $BENCH_LCE_PIP"
		if "${pip[@]}" $BENCH_LCE_PIP >"$BENCH_VENV/lce-install.log" 2>&1; then
			rm -f "$BENCH_VENV/lce-install.log"
		else
			log "Larq Compute Engine did not install (the benchmark says so): see $BENCH_VENV/lce-install.log"
		fi
		echo "$BENCH_LCE_PIP" >"$BENCH_VENV/.rbnn-lce-pins"
	fi
}

# Fetch a source package's files from bookworm-backports into DIR (cached).
fetch_source() {
	local pkg=$1 dir=$2
	bpo_setup
	mkdir -p "$dir"
	(cd "$dir" && apt-get "${BPO_OPTS[@]}" source --download-only -qq "$pkg/bookworm-backports")
}

# Package names from the private lists that start with PREFIX (local lookup).
bpo_pkgnames() {
	bpo_setup
	apt-cache "${BPO_OPTS[@]}" pkgnames "$1" | sort -V
}

# For each package apt could fetch, print "NAME CANDIDATE-VERSION".
bpo_candidate() {
	bpo_setup
	local p v
	for p in "$@"; do
		v=$(apt-cache "${BPO_OPTS[@]}" policy "$p" 2>/dev/null |
			sed -n 's/^ *Candidate: //p')
		[ -n "$v" ] && [ "$v" != "(none)" ] && echo "$p $v"
	done
	return 0
}

# Download binary packages (NAME or NAME=VERSION) into DIR without
# installing them. Already downloaded ones (DIR/NAME_*.deb) are skipped.
bpo_download() {
	local dir=$1 p want=()
	shift
	mkdir -p "$dir"
	for p in "$@"; do
		compgen -G "$dir/${p%%=*}_*.deb" >/dev/null || want+=("$p")
	done
	[ ${#want[@]} -gt 0 ] || return 0
	bpo_setup
	log "downloading into $dir: ${want[*]}"
	# -o APT::Sandbox::User=root: the cache dir need not be readable by _apt.
	(cd "$dir" && apt-get "${BPO_OPTS[@]}" -o APT::Sandbox::User=root download -qq "${want[@]}")
}

# $CACHE/venv-wfdb with the pinned wfdb package (idempotent: a venv whose
# wfdb already has the pinned version is left alone).
conformance_venv() {
	local venv=$CACHE/venv-wfdb
	[ -z "$DRY_RUN" ] || { log "dry run: would set up $venv with wfdb==$WFDB_PY_VERSION"; return 0; }
	if [ -x "$venv/bin/python" ] &&
		[ "$("$venv/bin/python" -c 'import wfdb; print(wfdb.__version__)' 2>/dev/null)" = "$WFDB_PY_VERSION" ]; then
		return
	fi
	log "creating $venv (wfdb==$WFDB_PY_VERSION)"
	mkdir -p "$CACHE"
	/usr/bin/python3 -m venv --system-site-packages "$venv"
	"$venv/bin/python" -m pip install -q --disable-pip-version-check "wfdb==$WFDB_PY_VERSION"
}

# The edf-check venv: $EDF_VENV/bin/python imports pyedflib afterwards.
edf_check_venv() {
	install_group edf_check
	[ -z "$DRY_RUN" ] || { log "dry run: would set up $EDF_VENV with pyedflib==$PYEDFLIB_VERSION"; return 0; }
	if [ -x "$EDF_VENV/bin/python" ] &&
		"$EDF_VENV/bin/python" -c "import pyedflib, sys; sys.exit(pyedflib.__version__ != '$PYEDFLIB_VERSION')" 2>/dev/null; then
		return 0
	fi
	log "venv $EDF_VENV with pyedflib==$PYEDFLIB_VERSION"
	/usr/bin/python3 -m venv --system-site-packages "$EDF_VENV"
	"$EDF_VENV/bin/python" -m pip install -q --disable-pip-version-check \
		"pyedflib==$PYEDFLIB_VERSION"
}

main() {
	case ${1:-} in
	--list) shift; list_groups "$@"; return ;;
	-h | --help) sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; return ;;
	esac
	check_os
	case ${1:-} in
	fetch-source | bpo-*)
		[ -z "$DRY_RUN" ] || { log "dry run: would run $*"; return 0; } ;;
	esac
	local groups=("$@")
	[ ${#groups[@]} -gt 0 ] || groups=(build qemu)
	local g
	for g in "${groups[@]}"; do
		case $g in
		fetch-source) shift; fetch_source "$@"; return ;;
		bpo-pkgnames) shift; bpo_pkgnames "$@"; return ;;
		bpo-candidate) shift; bpo_candidate "$@"; return ;;
		bpo-download) shift; bpo_download "$@"; return ;;
		run | build | python | qemu | vm | train | results | report | deb) install_group "$g" ;;
		kernel-build) install_group kernel_build ;;
		peers) install_peers ;;
		conformance) install_group "$g"; conformance_venv ;;
		edf-check) edf_check_venv ;;
		bench) bench_venv ;;
		*) log "unknown group '$g'"; exit 2 ;;
		esac
	done
}

main "$@"
