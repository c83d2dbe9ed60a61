// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver for kernels whose vfio-pci
 * cannot export device memory as a dma-buf.
 *
 * Bound to a PCI function, it is vfio-pci: every VFIO operation is served
 * by vfio_pci_core exactly as vfio-pci serves it.  It claims no device on
 * its own: devices are handed to it through driver_override or the ids=
 * parameter, as with vfio-pci.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"

#define VPD_DRIVER_NAME	"vfio-pci-dmabuf"

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids,
		 "PCI IDs to bind at load time, as for vfio-pci: \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\", comma separated");

static bool enable_sriov;
#ifdef CONFIG_PCI_IOV
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov,
		 "Allow SR-IOV configuration of bound PFs (as vfio-pci's parameter of the same name)");
#endif

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist,
		 "Allow binding devices that vfio-pci refuses because of known errata");

/* The devices vfio-pci refuses unless its disable_denylist is set. */
static const struct pci_device_id vpd_denylist[] = {
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_DSA_SPR0) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_IAX_SPR0) },
	{}
};

static bool vpd_refuse_denylisted(struct pci_dev *pdev)
{
	if (!pci_match_id(vpd_denylist, pdev))
		return false;

	if (disable_denylist) {
		pci_warn(pdev, "%04x:%04x is on the vfio-pci denylist; allowed because disable_denylist is set\n",
			 pdev->vendor, pdev->device);
		return false;
	}

	pci_warn(pdev, "refusing %04x:%04x: on the vfio-pci denylist for known errata (see disable_denylist)\n",
		 pdev->vendor, pdev->device);
	return true;
}

static int vpd_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vpd_vfio_ops = {
	.name		= VPD_DRIVER_NAME,
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	VPD_OPS_REGION_INFO
	VPD_OPS_MATCH_TOKEN_UUID
	VPD_OPS_IOMMUFD
	VPD_OPS_IOMMUFD_DETACH
	VPD_OPS_IOMMUFD_PASID
};

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	if (vpd_refuse_denylisted(pdev))
		return -EINVAL;

	/* vfio_pci_core refuses these with a bare -EINVAL: say why. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_warn(pdev, "refusing: header type %#x is not a normal (type 0) function; VFIO cannot assign bridges\n",
			 pdev->hdr_type);
		return -EINVAL;
	}

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vpd_vfio_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	vpd_use_core_dmabuf(vdev);

	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		pci_warn(pdev, "refusing: vfio_pci_core cannot take the device (%pe)\n",
			 ERR_PTR(ret));
		vfio_put_device(&vdev->vdev);
		return ret;
	}

	return 0;
}

static void vpd_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static int vpd_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!enable_sriov)
		return -ENOENT;

	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

/*
 * Called by the PCI core, with the device lock held, before and after a
 * reset it performs on its own initiative: pci_reset_function() (sysfs
 * "reset"), pci_try_reset_function(), and pci_reset_bus() of a sibling.
 * Resets that vfio_pci_core performs itself (VFIO_DEVICE_RESET, hot reset)
 * go through __pci_reset_function_locked() or the bus/slot variants and do
 * not come here.  memory_lock is not held: these hooks may not assume it.
 *
 * Nothing of ours depends on the device's state yet; the dma-buf exporter
 * revokes its mappings here.
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
}

static void vpd_reset_done(struct pci_dev *pdev)
{
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
	.reset_prepare	= vpd_reset_prepare,
	.reset_done	= vpd_reset_done,
};

/* Matches only devices whose driver_override names this driver. */
static const struct pci_device_id vpd_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpd_pci_table);

static struct pci_driver vpd_pci_driver = {
	.name			= VPD_DRIVER_NAME,
	.id_table		= vpd_pci_table,
	.probe			= vpd_probe,
	.remove			= vpd_remove,
	.sriov_configure	= vpd_sriov_configure,
	.err_handler		= &vpd_err_handlers,
	.driver_managed_dma	= true,
};

/* An ids= entry: "vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]" */
struct vpd_id {
	u32 vendor, device, subvendor, subdevice, class, class_mask;
};

static bool __init vpd_id_field_ok(unsigned int idx, u32 val)
{
	/* IDs are 16 bits or PCI_ANY_ID; class and mask are 24 bits. */
	if (idx < 4)
		return val <= 0xffff || val == PCI_ANY_ID;
	return val <= 0xffffff;
}

static int __init vpd_parse_id(char *str, struct vpd_id *id)
{
	u32 *fields[] = { &id->vendor, &id->device, &id->subvendor,
			  &id->subdevice, &id->class, &id->class_mask };
	unsigned int n = 0;
	char *tok;

	*id = (struct vpd_id){ .subvendor = PCI_ANY_ID,
			       .subdevice = PCI_ANY_ID };

	while ((tok = strsep(&str, ":"))) {
		if (n == ARRAY_SIZE(fields) || kstrtou32(tok, 16, fields[n]) ||
		    !vpd_id_field_ok(n, *fields[n]))
			return -EINVAL;
		n++;
	}

	return n < 2 ? -EINVAL : 0;
}

static void __init vpd_add_id(char *entry)
{
	char copy[64];
	struct vpd_id id;
	int ret;

	strscpy(copy, entry, sizeof(copy));
	if (vpd_parse_id(entry, &id)) {
		pr_warn("ids=: ignoring malformed entry \"%s\"\n", copy);
		return;
	}

	ret = pci_add_dynid(&vpd_pci_driver, id.vendor, id.device,
			    id.subvendor, id.subdevice, id.class,
			    id.class_mask, 0);
	if (ret)
		pr_warn("ids=: cannot add \"%s\" (%pe)\n", copy, ERR_PTR(ret));
	else
		pr_info("ids=: added \"%s\"\n", copy);
}

static void __init vpd_add_ids(void)
{
	char *p = ids, *entry;

	while ((entry = strsep(&p, ",")))
		if (*entry)
			vpd_add_id(entry);
}

static int __init vpd_init(void)
{
	int ret;

	ret = pci_register_driver(&vpd_pci_driver);
	if (ret)
		return ret;

	vpd_add_ids();
	if (disable_denylist)
		pr_warn("device denylist disabled\n");
	return 0;
}
module_init(vpd_init);

static void __exit vpd_exit(void)
{
	pci_unregister_driver(&vpd_pci_driver);
}
module_exit(vpd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver exporting BAR memory as revocable dma-bufs");
MODULE_VERSION(VPD_VERSION);
MODULE_AUTHOR("vfio-pci-dmabuf developers");
