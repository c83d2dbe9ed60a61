#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The packages, built the way the Makefile builds them, in a copy of the
# tree:
#   packages/version      dkms.conf, debian/changelog and the rpm spec name
#                         one version (dkms.conf's is the one to follow)
#   packages/deb          make deb (dpkg-buildpackage -b -us -uc, dh-dkms)
#   packages/deb-lintian  lintian finds no error in the .deb
#   packages/deb-content  the .deb carries dkms.conf at /usr/src/NAME-VERSION
#                         and DKMS maintainer scripts
#   packages/rpm          make rpm (rpmbuild -bb), the same checks
#   packages/dkms-refuses DKMS refuses, with its BUILD_EXCLUSIVE message, a
#                         kernel whose .config lacks CONFIG_VFIO_PCI_CORE
#   packages/make-refuses so does a plain make, saying which option
# Usage: tests/packages.sh [KERNEL] (a distro kernel whose headers install
# on this host, for the refusal tests; default: the first such of the matrix)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root
host_apt_install dpkg-dev debhelper dh-dkms lintian rpm fakeroot dkms make tar gzip

work=$(mktemp -d "${TMPDIR:-/tmp}/vpd-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$VPD_TOP/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$VPD_TOP/dkms.conf")
spec=$VPD_TOP/rpm/$name.spec

# ---------------------------------------------------------------- version
deb_version=$(cd "$VPD_TOP" && dpkg-parsechangelog -S Version)
rpm_version=$(rpmspec -q --srpm --qf '%{VERSION}\n' "$spec" 2>/dev/null | head -n 1)
rpm_log_version=$(sed -n '/^%changelog/,$ s/^\* .* - \([^ -]*\)-[^ ]*$/\1/p' "$spec" | head -n 1)
if [[ -z $version ]]; then
	t_fail packages/version "no PACKAGE_VERSION in dkms.conf"
elif [[ $deb_version != "$version" || $rpm_version != "$version" || $rpm_log_version != "$version" ]]; then
	t_fail packages/version "dkms.conf $version, debian/changelog $deb_version, spec Version $rpm_version, spec %changelog $rpm_log_version"
else
	t_pass packages/version
fi

# A copy of the tree: packaging writes into debian/ and dist/.
tree=$work/tree
vpd_tree_copy "$tree"

# deb_or_rpm_content KIND FILE LISTING SCRIPTS: the shared content checks.
content_check() {
	local kind=$1 listing=$2 scripts=$3 missing=() f
	for f in dkms.conf Kbuild Makefile src/main.c src/dmabuf.c src/compat/conftest.sh \
		include/uapi/linux/vfio-pci-dmabuf.h; do
		grep -qE "(^|[ /.])usr/src/$name-$version/$f\$" <<<"$listing" || missing+=("$f")
	done
	if ((${#missing[@]})); then
		t_fail "packages/$kind-content" "missing under /usr/src/$name-$version: ${missing[*]}"
	elif ! grep -q 'dkms' <<<"$scripts"; then
		t_fail "packages/$kind-content" "no DKMS in the maintainer scripts"
	else
		t_pass "packages/$kind-content"
	fi
}

# ---------------------------------------------------------------- deb
if make -C "$tree" deb >"$work/deb.log" 2>&1; then
	t_pass packages/deb
	deb=$(compgen -G "$tree/dist/$name-dkms_${version}_all.deb" | head -n 1)
	out=$(lintian --fail-on error --suppress-tags repeated-path-segment "$deb" 2>&1 |
		grep -v 'running with root privileges' || true)
	if lintian --fail-on error "$deb" >/dev/null 2>&1; then
		t_pass packages/deb-lintian
		[[ -z $out ]] || log "lintian (no errors): $out"
	else
		t_fail packages/deb-lintian "$out"
	fi
	mkdir -p "$work/deb-ctl"
	dpkg-deb -e "$deb" "$work/deb-ctl"
	content_check deb "$(dpkg-deb -c "$deb" | awk '{ print $6 }')" \
		"$(cat "$work"/deb-ctl/postinst "$work"/deb-ctl/prerm 2>/dev/null)"
	if ! cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$name-$version/dkms.conf") \
		"$VPD_TOP/dkms.conf"; then
		t_fail packages/deb-content "the packaged dkms.conf differs from the tree's"
	fi
else
	t_fail packages/deb "$(tail -n 15 "$work/deb.log")"
fi

# ---------------------------------------------------------------- rpm
if make -C "$tree" rpm >"$work/rpm.log" 2>&1; then
	t_pass packages/rpm
	rpmf=$(compgen -G "$tree/dist/$name-dkms-$version-*.noarch.rpm" | head -n 1)
	content_check rpm "$(rpm -qpl "$rpmf" 2>/dev/null)" "$(rpm -qp --scripts "$rpmf" 2>/dev/null)"
else
	t_fail packages/rpm "$(tail -n 15 "$work/rpm.log")"
fi

# ---------------------------------------------------------------- dkms refusal
# The headers of a distro kernel, with CONFIG_VFIO_PCI_CORE switched off in
# a copy of their .config (and of auto.conf, which kbuild reads): DKMS must
# refuse to build, and say why.
k=${1:-}
if [[ -z $k ]]; then
	for k in $(kernels_list); do
		kernel_is_chroot "$k" || break
	done
fi
kver=$(kernel_kver "$k")
kernel_headers "$k"
kdir=$work/headers
cp -a "/usr/src/linux-headers-$kver/." "$kdir/"
sed -i 's/^CONFIG_VFIO_PCI_CORE=.*/# CONFIG_VFIO_PCI_CORE is not set/' "$kdir/.config"
sed -i '/^CONFIG_VFIO_PCI_CORE=/d' "$kdir/include/config/auto.conf"
rm -rf "/usr/src/$name-$version.pkgtest"
dtree=$work/dkms
mkdir -p "$dtree"
make -C "$tree" dist-install DESTDIR="$work/root" >/dev/null
rc=0
dkms build --dkmstree "$dtree" --sourcetree "$work/root/usr/src" -m "$name" -v "$version" \
	-k "$kver" --kernelsourcedir "$kdir" >"$work/dkms.log" 2>&1 || rc=$?
if ((rc == 0)); then
	t_fail packages/dkms-refuses "dkms built for a kernel without CONFIG_VFIO_PCI_CORE: $(tail -n 3 "$work/dkms.log")"
elif grep -q 'BUILD_EXCLUSIVE' "$work/dkms.log"; then
	log "dkms (exit $rc): $(grep -m1 BUILD_EXCLUSIVE "$work/dkms.log")"
	t_pass packages/dkms-refuses
else
	t_fail packages/dkms-refuses "dkms exit $rc without naming BUILD_EXCLUSIVE: $(tail -n 5 "$work/dkms.log")"
fi

# Outside DKMS, the build says the same: make against those headers.
rc=0
make -C "$kdir" M="$work/root/usr/src/$name-$version" modules >"$work/make.log" 2>&1 || rc=$?
if ((rc != 0)) && grep -q 'needs a kernel with CONFIG_VFIO_PCI_CORE' "$work/make.log"; then
	t_pass packages/make-refuses
else
	t_fail packages/make-refuses "make exit $rc without the CONFIG_VFIO_PCI_CORE message: $(tail -n 5 "$work/make.log")"
fi

t_done
