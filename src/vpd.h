/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-dmabuf internals shared by main.c (the vfio-pci variant driver),
 * dmabuf.c (the exporter and its revoke interlocks) and p2p.c.
 */
#ifndef VPD_H
#define VPD_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>

#include "cfg-watch.h"

/*
 * State of the dma-buf exporter of one device.  It lives in its own
 * refcounted object because a dma-buf may outlive the device: the device
 * holds one reference, each dma-buf another.  A dma-buf never holds a
 * reference on the vfio_device, so an unbound device leaves vfio's dev_set
 * exactly as it would without dma-bufs.
 *
 * LOCK ORDER (the only place it is written down)
 *
 *   device_lock(&pdev->dev)            (held by the PCI core around
 *     |                                 remove, reset_prepare/done and
 *     |                                 the error handlers)
 *     v
 *   vfio_pci_core_device.memory_lock   (may be held by our caller: the PCI
 *     |                                 core calls reset_prepare/reset_done
 *     |                                 under it for VFIO's own resets)
 *     v
 *   vpd_exporter.lock                  (this struct; never held across a
 *     |                                 call into vfio_pci_core)
 *     v
 *   dma_buf->resv                      (one dma-buf at a time)
 *
 * Importers call map/unmap/pin with the resv lock held and take nothing of
 * ours: those paths only read @revoked of the dma-buf, which is written
 * under its resv lock.  Revocation waits, under @lock but not under any
 * resv lock, for importers to unmap; importers unmap with only their resv
 * lock held, so the wait ends when they do (a late importer is named in the
 * log, see vpd_wait_unmapped()).  A config write to a device without a
 * live dma-buf takes none of these: it pairs with vpd_dmabuf_publish()
 * through @unblocked_writes and full barriers instead
 * (vpd_unblocked_write_begin()).
 */
struct vpd_exporter {
	struct kref kref;
	/* Whether this driver exports at all (false: vfio_pci_core's exporter). */
	bool enabled;
	/*
	 * Serialises revocation and protects everything below; @revoked,
	 * @blocked and @failed are also read without it, by
	 * vpd_access_settled(), and so written with WRITE_ONCE().
	 */
	struct mutex lock;
	/* Live dma-bufs of the current open; unlinked at close. */
	struct list_head dmabufs;
	/* Device open (vconfig valid) and its BARs usable by importers. */
	bool open;
	/* The device is being removed: revoked for good. */
	bool gone;
	/*
	 * An uncorrectable error reset the function behind vfio's back:
	 * revoked until the function decodes its BARs again.
	 */
	bool failed;
	/* Accessibility changes in progress (resets, power and decode writes). */
	unsigned int blocked;
	/*
	 * Config writes in progress that did not block, because no dma-buf
	 * was live (vpd_unblocked_write_begin()); read without @lock.
	 */
	atomic_t unblocked_writes;
	/* What every live dma-buf has been told: revoked or usable. */
	bool revoked;
	/* Woken when a dma-buf's last mapping goes away. */
	wait_queue_head_t unmapped;
	/* The config bytes that control BAR accessibility: the device's own. */
	struct vpd_cfg_watch watch;
	/* "vfio-pci-dmabuf:BDF": every dma-buf's exp_name, and the log's. */
	char name[32];
};

struct vpd_device {
	struct vfio_pci_core_device core;
	struct vpd_exporter *exp;
};

static inline struct vpd_device *vpd_from_core(struct vfio_pci_core_device *v)
{
	return container_of(v, struct vpd_device, core);
}

int vpd_exporter_init(struct vpd_device *vpd, struct pci_dev *pdev,
		      bool enabled);
void vpd_exporter_release(struct vpd_device *vpd);
void vpd_exporter_open(struct vpd_device *vpd);
void vpd_exporter_close(struct vpd_device *vpd);
void vpd_exporter_remove(struct vpd_device *vpd);
void vpd_exporter_error(struct vpd_device *vpd);
void vpd_block_access(struct vpd_device *vpd);
void vpd_unblock_access(struct vpd_device *vpd);
void vpd_sync_access(struct vpd_device *vpd);
void vpd_resync_access(struct vpd_device *vpd);

/*
 * A config write that may change BAR accessibility (vpd_write_watched()),
 * on a device that has no live dma-buf: nothing to revoke, so no block,
 * only a count of such writes in flight, which keeps any dma-buf that an
 * export publishes meanwhile revoked (vpd_access_revoked()).  The count is
 * raised before the list of dma-bufs is read, and vpd_dmabuf_publish()
 * links a dma-buf before it reads the count, each with a full barrier in
 * between, so at least one of the two sees the other.  False (nothing
 * counted): a dma-buf is live, block instead.  Inline: it runs for every
 * such write.
 */
static inline bool vpd_unblocked_write_begin(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;

	atomic_inc(&exp->unblocked_writes);
	/* Counted before the list is read; pairs with the publisher's. */
	smp_mb__after_atomic();
	if (list_empty(&exp->dmabufs))
		return true;
	atomic_dec(&exp->unblocked_writes);
	return false;
}

/*
 * The write is done.  A dma-buf published during it was born revoked: if
 * one may be (the same pairing as above), bring it in line under the lock.
 */
static inline void vpd_unblocked_write_end(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;

	/* The write is complete before it stops being counted. */
	smp_mb__before_atomic();
	atomic_dec(&exp->unblocked_writes);
	/* Uncounted before the list is read: a publisher that saw us is in it. */
	smp_mb__after_atomic();
	if (!list_empty(&exp->dmabufs))
		vpd_resync_access(vpd);
}

/*
 * After an ioctl that blocked nothing.  Such an ioctl never makes the BARs
 * unreachable (resets block; low-power entry is a feature, see
 * vpd_device_feature()), but it may end low power (vfio resumes the device
 * for every ioctl): only revoked dma-bufs can need a sync.  Inline: it runs
 * after every ioctl.
 */
static inline void vpd_sync_after_ioctl(struct vpd_device *vpd)
{
	if (vpd->exp->enabled && READ_ONCE(vpd->exp->revoked))
		vpd_sync_access(vpd);
}

int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags, void __user *arg,
			size_t argsz);

enum vpd_p2p_path {
	VPD_P2P_NONE,
	/* Below a common switch: PCI bus addresses, no IOMMU involved. */
	VPD_P2P_BUS_ADDR,
	/* Through the host bridge: an IOMMU mapping for the importer. */
	VPD_P2P_HOST_BRIDGE,
};

enum vpd_p2p_path vpd_p2p_path(struct pci_dev *provider,
			       struct device *importer, const char **why);

#endif /* VPD_H */
