// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which path peer-to-peer DMA from an importer to a BAR of ours takes.
 *
 * The kernel's own answer (pci_p2pdma_map_type()) needs CONFIG_PCI_P2PDMA,
 * which stock Debian 6.x kernels lack, so the same rules are applied here:
 * devices below a common upstream bridge, with no ACS redirection on the
 * way, reach each other with PCI bus addresses; anything else crosses the
 * host bridge and goes through the importer's IOMMU mapping, which only
 * host bridges known to forward peer-to-peer traffic do.
 */
#include <linux/pci.h>

#include "vpd.h"

#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

/* The host bridges known to forward P2P traffic (src/p2p-host-bridges.h). */
static const struct vpd_host_bridge {
	unsigned short vendor;
	unsigned int device;
	bool same_bridge_only;
} vpd_p2p_host_bridges[] = {
#define VPD_HOST_BRIDGE(v, d, same) { v, d, same },
#include "p2p-host-bridges.h"
#undef VPD_HOST_BRIDGE
	{}
};

/* Any AMD CPU of the Zen family or newer routes P2P through its root complex. */
static bool vpd_cpu_routes_p2p(void)
{
#ifdef CONFIG_X86
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	       boot_cpu_data.x86 >= 0x17;
#else
	return false;
#endif
}

static struct pci_dev *vpd_host_bridge_dev(struct pci_dev *pdev)
{
	struct pci_host_bridge *host = pci_find_host_bridge(pdev->bus);
	struct pci_dev *root;

	root = list_first_entry_or_null(&host->bus->devices, struct pci_dev,
					bus_list);
	if (!root)
		return NULL;
	if (root->devfn == PCI_DEVFN(0, 0) ||
	    pci_pcie_type(root) == PCI_EXP_TYPE_ROOT_PORT)
		return root;
	return NULL;
}

static bool vpd_host_bridge_forwards(struct pci_dev *pdev, bool same_bridge)
{
	struct pci_dev *root = vpd_host_bridge_dev(pdev);
	const struct vpd_host_bridge *hb;

	if (!root)
		return false;

	for (hb = vpd_p2p_host_bridges; hb->vendor; hb++) {
		if (root->vendor != hb->vendor ||
		    (hb->device != VPD_ANY_DEVICE && root->device != hb->device))
			continue;
		return same_bridge || !hb->same_bridge_only;
	}
	return false;
}

static bool vpd_host_bridges_forward(struct pci_dev *a, struct pci_dev *b)
{
	bool same = pci_find_host_bridge(a->bus) == pci_find_host_bridge(b->bus);

	if (vpd_cpu_routes_p2p())
		return true;
	return vpd_host_bridge_forwards(a, same) &&
	       (same || vpd_host_bridge_forwards(b, false));
}

/* ACS request/completion redirect or egress control send P2P upstream. */
static bool vpd_acs_redirects(struct pci_dev *pdev)
{
	u16 ctrl;

	if (!pdev->acs_cap)
		return false;
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* Whether a bridge from @from up to, not including, @top redirects. */
static bool vpd_path_redirects(struct pci_dev *from, struct pci_dev *top)
{
	for (; from && from != top; from = pci_upstream_bridge(from))
		if (vpd_acs_redirects(from))
			return true;
	return false;
}

/*
 * The nearest device that is @a or one of its upstream bridges and also
 * @b or one of its upstream bridges, or NULL if they meet only at the host.
 */
static struct pci_dev *vpd_common_upstream(struct pci_dev *a,
					   struct pci_dev *b)
{
	struct pci_dev *up;

	for (; a; a = pci_upstream_bridge(a))
		for (up = b; up; up = pci_upstream_bridge(up))
			if (up == a)
				return a;
	return NULL;
}

/**
 * vpd_p2p_path() - how @importer reaches a BAR of @provider
 * @provider: the exporting PCI function
 * @importer: the device that will DMA
 * @why: set to a reason when the answer is VPD_P2P_NONE
 */
enum vpd_p2p_path vpd_p2p_path(struct pci_dev *provider,
			       struct device *importer, const char **why)
{
	struct pci_dev *client, *common;

	if (!dev_is_pci(importer)) {
		*why = "the importer is not a PCI device";
		return VPD_P2P_NONE;
	}
	client = to_pci_dev(importer);

	common = vpd_common_upstream(provider, client);
	if (common && !vpd_acs_redirects(common) &&
	    !vpd_path_redirects(provider, common) &&
	    !vpd_path_redirects(client, common))
		return VPD_P2P_BUS_ADDR;

	if (vpd_host_bridges_forward(provider, client))
		return VPD_P2P_HOST_BRIDGE;

	*why = common ?
	       "ACS redirects the path and the host bridge does not forward peer-to-peer" :
	       "no common upstream bridge and the host bridge does not forward peer-to-peer";
	return VPD_P2P_NONE;
}
