#!/usr/bin/python3
"""Write a small shop's tables, the kind of data a user brings (docs/data.md).

    make_shop.py DIR [--users N] [--items M] [--rows R] [--seed S]

DIR/ratings.csv   user,item,rating,timestamp,age   (R rows; ids like u17 and i4, some quoted;
                                                     every 97th age empty)
DIR/items.csv     item,title,category,tags         (M rows; titles with commas, doubled quotes
                                                     and one with a newline; tags ';'-separated)

Ratings come from a hidden model, so that a model can learn them: an item quality, a user
bias, each user's taste for each category, an age effect on one category, and noise; then
rounded to 1..5. Everything flows from --seed (Python's random.Random), so a seed writes the
same bytes on every machine.
"""
import argparse
import csv
import os
import random

CATEGORIES = ["books", "music, live", "garden", "kitchen", "toys", "games", "tools", "films"]
WORDS = ["red", "big", "classic", "new", "small", "deluxe", "blue", "family", "travel", "pro"]
TAGS = ["gift", "sale", "eco", "handmade", "import", "bestseller"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--users", type=int, default=800)
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)

    items = []
    for i in range(a.items):
        cat = rng.randrange(len(CATEGORIES))
        title = "%s %s no. %d" % (rng.choice(WORDS).title(), CATEGORIES[cat].split(",")[0], i)
        if i % 11 == 0:
            title += ", boxed"                 # a comma: the field is quoted
        if i % 17 == 0:
            title += ' "limited"'              # quotes: doubled inside quotes
        if i == 13:
            title += "\nsecond line"           # a newline inside a quoted field
        tags = ";".join(sorted(rng.sample(TAGS, rng.randrange(0, 3))))
        items.append(("i%d" % i, title, CATEGORIES[cat], tags, cat, rng.gauss(0, 0.7)))
    with open(os.path.join(a.dir, "items.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["item", "title", "category", "tags"])
        for it in items:
            w.writerow(it[:4])

    users = []
    for u in range(a.users):
        taste = [rng.gauss(0, 0.8) for _ in CATEGORIES]
        users.append(("u%d" % u, rng.randint(16, 80), rng.gauss(0, 0.4), taste))
    with open(os.path.join(a.dir, "ratings.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("user,item,rating,timestamp,age\n")
        t = 1600000000
        for r in range(a.rows):
            uid, age, bias, taste = users[rng.randrange(a.users)]
            iid, _, _, _, cat, quality = items[rng.randrange(a.items)]
            young = 0.6 if (cat == 5 and age < 30) else 0.0
            x = 3.2 + quality + bias + taste[cat] + young + rng.gauss(0, 0.5)
            rating = max(1, min(5, round(x)))
            t += rng.randrange(1, 120)
            user_field = '"%s"' % uid if r % 5 == 0 else uid   # quoting need not be needed
            age_field = "" if r % 97 == 0 else str(age)         # a missing age: NaN
            f.write("%s,%s,%d,%d,%s\n" % (user_field, iid, rating, t, age_field))


if __name__ == "__main__":
    main()
