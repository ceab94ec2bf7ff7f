"""Write the course repository's URL into every chapter's install cell.

Colab opens a chapter straight from GitHub, without the rest of the repository, so
the chapter's first code cell (tagged ``install-course-lib``, removed from the web
site) installs ``course_lib`` from the repository when it is not importable. That
cell needs the URL; run once, after choosing where the course lives:

    .venv/bin/python tools/set_repo_url.py https://github.com/OWNER/REPO

(``make repo-url REPO_URL=...`` does the same). Where ``course_lib`` is installed,
in a checkout after ``make install`` or on Binder (binder/postBuild), the cell does
nothing, whatever the URL.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "install-course-lib"
_GITHUB = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_LINE = re.compile(r'^REPO_URL = "[^"]*"', re.MULTILINE)


def set_url(path: Path, url: str) -> bool:
    """Rewrite the ``REPO_URL = "..."`` line of ``path``'s install cell; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"{path}: expected one cell tagged {TAG!r}, found {len(cells)}")
    new, count = _LINE.subn(f'REPO_URL = "{url}"', cells[0].source, count=1)
    if count != 1:
        raise SystemExit(f'{path}: the install cell has no line starting with REPO_URL = "..."')
    if new == cells[0].source:
        return False
    cells[0].source = new
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="https://github.com/OWNER/REPO, or '' to clear it")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter in book/")
    args = parser.parse_args(argv)
    url = args.url.strip().removesuffix("/").removesuffix(".git")
    if url and not _GITHUB.match(url):
        parser.error(f"the URL must look like https://github.com/OWNER/REPO; got {args.url!r}")
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9]*.ipynb"))
    for path in paths:
        changed = set_url(path, url)
        print(f"{path}: {'updated' if changed else 'unchanged'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
