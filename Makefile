# SPDX-License-Identifier: GPL-2.0
#
# make                 build for the running kernel (or KDIR=/path/to/headers):
#                      vfio-pci-dmabuf.ko (the variant driver) and, where
#                      the kernel allows it, vfio-pci.ko (the drop-in)
# make install         install the variant into /lib/modules/KVER/updates
#                      and run depmod
# make install-dropin  the same for the drop-in vfio-pci (replaces the
#                      kernel's vfio-pci: see README, "DPDK and SPDK")
# make dkms-install    register, build and install the variant through DKMS
#                      (DROPIN=1: the drop-in)
# make dkms-uninstall  remove it from DKMS again (DROPIN=1: the drop-in)
# make dist-install    the variant's DKMS source tree into
#                      $(DESTDIR)/usr/src/NAME-VERSION; DROPIN=1: the
#                      drop-in's (dkms-dropin.conf) into NAME-dropin-VERSION
# make deb             the .debs (vfio-pci-dmabuf-dkms and the opt-in
#                      vfio-pci-dmabuf-dropin-dkms, dh-dkms) into dist/
# make rpm             the noarch DKMS .rpms (rpm/vfio-pci-dmabuf.spec) into dist/
# make check           the test suite (QEMU, several kernels; needs root)
# make demo            boot a stock Debian kernel in QEMU and show the driver
# make soak            on the debug kernel: 10^4 stress cycles and a 10-minute
#                      fuzzer run (VPD_SOAK_CYCLES, VPD_SOAK_SECONDS,
#                      VPD_FUZZ_SEED)
# make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

PACKAGE := $(shell sed -n 's/^PACKAGE_NAME="\(.*\)"$$/\1/p' dkms.conf)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
# DROPIN=1: the drop-in's DKMS package (dkms-dropin.conf) instead.
DKMS_NAME := $(PACKAGE)$(if $(DROPIN),-dropin)
DKMS_SRC := /usr/src/$(DKMS_NAME)-$(VERSION)
# What DKMS needs of this tree (and what a source package ships).
DIST_FILES := Kbuild Makefile dkms.conf dkms-dropin.conf src include

.PHONY: all modules install install-dropin dist-install dkms-install \
	dkms-uninstall deb rpm check soak demo clean

all: modules

# Kbuild leaves the drop-in out where it is refused; say so once, here.
modules:
	@sh src/compat/dropin-check.sh $(KDIR)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: VPD_MODULES := vfio-pci-dmabuf
install-dropin: VPD_MODULES := vfio-pci
install install-dropin:
	$(MAKE) -C $(KDIR) M=$(CURDIR) VPD_MODULES=$(VPD_MODULES) modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) VPD_MODULES=$(VPD_MODULES) \
		INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

# The drop-in's tree is the same tree with dkms-dropin.conf as its dkms.conf
# (the version is dkms.conf's, filled in here as dh_dkms -V does).
dist-install:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	cp -R $(wildcard $(DIST_FILES)) $(DESTDIR)$(DKMS_SRC)/
	if [ -n "$(DROPIN)" ]; then \
		sed 's/[#]MODULE_VERSION[#]/$(VERSION)/' dkms-dropin.conf \
			>$(DESTDIR)$(DKMS_SRC)/dkms.conf; \
	fi
	rm -f $(DESTDIR)$(DKMS_SRC)/dkms-dropin.conf
	find $(DESTDIR)$(DKMS_SRC) -type d -exec chmod 755 {} +
	find $(DESTDIR)$(DKMS_SRC) -type f -exec chmod 644 {} +
	chmod 755 $(DESTDIR)$(DKMS_SRC)/src/compat/conftest.sh \
		$(DESTDIR)$(DKMS_SRC)/src/compat/dropin-check.sh

dkms-install: dist-install
	dkms add -m $(DKMS_NAME) -v $(VERSION)
	dkms build -m $(DKMS_NAME) -v $(VERSION) -k $(KVER)
	dkms install -m $(DKMS_NAME) -v $(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m $(DKMS_NAME) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# Binary packages only; the outputs land in dist/.
deb:
	dpkg-buildpackage -b -us -uc
	mkdir -p dist
	mv ../$(PACKAGE)-dkms_$(VERSION)_all.deb \
		../$(PACKAGE)-dropin-dkms_$(VERSION)_all.deb \
		../$(PACKAGE)_$(VERSION)_*.changes \
		../$(PACKAGE)_$(VERSION)_*.buildinfo dist/

RPM_TOP := $(CURDIR)/dist/rpmbuild
rpm:
	rm -rf $(RPM_TOP)
	mkdir -p $(RPM_TOP)/SOURCES dist
	tar -czf $(RPM_TOP)/SOURCES/$(PACKAGE)-$(VERSION).tar.gz \
		--transform 's,^,$(PACKAGE)-$(VERSION)/,' \
		--owner=0 --group=0 --sort=name $(DIST_FILES) README.md
	rpmbuild -bb --define '_topdir $(RPM_TOP)' rpm/$(PACKAGE).spec
	mv $(RPM_TOP)/RPMS/noarch/*.rpm dist/
	rm -rf $(RPM_TOP)

check:
	tests/check.sh

soak:
	tests/soak.sh

demo:
	tests/demo.sh

# Works without kernel headers too (e.g. on a machine that only runs tests).
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f vpd_config.h *.ko *.o *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -f src/*.o src/.*.cmd src/dropin/*.o src/dropin/.*.cmd
	rm -rf dist
