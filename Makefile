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
#                      vfio-pci-dmabuf-dropin-dkms, dh-dkms; libvfio-dmabuf0,
#                      libvfio-dmabuf-dev, vfio-dmabuf) into dist/
# make rpm             the noarch DKMS .rpms and the library's and tool's
#                      (rpm/vfio-pci-dmabuf.spec) into dist/
# make check           the test suite (QEMU, several kernels; needs root)
# make demo            boot a stock Debian kernel in QEMU and show the driver
# make soak            on the debug kernel: 10^4 stress cycles and a 10-minute
#                      fuzzer run (VPD_SOAK_CYCLES, VPD_SOAK_SECONDS,
#                      VPD_FUZZ_SEED)
# make bench           the control path's cost as ratios, in QEMU guests
#                      whose clock counts instructions (tests/bench.sh: the
#                      in-tree exporter on 7.3, stock vfio-pci on 6.1 and
#                      6.12; report and plots under the cache; needs root;
#                      about 5 minutes; not part of make check)
# make tools          libvfio-dmabuf (shared, static, pkg-config file), the
#                      vfio-dmabuf tool as build/vfio-dmabuf, its man pages,
#                      and the DPDK example where libdpdk-dev is installed
#                      (VFD_EXAMPLES=no: never)
# make install-tools   those into $(DESTDIR)$(PREFIX) (LIBDIR, MANDIR)
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
# The userspace half, left out of the DKMS trees (src/lib, src/tools).
DIST_USERSPACE := src/lib src/tools include/vfio-dmabuf.h
# The binary packages of debian/control, as make deb collects them.
DEB_PACKAGES := $(PACKAGE)-dkms $(PACKAGE)-dropin-dkms libvfio-dmabuf0 \
	libvfio-dmabuf-dev vfio-dmabuf

.PHONY: FORCE test tools install-tools all modules install install-dropin dist-install dkms-install \
	dkms-uninstall deb rpm check soak bench demo clean

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
	rm -rf $(addprefix $(DESTDIR)$(DKMS_SRC)/,$(DIST_USERSPACE))
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
	for p in $(DEB_PACKAGES); do \
		mv ../$${p}_$(VERSION)_*.deb dist/ || exit 1; \
		mv ../$${p}-dbgsym_$(VERSION)_*.deb dist/ 2>/dev/null || :; \
	done
	mv ../$(PACKAGE)_$(VERSION)_*.changes \
		../$(PACKAGE)_$(VERSION)_*.buildinfo dist/

