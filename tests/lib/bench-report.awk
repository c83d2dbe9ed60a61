# SPDX-License-Identifier: GPL-2.0
#
# tests/bench.sh's report: reads "KERNEL BENCH|BENCHNA|BENCHROUND|SPURIOUS|
# SGSHAPE|BENCHCONF ..." lines (tests/guest/vpd-bench.c's and the bench
# guest's, prefixed with the kernel's name), prints the table and, last,
# the RATIO lines, and writes report.md, the plot data and plots.gp into
# the directory -v out=DIR.  tests/unit/bench-report-test.sh checks it.
#
# Per (kernel, label, op, N), the medians of the rounds are reduced to
# their median, the minimums to their minimum (the table).  A ratio is of
# minimums, the operation's own cost (a median also carries whatever else
# the TCG host did meanwhile), and paired by round: the two drivers'
# minimums of one round (over its processes) divided, then the median of
# those quotients, so that a drift between rounds cancels.  Consoles
# without BENCHROUND lines fall back to the quotient of the overall
# minimums.
# Revoke slopes are the least squares fit of the minimum time against N.

function kv(s, k,    i, a, n) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++)
		if (index(a[i], k "=") == 1)
			return substr(a[i], length(k) + 2)
	return ""
}

# The (lower) median of v[1..n], sorted in place; "" if n is 0.
function vmedian(v, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n ? v[int((n + 1) / 2)] : ""
}

function med(key,    v) {
	return vmedian(v, split(samples[key], v, " "))
}

# The paired ratio of keys @a over @b (see above); "" if unmeasured.
function pratio(a, b,    r, n, v) {
	n = 0
	for (r = 1; r <= nrounds; r++)
		if (((a, r) in rmin) && ((b, r) in rmin) && rmin[b, r] > 0)
			v[++n] = rmin[a, r] / rmin[b, r]
	if (!n)
		return (a in mins) && (b in mins) && mins[b] > 0 ? mins[a] / mins[b] : ""
	return vmedian(v, n)
}

function verdict(name, got, goal, why) {
	if (got == "") {
		ratio_lines = ratio_lines sprintf("RATIO %s n/a goal <=%s missed%s\n", name, goal, why ? " (" why ")" : "")
		md_ratio = md_ratio sprintf("| %s | n/a | <= %s | missed %s |\n", name, goal, why)
		return
	}
	ok = (got + 0 <= goal + 0) ? "ok" : "missed"
	ratio_lines = ratio_lines sprintf("RATIO %s %.3f goal <=%s %s\n", name, got, goal, ok)
	md_ratio = md_ratio sprintf("| %s | %.3f | <= %s | %s |\n", name, got, goal, ok)
	printf "\"%s\" %.4f %s\n", name, got, goal > (out "/ratios.dat")
}

# slope K L OP: least squares of the minimum time against N; sets r2.
function slope(k, l, op,    key, i, n, x, y, sx, sy, sxx, sxy, syy, d, b, a) {
	n = 0; sx = sy = sxx = sxy = syy = 0
	for (key in samples) {
		split(key, p, SUBSEP)
		if (p[1] != k || p[2] != l || p[3] != op)
			continue
		x = p[4] + 0; y = mins[key] / 1e6
		n++; sx += x; sy += y; sxx += x * x; sxy += x * y; syy += y * y
	}
	r2 = ""
	if (n < 2)
		return ""
	d = n * sxx - sx * sx
	if (d == 0)
		return ""
	b = (n * sxy - sx * sy) / d
	a = (sy - b * sx) / n
	# r^2 of the fit
	if (n * syy - sy * sy > 0)
		r2 = (n * sxy - sx * sy) ^ 2 / (d * (n * syy - sy * sy))
	return b * 1e6	# ns per mapping
}

