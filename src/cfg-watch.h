/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The config-space bytes that control whether a function's BARs are
 * reachable, and the test that every config write goes through: does the
 * write cover one of them?
 *
 * Decided by offset alone.  The bytes a user writes are never looked at:
 * vfio_pci_core copies the __user buffer itself, so a verdict on a copy of
 * our own would be about bytes that need not be the ones written (a
 * buffer that changes between the two copies; see vpd_write_watched()).
 *
 * Self-contained (u8, u16, u64, loff_t and <linux/pci_regs.h> are all it
 * needs) so that tests/unit/cfg-watch-test.sh compiles this very file on
 * the host.
 */
#ifndef VPD_CFG_WATCH_H
#define VPD_CFG_WATCH_H

/*
 * Every watched byte lies below this: the capabilities that hold them
 * start in the first 256 bytes and the byte is at most 9 past the start.
 */
#define VPD_CFG_WATCH_SPAN	(PCI_CFG_SPACE_SIZE + 64)
#define VPD_CFG_WATCH_MAX	4

struct vpd_cfg_watch {
	u8 nr;
	u16 reg[VPD_CFG_WATCH_MAX];
	/* How many watched bytes lie below each offset. */
	u8 below[VPD_CFG_WATCH_SPAN + 1];
};

/* Watch the byte at @reg (below VPD_CFG_WATCH_SPAN); then index again. */
static inline void vpd_cfg_watch_add(struct vpd_cfg_watch *w, u16 reg)
{
	if (w->nr < VPD_CFG_WATCH_MAX && reg < VPD_CFG_WATCH_SPAN)
		w->reg[w->nr++] = reg;
}

/* @below from @reg, once every byte has been added. */
static inline void vpd_cfg_watch_index(struct vpd_cfg_watch *w)
{
	unsigned int off, i;

	w->below[0] = 0;
	for (off = 0; off < VPD_CFG_WATCH_SPAN; off++) {
		w->below[off + 1] = w->below[off];
		for (i = 0; i < w->nr; i++)
			if (w->reg[i] == off)
				w->below[off + 1]++;
	}
}

/*
 * Whether a config write of @count bytes at @pos covers a watched byte.
 * Nearly none does: those go to vfio_pci_core untouched.  Two byte loads;
 * it runs for every config write.
 */
static inline bool vpd_cfg_watch_covers(const struct vpd_cfg_watch *w,
					size_t count, loff_t pos)
{
	u64 off = pos, end;

	if (off >= VPD_CFG_WATCH_SPAN)
		return false;
	end = count < VPD_CFG_WATCH_SPAN - off ? off + count : VPD_CFG_WATCH_SPAN;
	return w->below[end] != w->below[off];
}

#endif /* VPD_CFG_WATCH_H */
