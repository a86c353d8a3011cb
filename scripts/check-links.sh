#!/usr/bin/env bash
# Fails when a relative link in README.md or docs/ points at nothing: a missing file, or a missing heading of a
# Markdown file (GitHub's anchors: the heading in lower case, punctuation dropped, spaces as '-').
# Run by ./test.sh; run it alone after moving a document or renaming a heading: scripts/check-links.sh
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - README.md $(find docs examples src -name '*.md' -not -path '*/node_modules/*' -not -path '*/bin/*' -not -path '*/obj/*' | sort) <<'PY'
import os, re, sys

def anchors(path):
    found, in_code = set(), False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            in_code = not in_code
        m = None if in_code else re.match(r'^#{1,6} (.*)$', line.rstrip('\n'))
        if m:
            text = re.sub(r'[`*_]', '', m.group(1)).strip().lower()
            found.add(re.sub(r'[^\w\- ]', '', text).replace(' ', '-'))
    return found

broken = 0
for source in sys.argv[1:]:
    text = open(source, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'^[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        resolved = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
        if not os.path.exists(resolved):
            print(f'{source}: {target}: no such file')
            broken += 1
        elif anchor and resolved.endswith('.md') and anchor not in anchors(resolved):
            print(f'{source}: {target}: no such heading')
            broken += 1
print(f'{len(sys.argv) - 1} documents, {broken} broken links')
sys.exit(1 if broken else 0)
PY
