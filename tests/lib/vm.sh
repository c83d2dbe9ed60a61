# shellcheck shell=bash source-path=SCRIPTDIR
# tests/lib/vm.sh - the QEMU test guest.
#
#   vm_initramfs NAME OUT STAGEDIR MODULE...
#                         gzip'd cpio: busybox, tests/guest/init, the module
#                         closure of vfio-pci, vfio_iommu_type1, MODULE... and
#                         of the .ko files in STAGEDIR, STAGEDIR copied over
#                         the root, depmod.
#   vm_rundir LOG         the per-boot run dir of LOG (${LOG%.log}.run; known
#                         before the boot, e.g. for QMP): ivshmem.bin, nvme.img,
#                         qmp.sock, qemu.stderr, qemu.cmdline, status
#   vm_boot NAME INITRD LOG [QEMU ARGS...]
#                         boot the standard machine, wait for power-off; 124 on
#                         timeout (VPD_VM_TIMEOUT, default 600 s). Exports
#                         VPD_RUNDIR VPD_IVSHMEM_FILE VPD_NVME_IMG VPD_QMP_SOCK.
#   vm_qmp SOCK JSON...   send QMP commands, print each reply; 1 on error reply
#   vm_qmp_wait SOCK [SECONDS]
#                         wait (bounded) until the QMP socket accepts connections
#   vm_wait_console LOG REGEX [SECONDS]
#                         wait (bounded) until the console shows REGEX
#   vm_results LOG [NAME] feed the guest's VMTEST lines into report.sh, names
#                         prefixed "NAME/" (default: the kernel vm_boot booted)
#   vm_keep_log LOG [NAME]
#                         copy LOG into $VPD_KEEP_LOGS (as NAME), if set
#   vm_ivshmem_marker_check NAME LOG
#                         every "DMABUF-MARKER bar2+0xOFF HEX" line the guest
#                         printed (a P2P DMA into ivshmem's BAR 2) must be
#                         found at OFF in that boot's ivshmem backing file:
#                         PASS/FAIL NAME/dmabuf.p2p.ivshmem.host-file
#   vm_console_clean LOG [NAME]
#                         FAIL NAME/console-clean on oops/BUG/WARNING/lockdep/...
#                         (both also accept NAME LOG; both always return 0:
#                         the verdict is in the report, see t_summary)
#
# Environment: VPD_VM_TIMEOUT, VPD_KERNEL_ARGS (extra kernel args),
# VPD_TCG_THREAD (QEMU's -accel tcg,thread=: single, the default, or multi),
# VPD_IVSHMEM_INIT (file copied into the ivshmem backing file before
# boot), VPD_IVSHMEM_SIZE (its size in QEMU's syntax, 2M unless set: make
# bench's 8M fits 1000 distinct pages), VPD_VM_LOCK (lock file serialising
# QEMU runs on this machine; empty disables), VPD_QEMU (qemu binary).
#
# The standard machine (q35 + intel-iommu; guest BDFs are deterministic: the
# firmware numbers the root ports' buses in slot order):
#
#   BDF            ven:dev    device                  behind              reset_method
#   0000:00:05.0   1234:11e8  edu (#2)                root bus            (none)
#   0000:00:10.0   1b36:000c  pcie-root-port rp1 (chassis 1)
#   0000:00:11.0   1b36:000c  pcie-root-port rp2 (chassis 2)
#   0000:00:12.0   1b36:000c  pcie-root-port rp3 (chassis 3)
#   0000:00:13.0   1b36:000c  pcie-root-port rp4 (chassis 4)
#   0000:00:14.0   1b36:000c  pcie-root-port rp5 (chassis 5), empty: a
#                             bridge that tests may try to bind
#   0000:01:00.0   1234:11e8  edu                     rp1                 bus
#   0000:02:00.0   1af4:1110  ivshmem-plain (2 MiB)   rp2                 bus
#   0000:03:00.0   1b36:0010  nvme, 2 MiB CMB         rp3                 flr bus
#   0000:04:00.0   8086:100e  e1000 (I/O-port BAR)    rp4                 bus
#
# VPD_VM_DEVICES lists the five test devices as "BDF VEN:DEV NAME" lines.

