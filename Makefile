# SPDX-License-Identifier: GPL-2.0
#
# make                 build for the running kernel (or KDIR=/path/to/headers)
# make install         install into /lib/modules/KVER/updates and run depmod
# make dkms-install    register, build and install through DKMS
# make dkms-uninstall  remove it from DKMS again
# make check           the test suite (QEMU, several kernels; needs root)
# make demo            boot a stock Debian kernel in QEMU and show the driver
# make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

PACKAGE := $(shell sed -n 's/^PACKAGE_NAME="\(.*\)"$$/\1/p' dkms.conf)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC := /usr/src/$(PACKAGE)-$(VERSION)
# What DKMS needs of this tree (and what a source package ships).
DIST_FILES := Kbuild Makefile dkms.conf src include

.PHONY: all modules install dkms-install dkms-uninstall check demo clean

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

dkms-install:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -a $(wildcard $(DIST_FILES)) $(DKMS_SRC)/
	dkms add -m $(PACKAGE) -v $(VERSION)
	dkms build -m $(PACKAGE) -v $(VERSION) -k $(KVER)
	dkms install -m $(PACKAGE) -v $(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m $(PACKAGE) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

check:
	tests/check.sh

demo:
	tests/demo.sh

# Works without kernel headers too (e.g. on a machine that only runs tests).
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f vpd_config.h *.ko *.o *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -f src/*.o src/.*.cmd
