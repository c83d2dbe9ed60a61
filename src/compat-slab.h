/* SPDX-License-Identifier: GPL-2.0 */
/* Slab API differences; see src/compat/probes/kzalloc_obj.c. */
#ifndef VPD_COMPAT_SLAB_H
#define VPD_COMPAT_SLAB_H

#include <linux/slab.h>

#include "vpd_config.h"

#ifndef HAVE_KZALLOC_OBJ
#define kzalloc_obj(obj)	kzalloc(sizeof(obj), GFP_KERNEL)
#endif

#endif /* VPD_COMPAT_SLAB_H */
