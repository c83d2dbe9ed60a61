// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: page-aligned slices of a BAR exported as
 * dynamic, revocable dma-bufs, and the interlocks that revoke every mapping
 * while the BAR is not safe to reach.
 *
 * A dma-buf is revoked (importers invalidated, new mappings refused with
 * -ENODEV) while the device is closed, while memory decode is off or the
 * device is not in D0 or in low-power mode, and while anything that can
 * make the BAR unreachable is in progress (a "block": resets, and config
 * writes to the registers that control decode, power and FLR), and after
 * an uncorrectable error until the hardware decodes the BARs again.
 * Revocation is synchronous: it returns once importers have unmapped.
 * When the device is usable again, importers are notified and may map
 * again.  Closing the device revokes its dma-bufs for good.
 *
 * The lock order is documented with struct vpd_exporter in vpd.h.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio-pci-dmabuf.h>

#include "compat.h"
#include "compat-dma-buf.h"
#include "compat-slab.h"
#include "vpd.h"

VPD_IMPORT_NS_DMA_BUF();

/*
 * The most DMA segments one mapping may have: 2^19 scatterlist entries
 * (16 MiB of them), enough for a 32 GiB BAR mapped for an importer with
 * the PCI default 64 KiB segment limit.  Ranges may overlap, so without a
 * bound a small request could ask for an arbitrarily large table.
 */
#define VPD_MAP_MAX_SEGS	BIT(19)

/*
 * A BAR is MMIO: no CPU cache holds it, so there is nothing to sync.  Saying
 * so also lets ranges overlap (the uAPI allows it) without the DMA-API
 * checker's "overlapping mappings aren't supported" warning.
 */
#define VPD_MAP_ATTRS		DMA_ATTR_SKIP_CPU_SYNC

static unsigned int revoke_warn_sec = 10;
module_param(revoke_warn_sec, uint, 0644);
MODULE_PARM_DESC(revoke_warn_sec,
		 "A revocation that waits for importers longer than this (seconds, default 10) names them in the log, and again every as long");

struct vpd_range {
	phys_addr_t phys;
	u64 len;
};

/* One exported dma-buf. */
struct vpd_dmabuf {
	struct dma_buf *dmabuf;
	/* A reference of its own: the exporter state outlives every dma-buf. */
	struct vpd_exporter *exp;
	/*
	 * The exporting function.  Only map dereferences it, and only while
	 * @revoked is false: close and remove revoke (under the resv lock)
	 * before the device can go away.
	 */
	struct pci_dev *pdev;
	/* On exp->dmabufs until the device is closed, under exp->lock. */
	struct list_head node;
	/* Under the dma-buf's resv lock. */
	bool revoked;
	/* Mappings handed out and not unmapped yet; revocation waits for 0. */
	atomic_t nr_mapped;
	unsigned int bar;
	/* Bus address minus CPU physical address of the BAR. */
	u64 bus_offset;
	/* The exporter's, for the log and the dma-buf's exp_name. */
	const char *name;
	u32 nr_ranges;
	struct vpd_range ranges[] __counted_by(nr_ranges);
};

/* Per attachment, under the dma-buf's resv lock. */
struct vpd_attachment {
	unsigned int pins;
	unsigned int maps;
};

/* One mapping of a dma-buf for one importer. */
struct vpd_mapping {
	struct sg_table sgt;
	unsigned int nents;
	enum vpd_p2p_path path;
	u32 nr_ranges;
	dma_addr_t addr[] __counted_by(nr_ranges);
};

static void vpd_exporter_free(struct kref *kref)
{
	struct vpd_exporter *exp = container_of(kref, struct vpd_exporter, kref);

	mutex_destroy(&exp->lock);
	kfree(exp);
}

static void vpd_exporter_put(struct vpd_exporter *exp)
{
	kref_put(&exp->kref, vpd_exporter_free);
}

/* ------------------------------------------------------------------ */
/* Accessibility: when may importers reach the BAR?                    */

/*
 * What vfio_pci_core itself considers "memory enabled", plus low power.
 * Reads vconfig, which exists while the device is open.
 */
