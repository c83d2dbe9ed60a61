// SPDX-License-Identifier: GPL-2.0
/*
 * vpd-edu-importer - a dma-buf importer for testing vfio-pci-dmabuf.
 *
 * Drives QEMU's "edu" device (1234:11e8) as a peer-to-peer DMA initiator
 * into a dma-buf: userspace hands a dma-buf fd to /dev/vpd-edu-importer,
 * which attaches edu to it (dynamically, pinned, statically or without
 * peer-to-peer, to see which of these the exporter refuses), maps it and
 * moves bytes between a user buffer and the dma-buf with edu's DMA engine.
 * The revoke callback counts, remembers the revoked mapping (so that a DMA
 * to it can show that the IOMMU no longer lets it through) and unmaps at
 * once, as a revocable importer must.  It can also leave a fence on the
 * dma-buf that signals later, as an importer with work in flight does.
 * A pool of further attachments, mapped and counted but never DMA'd to,
 * gives make bench an importer with many mappings.
 * See vpd-edu-importer.h.
 *
 * edu's 4 KiB buffer lives at device address 0x40000 but is not reachable
 * by MMIO, so every transfer bounces through a coherent host buffer:
 *   write: user -> bounce -(edu DMA)-> edu buffer -(edu DMA)-> dma-buf
 *   read:  dma-buf -(edu DMA)-> edu buffer -(edu DMA)-> bounce -> user
 * Only the second (resp. first) DMA is peer-to-peer.
 *
 * The device is bound through driver_override only, one instance at most.
 *
 * Locking: imp->lock (a mutex) serialises the ioctls, open/release and PCI
 * remove and protects the attachment pointers.  The mapping state (sgt,
 * segment copies, counters) is also written by the revoke callback, which
 * runs with the dma-buf's reservation lock held, so it is protected by that
 * lock as well.  Lock order: imp->lock -> dma_resv.  The callback never
 * takes imp->lock.  A DMA runs with the reservation lock held, so a revoke
 * waits until the DMA is over and no DMA starts on a revoked mapping.
 * The pool list is under imp->lock; an entry's sgt under its dma-buf's
 * reservation lock (its revoke callback unmaps it), taken after imp->lock.
 * vpd_imp_dev_lock (the one-instance slot) is taken by probe and remove
 * only; probe holds it over misc_register(), so open, which runs under
 * misc_mtx, must not take it.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat-dma-buf.h"
#include "compat-slab.h"
#include "vpd-edu-importer.h"

#define DRV_NAME		"vpd-edu-importer"

#define EDU_BAR			0
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		BIT(0)
#define  EDU_DMA_TO_PCI		BIT(1)	/* edu buffer -> bus address */
#define EDU_BUF_ADDR		0x40000	/* edu's buffer, device address */
/* Each DMA starts ~100 ms after the command; this only bounds a hang. */
#define EDU_DMA_TIMEOUT_MS	5000

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits,
		 "edu's DMA mask in bits (default 28, QEMU's; match QEMU's edu,dma_mask=)");

static unsigned int max_seg;
module_param(max_seg, uint, 0644);
MODULE_PARM_DESC(max_seg,
		 "if not 0, edu's DMA segment limit in bytes from the next attach on");

static unsigned int unmap_delay_ms;
module_param(unmap_delay_ms, uint, 0644);
MODULE_PARM_DESC(unmap_delay_ms,
		 "if not 0, unmap this long after the revoke callback instead of in it (a late importer)");

struct vpd_imp {
	struct kref kref;
	struct mutex lock;		/* see the top of this file */
	struct pci_dev *pdev;		/* NULL once removed */
	void __iomem *bar;
	void *bounce;
	dma_addr_t bounce_dma;
	struct miscdevice misc;
	bool open;
	bool engine_stuck;		/* a DMA timed out */

	/* a late unmap (unmap_delay_ms); cancelled before detach */
	struct delayed_work late_unmap;

	/* under lock */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	u32 mode;
	bool pinned;

	/* under lock and, while attached, the reservation lock */
	struct sg_table *sgt;
	u32 nr_segs;
	struct vpd_imp_seg segs[VPD_IMP_MAX_SEGS];
	u32 nr_stale;
	struct vpd_imp_seg stale[VPD_IMP_MAX_SEGS];
	u64 invalidations;
	u64 maps;
	u64 unmaps;
	int last_map_err;

	/* VPD_IMP_WATCH: the exporter (a reference) and what was seen */
	struct pci_dev *watch;
	u64 watched;
	u64 late;
	u16 late_cmd, late_pmcsr, last_cmd, last_pmcsr;

