#!/usr/bin/env python3
"""Checks every #include of a module against STYLE.md §1's dependency table.

The build already fails on a wrong-way include (each module sees only the
headers of the modules it links); this test says which line broke the rule,
and also catches includes that happen to be reachable transitively.
"""
import pathlib
import re
import sys

# module -> modules it may include (its own headers always allowed).
ALLOWED = {
    "base": {"strata"},
    "compression": {"base", "strata"},
    "wal": {"base", "compression", "strata"},
    "index": {"base", "compression", "strata"},
    "engine": {"base", "compression", "wal", "index", "strata"},
    "query": {"base", "index", "strata"},
    "server": {"base", "query", "strata"},
}
MODULES = set(ALLOWED) | {"strata", "tools", "tests", "bench", "fuzz"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/')


def main(root: pathlib.Path) -> int:
    problems = []
    for module, allowed in ALLOWED.items():
        for path in sorted((root / module).rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            for lineno, line in enumerate(path.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                if target == module or target not in MODULES:
                    continue
                if target not in allowed:
                    problems.append(f"{path.relative_to(root)}:{lineno}: {module}/ may not "
                                    f"include {target}/ (STYLE.md §1)")
    public = root / "include" / "strata"
    for path in sorted(public.glob("*.h")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) != "strata" and m.group(1) in MODULES:
                problems.append(f"{path.relative_to(root)}:{lineno}: the public API may only "
                                f"include strata/ and Abseil")
    for p in problems:
        print(p)
    print(f"include_lint: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