[[ -n ${_VPD_VM_SH:-} ]] && return 0
_VPD_VM_SH=1

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=kernels.sh
source "$VPD_LIB_DIR/kernels.sh"
# shellcheck source=report.sh
source "$VPD_LIB_DIR/report.sh"

# shellcheck disable=SC2034 # for test scripts
VPD_VM_DEVICES='0000:01:00.0 1234:11e8 edu
0000:02:00.0 1af4:1110 ivshmem
0000:03:00.0 1b36:0010 nvme
0000:04:00.0 8086:100e e1000
0000:00:05.0 1234:11e8 edu-rootbus'

VPD_VM_BASE_MODULES=(vfio-pci vfio_iommu_type1)
# Staged when the kernel has them (pci-stub: a host driver to bind; the
# debug kernel does not build it).
VPD_VM_OPTIONAL_MODULES=(pci-stub)
: "${VPD_VM_LOCK=/run/lock/vfio-pci-dmabuf-qemu.lock}"
: "${VPD_QEMU:=qemu-system-x86_64}"
# One host thread runs both vCPUs: under multi-threaded TCG, 7.3 guests
# lost a timer interrupt once (an idle vCPU never woke: "Possible timer
# handling issue", RCU stall, frozen guest) and died before /init with
# "Oops: int3" a few times; single-threaded boots are no slower on 2 cores.
# VPD_TCG_THREAD=multi brings it back.
: "${VPD_TCG_THREAD:=single}"

# ---------------------------------------------------------------- initramfs

# Copy module file $1 (maybe .ko.xz/.ko.zst/.ko.gz) decompressed to $2 (.ko).
_vm_copy_module() {
	local src=$1 dst=$2
	mkdir -p -- "${dst%/*}"
	case $src in
	*.ko) cp -- "$src" "$dst" ;;
	*.ko.xz) xz -dc -- "$src" >"$dst" ;;
	*.ko.zst) zstd -q -dc -- "$src" >"$dst" ;;
	*.ko.gz) gzip -dc -- "$src" >"$dst" ;;
	*) die "unknown module file type: $src" ;;
	esac
}

