#!/bin/sh
# Every public librec name that README.md and docs/*.md mention must be declared in a public
# header (include/rec.h, include/rec/*.h). Prints each name that is not, with its file, and
# exits 1 if there is one. Skipped: internal names (rec__*), prefixes written as `rec_x_*`
# (they end in _), and the placeholder rec_x.
# usage: tools/check-doc-names.sh
set -eu
cd "$(dirname "$0")/.."
known=$(mktemp)
trap 'rm -f "$known"' EXIT
grep -ohE '\brec_[a-z0-9_]+' include/rec.h include/rec/*.h include/rec/*.h.in | sort -u > "$known"
status=0
for f in README.md docs/*.md; do
    for name in $(grep -ohE '\brec_[a-z0-9_]+' "$f" | sort -u); do
        case $name in rec__* | *_ | rec_x) continue ;; esac
        grep -qx "$name" "$known" || { echo "$f: $name is not declared in include/"; status=1; }
    done
done
exit $status