static bool vpd_bars_reachable(struct vpd_device *vpd)
{
	struct vfio_pci_core_device *vdev = &vpd->core;
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd = le16_to_cpu(*(__le16 *)&vdev->vconfig[PCI_COMMAND]);

	/* pci_power_t is ordered (D0 < D1 < D2 < D3hot): compare as such. */
	if (vdev->pm_runtime_engaged ||
	    (__force int)pdev->current_state >= (__force int)PCI_D3hot)
		return false;
	return pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY);
}

/*
 * Whether the function decodes memory at the addresses its BARs were
 * assigned, as the hardware says: vconfig cannot tell after a reset that
 * vfio did not see.  Functions without a memory enable bit (VFs) have no
 * BARs of their own to read back, so they never say yes.
 */
static bool vpd_bars_decode(struct pci_dev *pdev)
{
	unsigned int i;
	u32 lo, hi;
	u16 cmd;

	if (pdev->no_command_memory ||
	    pci_read_config_word(pdev, PCI_COMMAND, &cmd) ||
	    !(cmd & PCI_COMMAND_MEMORY))
		return false;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long flags = pci_resource_flags(pdev, i);
		u64 bus = pci_bus_address(pdev, i);
		int reg = PCI_BASE_ADDRESS_0 + 4 * i;

		/* Only BARs the kernel assigned have an address to compare. */
		if (!(flags & IORESOURCE_MEM) || !pci_resource_len(pdev, i) ||
		    (flags & (IORESOURCE_UNSET | IORESOURCE_DISABLED)))
			continue;
		if (pci_read_config_dword(pdev, reg, &lo) ||
		    (lo & PCI_BASE_ADDRESS_MEM_MASK) != lower_32_bits(bus))
			return false;
		if (!(flags & IORESOURCE_MEM_64))
			continue;
		if (pci_read_config_dword(pdev, reg + 4, &hi) ||
		    hi != upper_32_bits(bus))
			return false;
		i++;
	}
	return true;
}

/*
 * Whether an uncorrectable error still keeps importers off the BARs.  The
 * PCI core's recovery resets the link with no reset_prepare/reset_done and
 * restores nothing: the function comes back with decode off and its BARs
 * cleared while vconfig still says enabled.  It is usable again only once
 * the recovery is over and the hardware decodes the BARs (vfio restores
 * them at userspace's next write of the command register), and then the
 * error is forgotten.  exp->lock held.
 */
static bool vpd_error_pending(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;
	struct pci_dev *pdev = vpd->core.pdev;

	if (!exp->failed)
		return false;
	if (READ_ONCE(pdev->error_state) != pci_channel_io_normal ||
	    !vpd_bars_decode(pdev))
		return true;

	WRITE_ONCE(exp->failed, false);
	pci_info(pdev, "BARs decode again after the error: dma-bufs usable\n");
	return false;
}

/* Whether importers must be kept off the BARs now; exp->lock held. */
static bool vpd_access_revoked(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;

	lockdep_assert_held(&exp->lock);
	return !exp->open || exp->gone || exp->blocked ||
	       atomic_read(&exp->unblocked_writes) ||
	       !vpd_bars_reachable(vpd) || vpd_error_pending(vpd);
}

static unsigned long vpd_revoke_warn_jiffies(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(revoke_warn_sec), 1U, 3600U) *
				MSEC_PER_SEC);
}

/*
 * Fences of work importers queued on the dma-buf must be done before the
 * BAR goes away.  Waits as long as they take, naming the dma-buf while it
 * does; resv lock held.
 */
static void vpd_wait_fences(struct vpd_dmabuf *priv)
{
	unsigned long start = jiffies;

	while (!dma_resv_wait_timeout(priv->dmabuf->resv,
				      DMA_RESV_USAGE_BOOKKEEP, false,
				      vpd_revoke_warn_jiffies()))
		pr_warn_ratelimited("%s: revocation has waited %u s for importers' fences\n",
				    priv->name,
				    jiffies_to_msecs(jiffies - start) / 1000);
}