	/* the pool (VPD_IMP_POOL_*): list and counts under lock */
	struct list_head pool;
	u32 pool_entries;
	u32 pool_map_failures;
	int pool_last_err;
	atomic64_t pool_invalidations;
	atomic64_t pool_last_unmap_ns;
};

/* A pool entry: one dynamic attachment, mapped, counted, never DMA'd to. */
struct vpd_imp_entry {
	struct list_head node;		/* in imp->pool */
	struct vpd_imp *imp;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* under the reservation lock */
};

static struct vpd_imp *vpd_imp_dev;
static DEFINE_MUTEX(vpd_imp_dev_lock);	/* vpd_imp_dev */

/* Signals VPD_IMP_FENCE fences (each holds the module until it is freed). */
static struct workqueue_struct *vpd_imp_wq;
static atomic_t vpd_imp_fences_pending = ATOMIC_INIT(0);

static void vpd_imp_free(struct kref *kref)
{
	kfree(container_of(kref, struct vpd_imp, kref));
}

/* ------------------------------------------------------------ mapping */

/* Reservation lock held. */
static void vpd_imp_unmap_locked(struct vpd_imp *imp)
{
	if (!imp->sgt)
		return;
	dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
	imp->sgt = NULL;
	imp->nr_segs = 0;
	imp->unmaps++;
}

/* A late importer's unmap, unmap_delay_ms after the revoke callback. */
static void vpd_imp_late_unmap(struct work_struct *work)
{
	struct vpd_imp *imp = container_of(to_delayed_work(work),
					   struct vpd_imp, late_unmap);

	dma_resv_lock(imp->dmabuf->resv, NULL);
	vpd_imp_unmap_locked(imp);
	dma_resv_unlock(imp->dmabuf->resv);
}

/*
 * With a mapping still held: was the exporter's BAR reachable at this
 * moment?  Its hardware says: decode on and D0 (all ones: not there).
 */
static void vpd_imp_watch_check(struct vpd_imp *imp)
{
	struct pci_dev *exp = imp->watch;
	u16 cmd = 0xffff, pmcsr = 0;

	if (!exp)
		return;
	pci_read_config_word(exp, PCI_COMMAND, &cmd);
	if (exp->pm_cap)
		pci_read_config_word(exp, exp->pm_cap + PCI_PM_CTRL, &pmcsr);
	imp->watched++;
	imp->last_cmd = cmd;
	imp->last_pmcsr = pmcsr;
	if (cmd != 0xffff && (cmd & PCI_COMMAND_MEMORY) &&
	    !(pmcsr & PCI_PM_CTRL_STATE_MASK))
		return;
	if (!imp->late++) {
		imp->late_cmd = cmd;
		imp->late_pmcsr = pmcsr;
	}
	pci_warn(exp, "%s: revoked with a mapping held after the BAR became unreachable (COMMAND 0x%04x, PMCSR 0x%04x)\n",
		 DRV_NAME, cmd, pmcsr);
}

/* imp->lock held: watch @arg's function, or none. */
static int vpd_imp_set_watch(struct vpd_imp *imp,
			     const struct vpd_imp_watch *arg)
{
	struct pci_dev *exp = NULL;

	if (arg->reserved)
		return -EINVAL;
	if (arg->domain != ~0U) {
		if (arg->bus > 0xff || arg->devfn > 0xff)
			return -EINVAL;
		exp = pci_get_domain_bus_and_slot(arg->domain, arg->bus,
						  arg->devfn);
		if (!exp)
			return -ENODEV;
	}
	/* The callback reads these under the reservation lock. */
	if (imp->attach)
		dma_resv_lock(imp->dmabuf->resv, NULL);
	pci_dev_put(imp->watch);
	imp->watch = exp;
	imp->watched = 0;
	imp->late = 0;
	imp->late_cmd = 0;
	imp->late_pmcsr = 0;
	if (imp->attach)
		dma_resv_unlock(imp->dmabuf->resv);
	return 0;
}

/*
 * The revoke callback: called by the exporter with the reservation lock
 * held.  Unmaps at once so that the exporter's synchronous revoke (which
 * waits for every mapping to go away) completes, or, with unmap_delay_ms,
 * from a work item that long after; maps again only on the next
 * VPD_IMP_MAP.
 */
static void vpd_imp_invalidate(struct dma_buf_attachment *attach)
{
	struct vpd_imp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->invalidations++;
	if (!imp->sgt)
		return;
	vpd_imp_watch_check(imp);
	memcpy(imp->stale, imp->segs, sizeof(imp->stale));
	imp->nr_stale = imp->nr_segs;
	if (READ_ONCE(unmap_delay_ms)) {
		schedule_delayed_work(&imp->late_unmap,
				      msecs_to_jiffies(unmap_delay_ms));
		return;
	}
	vpd_imp_unmap_locked(imp);
}

