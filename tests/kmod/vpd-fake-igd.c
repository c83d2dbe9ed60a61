// SPDX-License-Identifier: GPL-2.0
/*
 * vpd-fake-igd - test fixture: makes one unbound PCI function look like an
 * Intel integrated GPU to drivers that bind it afterwards: the vendor and
 * class the PCI core cached at enumeration (pci_dev->vendor, ->class) are
 * set to Intel and VGA while the module is loaded, and restored when it is
 * unloaded.  Config space is left alone: this only proves what a driver
 * decides from those fields, such as the project's one-line notice that
 * vfio-pci's IGD regions are not provided
 * (tests/guest/dropin/65-dropin.sh, "igd-notice").
 *
 * Load it before the function is bound and unload it after it is unbound:
 *   modprobe vpd-fake-igd bdf=0000:00:05.0
 */
#include <linux/module.h>
#include <linux/pci.h>

#define DRV_NAME	"vpd-fake-igd"

static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "the function to disguise, DDDD:BB:DD.F");

static struct pci_dev *vpd_igd_pdev;
static unsigned short vpd_igd_vendor;
static unsigned int vpd_igd_class;

static int __init vpd_igd_init(void)
{
	unsigned int dom, bus, dev, fn;

	if (!bdf || sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	vpd_igd_pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
	if (!vpd_igd_pdev)
		return -ENODEV;
	if (vpd_igd_pdev->driver) {
		pci_err(vpd_igd_pdev, "bound to %s: load %s before binding\n",
			vpd_igd_pdev->driver->name, DRV_NAME);
		pci_dev_put(vpd_igd_pdev);
		return -EBUSY;
	}
	vpd_igd_vendor = vpd_igd_pdev->vendor;
	vpd_igd_class = vpd_igd_pdev->class;
	vpd_igd_pdev->vendor = PCI_VENDOR_ID_INTEL;
	vpd_igd_pdev->class = PCI_CLASS_DISPLAY_VGA << 8;
	pci_info(vpd_igd_pdev, "%s: now looks like an Intel VGA device\n",
		 DRV_NAME);
	return 0;
}

static void __exit vpd_igd_exit(void)
{
	vpd_igd_pdev->vendor = vpd_igd_vendor;
	vpd_igd_pdev->class = vpd_igd_class;
	pci_info(vpd_igd_pdev, "%s: vendor and class restored\n", DRV_NAME);
	pci_dev_put(vpd_igd_pdev);
}

module_init(vpd_igd_init);
module_exit(vpd_igd_exit);

MODULE_DESCRIPTION("test fixture: a PCI function that looks like an Intel IGD (vfio-pci-dmabuf tests)");
MODULE_LICENSE("GPL");