/* Name the importers that still hold a mapping of a revoked dma-buf. */
static void vpd_name_late_importers(struct vpd_dmabuf *priv,
				    unsigned int secs)
{
	struct dma_buf *dmabuf = priv->dmabuf;
	struct dma_buf_attachment *attach;

	/* The late importer may be sitting on the lock: do not queue behind it. */
	if (!dma_resv_trylock(dmabuf->resv)) {
		pr_warn_ratelimited("%s: revocation has waited %u s for an importer that holds the dma-buf's reservation lock\n",
				    priv->name, secs);
		return;
	}
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		if (va && va->maps)
			dev_warn_ratelimited(attach->dev,
					     "%s was revoked %u s ago and this importer still has not unmapped it\n",
					     priv->name, secs);
	}
	dma_resv_unlock(dmabuf->resv);
}

/*
 * Importers unmap from their invalidate callback, or soon after it.  The
 * revocation is synchronous, so this waits for them however long they take,
 * and names them every revoke_warn_sec seconds while it does.
 */
static void vpd_wait_unmapped(struct vpd_dmabuf *priv)
{
	unsigned long start = jiffies;

	while (!wait_event_timeout(priv->exp->unmapped,
				   !atomic_read(&priv->nr_mapped),
				   vpd_revoke_warn_jiffies()))
		vpd_name_late_importers(priv,
					jiffies_to_msecs(jiffies - start) / 1000);
}

/* Revoke (or restore) one dma-buf; exp->lock held. */
static void vpd_dmabuf_set_revoked(struct vpd_dmabuf *priv, bool revoke)
{
	struct dma_buf *dmabuf = priv->dmabuf;

	dma_resv_lock(dmabuf->resv, NULL);
	priv->revoked = revoke;
	vpd_dma_buf_invalidate(dmabuf);
	if (revoke)
		vpd_wait_fences(priv);
	dma_resv_unlock(dmabuf->resv);

	if (revoke)
		vpd_wait_unmapped(priv);
}

/* Bring every live dma-buf in line with the device's state; exp->lock held. */
static void __vpd_sync_access(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;
	struct vpd_dmabuf *priv;
	bool revoke;

	revoke = vpd_access_revoked(vpd);
	if (revoke == exp->revoked)
		return;

	WRITE_ONCE(exp->revoked, revoke);
	list_for_each_entry(priv, &exp->dmabufs, node)
		vpd_dmabuf_set_revoked(priv, revoke);
}

/*
 * Move the block count by @delta (+1, -1 or 0) and bring the dma-bufs in
 * line with the result.
 */
static void vpd_update_access(struct vpd_device *vpd, int delta)
{
	struct vpd_exporter *exp = vpd->exp;

	if (!exp->enabled)
		return;
	mutex_lock(&exp->lock);
	if (delta > 0)
		WRITE_ONCE(exp->blocked, exp->blocked + 1);
	else if (delta < 0 && exp->blocked)
		WRITE_ONCE(exp->blocked, exp->blocked - 1);
	__vpd_sync_access(vpd);
	mutex_unlock(&exp->lock);
}

/*
 * Whether a sync would find nothing to do: the dma-bufs are usable and the
 * device, as this thread last changed it, still lets them be.  Read
 * without exp->lock (vconfig is not ours to lock either): a sync matters
 * only for a change the caller made itself without a block, which it sees
 * in program order; a change another thread is making is that thread's to
 * sync, under the lock.  exp->failed only ever leads to the slow path.
 */
static bool vpd_access_settled(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;

	return !READ_ONCE(exp->revoked) && !READ_ONCE(exp->blocked) &&
	       !READ_ONCE(exp->failed) && vpd_bars_reachable(vpd);
}

/*
 * Revoke or restore the device's dma-bufs as its current state requires,
 * for paths that may have changed it without a block around them: device
 * features and ioctls while revoked (vpd_sync_after_ioctl()).  The common
 * case takes no lock.
 */
void vpd_sync_access(struct vpd_device *vpd)
{
	if (vpd->exp->enabled && vpd_access_settled(vpd))
		return;
	vpd_update_access(vpd, 0);
}

