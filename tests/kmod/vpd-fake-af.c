// SPDX-License-Identifier: GPL-2.0
/*
 * vpd-fake-af - test fixture: gives one PCI function a PCI Advanced
 * Features capability with FLR, which no QEMU device has.
 *
 * The function's bus gets config accessors that forward everything to the
 * original ones, except that the function reads an AF capability (TP and
 * FLR supported, no transaction pending) at VPD_AF_POS, linked at the end
 * of its capability list.  Writes to the fake capability are dropped: vfio
 * virtualizes AF CTRL and turns an FLR request into pci_try_reset_function(),
 * which uses the device's real reset method.  That is the path under test
 * (tests/guest/cases/73-dmabuf-interlocks.sh, "af-flr"): a user writing
 * AF CTRL.FLR through VFIO must get the exporter's importers revoked.
 *
 * Load it before the function is bound (drivers read capabilities at
 * probe), unload it after the function is unbound:
 *   modprobe vpd-fake-af bdf=0000:02:00.0
 * The function's config space must be conventional-only at VPD_AF_POS
 * (zeros) and its last capability (if any) must end before it.
 */
#include <linux/module.h>
#include <linux/pci.h>

#define DRV_NAME	"vpd-fake-af"
#define VPD_AF_POS	0xf0

static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "the function to give an AF capability, DDDD:BB:DD.F");

static struct pci_dev *vpd_af_pdev;
static struct pci_bus *vpd_af_bus;
static struct pci_ops *vpd_af_orig;
static struct pci_ops vpd_af_ops;
/* Config offset whose byte links to the fake capability. */
static unsigned int vpd_af_link;

/* The fake bytes: VPD_AF_POS.. is the capability, plus two patches. */
static const u8 vpd_af_cap[PCI_CAP_AF_SIZEOF] = {
	[PCI_CAP_LIST_ID] = PCI_CAP_ID_AF,
	[PCI_CAP_LIST_NEXT] = 0,
	[PCI_AF_LENGTH] = PCI_CAP_AF_SIZEOF,
	[PCI_AF_CAP] = PCI_AF_CAP_TP | PCI_AF_CAP_FLR,
	[PCI_AF_CTRL] = 0,
	[PCI_AF_STATUS] = 0,
};

/* What the function reads at config byte @pos, given the real byte @b. */
static u8 vpd_af_byte(unsigned int pos, u8 b)
{
	if (pos >= VPD_AF_POS && pos < VPD_AF_POS + PCI_CAP_AF_SIZEOF)
		return vpd_af_cap[pos - VPD_AF_POS];
	if (pos == vpd_af_link)
		return VPD_AF_POS;
	if (pos == PCI_STATUS)
		return b | PCI_STATUS_CAP_LIST;
	return b;
}

static bool vpd_af_target(struct pci_bus *bus, unsigned int devfn)
{
	return bus == vpd_af_bus && devfn == vpd_af_pdev->devfn;
}

static int vpd_af_read(struct pci_bus *bus, unsigned int devfn, int where,
		       int size, u32 *val)
{
	int ret = vpd_af_orig->read(bus, devfn, where, size, val);
	u32 v = 0;
	int i;

	if (ret || !vpd_af_target(bus, devfn))
		return ret;
	for (i = 0; i < size; i++)
		v |= (u32)vpd_af_byte(where + i, *val >> (8 * i)) << (8 * i);
	*val = v;
	return 0;
}

static int vpd_af_write(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 val)
{
	if (vpd_af_target(bus, devfn) && where + size > VPD_AF_POS &&
	    where < VPD_AF_POS + PCI_CAP_AF_SIZEOF)
		return PCIBIOS_SUCCESSFUL;
	return vpd_af_orig->write(bus, devfn, where, size, val);
}

/* The offset of the byte that must point at the fake capability. */
static int vpd_af_find_link(struct pci_dev *pdev, unsigned int *link)
{
	u8 pos, id;
	u16 status;
	u32 v;
	int i, ttl = 48;

	for (i = 0; i < PCI_CAP_AF_SIZEOF; i += 2) {
		pci_read_config_dword(pdev, VPD_AF_POS + i, &v);
		if (v) {
			pci_err(pdev, "config 0x%x is in use\n", VPD_AF_POS + i);
			return -EBUSY;
		}
	}
	pci_read_config_word(pdev, PCI_STATUS, &status);
	*link = PCI_CAPABILITY_LIST;
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	while (pos && ttl--) {
		if (pos >= VPD_AF_POS) {
			pci_err(pdev, "capability at 0x%x is past 0x%x\n", pos,
				VPD_AF_POS);
			return -EBUSY;
		}
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_ID, &id);
		if (id == PCI_CAP_ID_AF) {
			pci_err(pdev, "already has an AF capability\n");
			return -EEXIST;
		}
		*link = pos + PCI_CAP_LIST_NEXT;
		pci_read_config_byte(pdev, *link, &pos);
	}
	return 0;
}

static int __init vpd_af_init(void)
{
	unsigned int dom, bus, dev, fn;
	int ret;

	if (!bdf || sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	vpd_af_pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
	if (!vpd_af_pdev)
		return -ENODEV;
	if (vpd_af_pdev->driver) {
		pci_err(vpd_af_pdev, "bound to %s: load %s before binding\n",
			vpd_af_pdev->driver->name, DRV_NAME);
		ret = -EBUSY;
		goto err_put;
	}
	ret = vpd_af_find_link(vpd_af_pdev, &vpd_af_link);
	if (ret)
		goto err_put;
	vpd_af_bus = vpd_af_pdev->bus;
	vpd_af_ops = *vpd_af_bus->ops;
	vpd_af_ops.read = vpd_af_read;
	vpd_af_ops.write = vpd_af_write;
	vpd_af_orig = pci_bus_set_ops(vpd_af_bus, &vpd_af_ops);
	pci_info(vpd_af_pdev, "%s: AF capability (TP, FLR) at 0x%x, linked from 0x%x\n",
		 DRV_NAME, VPD_AF_POS, vpd_af_link);
	return 0;

err_put:
	pci_dev_put(vpd_af_pdev);
	return ret;
}

static void __exit vpd_af_exit(void)
{
	pci_bus_set_ops(vpd_af_bus, vpd_af_orig);
	pci_info(vpd_af_pdev, "%s: AF capability removed\n", DRV_NAME);
	pci_dev_put(vpd_af_pdev);
}

module_init(vpd_af_init);
module_exit(vpd_af_exit);

MODULE_DESCRIPTION("test fixture: an emulated PCI AF (FLR) capability (vfio-pci-dmabuf tests)");
MODULE_LICENSE("GPL");
