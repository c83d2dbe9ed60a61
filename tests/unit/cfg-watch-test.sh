#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vpd_config_write_watched() (src/vpd.h), the inline test every config
# write goes through, compiled on the host as it is written there and
# compared with the obvious definition (some watched byte lies in
# [pos, pos + count)) for every offset up to past the watched span, every
# count up to 80 and a few large ones (up to 2^40), and several sets of
# watched bytes, the span's last byte and no watch at all among them; the
# index it reads is built by vpd_watch_index(), also from vpd.h.
# Prints "PASS NAME" or "FAIL NAME - why" (tests/build.sh reports them).
# Usage: tests/unit/cfg-watch-test.sh SRC/VPD.H SCRATCH-DIR
set -u

vpd_h=$1
dir=$2
mkdir -p "$dir"

# The macro and the function, exactly as vpd.h has them.
span=$(sed -n 's/^#define VPD_CFG_WATCH_SPAN[[:space:]]*//p' "$vpd_h")
sed -n -e '/^static inline bool vpd_config_write_watched(/,/^}/p' \
	-e '/^static inline void vpd_watch_index(/,/^}/p' "$vpd_h" >"$dir/fn.h"
if [ -z "$span" ] || [ "$(grep -c '^}' "$dir/fn.h")" != 2 ]; then
	echo "FAIL extract - no VPD_CFG_WATCH_SPAN, vpd_config_write_watched() or vpd_watch_index() in $vpd_h"
	exit 0
fi

cat >"$dir/t.c" <<EOF
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
typedef uint64_t u64;
typedef uint16_t u16;
typedef uint8_t u8;
typedef long long loff_t;
#define PCI_CFG_SPACE_SIZE 256
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VPD_CFG_WATCH_SPAN $span
struct vpd_exporter {
	struct { u16 reg; u8 mask; u8 keep; } watch[4];
	u8 nr_watch;
	u8 watched_below[VPD_CFG_WATCH_SPAN + 1];
};
$(cat "$dir/fn.h")

static void watch(struct vpd_exporter *e, u16 reg)
{
	e->watch[e->nr_watch++].reg = reg;
}

static bool want(const struct vpd_exporter *e, size_t count, loff_t pos)
{
	unsigned int i;

	for (i = 0; i < e->nr_watch; i++)
		if (e->watch[i].reg >= pos && e->watch[i].reg < pos + (loff_t)count)
			return true;
	return false;
}

int main(void)
{
	static const u16 sets[][4] = {
		{ 4, 0x44, 0x79, 0x104 },	/* COMMAND, PM, PCIe, AF at the end */
		{ 4, 63, 64, 127 },
		{ 4, 0xc4, 0xff, $span - 1 },	/* the span's last byte */
		{ 0 },				/* none (the kernel's exporter) */
	};
	static const size_t big[] = { 100, 255, 256, 4096, (size_t)1 << 40 };
	unsigned int s, i, bad = 0;
	loff_t pos;
	size_t n;

	for (s = 0; s < ARRAY_SIZE(sets); s++) {
		struct vpd_exporter e = { 0 };

		for (i = 0; i < 4 && sets[s][i]; i++)
			watch(&e, sets[s][i]);
		vpd_watch_index(&e);
		for (pos = 0; pos < VPD_CFG_WATCH_SPAN + 70; pos++) {
			for (n = 0; n <= 80 + ARRAY_SIZE(big); n++) {
				size_t c = n <= 80 ? n : big[n - 81];

				if (vpd_config_write_watched(&e, c, pos) == want(&e, c, pos))
					continue;
				if (bad++ < 5)
					printf("set %u: pos %lld count %zu: got %d\n", s,
					       pos, c, !want(&e, c, pos));
			}
		}
	}
	return bad != 0;
}
EOF
if ! cc -std=gnu11 -Wall -Wextra -Werror -o "$dir/t" "$dir/t.c" >"$dir/cc.log" 2>&1; then
	echo "FAIL builds - $(tr '\n' '|' <"$dir/cc.log" | cut -c1-400)"
	exit 0
fi
echo "PASS builds"
if "$dir/t" >"$dir/out" 2>&1; then
	echo "PASS matches"
else
	echo "FAIL matches - $(tr '\n' '|' <"$dir/out")"
fi
