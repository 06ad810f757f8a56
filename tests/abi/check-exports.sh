#!/bin/sh
# The ABI promise: the shared library exports exactly the rec_* functions listed in
# tests/abi/exports.txt (adding a public function means adding it here, deliberately).
# Every function declared REC_API in the headers must be exported, and nothing else.
# usage: check-exports.sh LIBRARY EXPORTS_TXT INCLUDE_DIR
set -eu
lib=$1
want=$2
inc=$3
declared=$(grep -h REC_API "$inc"/rec/*.h "$inc"/rec/*.h.in "$inc"/rec.h | grep -o 'rec_[a-z0-9_]*(' | tr -d '(' | sort -u)
if ! printf '%s\n' "$declared" | diff -u "$want" - ; then
    echo "functions declared REC_API in $inc differ from $want"
    exit 1
fi
got=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRWVi]$/ {print $3}' | sed 's/@.*//' | sort -u)
stray=$(printf '%s\n' "$got" | grep -v '^rec_' || true)
if [ -n "$stray" ]; then
    echo "exported symbols outside rec_*:"; printf '%s\n' "$stray"; exit 1
fi
if ! printf '%s\n' "$got" | diff -u "$want" - ; then
    echo "exported symbols differ from $want (lines with + are exported but not listed)"
    exit 1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
case "$soname" in
    librec.so.[0-9]*) ;;
    *) echo "unexpected SONAME '$soname'"; exit 1 ;;
esac
# Every export is bound to a version node of lib/librec.map (REC_1.0, later REC_1.y), so a
# program built against a newer minor fails at load time, by name, on an older library.
unversioned=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRWVi]$/ {print $3}' | grep -v '@@\{0,1\}REC_[0-9]' || true)
if [ -n "$unversioned" ]; then
    echo "exported symbols without a REC_x.y version node:"; printf '%s\n' "$unversioned"; exit 1
fi
# A name may be exported under more than one version (an older meaning kept for programs
# linked against that version, docs/ABI.md): then exactly one binding is the default (@@), which
# new links use, and every older binding (@) is listed in compat.txt, so that none appears or
# disappears unnoticed.
bindings=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRWVi]$/ {print $3}')
defaults=$(printf '%s\n' "$bindings" | grep '@@' | sed 's/@@.*//' | sort)
if [ -n "$(printf '%s\n' "$defaults" | uniq -d)" ]; then
    echo "names with more than one default version:"; printf '%s\n' "$defaults" | uniq -d; exit 1
fi
if ! printf '%s\n' "$defaults" | diff -u "$want" - ; then
    echo "every export needs one default (@@) version; lines with - have none"
    exit 1
fi
compat=$(printf '%s\n' "$bindings" | grep -v '@@' | sort)
if ! printf '%s\n' "$compat" | diff -u "$(dirname "$want")/compat.txt" - ; then
    echo "non-default (compatibility) versions differ from $(dirname "$want")/compat.txt"
    exit 1
fi
if nm -D --defined-only "$lib" | grep -q ' rec__'; then
    echo "internal rec__ symbols are exported"; exit 1
fi
echo "$(printf '%s\n' "$got" | wc -l) exported symbols, all rec_*, match $want" \
    "($(printf '%s\n' "$compat" | grep -c . || true) compatibility versions); SONAME $soname"