static const struct dma_buf_attach_ops vpd_imp_p2p_ops = {
	.allow_peer2peer = true,
	.VPD_IMPORTER_INVALIDATE = vpd_imp_invalidate,
};

static const struct dma_buf_attach_ops vpd_imp_no_p2p_ops = {
	.allow_peer2peer = false,
	.VPD_IMPORTER_INVALIDATE = vpd_imp_invalidate,
};

/* imp->lock held; unmaps, unpins, detaches and drops the dma-buf. */
static void vpd_imp_detach_locked(struct vpd_imp *imp)
{
	struct dma_buf *dmabuf = imp->dmabuf;

	if (!imp->attach)
		return;
	/* The work takes only the reservation lock: no deadlock with imp->lock. */
	cancel_delayed_work_sync(&imp->late_unmap);
	dma_resv_lock(dmabuf->resv, NULL);
	vpd_imp_unmap_locked(imp);
	if (imp->pinned)
		dma_buf_unpin(imp->attach);
	imp->pinned = false;
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, imp->attach);
	dma_buf_put(dmabuf);
	imp->attach = NULL;
	imp->dmabuf = NULL;
}

static int vpd_imp_attach(struct vpd_imp *imp, struct vpd_imp_attach *arg)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	int ret;

	if (arg->mode > VPD_IMP_NO_P2P)
		return -EINVAL;
	if (imp->attach)
		return -EBUSY;
	dmabuf = dma_buf_get(arg->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (READ_ONCE(max_seg))
		(void)dma_set_max_seg_size(&imp->pdev->dev, max_seg);

	switch (arg->mode) {
	case VPD_IMP_STATIC:
		attach = dma_buf_attach(dmabuf, &imp->pdev->dev);
		break;
	case VPD_IMP_NO_P2P:
		attach = dma_buf_dynamic_attach(dmabuf, &imp->pdev->dev,
						&vpd_imp_no_p2p_ops, imp);
		break;
	default:
		attach = dma_buf_dynamic_attach(dmabuf, &imp->pdev->dev,
						&vpd_imp_p2p_ops, imp);
		break;
	}
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_put;
	}

	if (arg->mode == VPD_IMP_PINNED) {
		dma_resv_lock(dmabuf->resv, NULL);
		ret = dma_buf_pin(attach);
		dma_resv_unlock(dmabuf->resv);
		if (ret)
			goto err_detach;
		imp->pinned = true;
	}

	imp->dmabuf = dmabuf;
	imp->attach = attach;
	imp->mode = arg->mode;
	imp->nr_stale = 0;
	imp->last_map_err = 0;
	return 0;

err_detach:
	dma_buf_detach(dmabuf, attach);
err_put:
	dma_buf_put(dmabuf);
	return ret;
}

static int vpd_imp_map(struct vpd_imp *imp, struct vpd_imp_map *out)
{
	struct dma_buf *dmabuf = imp->dmabuf;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 total = 0;
	u32 i;
	int ret = 0;

	if (!imp->attach)
		return -ENOTCONN;
	memset(out, 0, sizeof(*out));

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	if (imp->sgt) {
		ret = -EALREADY;
		goto out_unlock;
	}
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		imp->last_map_err = -ret;
		goto out_unlock;
	}
	imp->last_map_err = 0;
	imp->sgt = sgt;
	imp->maps++;

	imp->nr_segs = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i < VPD_IMP_MAX_SEGS) {
			imp->segs[i].addr = sg_dma_address(sg);
			imp->segs[i].len = sg_dma_len(sg);
			imp->nr_segs = i + 1;
		}
		total += sg_dma_len(sg);
	}
	out->nents = sgt->nents;
	out->length = total;
	out->dmabuf_size = dmabuf->size;
	out->max_seg_size = dma_get_max_seg_size(&imp->pdev->dev);
	memcpy(out->segs, imp->segs, sizeof(out->segs));

out_unlock:
	dma_resv_unlock(dmabuf->resv);
	return ret;
}

/* dma_buf_pin() of the current attachment, as an importer that pins late. */
static int vpd_imp_pin(struct vpd_imp *imp)
{
	int ret;

	if (!imp->attach)
		return -ENOTCONN;
	if (imp->pinned)
		return -EALREADY;
	dma_resv_lock(imp->dmabuf->resv, NULL);
	ret = dma_buf_pin(imp->attach);
	dma_resv_unlock(imp->dmabuf->resv);
	if (!ret)
		imp->pinned = true;
	return ret;
}