/*
 * Revoke every dma-buf of the device until the matching
 * vpd_unblock_access(), e.g. around a reset.  Returns once importers have
 * unmapped.  Blocks nest and may come from several threads.
 */
void vpd_block_access(struct vpd_device *vpd)
{
	vpd_update_access(vpd, 1);
}

void vpd_unblock_access(struct vpd_device *vpd)
{
	vpd_update_access(vpd, -1);
}

/*
 * vpd_sync_access() without its lockless look: for vpd_unblocked_write_end(),
 * which needs the sync to come after a racing export's.
 */
void vpd_resync_access(struct vpd_device *vpd)
{
	vpd_update_access(vpd, 0);
}

/*
 * The device's config bytes whose writes can make its BARs unreachable.  A
 * config write that covers any of them blocks first (vpd_write_watched()),
 * decided by offset alone, whatever the bytes written: Memory Space Enable
 * (PCI_COMMAND's low byte), the power state (PMCSR's low byte), and the
 * two ways to request an FLR, PCIe Device Control's high byte and Advanced
 * Features Control.  vfio starts an FLR requested through config space
 * with pci_try_reset_function(), whose reset_prepare blocks as well; the
 * watch does not rely on that.
 */
static void vpd_watch_init(struct vpd_exporter *exp, struct pci_dev *pdev)
{
	u8 af = pci_find_capability(pdev, PCI_CAP_ID_AF);
	struct vpd_cfg_watch *w = &exp->watch;

	BUILD_BUG_ON(VPD_CFG_WATCH_MAX < 4);
	vpd_cfg_watch_add(w, PCI_COMMAND);
	if (pdev->pm_cap)
		vpd_cfg_watch_add(w, pdev->pm_cap + PCI_PM_CTRL);
	if (pdev->pcie_cap)
		vpd_cfg_watch_add(w, pdev->pcie_cap + PCI_EXP_DEVCTL + 1);
	if (af)
		vpd_cfg_watch_add(w, af + PCI_AF_CTRL);
	vpd_cfg_watch_index(w);
}

int vpd_exporter_init(struct vpd_device *vpd, struct pci_dev *pdev,
		      bool enabled)
{
	struct vpd_exporter *exp;

	exp = kzalloc_obj(*exp);
	if (!exp)
		return -ENOMEM;
	kref_init(&exp->kref);
	exp->enabled = enabled;
	mutex_init(&exp->lock);
	INIT_LIST_HEAD(&exp->dmabufs);
	init_waitqueue_head(&exp->unmapped);
	exp->revoked = true;
	/* With vfio_pci_core's exporter, config writes are none of ours. */
	if (enabled)
		vpd_watch_init(exp, pdev);
	snprintf(exp->name, sizeof(exp->name), "vfio-pci-dmabuf:%s",
		 pci_name(pdev));
	vpd->exp = exp;
	return 0;
}

/* The vfio_device is being freed; its dma-bufs may live on. */
void vpd_exporter_release(struct vpd_device *vpd)
{
	vpd_exporter_put(vpd->exp);
	vpd->exp = NULL;
}

/* Set one of the exporter's conditions and bring the dma-bufs in line. */
static void vpd_exporter_set(struct vpd_device *vpd, bool *cond, bool val)
{
	struct vpd_exporter *exp = vpd->exp;

	if (!exp->enabled)
		return;
	mutex_lock(&exp->lock);
	WRITE_ONCE(*cond, val);	/* exp->failed: see vpd_access_settled() */
	__vpd_sync_access(vpd);
	mutex_unlock(&exp->lock);
}

/* The device was opened: dma-bufs exported from now on may be usable. */
void vpd_exporter_open(struct vpd_device *vpd)
{
	vpd_exporter_set(vpd, &vpd->exp->open, true);
}

/*
 * The device is being closed (last fd): revoke every dma-buf for good,
 * before vfio_pci_core disables the device, and detach them from it.  The
 * dma-bufs themselves live on, revoked, until their last user drops them;
 * they keep only the exporter state alive, not the device.
 */
