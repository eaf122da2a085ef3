#!/usr/bin/env python3
"""gen-text-width.py [UNICODE_DIR] > host/base/text_width.h

The terminal width of each code point, for host/base/text.c: the ranges
that take no cell and the ranges that take two, as two sorted C tables;
every other printable character takes one.  Read from the Unicode
Character Database of Debian's package unicode-data (/usr/share/unicode:
UnicodeData.txt, EastAsianWidth.txt, HangulSyllableType.txt), with the
rules of glibc's wcwidth() (its localedata/unicode-gen):

  0  general category Mn, Me or Cf, but U+00AD SOFT HYPHEN and the
     prepended concatenation marks (PropList.txt: U+0600 ARABIC NUMBER
     SIGN...), which are seen; the Hangul jamo medial vowels and final
     consonants (HangulSyllableType.txt: V, T)
  2  East Asian Width W or F (CJK, Hangul syllables, most emoji), and as
     glibc U+3248..324F and U+4DC0..4DFF

A code point in both is 0.  The Unicode version is taken from the files'
headers and written into the table.  Against glibc 2.36's C.UTF-8
(Debian 12, Unicode 14) the table differs on 4257 code points new in
Unicode 15.0 and on 61104 unassigned ones in the CJK blocks and planes
(wide here, as EastAsianWidth.txt says; 1 there); on no other."""

import os
import re
import sys


def ranges_of(path, want):
    """(first, last, value) for each line "A..B;V" or "A;V" whose V is in
    want, and the file's version from its first line"""
    out, version = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if version is None:
                m = re.match(r"#\s*\S+-(\d+\.\d+\.\d+)\.txt", line)
                version = m.group(1) if m else ""
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cps, value = [x.strip() for x in line.split(";")[:2]]
            if value not in want:
                continue
            a, _, b = cps.partition("..")
            out.append((int(a, 16), int(b or a, 16), value))
    return out, version


def general_categories(path):
    """(first, last, category) from UnicodeData.txt, its <..., First> and
    <..., Last> pairs as one range"""
    out, first = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split(";")
            cp, name, cat = int(fields[0], 16), fields[1], fields[2]
            if name.endswith(", First>"):
                first = cp
                continue
            out.append((first if name.endswith(", Last>") else cp, cp, cat))
            first = None
    return out


def merged(points):
    """sorted code points as [first, last] ranges"""
    out = []
    for cp in sorted(points):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def table(name, ranges):
    lines = ["static const struct gh_text_width_range %s[] = {" % name]
    row = "\t"
    for a, b in ranges:
        item = "{0x%x, 0x%x}, " % (a, b)
        if len(row.expandtabs()) + len(item) > 88:
            lines.append(row.rstrip())
            row = "\t"
        row += item
    lines.append(row.rstrip())
    lines.append("};")
    return "\n".join(lines)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    wide, version = ranges_of(os.path.join(d, "EastAsianWidth.txt"), {"W", "F"})
    jamo, jamo_version = ranges_of(os.path.join(d, "HangulSyllableType.txt"), {"V", "T"})
    seen, seen_version = ranges_of(os.path.join(d, "PropList.txt"),
                                   {"Prepended_Concatenation_Mark"})
    if not version or {jamo_version, seen_version} != {version}:
        sys.exit("EastAsianWidth.txt is %s, HangulSyllableType.txt %s, PropList.txt %s: "
                 "not one Unicode" % (version, jamo_version, seen_version))
    zero = set()
    for a, b, cat in general_categories(os.path.join(d, "UnicodeData.txt")):
        if cat in ("Mn", "Me", "Cf"):
            zero.update(range(a, b + 1))
    zero.discard(0xAD)
    for a, b, _ in seen:
        zero.difference_update(range(a, b + 1))
    for a, b, _ in jamo:
        zero.update(range(a, b + 1))
    two = set(range(0x3248, 0x3250)) | set(range(0x4DC0, 0x4E00))
    for a, b, _ in wide:
        two.update(range(a, b + 1))
    two -= zero
    zero_r, two_r = merged(zero), merged(two)
    print("/* text_width.h - the terminal width of code points (base/text.c):")
    print(" * the ranges of no cell and of two cells, Unicode %s, made by" % version)
    print(" * scripts/gen-text-width.py from Debian's unicode-data; do not edit. */")
    print("#ifndef GH_TEXT_WIDTH_H")
    print("#define GH_TEXT_WIDTH_H")
    print()
    print("#include <stdint.h>")
    print()
    print("#define GH_TEXT_WIDTH_UNICODE \"%s\"" % version)
    print()
    print("struct gh_text_width_range {")
    print("\tuint32_t first, last;")
    print("};")
    print()
    print(table("gh_text_zero_width", zero_r))
    print()
    print(table("gh_text_double_width", two_r))
    print()
    print("#endif")


if __name__ == "__main__":
    main()
