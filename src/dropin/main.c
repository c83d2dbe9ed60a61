// SPDX-License-Identifier: GPL-2.0-only
/* ../main.c, built into the drop-in vfio-pci (module vfio_pci): see Kbuild. */
#define VPD_DROPIN
#include "../main.c"