void vpd_exporter_close(struct vpd_device *vpd)
{
	struct vpd_exporter *exp = vpd->exp;
	struct vpd_dmabuf *priv, *tmp;

	if (!exp->enabled)
		return;
	mutex_lock(&exp->lock);
	exp->open = false;
	__vpd_sync_access(vpd);
	list_for_each_entry_safe(priv, tmp, &exp->dmabufs, node)
		list_del_init(&priv->node);
	mutex_unlock(&exp->lock);
}

/*
 * The device is being unbound or unplugged.  vfio waits in unregister until
 * userspace closes the device, possibly for a long time; the BAR must not
 * be reached from now on, so revoke for good before that wait.
 */
void vpd_exporter_remove(struct vpd_device *vpd)
{
	vpd_exporter_set(vpd, &vpd->exp->gone, true);
}

/*
 * An uncorrectable error froze the link, or recovery gave up: the PCI core
 * resets the link next (or never lets the device work again).  Revoke now,
 * before that reset and before userspace hears of the error.
 */
void vpd_exporter_error(struct vpd_device *vpd)
{
	if (!vpd->exp->enabled)
		return;
	dev_warn_ratelimited(&vpd->core.pdev->dev,
			     "uncorrectable error: dma-bufs revoked until the BARs decode again\n");
	vpd_exporter_set(vpd, &vpd->exp->failed, true);
}

/* ------------------------------------------------------------------ */
/* dma_buf_ops                                                         */

static int vpd_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_attachment *va;

	if (!attach->peer2peer)
		return -EOPNOTSUPP;

	if (READ_ONCE(priv->revoked))
		return -ENODEV;

	/* Only importers that can be revoked may use the BAR. */
	if (!attach->importer_ops ||
	    !attach->importer_ops->VPD_IMPORTER_INVALIDATE)
		return -EOPNOTSUPP;

	va = kzalloc_obj(*va);
	if (!va)
		return -ENOMEM;
	attach->priv = va;
	return 0;
}

static void vpd_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
}

/*
 * pin: a mapping that cannot be revoked must never exist.  Where the
 * dma-buf core pins around every mapping (VPD_MAP_PINS), that pin is
 * accepted and counted; it comes right before the map, so a pin of an
 * attachment that is mapped already (importers map an attachment once) is
 * the importer's own and is refused here, and one taken before the first
 * map is told apart in map.  Elsewhere every pin is an importer's own and
 * is refused.
 */
static int vpd_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct vpd_attachment *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (!VPD_MAP_PINS || va->maps) {
		dev_warn_ratelimited(attach->dev,
				     "refusing to pin %s: its mappings must stay revocable\n",
				     attach->dmabuf->exp_name);
		return -EOPNOTSUPP;
	}
	va->pins++;
	return 0;
}

static void vpd_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct vpd_attachment *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (va->pins)
		va->pins--;
}

/*
 * Whether the importer has pinned the attachment itself.  Where the core
 * pins around mappings, it has pinned once per mapping including the one
 * being made; any pin beyond those is the importer's.
 */
static bool vpd_pinned_by_importer(struct vpd_attachment *va)
{
	return VPD_MAP_PINS && va->pins > va->maps + 1;
}

/*
 * The largest DMA segment for @dev, a multiple of the page size; -EINVAL if
 * its limit is below a page (segments are page aligned).
 */
static int vpd_seg_max(struct device *dev, unsigned int *seg_max)
{
	unsigned int max = dma_get_max_seg_size(dev);

	if (max < PAGE_SIZE) {
		dev_warn_ratelimited(dev, "cannot map a BAR dma-buf: the DMA segment limit %u is below the page size\n",
				     max);
		return -EINVAL;
	}
	*seg_max = rounddown(max, PAGE_SIZE);
	return 0;
}