{
	k = $1; kind = $2
	if (kind == "BENCHCONF") {
		conf[k] = substr($0, length($1) + length($2) + 3)
		next
	}
	if (kind == "BENCHNA") {
		# KERNEL BENCHNA LABEL OP REASON...
		na[k, $3, $4] = $3 ": " substr($0, index($0, $4) + length($4) + 1)
		next
	}
	if (kind == "BENCHROUND") {
		round[k] = $3 + 0
		if (round[k] > nrounds)
			nrounds = round[k]
		next
	}
	l = $3
	if (kind == "BENCH") {
		key = k SUBSEP l SUBSEP $4 SUBSEP kv($0, "n")
		samples[key] = samples[key] " " kv($0, "med_ns")
		# A round may run a step in several processes: their minimum.
		if (round[k] && (!((key, round[k]) in rmin) ||
				 kv($0, "min_ns") + 0 < rmin[key, round[k]] + 0))
			rmin[key, round[k]] = kv($0, "min_ns")
		if (!(key in mins) || kv($0, "min_ns") + 0 < mins[key] + 0)
			mins[key] = kv($0, "min_ns")
		if (!(key in order))
			order[key] = ++norder
		labels[k SUBSEP l] = 1
		ops[k SUBSEP $4] = 1
		kernels[k] = 1
	} else if (kind == "SPURIOUS") {
		key = k SUBSEP l SUBSEP $4
		if (!(key in sp_order))
			sp_order[key] = ++nsp
		sp_writes[key] += kv($0, "writes")
		sp_inv[key] += kv($0, "invalidations")
		sp_med[key] = sp_med[key] " " kv($0, "med_ns")
	} else if (kind == "SGSHAPE") {
		sg[k SUBSEP l] = sprintf("%s %s %s", kv($0, "size"), kv($0, "nents"), kv($0, "max_seg"))
	}
}

