// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver for kernels whose vfio-pci
 * cannot export device memory as a dma-buf.
 *
 * Bound to a PCI function, it is vfio-pci: every VFIO operation is served
 * by vfio_pci_core exactly as vfio-pci serves it, plus
 * VFIO_DEVICE_FEATURE_DMA_BUF (dmabuf.c).  The hooks below only tell the
 * exporter when the BARs may become unreachable.  It claims no device on
 * its own: devices are handed to it through driver_override or the ids=
 * parameter, as with vfio-pci.
 *
 * Two registrations of this one source (see Kbuild):
 *  - the variant driver, module vfio_pci_dmabuf, PCI driver
 *    "vfio-pci-dmabuf", which lives beside the kernel's vfio-pci;
 *  - with VPD_DROPIN (src/dropin/), module vfio_pci, PCI driver
 *    "vfio-pci": a replacement of the kernel's vfio-pci, for userspace
 *    that accepts no other driver name (DPDK, and SPDK on top of it).  It
 *    also takes vfio-pci's global parameters and hands them to
 *    vfio_pci_core, as vfio-pci does; the variant must not, they are the
 *    kernel's vfio-pci's to set.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/vfio-pci-dmabuf.h>

#include "compat.h"
#include "vpd.h"

#ifdef VPD_DROPIN
#define VPD_DRIVER_NAME	"vfio-pci"
#if VPD_HAVE_CORE_DMABUF
#error "the drop-in vfio-pci is for kernels whose vfio-pci exports no dma-bufs"
#endif
#else
#define VPD_DRIVER_NAME	"vfio-pci-dmabuf"
#endif

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

#ifdef VPD_DROPIN
/* vfio-pci's own global parameters, same names, types and permissions. */
static bool nointxmask;
module_param(nointxmask, bool, 0644);
MODULE_PARM_DESC(nointxmask,
		 "Disable PCI 2.3 style INTx masking (as vfio-pci's parameter of the same name)");

#ifdef CONFIG_VFIO_PCI_VGA
static bool disable_vga;
module_param(disable_vga, bool, 0444);
MODULE_PARM_DESC(disable_vga,
		 "Disable VGA resource access (as vfio-pci's parameter of the same name)");
#endif

static bool disable_idle_d3;
module_param(disable_idle_d3, bool, 0644);
MODULE_PARM_DESC(disable_idle_d3,
		 "Do not put idle, unused devices in D3 (as vfio-pci's parameter of the same name)");

/* What vfio-pci hands vfio_pci_core when it loads. */
static void __init vpd_set_core_params(void)
{
#ifdef CONFIG_VFIO_PCI_VGA
	vfio_pci_core_set_params(nointxmask, disable_vga, disable_idle_d3);
#else
	vfio_pci_core_set_params(nointxmask, true, disable_idle_d3);
#endif
}

/* Never built where the kernel's vfio-pci exports dma-bufs (Kbuild). */
static bool vpd_own_exporter(void)
{
	return true;
}
#else
static void __init vpd_set_core_params(void)
{
}

static bool own_dmabuf;
module_param(own_dmabuf, bool, 0444);
MODULE_PARM_DESC(own_dmabuf,
		 "On kernels whose vfio-pci exports dma-bufs itself, use this driver's exporter instead of the kernel's (default: the kernel's)");

/* Ours where the kernel has none, or where asked for. */
static bool vpd_own_exporter(void)
{
	return !VPD_HAVE_CORE_DMABUF || own_dmabuf;
}
#endif

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

/*
 * vfio-pci gives an Intel integrated GPU extra regions (OpRegion, host and
 * LPC bridge config) when the kernel has CONFIG_VFIO_PCI_IGD; this driver
 * does not: say so, as it is asked to take one, rather than differ
 * silently.
 */
static void vpd_note_igd(struct pci_dev *pdev)
{
	if (!IS_ENABLED(CONFIG_VFIO_PCI_IGD) ||
	    pdev->vendor != PCI_VENDOR_ID_INTEL ||
	    (pdev->class >> 8) != PCI_CLASS_DISPLAY_VGA)
		return;

	pci_warn(pdev, "Intel IGD: the OpRegion and bridge regions that the kernel's vfio-pci adds are not provided by this driver\n");
}