/* Scatterlist entries for @priv in @seg_max pieces, at most VPD_MAP_MAX_SEGS. */
static int vpd_count_segs(const struct vpd_dmabuf *priv, struct device *dev,
			  unsigned int seg_max, unsigned int *nents)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < priv->nr_ranges; i++) {
		u64 segs = DIV_ROUND_UP_ULL(priv->ranges[i].len, seg_max);

		if (check_add_overflow(total, segs, &total) ||
		    total > VPD_MAP_MAX_SEGS) {
			dev_warn_ratelimited(dev, "cannot map %s: more than %lu DMA segments of %u bytes\n",
					     priv->name, VPD_MAP_MAX_SEGS, seg_max);
			return -EINVAL;
		}
	}
	*nents = total;
	return 0;
}

static void vpd_unmap_ranges(struct vpd_dmabuf *priv, struct device *dev,
			     struct vpd_mapping *map, u32 nr,
			     enum dma_data_direction dir)
{
	u32 i;

	if (map->path == VPD_P2P_HOST_BRIDGE)
		for (i = 0; i < nr; i++)
			dma_unmap_resource(dev, map->addr[i],
					   priv->ranges[i].len, dir,
					   VPD_MAP_ATTRS);
	map->sgt.orig_nents = map->nents;
	sg_free_table(&map->sgt);
	kvfree(map);
}

/* Fill the table: each range in seg_max pieces, mapped for @dev. */
static int vpd_fill_segs(struct vpd_dmabuf *priv, struct device *dev,
			 struct vpd_mapping *map, unsigned int seg_max,
			 enum dma_data_direction dir)
{
	struct scatterlist *sg = map->sgt.sgl;
	u32 i;

	for (i = 0; i < priv->nr_ranges; i++) {
		const struct vpd_range *r = &priv->ranges[i];
		dma_addr_t base;
		u64 off;

		if (map->path == VPD_P2P_BUS_ADDR) {
			base = r->phys + priv->bus_offset;
		} else {
			base = dma_map_resource(dev, r->phys, r->len, dir,
						VPD_MAP_ATTRS);
			if (dma_mapping_error(dev, base)) {
				vpd_unmap_ranges(priv, dev, map, i, dir);
				return -ENOMEM;
			}
		}
		map->addr[i] = base;

		/* vpd_count_segs() sized the table for exactly these pieces. */
		for (off = 0; off < r->len; off += sg_dma_len(sg), sg = sg_next(sg)) {
			sg_dma_address(sg) = base + off;
			sg_dma_len(sg) = min_t(u64, r->len - off, seg_max);
		}
	}
	return 0;
}

static struct vpd_mapping *vpd_map_ranges(struct vpd_dmabuf *priv,
					  struct device *dev,
					  enum dma_data_direction dir)
{
	struct vpd_mapping *map;
	enum vpd_p2p_path path;
	unsigned int seg_max, nents;
	const char *why;
	int ret;

	ret = vpd_seg_max(dev, &seg_max);
	if (!ret)
		ret = vpd_count_segs(priv, dev, seg_max, &nents);
	if (ret)
		return ERR_PTR(ret);

	path = vpd_p2p_path(priv->pdev, dev, &why);
	if (path == VPD_P2P_NONE) {
		dev_warn_ratelimited(dev, "cannot reach %s BAR %u peer-to-peer: %s\n",
				     pci_name(priv->pdev), priv->bar, why);
		return ERR_PTR(-EINVAL);
	}

	map = kvzalloc(struct_size(map, addr, priv->nr_ranges),
		       GFP_KERNEL | __GFP_NOWARN);
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->nr_ranges = priv->nr_ranges;
	map->path = path;

	ret = sg_alloc_table(&map->sgt, nents, GFP_KERNEL | __GFP_NOWARN);
	if (ret) {
		kvfree(map);
		return ERR_PTR(ret);
	}
	map->nents = nents;

	ret = vpd_fill_segs(priv, dev, map, seg_max, dir);
	if (ret)
		return ERR_PTR(ret);

	/* DMA addresses only: no CPU pages to walk (as upstream's exporter). */
	map->sgt.orig_nents = 0;
	return map;
}