static int vpd_imp_unmap(struct vpd_imp *imp)
{
	int ret = 0;

	if (!imp->attach)
		return -ENOTCONN;
	dma_resv_lock(imp->dmabuf->resv, NULL);
	if (imp->sgt)
		vpd_imp_unmap_locked(imp);
	else
		ret = -ENOLINK;
	dma_resv_unlock(imp->dmabuf->resv);
	return ret;
}

/* ------------------------------------------------------------ edu DMA */

/* One edu DMA of len bytes; polls for the end with a bounded deadline. */
static int vpd_imp_edu_dma(struct vpd_imp *imp, u64 src, u64 dst, u32 len,
			   bool to_pci)
{
	unsigned long deadline;
	void __iomem *bar = imp->bar;

	if (imp->engine_stuck)
		return -EIO;
	writeq(src, bar + EDU_REG_DMA_SRC);
	writeq(dst, bar + EDU_REG_DMA_DST);
	writeq(len, bar + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_RUN | (to_pci ? EDU_DMA_TO_PCI : 0),
	       bar + EDU_REG_DMA_CMD);
	deadline = jiffies + msecs_to_jiffies(EDU_DMA_TIMEOUT_MS);
	while (readq(bar + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (time_after(jiffies, deadline)) {
			/* edu ignores new commands while one runs */
			imp->engine_stuck = true;
			pci_err(imp->pdev, "DMA did not end within %u ms\n",
				EDU_DMA_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
	return 0;
}

/*
 * The dma address of [offset, offset + len) in segs[]; the range must lie
 * within one segment.
 */
static int vpd_imp_find(const struct vpd_imp_seg *segs, u32 nr, u64 offset,
			u64 len, u64 *addr)
{
	u64 start = 0;
	u32 i;

	for (i = 0; i < nr; start += segs[i].len, i++) {
		if (offset >= start + segs[i].len)
			continue;
		if (offset - start + len > segs[i].len)
			return -EINVAL;
		*addr = segs[i].addr + (offset - start);
		return 0;
	}
	return -EINVAL;
}

/* Reservation lock held: the mapping cannot go away under the DMA. */
static int vpd_imp_find_mapped(struct vpd_imp *imp, u64 offset, u64 len,
			       u64 *addr)
{
	struct scatterlist *sg;
	u64 start = 0;
	u32 i;

	for_each_sgtable_dma_sg(imp->sgt, sg, i) {
		u64 seg_len = sg_dma_len(sg);

		if (offset < start + seg_len) {
			if (offset - start + len > seg_len)
				return -EINVAL;
			*addr = sg_dma_address(sg) + (offset - start);
			return 0;
		}
		start += seg_len;
	}
	return -EINVAL;
}

static int vpd_imp_check_len(u64 offset, u64 len, u64 size)
{
	if (!len || len > VPD_IMP_DMA_MAX)
		return -EINVAL;
	if (offset >= size || len > size - offset)
		return -EINVAL;
	return 0;
}

static int vpd_imp_dma(struct vpd_imp *imp, const struct vpd_imp_dma *arg)
{
	void __user *ubuf = u64_to_user_ptr(arg->user_ptr);
	struct dma_buf *dmabuf = imp->dmabuf;
	u64 addr;
	int ret;

	if (arg->reserved || arg->dir > VPD_IMP_DMA_WRITE)
		return -EINVAL;
	if (!imp->attach)
		return -ENOTCONN;
	ret = vpd_imp_check_len(arg->offset, arg->length, dmabuf->size);
	if (ret)
		return ret;
	if (arg->dir == VPD_IMP_DMA_WRITE &&
	    copy_from_user(imp->bounce, ubuf, arg->length))
		return -EFAULT;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	if (!imp->sgt) {
		ret = -ENOLINK;
		goto out_unlock;
	}
	ret = vpd_imp_find_mapped(imp, arg->offset, arg->length, &addr);
	if (ret)
		goto out_unlock;
	if (arg->dir == VPD_IMP_DMA_WRITE) {
		ret = vpd_imp_edu_dma(imp, imp->bounce_dma, EDU_BUF_ADDR,
				      arg->length, false);
		if (!ret)
			ret = vpd_imp_edu_dma(imp, EDU_BUF_ADDR, addr,
					      arg->length, true);
	} else {
		ret = vpd_imp_edu_dma(imp, addr, EDU_BUF_ADDR, arg->length,
				      false);
		if (!ret)
			ret = vpd_imp_edu_dma(imp, EDU_BUF_ADDR,
					      imp->bounce_dma, arg->length,
					      true);
	}
out_unlock:
	dma_resv_unlock(dmabuf->resv);
	if (!ret && arg->dir == VPD_IMP_DMA_READ &&
	    copy_to_user(ubuf, imp->bounce, arg->length))
		ret = -EFAULT;
	return ret;
}

/* A DMA write to the mapping that the last revoke took away. */
static int vpd_imp_dma_stale(struct vpd_imp *imp,
			     const struct vpd_imp_stale *arg)
{
	u64 addr;
	int ret;

	if (arg->reserved)
		return -EINVAL;
	if (!arg->length || arg->length > VPD_IMP_DMA_MAX)
		return -EINVAL;
	if (!imp->nr_stale)
		return -ENOENT;
	ret = vpd_imp_find(imp->stale, imp->nr_stale, arg->offset,
			   arg->length, &addr);
	if (ret)
		return ret;
	memset(imp->bounce, arg->pattern & 0xff, arg->length);
	ret = vpd_imp_edu_dma(imp, imp->bounce_dma, EDU_BUF_ADDR, arg->length,
			      false);
	if (!ret)
		ret = vpd_imp_edu_dma(imp, EDU_BUF_ADDR, addr, arg->length,
				      true);
	return ret;
}

/* A fence of VPD_IMP_FENCE: work of ours the exporter must wait for. */
struct vpd_imp_fence {
	struct dma_fence base;
	spinlock_t lock;		/* the fence's */
	struct delayed_work work;
};

static const char *vpd_imp_fence_name(struct dma_fence *fence)
{
	return DRV_NAME;
}

/* A dma-buf may hold the fence after we are done with it: so does it us. */
static void vpd_imp_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops vpd_imp_fence_ops = {
	.get_driver_name	= vpd_imp_fence_name,
	.get_timeline_name	= vpd_imp_fence_name,
	.release		= vpd_imp_fence_release,
};

static void vpd_imp_fence_signal(struct work_struct *work)
{
	struct vpd_imp_fence *f = container_of(to_delayed_work(work),
					       struct vpd_imp_fence, work);

	/* Not pending any more by the time a waiter wakes. */
	atomic_dec(&vpd_imp_fences_pending);
	dma_fence_signal(&f->base);
	dma_fence_put(&f->base);
}

static int vpd_imp_fence(struct vpd_imp *imp,
			 const struct vpd_imp_fence_req *arg)
{
	struct dma_resv *resv;
	struct vpd_imp_fence *f;
	int ret;

	if (arg->reserved || !arg->delay_ms || arg->delay_ms > 60000)
		return -EINVAL;
	if (!imp->attach)
		return -ENOTCONN;
	resv = imp->dmabuf->resv;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	f = kzalloc_obj(*f);
	if (!f) {
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &vpd_imp_fence_ops, &f->lock,
		       dma_fence_context_alloc(1), 1);
	INIT_DELAYED_WORK(&f->work, vpd_imp_fence_signal);

	ret = dma_resv_lock_interruptible(resv, NULL);
	if (!ret) {
		ret = dma_resv_reserve_fences(resv, 1);
		if (!ret) {
			dma_resv_add_fence(resv, &f->base,
					   DMA_RESV_USAGE_BOOKKEEP);
			atomic_inc(&vpd_imp_fences_pending);
			/* The work's reference; ours is dropped below. */
			dma_fence_get(&f->base);
			queue_delayed_work(vpd_imp_wq, &f->work,
					   msecs_to_jiffies(arg->delay_ms));
		}
		dma_resv_unlock(resv);
	}
	dma_fence_put(&f->base);
	return ret;
}

static void vpd_imp_status(struct vpd_imp *imp, struct vpd_imp_status *st)
{
	struct dma_resv *resv = imp->attach ? imp->dmabuf->resv : NULL;

	memset(st, 0, sizeof(*st));
	if (resv)
		dma_resv_lock(resv, NULL);
	st->invalidations = imp->invalidations;
	st->maps = imp->maps;
	st->unmaps = imp->unmaps;
	st->attached = !!imp->attach;
	st->mapped = !!imp->sgt;
	st->last_map_errno = imp->last_map_err;
	st->stale_nents = imp->nr_stale;
	st->stale_addr = imp->nr_stale ? imp->stale[0].addr : 0;
	st->fences_pending = atomic_read(&vpd_imp_fences_pending);
	st->watched = imp->watched;
	st->late = imp->late;
	st->late_command = imp->late_cmd;
	st->late_pmcsr = imp->late_pmcsr;
	st->last_command = imp->last_cmd;
	st->last_pmcsr = imp->last_pmcsr;
	if (resv)
		dma_resv_unlock(resv);
}

/* ------------------------------------------------------------ pool */

/* Reservation lock held. */
static void vpd_imp_entry_unmap_locked(struct vpd_imp_entry *e)
{
	if (!e->sgt)
		return;
	dma_buf_unmap_attachment(e->attach, e->sgt, DMA_BIDIRECTIONAL);
	e->sgt = NULL;
}

/* The revoke callback of a pool entry: count and unmap at once. */
static void vpd_imp_entry_invalidate(struct dma_buf_attachment *attach)
{
	struct vpd_imp_entry *e = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	atomic64_inc(&e->imp->pool_invalidations);
	if (e->sgt)
		atomic64_set(&e->imp->pool_last_unmap_ns, ktime_get_ns());
	vpd_imp_entry_unmap_locked(e);
}

static const struct dma_buf_attach_ops vpd_imp_pool_ops = {
	.allow_peer2peer = true,
	.VPD_IMPORTER_INVALIDATE = vpd_imp_entry_invalidate,
};

static int vpd_imp_entry_map(struct vpd_imp_entry *e)
{
	struct sg_table *sgt;
	int ret = 0;

	dma_resv_lock(e->dmabuf->resv, NULL);
	if (!e->sgt) {
		sgt = dma_buf_map_attachment(e->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			ret = PTR_ERR(sgt);
		else
			e->sgt = sgt;
	}
	dma_resv_unlock(e->dmabuf->resv);
	return ret;
}

/* imp->lock held. */
static void vpd_imp_entry_free(struct vpd_imp *imp, struct vpd_imp_entry *e)
{
	dma_resv_lock(e->dmabuf->resv, NULL);
	vpd_imp_entry_unmap_locked(e);
	dma_resv_unlock(e->dmabuf->resv);
	dma_buf_detach(e->dmabuf, e->attach);
	dma_buf_put(e->dmabuf);
	list_del(&e->node);
	imp->pool_entries--;
	kfree(e);
}

/* imp->lock held. */
static void vpd_imp_pool_clear(struct vpd_imp *imp)
{
	struct vpd_imp_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &imp->pool, node)
		vpd_imp_entry_free(imp, e);
	atomic64_set(&imp->pool_invalidations, 0);
	atomic64_set(&imp->pool_last_unmap_ns, 0);
	imp->pool_map_failures = 0;
	imp->pool_last_err = 0;
}

static int vpd_imp_pool_add(struct vpd_imp *imp,
			    const struct vpd_imp_attach *arg)
{
	struct vpd_imp_entry *e;
	int ret;

	if (arg->mode != VPD_IMP_DYNAMIC)
		return -EINVAL;
	if (imp->pool_entries >= VPD_IMP_POOL_MAX)
		return -ENOSPC;
	e = kzalloc_obj(*e);
	if (!e)
		return -ENOMEM;
	e->imp = imp;
	e->dmabuf = dma_buf_get(arg->fd);
	if (IS_ERR(e->dmabuf)) {
		ret = PTR_ERR(e->dmabuf);
		goto err_free;
	}
	e->attach = dma_buf_dynamic_attach(e->dmabuf, &imp->pdev->dev,
					   &vpd_imp_pool_ops, e);
	if (IS_ERR(e->attach)) {
		ret = PTR_ERR(e->attach);
		goto err_put;
	}
	ret = vpd_imp_entry_map(e);
	if (ret)
		goto err_detach;
	list_add_tail(&e->node, &imp->pool);
	imp->pool_entries++;
	return 0;

err_detach:
	dma_buf_detach(e->dmabuf, e->attach);
err_put:
	dma_buf_put(e->dmabuf);
err_free:
	kfree(e);
	return ret;
}

/* imp->lock held. */
static void vpd_imp_pool_status(struct vpd_imp *imp, struct vpd_imp_pool *st)
{
	struct vpd_imp_entry *e;

	memset(st, 0, sizeof(*st));
	list_for_each_entry(e, &imp->pool, node) {
		dma_resv_lock(e->dmabuf->resv, NULL);
		if (e->sgt) {
			st->mapped++;
			st->nents += e->sgt->nents;
		}
		dma_resv_unlock(e->dmabuf->resv);
	}
	st->entries = imp->pool_entries;
	st->invalidations = atomic64_read(&imp->pool_invalidations);
	st->map_failures = imp->pool_map_failures;
	st->last_map_errno = -imp->pool_last_err;
	st->last_unmap_ns = atomic64_read(&imp->pool_last_unmap_ns);
}

static void vpd_imp_pool_remap(struct vpd_imp *imp, struct vpd_imp_pool *st)
{
	struct vpd_imp_entry *e;
	int ret;

	imp->pool_map_failures = 0;
	list_for_each_entry(e, &imp->pool, node) {
		ret = vpd_imp_entry_map(e);
		if (ret) {
			imp->pool_map_failures++;
			imp->pool_last_err = ret;
		}
	}
	vpd_imp_pool_status(imp, st);
}

/* ------------------------------------------------------------ char device */

static struct vpd_imp *vpd_imp_from_file(struct file *file)
{
	return file->private_data;
}

static int vpd_imp_open(struct inode *inode, struct file *file)
{
	/*
	 * misc_open() holds misc_mtx, which misc_deregister() in remove waits
	 * for: imp is alive.  No vpd_imp_dev_lock here: probe holds it over
	 * misc_register(), which takes misc_mtx.
	 */
	struct vpd_imp *imp = container_of(file->private_data, struct vpd_imp,
					   misc);
	int ret = 0;

	mutex_lock(&imp->lock);
	if (!imp->pdev) {
		ret = -ENODEV;
	} else if (imp->open) {
		ret = -EBUSY;
	} else {
		imp->open = true;
		kref_get(&imp->kref);
		file->private_data = imp;
	}
	mutex_unlock(&imp->lock);
	return ret;
}

static int vpd_imp_release(struct inode *inode, struct file *file)
{
	struct vpd_imp *imp = vpd_imp_from_file(file);

	mutex_lock(&imp->lock);
	vpd_imp_detach_locked(imp);
	vpd_imp_pool_clear(imp);
	pci_dev_put(imp->watch);
	imp->watch = NULL;
	imp->open = false;
	mutex_unlock(&imp->lock);
	kref_put(&imp->kref, vpd_imp_free);
	return 0;
}

static long vpd_imp_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct vpd_imp *imp = vpd_imp_from_file(file);
	void __user *uarg = (void __user *)arg;
	union {
		struct vpd_imp_attach attach;
		struct vpd_imp_map map;
		struct vpd_imp_dma dma;
		struct vpd_imp_stale stale;
		struct vpd_imp_status status;
		struct vpd_imp_fence_req fence;
		struct vpd_imp_pool pool;
		struct vpd_imp_watch watch;
	} u = { };
	long ret;

	if (_IOC_SIZE(cmd) > sizeof(u))
		return -ENOTTY;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
	    copy_from_user(&u, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	mutex_lock(&imp->lock);
	if (!imp->pdev) {
		ret = -ENODEV;
		goto out_unlock;
	}
	switch (cmd) {
	case VPD_IMP_ATTACH:
		ret = vpd_imp_attach(imp, &u.attach);
		break;
	case VPD_IMP_MAP:
		ret = vpd_imp_map(imp, &u.map);
		break;
	case VPD_IMP_DMA:
		ret = vpd_imp_dma(imp, &u.dma);
		break;
	case VPD_IMP_DMA_STALE:
		ret = vpd_imp_dma_stale(imp, &u.stale);
		break;
	case VPD_IMP_UNMAP:
		ret = vpd_imp_unmap(imp);
		break;
	case VPD_IMP_DETACH:
		ret = imp->attach ? 0 : -ENOTCONN;
		vpd_imp_detach_locked(imp);
		break;
	case VPD_IMP_STATUS:
		vpd_imp_status(imp, &u.status);
		ret = 0;
		break;
	case VPD_IMP_PIN:
		ret = vpd_imp_pin(imp);
		break;
	case VPD_IMP_FENCE:
		ret = vpd_imp_fence(imp, &u.fence);
		break;
	case VPD_IMP_POOL_ADD:
		ret = vpd_imp_pool_add(imp, &u.attach);
		break;
	case VPD_IMP_POOL_REMAP:
		vpd_imp_pool_remap(imp, &u.pool);
		ret = 0;
		break;
	case VPD_IMP_POOL_STATUS:
		vpd_imp_pool_status(imp, &u.pool);
		ret = 0;
		break;
	case VPD_IMP_POOL_CLEAR:
		vpd_imp_pool_clear(imp);
		ret = 0;
		break;
	case VPD_IMP_WATCH:
		ret = vpd_imp_set_watch(imp, &u.watch);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
out_unlock:
	mutex_unlock(&imp->lock);
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations vpd_imp_fops = {
	.owner		= THIS_MODULE,
	.open		= vpd_imp_open,
	.release	= vpd_imp_release,
	.unlocked_ioctl	= vpd_imp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* ------------------------------------------------------------ PCI driver */

static int vpd_imp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpd_imp *imp;
	int ret;

	mutex_lock(&vpd_imp_dev_lock);
	if (vpd_imp_dev) {
		pci_err(pdev, "refusing a second device: %s already serves /dev/%s\n",
			pci_name(vpd_imp_dev->pdev), DRV_NAME);
		ret = -EBUSY;
		goto out_unlock;
	}

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	kref_init(&imp->kref);
	mutex_init(&imp->lock);
	INIT_DELAYED_WORK(&imp->late_unmap, vpd_imp_late_unmap);
	INIT_LIST_HEAD(&imp->pool);
	atomic64_set(&imp->pool_invalidations, 0);
	atomic64_set(&imp->pool_last_unmap_ns, 0);
	imp->pdev = pdev;

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_region(pdev, EDU_BAR, DRV_NAME);
	if (ret)
		goto err_disable;
	imp->bar = pci_iomap(pdev, EDU_BAR, 0);
	if (!imp->bar) {
		ret = -ENOMEM;
		goto err_release;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(min(dma_bits, 64U)));
	if (ret)
		goto err_unmap;
	imp->bounce = dma_alloc_coherent(&pdev->dev, VPD_IMP_DMA_MAX,
					 &imp->bounce_dma, GFP_KERNEL);
	if (!imp->bounce) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	pci_set_master(pdev);

	imp->misc.minor = MISC_DYNAMIC_MINOR;
	imp->misc.name = DRV_NAME;
	imp->misc.fops = &vpd_imp_fops;
	imp->misc.mode = 0600;
	ret = misc_register(&imp->misc);
	if (ret)
		goto err_master;

	pci_set_drvdata(pdev, imp);
	vpd_imp_dev = imp;
	mutex_unlock(&vpd_imp_dev_lock);
	pci_info(pdev, "serving /dev/%s\n", DRV_NAME);
	return 0;

err_master:
	pci_clear_master(pdev);
	dma_free_coherent(&pdev->dev, VPD_IMP_DMA_MAX, imp->bounce,
			  imp->bounce_dma);
err_unmap:
	pci_iounmap(pdev, imp->bar);
err_release:
	pci_release_region(pdev, EDU_BAR);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(imp);
out_unlock:
	mutex_unlock(&vpd_imp_dev_lock);
	return ret;
}

static void vpd_imp_remove(struct pci_dev *pdev)
{
	struct vpd_imp *imp = pci_get_drvdata(pdev);

	mutex_lock(&vpd_imp_dev_lock);
	vpd_imp_dev = NULL;
	mutex_unlock(&vpd_imp_dev_lock);
	misc_deregister(&imp->misc);

	/* An open file stays; its ioctls fail with -ENODEV from now on. */
	mutex_lock(&imp->lock);
	vpd_imp_detach_locked(imp);
	vpd_imp_pool_clear(imp);
	imp->pdev = NULL;
	mutex_unlock(&imp->lock);

	pci_clear_master(pdev);
	dma_free_coherent(&pdev->dev, VPD_IMP_DMA_MAX, imp->bounce,
			  imp->bounce_dma);
	pci_iounmap(pdev, imp->bar);
	pci_release_region(pdev, EDU_BAR);
	pci_disable_device(pdev);
	kref_put(&imp->kref, vpd_imp_free);
}

/*
 * Matches only through driver_override: edu is a test device that must
 * never be claimed behind the test's back.  The flag is the only
 * override_only value modpost knows.
 */
static const struct pci_device_id vpd_imp_ids[] = {
	{ PCI_DEVICE_DRIVER_OVERRIDE(0x1234, 0x11e8,
				     PCI_ID_F_VFIO_DRIVER_OVERRIDE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vpd_imp_ids);

static struct pci_driver vpd_imp_driver = {
	.name		= DRV_NAME,
	.id_table	= vpd_imp_ids,
	.probe		= vpd_imp_probe,
	.remove		= vpd_imp_remove,
};

static int __init vpd_imp_init(void)
{
	int ret;

	vpd_imp_wq = alloc_workqueue(DRV_NAME, WQ_UNBOUND, 0);
	if (!vpd_imp_wq)
		return -ENOMEM;
	ret = pci_register_driver(&vpd_imp_driver);
	if (ret)
		destroy_workqueue(vpd_imp_wq);
	return ret;
}
module_init(vpd_imp_init);

/* No fence is left (each holds the module), so no work is either. */
static void __exit vpd_imp_exit(void)
{
	pci_unregister_driver(&vpd_imp_driver);
	destroy_workqueue(vpd_imp_wq);
}
module_exit(vpd_imp_exit);

MODULE_DESCRIPTION("dma-buf test importer on QEMU's edu device (vfio-pci-dmabuf tests)");
MODULE_LICENSE("GPL");
VPD_IMPORT_NS_DMA_BUF();
