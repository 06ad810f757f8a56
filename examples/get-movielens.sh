#!/bin/sh
# get-movielens.sh DEST_DIR
#
# Download the MovieLens 100K data set (GroupLens; its licence forbids redistribution, so
# librec does not ship it), unpack it to DEST_DIR/ml-100k and check the SHA-256 of every file
# against ml-100k.sha256 next to this script. Nothing is done when DEST_DIR/ml-100k already
# verifies. Then: REC_DATA_DIR=DEST_DIR/ml-100k runs the suites' real-data checks.
#
# Environment:
#   REC_ML100K_URL  archive URL (default: the GroupLens one below)
#   REC_ML100K_ZIP  a local copy of ml-100k.zip to unpack instead of downloading
#
# Needs: curl or wget (unless REC_ML100K_ZIP is set); unzip or python3; sha256sum,
# shasum or python3. Exit status: 0 verified, 1 failure (the message says which), 2 usage.
set -eu

URL=${REC_ML100K_URL:-https://files.grouplens.org/datasets/movielens/ml-100k.zip}
here=$(cd "$(dirname "$0")" && pwd)
LIST=$here/ml-100k.sha256

die() {
    echo "get-movielens.sh: error: $*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

sha256_of() {
    if have sha256sum; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif have shasum; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    elif have python3; then
        python3 -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
    else
        die "no sha256sum, shasum or python3 to check the files with"
    fi
}

# verify DIR: check every file of the list; print each problem; status 0 when all match.
verify() {
    bad=0
    while read -r sum name; do
        [ -n "$name" ] || continue
        if [ ! -f "$1/$name" ]; then
            echo "  missing:  $1/$name" >&2
            bad=1
        elif [ "$(sha256_of "$1/$name")" != "$sum" ]; then
            echo "  MISMATCH: $1/$name (expected SHA-256 $sum)" >&2
            bad=1
        fi
    done <"$LIST"
    return $bad
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: get-movielens.sh DEST_DIR" >&2
    exit 2
fi
[ -f "$LIST" ] || die "checksum list $LIST not found"
dest=$1
target=$dest/ml-100k

if [ -d "$target" ]; then
    if verify "$target" 2>/dev/null; then
        echo "get-movielens.sh: $target already verified, nothing to do"
        exit 0
    fi
    verify "$target" || true
    die "$target exists but does not match $LIST; move it away and run again"
fi

if [ -n "${REC_ML100K_ZIP:-}" ] && [ ! -f "$REC_ML100K_ZIP" ]; then
    die "REC_ML100K_ZIP=$REC_ML100K_ZIP is not a file"
fi
mkdir -p "$dest"
# Work in a scratch directory inside DEST_DIR so that the final move is a rename and a
# failed run leaves no half-unpacked ml-100k behind.
work=$(mktemp -d "$dest/.ml-100k.XXXXXX") || die "cannot create a scratch directory in $dest"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

if [ -n "${REC_ML100K_ZIP:-}" ]; then
    zip=$REC_ML100K_ZIP
    echo "get-movielens.sh: using $zip"
else
    zip=$work/ml-100k.zip
    echo "get-movielens.sh: downloading $URL"
    if have curl; then
        curl -fL --retry 3 -o "$zip" "$URL" || die "download of $URL failed (curl)"
    elif have wget; then
        wget -O "$zip" "$URL" || die "download of $URL failed (wget)"
    else
        die "neither curl nor wget is installed"
    fi
fi

mkdir "$work/unpacked"
if have unzip; then
    unzip -q "$zip" -d "$work/unpacked" || die "cannot unpack $zip (unzip)"
elif have python3; then
    python3 -m zipfile -e "$zip" "$work/unpacked" || die "cannot unpack $zip (python3 zipfile)"
else
    die "neither unzip nor python3 is installed"
fi
[ -d "$work/unpacked/ml-100k" ] || die "$zip has no ml-100k/ directory"

if ! verify "$work/unpacked/ml-100k"; then
    die "the files unpacked from $zip do not match $LIST (see above); nothing was installed"
fi
# Files of the archive that the list does not cover (GroupLens' helper scripts) are kept
# but named, so nothing unverified passes silently.
for f in "$work/unpacked/ml-100k"/*; do
    name=${f##*/}
    awk -v n="$name" '$2 == n { found = 1 } END { exit !found }' "$LIST" ||
        echo "get-movielens.sh: note: $name is not in the checksum list"
done

mv "$work/unpacked/ml-100k" "$target" || die "cannot move the data to $target"
echo "get-movielens.sh: verified $(grep -c . "$LIST") files in $target"