static struct sg_table *vpd_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct vpd_dmabuf *priv = attach->dmabuf->priv;
	struct vpd_attachment *va = attach->priv;
	struct vpd_mapping *map;

	dma_resv_assert_held(attach->dmabuf->resv);

	/* Not revoked: the device is open, so priv->pdev is valid below. */
	if (priv->revoked)
		return ERR_PTR(-ENODEV);

	if (vpd_pinned_by_importer(va)) {
		dev_warn_ratelimited(attach->dev,
				     "refusing to map pinned %s: its mappings must stay revocable\n",
				     priv->name);
		return ERR_PTR(-EOPNOTSUPP);
	}

	map = vpd_map_ranges(priv, attach->dev, dir);
	if (IS_ERR(map))
		return ERR_CAST(map);

	va->maps++;
	atomic_inc(&priv->nr_mapped);
	return &map->sgt;
}

static void vpd_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt,
			     enum dma_data_direction dir)
{
	struct vpd_mapping *map = container_of(sgt, struct vpd_mapping, sgt);
	struct vpd_dmabuf *priv = attach->dmabuf->priv;
	struct vpd_attachment *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	vpd_unmap_ranges(priv, attach->dev, map, map->nr_ranges, dir);
	if (va->maps)
		va->maps--;
	/* Outside a revocation nobody waits: no wait-queue lock then. */
	if (atomic_dec_return(&priv->nr_mapped) <= 0 &&
	    wq_has_sleeper(&priv->exp->unmapped))
		wake_up_all(&priv->exp->unmapped);
}

static void vpd_dmabuf_free(struct vpd_dmabuf *priv)
{
	vpd_exporter_put(priv->exp);
	kvfree(priv);
}

static void vpd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_exporter *exp = priv->exp;

	/* Still linked if the device is open; close unlinks otherwise. */
	mutex_lock(&exp->lock);
	list_del_init(&priv->node);
	mutex_unlock(&exp->lock);

	vpd_dmabuf_free(priv);
}

static const struct dma_buf_ops vpd_dmabuf_ops = {
	.attach		= vpd_dmabuf_attach,
	.detach		= vpd_dmabuf_detach,
	.pin		= vpd_dmabuf_pin,
	.unpin		= vpd_dmabuf_unpin,
	.map_dma_buf	= vpd_dmabuf_map,
	.unmap_dma_buf	= vpd_dmabuf_unmap,
	.release	= vpd_dmabuf_release,
};

/* ------------------------------------------------------------------ */
/* VFIO_DEVICE_FEATURE_DMA_BUF                                          */

/* Ranges: non-empty, page aligned, and a total size that fits. */
static int vpd_check_ranges(const struct vfio_region_dma_range *ranges,
			    u32 nr, size_t *size)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < nr; i++) {
		if (!ranges[i].length || !PAGE_ALIGNED(ranges[i].offset) ||
		    !PAGE_ALIGNED(ranges[i].length))
			return -EINVAL;
		if (check_add_overflow(total, ranges[i].length, &total))
			return -EINVAL;
	}
	/* The top bit is reserved by the DMA API's IOVA allocator. */
	if (total & BIT_ULL(63) || total != (size_t)total)
		return -EINVAL;

	*size = total;
	return 0;
}

/* CPU physical addresses of the ranges, inside the BAR at @start. */
static int vpd_fill_ranges(struct vpd_dmabuf *priv,
			   const struct vfio_region_dma_range *ranges,
			   u64 start, u64 len)
{
	u32 i;

	for (i = 0; i < priv->nr_ranges; i++) {
		u64 phys, end;

		if (check_add_overflow(start, ranges[i].offset, &phys) ||
		    check_add_overflow(phys, ranges[i].length, &end))
			return -EOVERFLOW;
		/* Inside the BAR, so it fits phys_addr_t. */
		if (end > start + len)
			return -EINVAL;
		priv->ranges[i].phys = phys;
		priv->ranges[i].len = ranges[i].length;
	}
	return 0;
}

