#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkman.sh PAGE.in VERSION: the man page, with what it shares with the code
# taken from the code itself, so that the two cannot disagree:
#   @USAGE@       vfio-dmabuf's help text (usage_text[] in vfio-dmabuf.c)
#   @PROTOTYPES@  the public functions and types of include/vfio-dmabuf.h
#   @VERSION@     the package version
set -eu
in=$1 version=$2
top=$(dirname "$0")/../..

usage() {
	# The C string literal lines of usage_text[], unquoted, in a no-fill
	# block; roff's escape character doubled.
	sed -n '/^static const char usage_text\[\] =$/,/;$/p' \
		"$top/src/tools/vfio-dmabuf.c" | sed -n 's/^"\(.*\)\\n"[;]*$/\1/p' |
		sed 's/\\/\\e/g; s/^\./\\\&./; s/^$/ /'
}

prototypes() {
	# Declarations from the first line naming vfio_dmabuf_ to their ";",
	# and the structs and enums they take.
	awk '/^(int|void|bool|uint32_t|const char \*)[ *]*vfio_dmabuf_[a-z0-9_]*\(/ { p = ";" }
	     /^(struct|enum) vfio_dmabuf_[a-z0-9_]* \{$/ { p = "}" }
	     p { print }
	     p == ";" && /;$/ || p == "}" && /^};$/ { p = ""; print "" }' "$top/include/vfio-dmabuf.h" |
		sed 's/\\/\\e/g; s/^$/ /'
}

while IFS= read -r line; do
	case $line in
	@USAGE@) printf '.nf\n'; usage; printf '.fi\n' ;;
	@PROTOTYPES@) printf '.nf\n'; prototypes; printf '.fi\n' ;;
	*) printf '%s\n' "$line" | sed "s/@VERSION@/$version/g" ;;
	esac
done <"$in"