vm_initramfs() {
	[[ $# -ge 3 ]] || die "usage: vm_initramfs NAME OUT STAGEDIR MODULE..."
	local name=$1 out=$2 stage=$3 kver kroot root m f rel line
	shift 3
	[[ -z $stage || -d $stage ]] || die "vm_initramfs: STAGEDIR not found: $stage"
	need_root "vm_initramfs (device nodes, root-owned files)"
	host_apt_install busybox-static cpio kmod xz-utils zstd gzip
	kver=$(kernel_kver "$name") || exit 1
	kernel_fetch "$name"
	kroot=$(kernel_root "$name") || exit 1
	root=$(mktemp -d "${TMPDIR:-/tmp}/vpd-initramfs.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $root is local
	trap "rm -rf -- '$root'; trap - RETURN" RETURN

	# busybox + applet links
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,lib/modules/"$kver"}
	if ldd /bin/busybox >/dev/null 2>&1; then
		die "/bin/busybox is dynamically linked (package busybox instead of busybox-static?)"
	fi
	cp /bin/busybox "$root/bin/busybox"
	while read -r f; do
		[[ -n $f && ! -e $root/$f && ! -L $root/$f ]] && ln -s /bin/busybox "$root/$f"
	done < <("$root/bin/busybox" --list-full)
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	install -m 755 "$VPD_TESTS_DIR/guest/init" "$root/init"

	# Module closure: requested modules plus the deps of staged .ko files.
	local -a mods=("${VPD_VM_BASE_MODULES[@]}" "$@") staged=()
	for m in "${VPD_VM_OPTIONAL_MODULES[@]}"; do
		modprobe -d "$kroot" -S "$kver" --show-depends -- "$m" >/dev/null 2>&1 &&
			mods+=("$m")
	done
	local -A staged_names=() seen=()
	if [[ -n $stage && -d $stage/lib/modules ]]; then
		mapfile -t staged < <(find "$stage/lib/modules" -name '*.ko*' -type f)
		for f in ${staged[@]+"${staged[@]}"}; do
			m=${f##*/}
			m=${m%%.ko*}
			staged_names[${m//-/_}]=1
		done
		for f in ${staged[@]+"${staged[@]}"}; do
			local deps
			deps=$(modinfo -F depends -- "$f" 2>/dev/null) || die "modinfo failed on staged module $f"
			local -a deplist=()
			IFS=, read -r -a deplist <<<"$deps"
			mods+=(${deplist[@]+"${deplist[@]}"})
		done
	fi
	local -A base=()
	for m in "${VPD_VM_BASE_MODULES[@]}"; do
		base[${m//-/_}]=1
	done
	for m in "${mods[@]}"; do
		# Staged modules (and deps among them) come with STAGEDIR; the
		# kernel's own base modules come too, even when a staged module
		# of the same name (the drop-in vfio-pci, in updates/, which
		# depmod prefers) replaces them.
		[[ -n $m ]] || continue
		[[ -z ${staged_names[${m//-/_}]:-} || -n ${base[${m//-/_}]:-} ]] || continue
		local showdeps
		showdeps=$(modprobe -d "$kroot" -S "$kver" --show-depends -- "$m" 2>&1) ||
			die "module $m not found for $name ($kver): $showdeps"
		while read -r line; do
			case $line in
			insmod\ *)
				f=${line#insmod }
				f=${f%% *}
				[[ -n ${seen[$f]:-} ]] && continue
				seen[$f]=1
				rel=${f#"$kroot"/lib/modules/"$kver"/}
				[[ $rel != "$f" ]] || die "unexpected module path from modprobe: $f"
				rel=${rel%.xz}
				rel=${rel%.zst}
				rel=${rel%.gz}
				_vm_copy_module "$f" "$root/lib/modules/$kver/$rel"
				;;
			esac
		done <<<"$showdeps"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[[ -f $kroot/lib/modules/$kver/$f ]] && cp -- "$kroot/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
	done

	# The test's files over the root; staged modules decompressed as well.
	if [[ -n $stage ]]; then
		cp -a -- "$stage/." "$root/"
		while read -r f; do
			_vm_copy_module "$f" "${f%.*}" && rm -f -- "$f"
		done < <(find "$root/lib/modules" \( -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) -type f)
	fi
	depmod -b "$root" "$kver" 2>&1 | grep -v 'could not open modules' >&2 || true
	[[ -s $root/lib/modules/$kver/modules.dep ]] || die "depmod produced no modules.dep for $kver"

	mkdir -p -- "$(dirname -- "$out")"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet | gzip -1) >"$out.tmp.$$" ||
		{ rm -f -- "$out.tmp.$$"; die "creating initramfs $out failed"; }
	mv -f -- "$out.tmp.$$" "$out"
}

# ---------------------------------------------------------------- boot

vm_rundir() {
	[[ $# -eq 1 ]] || die "usage: vm_rundir LOG"
	if [[ $1 == *.log ]]; then
		echo "${1%.log}.run"
	else
		echo "$1.run"
	fi
}

vm_boot() {
	[[ $# -ge 3 ]] || die "usage: vm_boot NAME INITRD LOG [QEMU ARGS...]"
	local name=$1 initrd=$2 logf=$3 kver vmlinuz rundir sock rc=0
	shift 3
	local timeout=${VPD_VM_TIMEOUT:-600}
	[[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || die "VPD_VM_TIMEOUT must be a positive number of seconds: $timeout"
	[[ -f $initrd ]] || die "vm_boot: initrd not found: $initrd"
	host_apt_install qemu-system-x86
	need_cmd "$VPD_QEMU" timeout
	kver=$(kernel_kver "$name") || exit 1
	kernel_fetch "$name"
	vmlinuz=$(kernel_vmlinuz "$name") || exit 1

	mkdir -p -- "$(dirname -- "$logf")"
	rundir=$(vm_rundir "$logf")
	rm -rf -- "$rundir"
	mkdir -p -- "$rundir"
	rundir=$(cd -- "$rundir" && pwd -P)
	echo "$name" >"$rundir/kernel-name"

	VPD_RUNDIR=$rundir
	VPD_IVSHMEM_FILE=$rundir/ivshmem.bin
	VPD_NVME_IMG=$rundir/nvme.img
	if [[ -n ${VPD_IVSHMEM_INIT:-} ]]; then
		cp -- "$VPD_IVSHMEM_INIT" "$VPD_IVSHMEM_FILE"
	else
		: >"$VPD_IVSHMEM_FILE"
	fi
	truncate -s "${VPD_IVSHMEM_SIZE:-2M}" -- "$VPD_IVSHMEM_FILE"
	truncate -s 16M -- "$VPD_NVME_IMG"
	# sun_path holds 107 bytes: fall back to a short dir, linked from rundir.
	sock=$rundir/qmp.sock
	if ((${#sock} > 100)); then
		local short
		short=$(mktemp -d /tmp/vpd-qmp.XXXXXX)
		ln -s -- "$short/qmp.sock" "$sock"
		sock=$short/qmp.sock
	fi
	VPD_QMP_SOCK=$sock
	export VPD_RUNDIR VPD_IVSHMEM_FILE VPD_NVME_IMG VPD_QMP_SOCK

	# no_timer_check: on a loaded host, TCG can miss the early window in
	# which the kernel wants to see timer ticks through the IO-APIC, and
	# it panics ("timer doesn't work through Interrupt-remapped IO-APIC").
	local append="console=ttyS0 intel_iommu=on iommu.strict=1 panic=-1 no_timer_check ${VPD_KERNEL_ARGS:-}"
	# vpd_cdev=1: this kernel's .config has VFIO's device cdev and
	# iommufd, so the guest's cdev checks must run, not SKIP.
	if grep -q '^CONFIG_VFIO_DEVICE_CDEV=y' "$(kernel_config "$name")" &&
		grep -q '^CONFIG_IOMMUFD=[ym]' "$(kernel_config "$name")"; then
		append+=" vpd_cdev=1"
	fi
	# shellcheck disable=SC2054 # commas are QEMU option syntax
	local -a qemu=(
		"$VPD_QEMU"
		-accel "tcg,thread=$VPD_TCG_THREAD" -cpu EPYC -machine q35,kernel-irqchip=split
		-m 2048 -smp 2 -nodefaults -nographic -no-reboot
		-chardev "file,id=con0,path=$logf" -serial chardev:con0
		-qmp "unix:$sock,server=on,wait=off"
		-nic none
		-device intel-iommu,intremap=on,caching-mode=on
		-kernel "$vmlinuz" -initrd "$initrd" -append "$append"
		# edu #2 on the root bus: no reset method.
		-device edu,id=edu2,bus=pcie.0,addr=05.0
		# One root port per device whose reset is tested ("bus" reset).
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=10.0,chassis=1,port=1
		-device pcie-root-port,id=rp2,bus=pcie.0,addr=11.0,chassis=2,port=2
		-device pcie-root-port,id=rp3,bus=pcie.0,addr=12.0,chassis=3,port=3
		-device pcie-root-port,id=rp4,bus=pcie.0,addr=13.0,chassis=4,port=4
		# Nothing behind rp5: a bridge to refuse without disturbing a device.
		-device pcie-root-port,id=rp5,bus=pcie.0,addr=14.0,chassis=5,port=5
		-device edu,id=edu1,bus=rp1,addr=00.0
		-object "memory-backend-file,id=ivmem,share=on,mem-path=$VPD_IVSHMEM_FILE,size=${VPD_IVSHMEM_SIZE:-2M}"
		-device ivshmem-plain,id=ivshmem,memdev=ivmem,bus=rp2,addr=00.0
		-drive "file=$VPD_NVME_IMG,if=none,id=nvmedrv,format=raw"
		-device nvme,id=nvme,serial=vpd0001,drive=nvmedrv,cmb_size_mb=2,bus=rp3,addr=00.0
		-device e1000,id=e1000,romfile=,bus=rp4,addr=00.0
		"$@"
	)
	printf '%q ' "${qemu[@]}" >"$rundir/qemu.cmdline"
	echo >>"$rundir/qemu.cmdline"

	# One QEMU at a time on this machine (2 shared cores).
	local lockfd=
	if [[ -n $VPD_VM_LOCK ]]; then
		mkdir -p -- "$(dirname -- "$VPD_VM_LOCK")"
		exec {lockfd}>>"$VPD_VM_LOCK"
		if ! flock -n "$lockfd"; then
			log "waiting for another QEMU to finish (lock $VPD_VM_LOCK)"
			flock "$lockfd"
		fi
	fi
	local start attempt
	for attempt in 1 2; do
		: >"$logf"
		log "booting $name ($kver), timeout ${timeout}s, console: $logf"
		start=$SECONDS
		rc=0
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$rundir/qemu.stdout" 2>"$rundir/qemu.stderr" || rc=$?
		# A kernel that dies before /init printed BOOTED ran none of our
		# code (no module is loaded yet): seen once in many boots as an
		# early "Oops: int3" under multi-threaded TCG.  Boot once more,
		# keeping the first console; anything later counts as it is.
		((rc == 0)) && ! grep -q 'VMTEST: BOOTED' "$logf" && ((attempt == 1)) || break
		mv -- "$logf" "$logf.early-crash"
		log "$name: the kernel died before /init (console kept in $logf.early-crash); booting again"
	done
	[[ -n $lockfd ]] && exec {lockfd}>&-
	echo "$rc $((SECONDS - start))" >"$rundir/status"
	t_guest_time "$(basename -- "$0")" "$name" $((SECONDS - start))
	if ((rc == 124 || rc == 137)); then
		log "$name: QEMU killed after the ${timeout}s deadline"
		return 124
	elif ((rc != 0)); then
		grep -v "doesn't support requested feature" "$rundir/qemu.stderr" | tail -n 20 >&2 || true
		log "$name: QEMU exited with status $rc (stderr: $rundir/qemu.stderr)"
		return "$rc"
	fi
	log "$name: guest powered off after $((SECONDS - start)) s"
}

# ---------------------------------------------------------------- QMP

vm_qmp_wait() {
	[[ $# -ge 1 ]] || die "usage: vm_qmp_wait SOCK [SECONDS]"
	local sock=$1 deadline=$((SECONDS + ${2:-30}))
	host_apt_install socat
	while ((SECONDS < deadline)); do
		if [[ -S $sock ]] && socat -u OPEN:/dev/null "UNIX-CONNECT:$sock" 2>/dev/null; then
			return 0
		fi
		sleep 0.2 # polling with a bounded deadline
	done
	log "QMP socket $sock not ready after ${2:-30}s"
	return 1
}

vm_qmp() {
	[[ $# -ge 1 ]] || die "usage: vm_qmp SOCK JSON..."
	local sock=$1 line cmd rc=0
	shift
	host_apt_install socat
	[[ -S $sock ]] || { log "vm_qmp: no QMP socket at $sock"; return 1; }
	coproc VPD_QMP { exec socat - "UNIX-CONNECT:$sock" 2>/dev/null; }
	local in=${VPD_QMP[0]} outfd=${VPD_QMP[1]} pid=$VPD_QMP_PID
	# _vm_qmp_reply: read lines until a return/error reply (events are logged).
	_vm_qmp_reply() {
		local l
		while IFS= read -r -t 30 l <&"$in"; do
			case $l in
			*'"return"'*) printf '%s\n' "$l"; return 0 ;;
			*'"error"'*) printf '%s\n' "$l"; return 1 ;;
			*'"event"'*) log "qmp event: $l" ;;
			esac
		done
		log "vm_qmp: no reply from $sock"
		return 2
	}
	if IFS= read -r -t 10 line <&"$in" && [[ $line == *'"QMP"'* ]]; then
		echo '{"execute":"qmp_capabilities"}' >&"$outfd"
		if _vm_qmp_reply >/dev/null; then
			for cmd; do
				printf '%s\n' "$cmd" >&"$outfd"
				_vm_qmp_reply || rc=1
			done
		else
			rc=1
		fi
	else
		log "vm_qmp: no QMP greeting on $sock"
		rc=1
	fi
	exec {outfd}>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return "$rc"
}

vm_wait_console() {
	[[ $# -ge 2 ]] || die "usage: vm_wait_console LOG REGEX [SECONDS]"
	local logf=$1 re=$2 deadline=$((SECONDS + ${3:-120}))
	while ((SECONDS < deadline)); do
		[[ -f $logf ]] && grep -qE -- "$re" "$logf" && return 0
		sleep 0.2 # polling with a bounded deadline
	done
	log "console $logf did not show /$re/ within ${3:-120}s"
	return 1
}

# ---------------------------------------------------------------- results

# _vm_log_args A [B]: "LOG NAME" for vm_results/vm_console_clean, which take
# LOG [NAME] and also NAME LOG (NAME being a kernel of kernels.conf).
_vm_log_args() {
	if [[ $# -ge 2 && ! -f $1 ]] && grep -qxF -- "$1" <(kernels_list 2>/dev/null); then
		printf '%s\n%s\n' "$2" "$1"
	else
		printf '%s\n%s\n' "$1" "${2:-}"
	fi
}

_vm_name_for() {
	local logf=$1 n=${2:-} f
	if [[ -z $n ]]; then
		f=$(vm_rundir "$logf")/kernel-name
		[[ -f $f ]] && n=$(<"$f")
	fi
	echo "${n:-${VPD_KERNEL_NAME:-vm}}"
}

_vm_tail() {
	[[ -f $1 ]] || return 0
	tr -d '\r' <"$1" | grep -v '^[[:space:]]*$' | tail -n "${2:-3}" | paste -sd'|' | sed 's/|/ | /g'
}

# Always returns 0: failures go to the report (see t_summary).
vm_results() {
	[[ $# -ge 1 ]] || die "usage: vm_results LOG [NAME]"
	local logf name line rest cname msg booted='' done='' status
	{ read -r logf; read -r name; } < <(_vm_log_args "$@")
	name=$(_vm_name_for "$logf" "$name")
	if [[ ! -f $logf ]]; then
		t_fail "$name/vm-complete" "no console log $logf"
		return 0
	fi
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line//$'\r'/}
		case $line in
		*'VMTEST-DONE'*) done=1 ;;
		*'VMTEST: BOOTED '*) booted=${line#*VMTEST: BOOTED } ;;
		*'VMTEST: PASS '* | *'VMTEST: FAIL '* | *'VMTEST: SKIP '*)
			[[ -n $done ]] && continue
			rest=${line#*VMTEST: }
			local kind=${rest%% *}
			rest=${rest#* }
			if [[ $rest == *' - '* ]]; then
				cname=${rest%% - *}
				msg=${rest#* - }
			else
				cname=$rest
				msg=
			fi
			cname=${cname%"${cname##*[![:space:]]}"}
			case $kind in
			PASS) t_pass "$name/$cname" ;;
			FAIL) t_fail "$name/$cname" "${msg:-failed}" ;;
			SKIP) t_skip "$name/$cname" "${msg:-skipped}" ;;
			esac
			;;
		esac
	done <"$logf"
	if [[ -z $booted ]]; then
		t_fail "$name/vm-complete" "guest never printed 'VMTEST: BOOTED' (last console lines: $(_vm_tail "$logf"))"
	elif [[ -z $done ]]; then
		status=$(cat "$(vm_rundir "$logf")/status" 2>/dev/null || true)
		if [[ ${status%% *} == 124 || ${status%% *} == 137 ]]; then
			msg="timed out after ${status#* }s"
		else
			msg="no VMTEST-DONE (panic, crash or hang)"
		fi
		t_fail "$name/vm-complete" "$msg; last console lines: $(_vm_tail "$logf")"
	else
		t_pass "$name/vm-complete"
	fi
	return 0
}

# Kernel problems worth failing a run for (ERE, matched case-sensitively).
VPD_CONSOLE_BAD_RE='Oops|BUG:|WARNING:|Call Trace|possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|KASAN|UBSAN|general protection fault|Kernel panic|soft lockup|hard LOCKUP|blocked for more than|detected stall|self-detected stall'
# Known harmless matches, removed from a line before it is matched.
# Boot-time CPU vulnerability notices (SRSO under -cpu EPYC, RETBleed under
# Intel models) say "WARNING:" but are not kernel warnings; a lockdep kernel
# announces "RCU lockdep checking is enabled." at boot.
VPD_CONSOLE_IGNORE_RE="(Speculative Return Stack Overflow|RETBleed): WARNING: [^|]*|doesn't support requested feature|RCU lockdep checking is enabled\\."

# Always returns 0: failures go to the report.
vm_console_clean() {
	[[ $# -ge 1 ]] || die "usage: vm_console_clean LOG [NAME]"
	local logf name bad n
	{ read -r logf; read -r name; } < <(_vm_log_args "$@")
	name=$(_vm_name_for "$logf" "$name")
	if [[ ! -f $logf ]]; then
		t_fail "$name/console-clean" "no console log $logf"
		return 0
	fi
	bad=$(awk -v bad="$VPD_CONSOLE_BAD_RE" -v ign="$VPD_CONSOLE_IGNORE_RE" '
		{ gsub(/\r/, ""); l = $0 }
		l ~ /VMTEST/ { next }
		{ s = l; gsub(ign, "", s) }
		s ~ bad { print FNR ": " l }
	' "$logf")
	if [[ -z $bad ]]; then
		t_pass "$name/console-clean"
		return 0
	fi
	n=$(wc -l <<<"$bad")
	log "$name: kernel problems on the console ($logf):"
	printf '%s\n' "$bad" >&2
	t_fail "$name/console-clean" "$n suspicious console line(s): $(head -n 8 <<<"$bad")"
	return 0
}

vm_ivshmem_marker_check() {
	local name=$1 logf=$2 file line off hex got n=0
	file=$(vm_rundir "$logf")/ivshmem.bin
	while IFS= read -r line; do
		line=${line//$'\r'/}
		[[ $line =~ DMABUF-MARKER\ bar2\+(0x[0-9a-f]+)\ ([0-9a-f]+) ]] || continue
		off=$((BASH_REMATCH[1]))
		hex=${BASH_REMATCH[2]}
		n=$((n + 1))
		got=$(od -An -tx1 -v -j "$off" -N $((${#hex} / 2)) -- "$file" | tr -d ' \n')
		if [[ $got != "$hex" ]]; then
			t_fail "$name/dmabuf.p2p.ivshmem.host-file" \
				"backing file at $(printf 0x%x "$off"): $got, the guest DMA'd $hex"
			return 0
		fi
	done < <(grep -a 'DMABUF-MARKER' "$logf" 2>/dev/null || true)
	if ((n)); then
		t_pass "$name/dmabuf.p2p.ivshmem.host-file"
	else
		t_fail "$name/dmabuf.p2p.ivshmem.host-file" "the guest printed no DMABUF-MARKER line"
	fi
}

vm_keep_log() {
	[[ -n ${VPD_KEEP_LOGS:-} ]] || return 0
	mkdir -p -- "$VPD_KEEP_LOGS"
	cp -- "$1" "$VPD_KEEP_LOGS/${2:-${1##*/}}"
}
