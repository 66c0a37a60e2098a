#!/usr/bin/env bash
# clang-tidy (.clang-tidy at the root) on the C++ files a change touched,
# every finding an error. Needs a configured and built build/ (its
# compile_commands.json and generated headers): CI runs it after
# scripts/test.sh.
#
#   scripts/tidy.sh          the files of the last commit (for a merge, what
#                            it brought into its first parent)
#   scripts/tidy.sh <rev>    the files changed since the merge base with <rev>
#                            (e.g. `scripts/tidy.sh main` on a branch)
#
# A clone without the parent commit (git clone --depth 1) has nothing to
# compare against: the script says so and checks nothing. A changed header
# is checked through the .cc of the same name. Files outside the build
# (deleted, or not compiled in build/) are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
db=build
if [ ! -f "$db/compile_commands.json" ]; then
  echo "tidy: $db/compile_commands.json is missing; run scripts/test.sh first" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  base=$(git merge-base "$1" HEAD)
elif git rev-parse -q --verify 'HEAD^' >/dev/null; then
  base=$(git rev-parse 'HEAD^')
else
  echo "tidy: HEAD has no parent in this clone; nothing to compare, nothing checked"
  exit 0
fi
mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" HEAD -- '*.cc' '*.h')
files=()
for f in "${changed[@]}"; do
  [ "${f%.h}" != "$f" ] && f="${f%.h}.cc"
  [ -f "$f" ] || continue
  # Only what build/ compiles (clang-tidy needs the file's flags).
  grep -qF "\"$(pwd -P)/$f\"" "$db/compile_commands.json" || continue
  files+=("$f")
done
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy: no compiled C++ file changed since ${base:0:12}"
  exit 0
fi
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)
echo "tidy: ${#files[@]} files changed since ${base:0:12}"
# clang-tidy counts the warnings it suppressed in system headers on every
# file ("N warnings generated."); only findings are worth printing.
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy -p "$db" --quiet --warnings-as-errors='*' 2>&1 |
  { grep -v ' warnings\? generated\.$' || true; }
echo "tidy: clean"