static struct vpd_device *vpd_from_vfio(struct vfio_device *core_vdev)
{
	return vpd_from_core(container_of(core_vdev,
					  struct vfio_pci_core_device, vdev));
}

static int vpd_init_dev(struct vfio_device *core_vdev)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	int ret;

	ret = vpd_exporter_init(vpd, to_pci_dev(core_vdev->dev),
				vpd_own_exporter());
	if (ret)
		return ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		vpd_exporter_release(vpd);
	return ret;
}

/* The last reference to the device: dma-bufs may still hold the exporter. */
static void vpd_release_dev(struct vfio_device *core_vdev)
{
	vpd_exporter_release(vpd_from_vfio(core_vdev));
	vfio_pci_core_release_dev(core_vdev);
}

static int vpd_open_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&vpd->core);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(&vpd->core);
	vpd_exporter_open(vpd);
	return 0;
}

/* Last close: dma-bufs are revoked for good before the device is disabled. */
static void vpd_close_device(struct vfio_device *core_vdev)
{
	vpd_exporter_close(vpd_from_vfio(core_vdev));
	vfio_pci_core_close_device(core_vdev);
}

/*
 * Resets make the BARs unreachable while they run.  The PCI core also calls
 * reset_prepare/reset_done around these, but not around every reset on
 * every kernel (__pci_reset_function_locked() does not): block here too;
 * blocks nest.  After any other ioctl, sync: low power may have ended
 * without us (a runtime resume of a device in low power with a wake-up
 * eventfd ends it inside vfio_pci_core, and vfio resumes the device before
 * every ioctl); the dma-bufs stayed revoked meanwhile, the safe side.
 */
static bool vpd_ioctl_blocks_access(unsigned int cmd)
{
	return cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET;
}

static long vpd_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	long ret;

	if (vpd_ioctl_blocks_access(cmd)) {
		vpd_block_access(vpd);
		ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
		vpd_unblock_access(vpd);
		return ret;
	}
	ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
	vpd_sync_after_ioctl(vpd);	/* an implicit low-power exit */
	return ret;
}

/*
 * A config write that covers a byte controlling BAR accessibility (decode,
 * power state, FLR: exp->watch) blocks first, whatever it writes: the
 * verdict cannot depend on the bytes.  vfio_pci_core copies the __user
 * buffer itself, and a buffer that another thread (or a userfaultfd
 * handler) changes between two copies would let a write judged harmless
 * on our copy turn decode off with importers still mapped.  So the buffer
 * is never read here; importers are revoked before vfio_pci_core writes
 * and may map again after it if the BARs are still reachable.  The cost:
 * a write that keeps decode on (bus master or INTx toggles written as a
 * word, PMCSR written with D0) revokes and restores mapped importers too.
 * A device with no live dma-buf has nothing to revoke and does not block:
 * an export racing with the write is born revoked instead
 * (vpd_unblocked_write_begin()).
 */
static noinline ssize_t vpd_write_watched(struct vfio_device *core_vdev,
					  const char __user *buf, size_t count,
					  loff_t *ppos)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	ssize_t ret;

	if (vpd_unblocked_write_begin(vpd)) {
		ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
		vpd_unblocked_write_end(vpd);
		return ret;
	}
	vpd_block_access(vpd);
	ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
	vpd_unblock_access(vpd);
	return ret;
}

/*
 * BAR writes and config writes that touch no watched byte go straight on
 * to vfio_pci_core (a tail call: nothing of ours left on the stack).
 */
static ssize_t vpd_write(struct vfio_device *core_vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);

	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) == VFIO_PCI_CONFIG_REGION_INDEX &&
	    vpd_cfg_watch_covers(&vpd->exp->watch, count,
				 *ppos & VFIO_PCI_OFFSET_MASK))
		return vpd_write_watched(core_vdev, buf, count, ppos);
	return vfio_pci_core_write(core_vdev, buf, count, ppos);
}

/* Entering low power puts the device in D3: block until it is done. */
static bool vpd_feature_blocks_access(u32 flags)
{
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return (flags & VFIO_DEVICE_FEATURE_SET) &&
		       !(flags & VFIO_DEVICE_FEATURE_PROBE);
	default:
		return false;
	}
}

