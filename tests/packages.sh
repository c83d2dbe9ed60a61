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
#   packages/dropin-deb*  the same for the opt-in drop-in's .deb
#                         (NAME-dropin-dkms: dkms-dropin.conf as its
#                         dkms.conf, the version filled in; its maintainer
#                         scripts rebuild initramfs images)
#   packages/rpm*         make rpm (rpmbuild -bb), the same checks for both
#   packages/deb-PKG-*    the userspace packages (libvfio-dmabuf0,
#                         libvfio-dmabuf-dev, vfio-dmabuf): lintian finds no
#                         error or warning, and each carries its files;
#                         packages/deb-dkms-kernel-only: the DKMS tree none
#   packages/rpm-PKG-content
#                         the spec's matching subpackages carry theirs
#   packages/dkms-refuses DKMS refuses, with its BUILD_EXCLUSIVE message, a
#                         kernel whose .config lacks CONFIG_VFIO_PCI_CORE
#   packages/make-refuses so does a plain make, saying which option
#   packages/dropin-dkms-refuses-builtin
#                         with CONFIG_VFIO_PCI=y, DKMS skips the drop-in
#                         (exit 77, nothing built) with dropin-check.sh's
#                         line, once; packages/dropin-refusal-variant-builds:
#                         the variant builds for that kernel all the same
#   packages/dropin-make-refuses-builtin
#                         make VPD_MODULES=vfio-pci stops with that line
# Usage: tests/packages.sh [KERNEL] (the distro kernel whose headers the
# refusal tests copy, in its build chroot; default: the matrix's first)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root
host_apt_install dpkg-dev debhelper dh-dkms lintian rpm fakeroot make tar gzip

# Under $VPD_CACHE/build: the refusal tests run DKMS in a build chroot.
mkdir -p "$VPD_CACHE/build"
work=$(mktemp -d "$VPD_CACHE/build/packages.XXXXXX")
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

