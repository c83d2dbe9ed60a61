#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vpd_cfg_watch_covers() (src/cfg-watch.h), the inline test every config
# write goes through, compiled on the host from that very header and
# compared with the obvious definition (some watched byte lies in
# [pos, pos + count)) for every offset up to past the watched span, every
# count up to 80 and a few large ones (up to 2^40), and several sets of
# watched bytes, the span's last byte and no watch at all among them; the
# index it reads is built by vpd_cfg_watch_index().
# Prints "PASS NAME" or "FAIL NAME - why" (tests/build.sh reports them).
# Usage: tests/unit/cfg-watch-test.sh SRC/CFG-WATCH.H SCRATCH-DIR
set -u

hdr=$1
dir=$2
mkdir -p "$dir"

cat >"$dir/t.c" <<EOF
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t u64;
typedef uint16_t u16;
typedef uint8_t u8;
#include <linux/pci_regs.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#include "$(cd "$(dirname -- "$hdr")" && pwd)/$(basename -- "$hdr")"

static bool want(const struct vpd_cfg_watch *w, size_t count, loff_t pos)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++)
		if (w->reg[i] >= pos && w->reg[i] < pos + (loff_t)count)
			return true;
	return false;
}

int main(void)
{
	static const u16 sets[][4] = {
		{ 4, 0x44, 0x79, 0x104 },	/* COMMAND, PM, PCIe, AF at the end */
		{ 4, 63, 64, 127 },
		{ 4, 0xc4, 0xff, VPD_CFG_WATCH_SPAN - 1 },	/* the span's last byte */
		{ 0 },				/* none (the kernel's exporter) */
	};
	static const size_t big[] = { 100, 255, 256, 4096, (size_t)1 << 40 };
	unsigned int s, i, bad = 0;
	loff_t pos;
	size_t n;

	for (s = 0; s < ARRAY_SIZE(sets); s++) {
		struct vpd_cfg_watch e = { 0 };

		for (i = 0; i < 4 && sets[s][i]; i++)
			vpd_cfg_watch_add(&e, sets[s][i]);
		vpd_cfg_watch_index(&e);
		for (pos = 0; pos < VPD_CFG_WATCH_SPAN + 70; pos++) {
			for (n = 0; n <= 80 + ARRAY_SIZE(big); n++) {
				size_t c = n <= 80 ? n : big[n - 81];

				if (vpd_cfg_watch_covers(&e, c, pos) == want(&e, c, pos))
					continue;
				if (bad++ < 5)
					printf("set %u: pos %lld count %zu: got %d\n", s,
					       (long long)pos, c, !want(&e, c, pos));
			}
		}
	}
	return bad != 0;
}
EOF
# With AddressSanitizer where the compiler has it: a read past the index
# fails the test.
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
echo 'int main(void) { return 0; }' >"$dir/san.c"
cc $san -o "$dir/san" "$dir/san.c" >/dev/null 2>&1 || san=
# shellcheck disable=SC2086 # $san: several flags or none
if ! cc -std=gnu11 -Wall -Wextra -Werror $san -o "$dir/t" "$dir/t.c" >"$dir/cc.log" 2>&1; then
	echo "FAIL builds - $(tr '\n' '|' <"$dir/cc.log" | cut -c1-400)"
	exit 0
fi
echo "PASS builds"
if "$dir/t" >"$dir/out" 2>&1; then
	echo "PASS matches"
else
	echo "FAIL matches - $(tr '\n' '|' <"$dir/out")"
fi
