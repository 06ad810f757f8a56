#!/bin/sh
# Suite "shop": a user's own tables end to end, as docs/data.md shows them. Generates the
# tables (examples/own_data/make_shop.py), trains and saves a model with `shop train`, moves
# the tables away, and serves from the model file alone in new processes: predictions for raw
# ids, a top-10 without the user's rated items, a cold user flagged. Then malformed tables must
# be refused with the file, line and column named, and leave no model file.
# usage: run-shop.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
shop="$build/examples/own_data/shop"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1

fail() { echo "FAIL: $*"; exit 1; }

[ -x "$py" ] || { echo "shop: /usr/bin/python3 missing, skipped"; exit 77; }
"$py" "$src/examples/own_data/make_shop.py" "$tmp/data"
[ "$(wc -l <"$tmp/data/ratings.csv")" -eq 50001 ] || fail "ratings.csv rows"

# usage errors: exit 2
rc=0; "$shop" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "usage: shop train" "$tmp/out" || fail "usage: rc $rc $(cat "$tmp/out")"

# train: the model must beat predicting the mean by a margin
"$shop" train "$tmp/data" "$tmp/shop.rec" >"$tmp/train.out" 2>&1 ||
    fail "train: $(cat "$tmp/train.out")"
cat "$tmp/train.out"
grep -q "^50000 ratings, 300 items" "$tmp/train.out" || fail "train counts"
line=$(grep "^test RMSE" "$tmp/train.out") || fail "no test RMSE line"
rmse=$(echo "$line" | sed 's/^test RMSE \([0-9.]*\),.*/\1/')
base=$(echo "$line" | sed 's/.*predicting the mean: RMSE \([0-9.]*\)).*/\1/')
awk -v r="$rmse" -v b="$base" 'BEGIN { exit !(r < 0.8 * b) }' ||
    fail "test RMSE $rmse is not well below the mean's $base"
for input in "user .*categorical .*user side" "age .*numeric .*user side" \
             "category .*categorical .*item side" "title .*text .*item side" \
             "tags .*categorical list .*item side" "^label: rating"; do
    grep -q "$input" "$tmp/train.out" || fail "inputs listing lacks '$input'"
done
grep -q "saved $tmp/shop.rec (300 catalogue items)" "$tmp/train.out" || fail "saved line"

# serve from the model file alone: the tables are gone
mv "$tmp/data" "$tmp/gone"
"$shop" serve "$tmp/shop.rec" user=u17 age=34 --item i4 --item i200 -k 10 >"$tmp/serve.out" 2>&1 ||
    fail "serve: $(cat "$tmp/serve.out")"
cat "$tmp/serve.out"
grep -q "^predicted rating for i4: [1-5]\.[0-9]*$" "$tmp/serve.out" || fail "score of i4"
grep -q "^top 10 unseen items:" "$tmp/serve.out" || fail "top-10 header"
grep -q "not seen in training" "$tmp/serve.out" && fail "u17 flagged as new"
ids=$(sed -n 's/^ *[0-9]*\. \(i[0-9]*\) .*/\1/p' "$tmp/serve.out")
[ "$(echo "$ids" | wc -l)" -eq 10 ] || fail "not 10 items: $ids"
[ "$(echo "$ids" | sort -u | wc -l)" -eq 10 ] || fail "repeated items: $ids"
# none of them rated by u17 (the ratings file, read back from its new place)
for id in $ids; do
    if grep -q "^\"\\{0,1\\}u17\"\\{0,1\\},$id," "$tmp/gone/ratings.csv"; then
        fail "$id was rated by u17 but recommended"
    fi
done
# scores best first, within the ratings' range (clipped)
sed -n 's/^ *[0-9]*\. i[0-9]* *\([0-9.-]*\)$/\1/p' "$tmp/serve.out" >"$tmp/scores"
sort -rn "$tmp/scores" | cmp -s - "$tmp/scores" || fail "scores not descending"
awk '$1 < 1 || $1 > 5 { bad = 1 } END { exit bad }' "$tmp/scores" || fail "score outside 1..5"

# an absurd age: predictions stay within the ratings' range (clipped)
"$shop" serve "$tmp/shop.rec" user=u17 age=1000000000 --item i4 -k 3 >"$tmp/huge.out" 2>&1 ||
    fail "huge age: $(cat "$tmp/huge.out")"
grep -Eq "^predicted rating for i4: (1|5)\.000$" "$tmp/huge.out" ||
    fail "huge age not clipped to 1..5: $(cat "$tmp/huge.out")"

# a cold user: flagged, still served
"$shop" serve "$tmp/shop.rec" user=newcomer age=25 -k 3 >"$tmp/cold.out" 2>&1 ||
    fail "cold serve: $(cat "$tmp/cold.out")"
grep -q "^note: 1 of the user's values were not seen in training (a new user?)" "$tmp/cold.out" ||
    fail "cold user not flagged: $(cat "$tmp/cold.out")"
grep -q "^top 3 unseen items:" "$tmp/cold.out" || fail "cold top-3"
# the user-side column the model needs, missing
rc=0; "$shop" serve "$tmp/shop.rec" user=u17 >"$tmp/err.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "age" "$tmp/err.out" || fail "missing age: rc $rc $(cat "$tmp/err.out")"
# an item that is not in the catalogue
rc=0; "$shop" serve "$tmp/shop.rec" user=u17 age=3 --item nosuch >"$tmp/err.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "'nosuch'" "$tmp/err.out" ||
    fail "unknown item: rc $rc $(cat "$tmp/err.out")"

# malformed tables: refused with file, line and column; no model file written
mv "$tmp/gone" "$tmp/data"
cp "$tmp/data/ratings.csv" "$tmp/good.csv"
bad() { # bad LINE_3_TEXT EXPECTED_MESSAGE
    { head -2 "$tmp/good.csv"; printf '%s\n' "$1"; tail -n +4 "$tmp/good.csv"; } >"$tmp/data/ratings.csv"
    rm -f "$tmp/bad.rec"
    rc=0; "$shop" train "$tmp/data" "$tmp/bad.rec" >"$tmp/bad.out" 2>&1 || rc=$?
    [ "$rc" -ne 0 ] || fail "accepted line '$1'"
    grep -qF "$2" "$tmp/bad.out" || fail "line '$1': message lacks '$2': $(cat "$tmp/bad.out")"
    [ ! -e "$tmp/bad.rec" ] || fail "line '$1' left a model file"
}
bad 'u1,i2,4,1600000100' "ratings.csv:3: expected 5 fields, found 4"
bad '"u1,i2,4,1600000100,30' "ratings.csv:3: column 'user' (1): 'u' after the closing quote on line 7"
bad 'u1,i2,four,1600000100,30' "ratings.csv:3: column 'rating' (3): 'four' is not a number"
bad 'u1,i2,,1600000100,30' "ratings.csv:3: column 'rating' (3): empty value"
bad 'u1,i2,4,1600000100.5,30' "ratings.csv:3: column 'timestamp' (4): '1600000100.5' is not an integer"
bad 'u1,nosuch,4,1600000100,30' "'nosuch'"
bad "$(printf 'caf\351,i2,4,1600000100,30')" "ratings.csv:3: column 'user' (1): not valid UTF-8 (byte 0xE9"
echo "shop: ok"
