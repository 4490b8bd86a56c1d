#!/usr/bin/env python3
"""How much code the two SQL adapters still share, and the median source file.

    python3 scripts/code_shape.py [ROOT]

ROOT is a checkout (default: this one). For each adapter (`crates/closer_store_sqlite/src`,
`crates/closer_store_postgres/src`) it counts code lines: not blank, not a comment, not a
`use` line, not lone punctuation, white space folded and `?n`/`$n` placeholders alike. A line
is shared when it falls in a run of six consecutive code lines that also stands in the other
adapter: "exact", or by "shape" (names, strings and numbers alike too). It also prints the
median length of the checkout's tracked `.rs` files. To compare with an earlier tree:
`git worktree add /tmp/before REV` and run it on `/tmp/before`.
"""

import os
import re
import statistics
import subprocess
import sys

RUN = 6


def code_lines(root):
    out = []
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for line in f:
                    s = line.strip()
                    if (
                        not s
                        or s.startswith("//")
                        or s.startswith("use ")
                        or re.fullmatch(r"[\][(){};,.]*", s)
                    ):
                        continue
                    out.append(s)
    return out


def normalise(line, shape):
    line = re.sub(r"[?$]\d+", "P", line)
    line = re.sub(r"\s+", " ", line)
    if shape:
        line = re.sub(r'"(?:[^"\\]|\\.)*"', "S", line)
        line = re.sub(r"\b\d+\b", "N", line)
        line = re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", "I", line)
    return line


def shared(a, b, shape):
    na = [normalise(x, shape) for x in a]
    nb = [normalise(x, shape) for x in b]
    runs = {tuple(nb[i : i + RUN]) for i in range(len(nb) - RUN + 1)}
    covered = [False] * len(na)
    for i in range(len(na) - RUN + 1):
        if tuple(na[i : i + RUN]) in runs:
            covered[i : i + RUN] = [True] * RUN
    return sum(covered)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    sqlite = code_lines(os.path.join(root, "crates/closer_store_sqlite/src"))
    postgres = code_lines(os.path.join(root, "crates/closer_store_postgres/src"))
    print(f"code lines: sqlite {len(sqlite)}, postgres {len(postgres)}")
    for shape in (False, True):
        kind = "shape" if shape else "exact"
        print(
            f"shared ({kind}): sqlite {shared(sqlite, postgres, shape)}, "
            f"postgres {shared(postgres, sqlite, shape)}"
        )
    files = subprocess.run(
        ["git", "-C", root, "ls-files", "*.rs"], capture_output=True, text=True, check=True
    ).stdout.split()
    lengths = []
    for name in files:
        with open(os.path.join(root, name), encoding="utf-8") as f:
            lengths.append(sum(1 for _ in f))
    print(f"median .rs file: {statistics.median(lengths)} lines over {len(files)} files")


if __name__ == "__main__":
    main()
