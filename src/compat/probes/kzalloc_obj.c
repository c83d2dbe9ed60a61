// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 7.x added kzalloc_obj(), which sizes the allocation from the object
 * it is assigned to, and checkpatch now asks for it.  Older kernels get an
 * equivalent definition in compat-slab.h.
 *
 * HAVE_KZALLOC_OBJ: kzalloc_obj() allocates an object sized from its type
 */
#include <linux/slab.h>

struct conftest {
	int x;
};

static __maybe_unused struct conftest *conftest_alloc(void)
{
	struct conftest *p = kzalloc_obj(*p);

	return p;
}