# content_check KIND DKMS-NAME LISTING SCRIPTS: the shared content checks.
content_check() {
	local kind=$1 dname=$2 listing=$3 scripts=$4 missing=() f
	for f in dkms.conf Kbuild Makefile src/main.c src/dmabuf.c src/compat/conftest.sh \
		src/compat/dropin-check.sh src/dropin/main.c \
		include/uapi/linux/vfio-pci-dmabuf.h; do
		grep -qE "(^|[ /.])usr/src/$dname-$version/$f\$" <<<"$listing" || missing+=("$f")
	done
	if ((${#missing[@]})); then
		t_fail "packages/$kind-content" "missing under /usr/src/$dname-$version: ${missing[*]}"
	elif ! grep -q 'dkms' <<<"$scripts"; then
		t_fail "packages/$kind-content" "no DKMS in the maintainer scripts"
	elif [[ $dname == *-dropin ]] && ! grep -qE 'update-initramfs|dracut' <<<"$scripts"; then
		t_fail "packages/$kind-content" "the drop-in's maintainer scripts rebuild no initramfs"
	else
		t_pass "packages/$kind-content"
	fi
}

# The drop-in's dkms.conf as packaged: dkms-dropin.conf, version filled in.
dropin_conf=$work/dropin-dkms.conf
sed "s/#MODULE_VERSION#/$version/" "$VPD_TOP/dkms-dropin.conf" >"$dropin_conf"

# deb_check KIND DEB DKMS-NAME CONF: lintian, content, the packaged dkms.conf.
deb_check() {
	local kind=$1 deb=$2 dname=$3 conf=$4 out
	out=$(lintian --fail-on error --suppress-tags repeated-path-segment "$deb" 2>&1 |
		grep -v 'running with root privileges' || true)
	if lintian --fail-on error "$deb" >/dev/null 2>&1; then
		t_pass "packages/$kind-lintian"
		[[ -z $out ]] || log "lintian (no errors): $out"
	else
		t_fail "packages/$kind-lintian" "$out"
	fi
	rm -rf "$work/deb-ctl"
	mkdir -p "$work/deb-ctl"
	dpkg-deb -e "$deb" "$work/deb-ctl"
	content_check "$kind" "$dname" "$(dpkg-deb -c "$deb" | awk '{ print $6 }')" \
		"$(cat "$work"/deb-ctl/postinst "$work"/deb-ctl/prerm "$work"/deb-ctl/postrm 2>/dev/null)"
	if ! cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$dname-$version/dkms.conf") \
		"$conf"; then
		t_fail "packages/$kind-content" "the packaged dkms.conf differs from $(basename -- "$conf")"
	fi
}

# files_check NAME LISTING PATH...: LISTING (one path a line) has each
# PATH, an extended regex matched against whole lines.
files_check() {
	local name=$1 listing=$2 missing=() f
	shift 2
	for f; do
		grep -qE "^\.?$f\$" <<<"$listing" || missing+=("$f")
	done
	if ((${#missing[@]})); then
		t_fail "$name" "missing: ${missing[*]} (has: $(grep -v '/$' <<<"$listing" | tr '\n' ' '))"
	else
		t_pass "$name"
	fi
}

# The userspace packages: PACKAGE FILE-REGEX... (the library, its -dev
# files, the tool), as debian/control and the spec name them.
lib=/usr/lib/x86_64-linux-gnu
deb_userspace=(
	"libvfio-dmabuf0 $lib/libvfio-dmabuf\.so\.0 $lib/libvfio-dmabuf\.so\.0\.1\.0"
	"libvfio-dmabuf-dev /usr/include/vfio-dmabuf\.h $lib/libvfio-dmabuf\.so $lib/libvfio-dmabuf\.a $lib/pkgconfig/libvfio-dmabuf\.pc /usr/share/man/man3/libvfio-dmabuf\.3\.gz /usr/share/doc/libvfio-dmabuf-dev/examples/spdk-cmb-dmabuf\.c"
	"vfio-dmabuf /usr/bin/vfio-dmabuf /usr/share/man/man1/vfio-dmabuf\.1\.gz"
)
rpm_userspace=(
	"libvfio-dmabuf /usr/lib64/libvfio-dmabuf\.so\.0 /usr/lib64/libvfio-dmabuf\.so\.0\.1\.0"
	"libvfio-dmabuf-devel /usr/include/vfio-dmabuf\.h /usr/lib64/libvfio-dmabuf\.so /usr/lib64/pkgconfig/libvfio-dmabuf\.pc /usr/share/man/man3/libvfio-dmabuf\.3.* .*/spdk-cmb-dmabuf\.c"
	"libvfio-dmabuf-static /usr/lib64/libvfio-dmabuf\.a"
	"vfio-dmabuf /usr/bin/vfio-dmabuf /usr/share/man/man1/vfio-dmabuf\.1.*"
)

# ---------------------------------------------------------------- deb
if make -C "$tree" deb >"$work/deb.log" 2>&1; then
	t_pass packages/deb
	deb=$(compgen -G "$tree/dist/$name-dkms_${version}_all.deb" | head -n 1)
	deb_check deb "$deb" "$name" "$VPD_TOP/dkms.conf"
	deb=$(compgen -G "$tree/dist/$name-dropin-dkms_${version}_all.deb" | head -n 1 || true)
	if [[ -n $deb ]]; then
		deb_check dropin-deb "$deb" "$name-dropin" "$dropin_conf"
	else
		t_fail packages/dropin-deb "make deb made no $name-dropin-dkms_${version}_all.deb: $(ls "$tree/dist")"
	fi
	for entry in "${deb_userspace[@]}"; do
		read -r -a want <<<"$entry"
		pkg=${want[0]}
		deb=$(compgen -G "$tree/dist/${pkg}_${version}_*.deb" | head -n 1 || true)
		if [[ -z $deb ]]; then
			t_fail "packages/deb-$pkg" "make deb made no ${pkg}_${version}_*.deb: $(ls "$tree/dist")"
			continue
		fi
		out=$(lintian --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges' || true)
		if lintian --fail-on error,warning "$deb" >/dev/null 2>&1; then
			t_pass "packages/deb-$pkg-lintian"
		else
			t_fail "packages/deb-$pkg-lintian" "$out"
		fi
		files_check "packages/deb-$pkg-content" "$(dpkg-deb -c "$deb" | awk '{ print $6 }')" "${want[@]:1}"
	done
	# No userspace in the DKMS source trees.
	if dpkg-deb -c "$(compgen -G "$tree/dist/$name-dkms_${version}_all.deb")" |
		grep -qE 'src/(lib|tools)/|include/vfio-dmabuf\.h'; then
		t_fail packages/deb-dkms-kernel-only "the DKMS tree carries the userspace sources"
	else
		t_pass packages/deb-dkms-kernel-only
	fi
else
	t_fail packages/deb "$(tail -n 15 "$work/deb.log")"
fi

# ---------------------------------------------------------------- rpm
# This host's rpm database is not dpkg's: BuildRequires cannot be seen.
if make -C "$tree" rpm RPMBUILD_FLAGS=--nodeps >"$work/rpm.log" 2>&1; then
	t_pass packages/rpm
	rpmf=$(compgen -G "$tree/dist/$name-dkms-$version-*.noarch.rpm" | head -n 1)
	content_check rpm "$name" "$(rpm -qpl "$rpmf" 2>/dev/null)" "$(rpm -qp --scripts "$rpmf" 2>/dev/null)"
	rpmf=$(compgen -G "$tree/dist/$name-dropin-dkms-$version-*.noarch.rpm" | head -n 1 || true)
	if [[ -n $rpmf ]]; then
		content_check dropin-rpm "$name-dropin" "$(rpm -qpl "$rpmf" 2>/dev/null)" \
			"$(rpm -qp --scripts "$rpmf" 2>/dev/null)"
	else
		t_fail packages/dropin-rpm "make rpm made no $name-dropin-dkms rpm: $(ls "$tree/dist")"
	fi
	for entry in "${rpm_userspace[@]}"; do
		read -r -a want <<<"$entry"
		pkg=${want[0]}
		rpmf=$(compgen -G "$tree/dist/$pkg-$version-*.x86_64.rpm" | head -n 1 || true)
		if [[ -z $rpmf ]]; then
			t_fail "packages/rpm-$pkg" "make rpm made no $pkg rpm: $(ls "$tree/dist")"
			continue
		fi
		files_check "packages/rpm-$pkg-content" "$(rpm -qpl "$rpmf" 2>/dev/null)" "${want[@]:1}"
	done
else
	t_fail packages/rpm "$(tail -n 15 "$work/rpm.log")"
fi

# ---------------------------------------------------------------- dkms refusal
# The headers of a distro kernel, with CONFIG_VFIO_PCI_CORE switched off in
# a copy of their .config (and of auto.conf, which kbuild reads): DKMS must
# refuse to build, and say why.
k=${1:-$(kernels_list | head -n 1)}
kver=$(kernel_kver "$k")
kernel_headers "$k"
croot=$(kernel_chroot_of "$k")
# in_env CMD...: CMD in $k's build chroot, from $work.
in_env() {
	(cd "$work" && kernel_in_buildenv "$k" "$@")
}
kdir=$work/headers
cp -a "$croot/usr/src/linux-headers-$kver/." "$kdir/"
sed -i 's/^CONFIG_VFIO_PCI_CORE=.*/# CONFIG_VFIO_PCI_CORE is not set/' "$kdir/.config"
sed -i '/^CONFIG_VFIO_PCI_CORE=/d' "$kdir/include/config/auto.conf"
dtree=$work/dkms
mkdir -p "$dtree"
make -C "$tree" dist-install DESTDIR="$work/root" >/dev/null
rc=0
in_env dkms build --dkmstree "$dtree" --sourcetree "$work/root/usr/src" -m "$name" -v "$version" \
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
in_env make -C "$kdir" M="$work/root/usr/src/$name-$version" modules >"$work/make.log" 2>&1 || rc=$?
if ((rc != 0)) && grep -q 'needs a kernel with CONFIG_VFIO_PCI_CORE' "$work/make.log"; then
	t_pass packages/make-refuses
else
	t_fail packages/make-refuses "make exit $rc without the CONFIG_VFIO_PCI_CORE message: $(tail -n 5 "$work/make.log")"
fi

# ---------------------------------------------------------------- drop-in refusal
# The same headers with CONFIG_VFIO_PCI=y: no module can replace a built-in
# vfio-pci.  DKMS must skip the drop-in the way BUILD_EXCLUSIVE does (exit
# 77: a package install stays configured) and say why in one line, while
# the variant builds for that kernel as before.
# Beside the original, so that its relative links into linux-kbuild (scripts,
# objtool) still resolve: a real build runs in it.
kdir=/usr/src/linux-headers-$kver.vpd-pkgtest
trap 'rm -rf "$work" "${croot:?}$kdir"' EXIT
rm -rf "${croot:?}$kdir"
cp -a "$croot/usr/src/linux-headers-$kver" "$croot$kdir"
sed -i 's/^CONFIG_VFIO_PCI=.*/CONFIG_VFIO_PCI=y/' "$croot$kdir/.config" "$croot$kdir/include/config/auto.conf"
refusal="the drop-in vfio-pci is not built for $kver: its vfio-pci is built into the kernel (CONFIG_VFIO_PCI=y)"
make -C "$tree" dist-install DROPIN=1 DESTDIR="$work/root" >/dev/null
rm -rf "$dtree"
mkdir -p "$dtree"
rc=0
in_env dkms build --dkmstree "$dtree" --sourcetree "$work/root/usr/src" -m "$name-dropin" -v "$version" \
	-k "$kver" --kernelsourcedir "$kdir" >"$work/dkms-dropin.log" 2>&1 || rc=$?
n=$(grep -c -F "$refusal" "$work/dkms-dropin.log" || true)
built=$(find "$dtree" -name 'vfio-pci.ko*' | head -n 1)
if ((rc != 77)); then
	t_fail packages/dropin-dkms-refuses-builtin "dkms exit $rc, want 77 (skipped): $(tail -n 4 "$work/dkms-dropin.log")"
elif [[ $n != 1 || -n $built ]]; then
	t_fail packages/dropin-dkms-refuses-builtin "the refusal line $n times (want 1), module built: ${built:-none}: $(tr '\n' '|' <"$work/dkms-dropin.log")"
else
	log "dkms (exit $rc): $(grep -m1 -F "$refusal" "$work/dkms-dropin.log")"
	t_pass packages/dropin-dkms-refuses-builtin
fi
rc=0
in_env dkms build --dkmstree "$dtree" --sourcetree "$work/root/usr/src" -m "$name" -v "$version" \
	-k "$kver" --kernelsourcedir "$kdir" >"$work/dkms-variant.log" 2>&1 || rc=$?
if ((rc == 0)) && [[ -n $(find "$dtree/$name" -name "$name.ko*" | head -n 1) ]]; then
	t_pass packages/dropin-refusal-variant-builds
else
	t_fail packages/dropin-refusal-variant-builds "dkms exit $rc: $(tail -n 5 "$work/dkms-variant.log")"
fi

rc=0
in_env make -C "$kdir" M="$work/root/usr/src/$name-dropin-$version" VPD_MODULES=vfio-pci modules \
	>"$work/make-dropin.log" 2>&1 || rc=$?
if ((rc != 0)) && grep -q -F "$refusal" "$work/make-dropin.log"; then
	t_pass packages/dropin-make-refuses-builtin
else
	t_fail packages/dropin-make-refuses-builtin "make exit $rc without the refusal: $(tail -n 5 "$work/make-dropin.log")"
fi

t_done
