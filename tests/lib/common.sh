# shellcheck shell=bash
# shellcheck disable=SC2034 # VPD_* variables are for the sourcing scripts
# tests/lib/common.sh - basics shared by the vfio-pci-dmabuf test rig.
#
# Source it (directly or through kernels.sh / vm.sh / report.sh); it does not
# change shell options, entry points set `set -euo pipefail` themselves.
#
#   VPD_CACHE          cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/vfio-pci-dmabuf)
#   VPD_TOP            repository top (derived from this file's location)
#   log MSG...         message to stderr
#   die MSG...         message to stderr, exit 1
#   need_root [WHAT]   die unless running as root
#   need_cmd CMD...    die unless every CMD is on PATH
#   host_apt_install PKG...
#                      install the missing PKGs on the host (apt-get update at
#                      most once per run, and only when something is missing)
#   host_apt_update_once

[[ -n ${_VPD_COMMON_SH:-} ]] && return 0
_VPD_COMMON_SH=1

VPD_LIB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
VPD_TESTS_DIR=${VPD_LIB_DIR%/*}
VPD_TOP=${VPD_TESTS_DIR%/*}
: "${VPD_CACHE:=${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/vfio-pci-dmabuf}"
export VPD_CACHE

log() {
	printf '[vpd %(%H:%M:%S)T] %s\n' -1 "$*" >&2
}

die() {
	printf 'vpd: error: %s\n' "$*" >&2
	exit 1
}

need_root() {
	[[ ${EUID:-$(id -u)} -eq 0 ]] || die "${1:-this step} must run as root (try sudo)"
}

need_cmd() {
	local c
	for c; do
		command -v -- "$c" >/dev/null 2>&1 || die "required command not found: $c"
	done
}

# Wait up to 10 min for other apt/dpkg users instead of failing at once.
_VPD_APT_LOCK_OPTS=(-o DPkg::Lock::Timeout=600)

# True if package $1 is installed on the host.
host_pkg_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' -- "$1" 2>/dev/null) == installed ]]
}

# apt-get update on the host, once per run (exported marker, so child scripts
# of one driver do not repeat it).
host_apt_update_once() {
	[[ -n ${VPD_HOST_APT_UPDATED:-} ]] && return 0
	need_root "apt-get update"
	log "apt-get update (host)"
	DEBIAN_FRONTEND=noninteractive apt-get "${_VPD_APT_LOCK_OPTS[@]}" -q update >&2 ||
		die "host apt-get update failed"
	VPD_HOST_APT_UPDATED=1
	export VPD_HOST_APT_UPDATED
}

host_apt_install() {
	local p missing=()
	for p; do
		host_pkg_installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	need_root "installing ${missing[*]}"
	host_apt_update_once
	log "installing on host: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get "${_VPD_APT_LOCK_OPTS[@]}" -q install -y \
		--no-install-recommends -- "${missing[@]}" >&2 ||
		die "apt-get install failed: ${missing[*]}"
}