static struct vpd_dmabuf *vpd_dmabuf_alloc(struct vpd_device *vpd,
					   const struct vfio_device_feature_dma_buf *req,
					   const struct vfio_region_dma_range *ranges)
{
	struct pci_dev *pdev = vpd->core.pdev;
	unsigned int bar = req->region_index;
	struct vpd_dmabuf *priv;
	int ret;

	/*
	 * As many ranges as memdup_array_user() took, so the size cannot
	 * overflow and never warns; charged to the caller's memory cgroup.
	 */
	priv = kvzalloc(struct_size(priv, ranges, req->nr_ranges),
			GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!priv)
		return ERR_PTR(-ENOMEM);
	priv->nr_ranges = req->nr_ranges;
	kref_get(&vpd->exp->kref);
	priv->exp = vpd->exp;
	priv->name = vpd->exp->name;
	priv->pdev = pdev;
	priv->bar = bar;
	INIT_LIST_HEAD(&priv->node);

	/* Only memory BARs can be reached peer-to-peer. */
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM)) {
		ret = -EINVAL;
		goto err;
	}
	priv->bus_offset = pci_bus_address(pdev, bar) -
			   pci_resource_start(pdev, bar);

	ret = vpd_fill_ranges(priv, ranges, pci_resource_start(pdev, bar),
			      pci_resource_len(pdev, bar));
	if (ret)
		goto err;
	return priv;
err:
	vpd_dmabuf_free(priv);
	return ERR_PTR(ret);
}

/* Export @priv and install its fd; consumes @priv in every case. */
static int vpd_dmabuf_publish(struct vpd_device *vpd, struct vpd_dmabuf *priv,
			      size_t size, u32 open_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vpd_exporter *exp = vpd->exp;
	struct dma_buf *dmabuf;
	int fd;

	exp_info.exp_name = priv->name;
	exp_info.ops = &vpd_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = open_flags;
	exp_info.priv = priv;

	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		vpd_dmabuf_free(priv);
		return PTR_ERR(dmabuf);
	}
	/* From here dma_buf_put() frees priv, through vpd_dmabuf_release(). */
	priv->dmabuf = dmabuf;

	/*
	 * Born in the state the device is in now, not in the last one seen:
	 * a low-power exit may have happened without our hooks.
	 */
	mutex_lock(&exp->lock);
	dma_resv_lock(dmabuf->resv, NULL);
	priv->revoked = exp->revoked;
	dma_resv_unlock(dmabuf->resv);
	list_add_tail(&priv->node, &exp->dmabufs);
	/* Linked before unblocked_writes is read: vpd_unblocked_write_begin(). */
	smp_mb();
	__vpd_sync_access(vpd);
	mutex_unlock(&exp->lock);

	fd = dma_buf_fd(dmabuf, open_flags);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF.  Validation happens in upstream's order, so
 * every invalid request fails with the errno upstream's vfio-pci gives it.
 */
int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags, void __user *arg,
			size_t argsz)
{
	struct vfio_device_feature_dma_buf __user *uarg = arg;
	struct vfio_device_feature_dma_buf req;
	struct vfio_region_dma_range *ranges;
	struct vpd_dmabuf *priv;
	size_t size;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(req));
	if (ret != 1)
		return ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;

	if (!req.nr_ranges || req.flags)
		return -EINVAL;

	/* A BAR whose resources vfio_pci_core can claim. */
	if (req.region_index >= VFIO_PCI_ROM_REGION_INDEX ||
	    vpd_setup_barmap(&vpd->core, req.region_index))
		return -ENODEV;

	/* Bounded by what kmalloc gives without a warning (4 MiB here). */
	ranges = memdup_array_user(uarg->dma_ranges, req.nr_ranges,
				   sizeof(*ranges));
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);

	ret = vpd_check_ranges(ranges, req.nr_ranges, &size);
	if (ret)
		goto out;

	priv = vpd_dmabuf_alloc(vpd, &req, ranges);
	if (IS_ERR(priv)) {
		ret = PTR_ERR(priv);
		goto out;
	}

	ret = vpd_dmabuf_publish(vpd, priv, size, req.open_flags);
out:
	kfree(ranges);
	return ret;
}