RPM_TOP := $(CURDIR)/dist/rpmbuild
# RPMBUILD_FLAGS=--nodeps on a host whose rpm database is not the system's
# (Debian), where rpmbuild cannot see gcc and make installed.
RPMBUILD_FLAGS ?=
rpm:
	rm -rf $(RPM_TOP)
	mkdir -p $(RPM_TOP)/SOURCES dist
	tar -czf $(RPM_TOP)/SOURCES/$(PACKAGE)-$(VERSION).tar.gz \
		--transform 's,^,$(PACKAGE)-$(VERSION)/,' \
		--owner=0 --group=0 --sort=name $(DIST_FILES) examples README.md
	rpmbuild -bb $(RPMBUILD_FLAGS) --define '_topdir $(RPM_TOP)' rpm/$(PACKAGE).spec
	mv $(RPM_TOP)/RPMS/*/*.rpm dist/
	rm -rf $(RPM_TOP)

# make check SUITES="dmabuf" KERNELS="6.1": see tests/check.sh.
check:
	$(if $(SUITES),VPD_SUITES='$(SUITES)') $(if $(KERNELS),VPD_KERNELS='$(KERNELS)') tests/check.sh

test:
	tests/test.sh

soak:
	tests/soak.sh

bench:
	tests/bench.sh

demo:
	tests/demo.sh

# ------------------------------------------------------------- userspace
# libvfio-dmabuf's ABI version is its own: SONAME libvfio-dmabuf.so.0.
LIB_SOVERSION := 0
LIB_VERSION := $(LIB_SOVERSION).1.0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
VFD_EXAMPLES ?= auto
VFD_CFLAGS := -std=gnu11 -Wall -Wextra -Wformat=2 \
	-Wmissing-prototypes -fPIC -Iinclude
VFD_B := build
VFD_LIB_SRCS := $(wildcard src/lib/*.c)
VFD_LIB_OBJS := $(VFD_LIB_SRCS:src/lib/%.c=$(VFD_B)/lib/%.o)
VFD_SO := $(VFD_B)/lib/libvfio-dmabuf.so.$(LIB_VERSION)
VFD_MAN := $(VFD_B)/man/vfio-dmabuf.1 $(VFD_B)/man/libvfio-dmabuf.3

tools: $(VFD_SO) $(VFD_B)/lib/libvfio-dmabuf.a $(VFD_B)/lib/libvfio-dmabuf.pc \
	$(VFD_B)/vfio-dmabuf $(VFD_MAN)
	@if [ "$(VFD_EXAMPLES)" = no ]; then :; \
	elif pkg-config --exists libdpdk 2>/dev/null; then \
		$(MAKE) --no-print-directory $(VFD_B)/examples/spdk-cmb-dmabuf; \
	else \
		echo "examples/spdk-cmb-dmabuf.c: not built (no libdpdk-dev: pkg-config libdpdk)"; \
	fi

$(VFD_B)/lib/%.o: src/lib/%.c src/lib/*.h include/vfio-dmabuf.h \
		include/uapi/linux/vfio-pci-dmabuf.h src/p2p-host-bridges.h
	@mkdir -p $(@D)
	$(CC) $(VFD_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(VFD_SO): $(VFD_LIB_OBJS) src/lib/libvfio-dmabuf.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libvfio-dmabuf.so.$(LIB_SOVERSION) \
		-Wl,--version-script=src/lib/libvfio-dmabuf.map -Wl,-z,defs \
		-o $@ $(VFD_LIB_OBJS)
	ln -sf $(@F) $(VFD_B)/lib/libvfio-dmabuf.so.$(LIB_SOVERSION)
	ln -sf $(@F) $(VFD_B)/lib/libvfio-dmabuf.so

$(VFD_B)/lib/libvfio-dmabuf.a: $(VFD_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# Regenerated every time: it names PREFIX, LIBDIR and INCLUDEDIR of this make.
$(VFD_B)/lib/libvfio-dmabuf.pc: src/lib/libvfio-dmabuf.pc.in dkms.conf FORCE
	@mkdir -p $(@D)
	sed -e 's|@prefix@|$(PREFIX)|; s|@libdir@|$(LIBDIR)|' \
		-e 's|@includedir@|$(INCLUDEDIR)|; s|@version@|$(VERSION)|' $< >$@

# The tool carries the library in (it runs from the tree, and in guests).
$(VFD_B)/vfio-dmabuf: src/tools/vfio-dmabuf.c include/vfio-dmabuf.h \
		$(VFD_B)/lib/libvfio-dmabuf.a
	$(CC) $(VFD_CFLAGS) -DVFD_VERSION='"$(VERSION)"' $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(VFD_B)/lib/libvfio-dmabuf.a

# Each man page is generated from one source, src/tools/*.man.in.
$(VFD_B)/man/%: src/tools/%.in src/tools/mkman.sh dkms.conf
	@mkdir -p $(@D)
	sh src/tools/mkman.sh $< $(VERSION) >$@

# --ibv where libibverbs-dev is installed.
VFD_IBV = $$(pkg-config --exists libibverbs 2>/dev/null && \
	echo -DHAVE_IBVERBS $$(pkg-config --cflags --libs libibverbs))
$(VFD_B)/examples/spdk-cmb-dmabuf: examples/spdk-cmb-dmabuf.c $(VFD_B)/lib/libvfio-dmabuf.a
	@mkdir -p $(@D)
	$(CC) $(VFD_CFLAGS) $(CPPFLAGS) $(CFLAGS) $$(pkg-config --cflags libdpdk) $(LDFLAGS) \
		-o $@ $< $(VFD_B)/lib/libvfio-dmabuf.a $$(pkg-config --libs libdpdk) \
		$(VFD_IBV)

install-tools: tools $(VFD_B)/lib/libvfio-dmabuf.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(VFD_SO) $(VFD_B)/lib/libvfio-dmabuf.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(VFD_SO)) $(DESTDIR)$(LIBDIR)/libvfio-dmabuf.so.$(LIB_SOVERSION)
	ln -sf $(notdir $(VFD_SO)) $(DESTDIR)$(LIBDIR)/libvfio-dmabuf.so
	install -m 644 $(VFD_B)/lib/libvfio-dmabuf.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 include/vfio-dmabuf.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(VFD_B)/vfio-dmabuf $(DESTDIR)$(BINDIR)/
	install -m 644 $(VFD_B)/man/vfio-dmabuf.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(VFD_B)/man/libvfio-dmabuf.3 $(DESTDIR)$(MANDIR)/man3/

# Works without kernel headers too (e.g. on a machine that only runs tests).
clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f vpd_config.h *.ko *.o *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -f src/*.o src/.*.cmd src/dropin/*.o src/dropin/.*.cmd
	rm -rf dist $(VFD_B)