static int vpd_device_feature(struct vfio_device *core_vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	bool block = vpd_feature_blocks_access(flags);
	int ret;

	if (vpd->exp->enabled &&
	    (flags & VFIO_DEVICE_FEATURE_MASK) == VFIO_DEVICE_FEATURE_DMA_BUF)
		return vpd_feature_dma_buf(vpd, flags, arg, argsz);

	if (block)
		vpd_block_access(vpd);
	ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
	if (block)
		vpd_unblock_access(vpd);
	else
		vpd_sync_access(vpd);	/* low-power exit, explicit or not */
	return ret;
}

static const struct vfio_device_ops vpd_vfio_ops = {
	.name		= VPD_DRIVER_NAME,
	.init		= vpd_init_dev,
	.release	= vpd_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vpd_close_device,
	.ioctl		= vpd_ioctl,
	.device_feature	= vpd_device_feature,
	.read		= vfio_pci_core_read,
	.write		= vpd_write,
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
	struct vpd_device *vpd;
	int ret;

	if (vpd_refuse_denylisted(pdev))
		return -EINVAL;

	/* vfio_pci_core refuses these with a bare -EINVAL: say why. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_warn(pdev, "refusing: header type %#x is not a normal (type 0) function; VFIO cannot assign bridges\n",
			 pdev->hdr_type);
		return -EINVAL;
	}

	vpd_note_igd(pdev);
	vpd = vfio_alloc_device(vpd_device, core.vdev, &pdev->dev,
				&vpd_vfio_ops);
	if (IS_ERR(vpd))
		return PTR_ERR(vpd);

	dev_set_drvdata(&pdev->dev, &vpd->core);
	if (!vpd->exp->enabled)
		vpd_use_core_dmabuf(&vpd->core);

	ret = vfio_pci_core_register_device(&vpd->core);
	if (ret) {
		pci_warn(pdev, "refusing: vfio_pci_core cannot take the device (%pe)\n",
			 ERR_PTR(ret));
		vfio_put_device(&vpd->core.vdev);
		return ret;
	}

	return 0;
}

static void vpd_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	/* Before vfio waits, maybe long, for userspace to let go. */
	vpd_exporter_remove(vpd_from_core(vdev));
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
 * Called by the PCI core, with the device lock held, around a reset of the
 * function: pci_reset_function() (sysfs "reset"), pci_try_reset_function()
 * (which vfio_pci_core uses for VFIO_DEVICE_RESET and for FLR through config
 * space on some kernels), and pci_reset_bus() of any device on the bus (a
 * hot reset, also one requested through a sibling bound to another driver).
 * vfio_pci_core may hold this device's memory_lock for write around the
 * reset, or not (resets it did not start): these hooks must not take it,
 * and the exporter's lock nests inside it (see vpd.h).
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
	vpd_block_access(vpd_from_core(dev_get_drvdata(&pdev->dev)));
}

static void vpd_reset_done(struct pci_dev *pdev)
{
	vpd_unblock_access(vpd_from_core(dev_get_drvdata(&pdev->dev)));
}

/*
 * AER or DPC recovery, device lock held.  A frozen link is reset next, with
 * no reset_prepare/reset_done and nothing restored, and a permanent failure
 * never recovers: revoke before either, and before vfio tells userspace.
 * A non-fatal error leaves the link and the BARs as they are.
 */
static pci_ers_result_t vpd_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	if (state != pci_channel_io_normal)
		vpd_exporter_error(vpd_from_core(dev_get_drvdata(&pdev->dev)));
	return vfio_pci_core_aer_err_detected(pdev, state);
}

/* Recovery is over: usable at once if the BARs decode (see vpd_error_pending). */
static void vpd_error_resume(struct pci_dev *pdev)
{
	vpd_sync_access(vpd_from_core(dev_get_drvdata(&pdev->dev)));
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vpd_error_detected,
	.resume		= vpd_error_resume,
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

	vpd_set_core_params();
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
#ifdef VPD_DROPIN
MODULE_DESCRIPTION("vfio-pci with BAR memory exported as revocable dma-bufs (vfio-pci-dmabuf's drop-in build)");
#else
MODULE_DESCRIPTION("vfio-pci variant driver exporting BAR memory as revocable dma-bufs");
#endif
MODULE_VERSION(VPD_VERSION);
MODULE_AUTHOR("vfio-pci-dmabuf developers");
