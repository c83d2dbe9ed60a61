# SPDX-License-Identifier: GPL-2.0
#
# make                 build for the running kernel (or KDIR=/path/to/headers)
# make install         install into /lib/modules/KVER/updates and run depmod
# make dkms-install    register, build and install through DKMS
# make dkms-uninstall  remove it from DKMS again
# make dist-install    the DKMS source tree into $(DESTDIR)/usr/src/NAME-VERSION
# make deb             the .deb (vfio-pci-dmabuf-dkms, dh-dkms) into dist/
# make rpm             the noarch DKMS .rpm (rpm/vfio-pci-dmabuf.spec) into dist/
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
DKMS_SRC := /usr/src/$(PACKAGE)-$(VERSION)
# What DKMS needs of this tree (and what a source package ships).
DIST_FILES := Kbuild Makefile dkms.conf src include

.PHONY: all modules install dist-install dkms-install dkms-uninstall deb rpm \
	check soak demo clean

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

dist-install:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	cp -R $(wildcard $(DIST_FILES)) $(DESTDIR)$(DKMS_SRC)/
	find $(DESTDIR)$(DKMS_SRC) -type d -exec chmod 755 {} +
	find $(DESTDIR)$(DKMS_SRC) -type f -exec chmod 644 {} +
	chmod 755 $(DESTDIR)$(DKMS_SRC)/src/compat/conftest.sh

dkms-install: dist-install
	dkms add -m $(PACKAGE) -v $(VERSION)
	dkms build -m $(PACKAGE) -v $(VERSION) -k $(KVER)
	dkms install -m $(PACKAGE) -v $(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m $(PACKAGE) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# Binary packages only; the outputs land in dist/.
deb:
	dpkg-buildpackage -b -us -uc
	mkdir -p dist
	mv ../$(PACKAGE)-dkms_$(VERSION)_all.deb ../$(PACKAGE)_$(VERSION)_*.changes \
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
	rm -f src/*.o src/.*.cmd
	rm -rf dist