END {
	printf "" > (out "/ratios.dat")
	md = "# make bench\n\n"
	for (k in conf)
		md = md sprintf("- %s: %s\n", k, conf[k])
	md = md "\nTimes are TCG's (context only); the verdicts are the ratios.\n\n"

	printf "%-12s %-16s %-14s %6s %12s %12s\n", "kernel", "driver", "op", "N", "median_us", "min_us"
	md = md "## Medians\n\n| kernel | driver | op | N | median (us) | min (us) |\n|---|---|---|---|---|---|\n"
	# in order of first appearance
	for (key in order)
		byorder[order[key]] = key
	for (i = 1; i <= norder; i++) {
		key = byorder[i]
		split(key, p, SUBSEP)
		printf "%-12s %-16s %-14s %6s %12.1f %12.1f\n", p[1], p[2], p[3], p[4], med(key) / 1000, mins[key] / 1000
		md = md sprintf("| %s | %s | %s | %s | %.1f | %.1f |\n", p[1], p[2], p[3], p[4], med(key) / 1000, mins[key] / 1000)
	}

	# Revoke slopes, and their plot data: one block per kernel/driver.
	md = md "\n## Revoke cost per live mapping\n\n| kernel | driver | op | slope (ns/mapping) | r^2 |\n|---|---|---|---|---|\n"
	# reset-unmapped: from a reset's start to the importer's last unmap,
	# the revocation without the reset's own sleeps (they end on timer
	# ticks, which the work before them shifts: revoke-reset is a sawtooth
	# in N, shown and fitted but not judged).
	nrops = split("revoke-reset reset-unmapped revoke-decode", rops, " ")
	njops = split("reset-unmapped revoke-decode", jops, " ")	# judged
	for (kl in labels) {
		split(kl, q, SUBSEP)
		for (o = 1; o <= nrops; o++) {
			op = rops[o]
			s = slope(q[1], q[2], op)
			if (s == "")
				continue
			sl[q[1] SUBSEP q[2] SUBSEP op] = s
			printf "SLOPE %s %s %s %.0f ns/mapping r2=%s %s\n", q[1], q[2], op, s, r2 == "" ? "n/a" : sprintf("%.3f", r2), (r2 != "" && r2 >= 0.9) ? "linear" : "not-linear"
			md = md sprintf("| %s | %s | %s | %.0f | %s |\n", q[1], q[2], op, s, r2 == "" ? "n/a" : sprintf("%.3f", r2))
			f = out "/" op ".dat"
			printf "%s\"%s %s\"\n", nblk[op]++ ? "\n\n" : "", q[1], q[2] > f
			for (n = 0; n <= 4096; n++) {
				key = q[1] SUBSEP q[2] SUBSEP op SUBSEP n
				if (key in samples)
					printf "%d %.3f\n", n, mins[key] / 1e6 > f
			}
		}
	}

	md_ratio = ""
	for (k in kernels) {
		if ((k SUBSEP "in-tree") in labels && (k SUBSEP "own") in labels) {
			split("export-1 export-64 attach-map map-1000", eops, " ")
			for (j = 1; j <= 4; j++) {
				a = k SUBSEP "own" SUBSEP eops[j] SUBSEP 0
				b = k SUBSEP "in-tree" SUBSEP eops[j] SUBSEP 0
				why = ((k, "in-tree", eops[j]) in na) ? na[k, "in-tree", eops[j]] : \
				      ((k, "own", eops[j]) in na) ? na[k, "own", eops[j]] : ""
				verdict(eops[j] "@" k, pratio(a, b), "1.05", why)
			}
			for (o = 1; o <= njops; o++) {
				op = jops[o]
				a = k SUBSEP "own" SUBSEP op; b = k SUBSEP "in-tree" SUBSEP op
				if ((a in sl) && (b in sl) && sl[b] > 0)
					verdict(op "-slope@" k, sl[a] / sl[b], "1.00", "")
				else if ((a in sl) && (b in sl))
					verdict(op "-slope@" k, "", "1.00", "the in-tree slope is not positive: noise above the per-mapping cost")
				else
					verdict(op "-slope@" k, "", "1.00", "not measured for both")
			}
		}
		if ((k SUBSEP "stock") in labels) {
			npops = split("cfg-read cfg-write cfg-write-cmd cfg-write-pmcsr bar-read bar-write region-info reset irq", pops, " ")
			for (d = 1; d <= 2; d++) {
				drv = d == 1 ? "variant" : "dropin"
				if (!((k SUBSEP drv) in labels))
					continue
				for (j = 1; j <= npops; j++) {
					a = k SUBSEP drv SUBSEP pops[j] SUBSEP 0
					b = k SUBSEP "stock" SUBSEP pops[j] SUBSEP 0
					if ((a in samples) && (b in samples))
						verdict(pops[j] "@" k ":" drv, pratio(a, b), "1.02", "")
				}
			}
		}
	}

	md = md "\n## Spurious revocations\n\nConfig writes that leave the BAR usable, one mapping live.\n\n| kernel | driver | write | writes | invalidations | median (us) |\n|---|---|---|---|---|---|\n"
	print ""
	for (key in sp_order)
		spby[sp_order[key]] = key
	for (i = 1; i <= nsp; i++) {
		key = spby[i]
		split(key, p, SUBSEP)
		samples["sp" SUBSEP key] = sp_med[key]
		m = med("sp" SUBSEP key)
		printf "SPURIOUS %s %s %s writes=%d invalidations=%d med_us=%.1f\n", p[1], p[2], p[3], sp_writes[key], sp_inv[key], m / 1000
		md = md sprintf("| %s | %s | %s | %d | %d | %.1f |\n", p[1], p[2], p[3], sp_writes[key], sp_inv[key], m / 1000)
	}
	md = md "\n## Scatterlist shape (whole BAR, one range)\n\n| kernel | importer | BAR size | entries | max segment |\n|---|---|---|---|---|\n"
	for (kl in sg) {
		split(kl, p, SUBSEP)
		split(sg[kl], g, " ")
		printf "SGSHAPE %s %s size=%s nents=%s max_seg=%s\n", p[1], p[2], g[1], g[2], g[3]
		md = md sprintf("| %s | %s | %s | %s | %s |\n", p[1], p[2], g[1], g[2], g[3])
	}
	print ""
	# The verdicts last, one line each, for scripts.
	printf "%s", ratio_lines
	md = md "\n## Ratios\n\n| comparison | measured | goal | verdict |\n|---|---|---|---|\n" md_ratio
	md = md "\n![revoke, decode-off write](revoke-decode.png)\n![revoke within VFIO_DEVICE_RESET, to the last unmap](reset-unmapped.png)\n![VFIO_DEVICE_RESET, whole](revoke-reset.png)\n![ratios](ratios.png)\n"
	printf "%s", md > (out "/report.md")

	gp = out "/plots.gp"
	print "set terminal pngcairo size 900,540 noenhanced" > gp
	print "set key left top" > gp
	for (o = 1; o <= nrops; o++) {
		op = rops[o]
		if (!nblk[op])
			continue
		printf "set output '%s.png'\nset title '%s: time against live mappings'\n", op, op > gp
		print "set xlabel 'live mappings (N)'\nset ylabel 'minimum time (ms)'" > gp
		printf "plot for [i=0:%d] '%s.dat' index i using 1:2 with linespoints title columnheader(1)\n", nblk[op] - 1, op > gp
	}
	print "set output 'ratios.png'\nset title 'ratios against their goals'\nset style fill solid 0.5\nset boxwidth 0.6\nset xtics rotate by -45\nset xlabel ''\nset ylabel 'ratio'\nset yrange [0:*]" > gp
	print "plot 'ratios.dat' using 0:2:xtic(1) with boxes title 'measured', '' using 0:3 with points pt 7 title 'goal'" > gp
	close(gp)
}
