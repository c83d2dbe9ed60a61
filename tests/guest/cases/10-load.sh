# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# load: the module loads, registers its PCI driver, and claims no device on
# its own (no pci: alias to be autoloaded by, nothing bound after loading).
# Leaves the module loaded.

T=load

if module_loaded "$VPD_MODULE" && ! rmmod "$VPD_MODULE"; then
	fail "$T" "$VPD_MODULE was already loaded and cannot be removed"
	exit 1
fi

if ! out=$(modprobe "$VPD_MODULE" 2>&1); then
	fail "$T.modprobe" "modprobe $VPD_MODULE: $out"
	exit 1
fi
pass "$T.modprobe"

if wait_for -t 5 "[ -d $SYSPCI/drivers/$VPD_DRIVER ]"; then
	pass "$T.driver"
else
	fail "$T.driver" "no $SYSPCI/drivers/$VPD_DRIVER after modprobe"
fi

aliases=$(modinfo -F alias "$VPD_MODULE" 2>/dev/null | grep '^pci:' |
	tr '\n' ' ')
if [ -z "$aliases" ]; then
	pass "$T.no-pci-alias"
else
	fail "$T.no-pci-alias" "module would be autoloaded for: $aliases"
fi

bound=
for p in "$SYSPCI/drivers/$VPD_DRIVER"/[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*; do
	[ -e "$p" ] && bound="$bound ${p##*/}"
done
if [ -z "$bound" ]; then
	pass "$T.no-autobind"
else
	fail "$T.no-autobind" "bound on its own:$bound"
	for bdf in $bound; do
		unbind "$bdf"
	done
fi
