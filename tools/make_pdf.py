"""Print the book's single-page HTML build to a PDF with headless Chromium, offline.

``make pdf`` builds the book with Sphinx's ``singlehtml`` builder (every chapter on
one page, so every cross-reference is an anchor on that page), then runs this
script: the page is served on 127.0.0.1, MathJax typesets every formula, every
lazy figure is loaded, and Chromium prints it with a clickable outline (the
bookmarks pane) and internal links. No LaTeX is needed.

    python -m tools.make_pdf _build/singlehtml _build/pdf/book.pdf
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from tools.browsing import MATHJAX_DONE, launch, load_all_images, serve

_SEARCH = "searchindex.js"
# Page numbers in the footer; Chromium fills the spans' classes in.
FOOTER = ('<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def single_page(site: Path) -> Path:
    """The book's one page, as ``site/print.html``, its links to itself made anchors.

    Jupyter Book's ``index.html`` only redirects to the root document
    (``book/intro.html``), which Sphinx writes with paths relative to the build's
    top folder and links such as ``book/intro.html#ch5-momentum``. Served from the
    top folder, with those links turned into ``#ch5-momentum``, every asset loads and
    every cross-reference stays inside the PDF.
    """
    index = site / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"no single-page build at {site}: `make pdf` builds it first")
    found = re.search(r'url=([^"\s]+)"', index.read_text(encoding="utf-8"))
    root = found.group(1) if found else "index.html"
    html = (site / root).read_text(encoding="utf-8")
    html = html.replace(f'href="{root}#', 'href="#').replace(f'href="{root}"', 'href="#"')
    page = site / "print.html"
    page.write_text(html, encoding="utf-8")
    return page


def print_pdf(site: Path, out: Path, *, timeout_s: float = 300) -> int:
    """Print the single-page build in ``site`` to ``out``; returns the PDF's size in bytes."""
    from playwright.sync_api import sync_playwright

    page_file = single_page(site)
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, serve(site) as origin:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.set_default_timeout(timeout_s * 1000)
        errors: list[str] = []
        # The single-page build has no search index, and a PDF no search box.
        page.on("requestfailed", lambda r: _SEARCH not in r.url and errors.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and _SEARCH not in r.url
                and errors.append(f"{r.url} {r.status}"))
        page.goto(f"{origin}/{page_file.name}", wait_until="load")
        if errors:  # before waiting for MathJax, which never starts if its script is missing
            raise RuntimeError("requests failed while loading the book: " + "; ".join(errors[:5]))
        if page.locator("div.math, span.math").count() and not page.evaluate(MATHJAX_DONE):
            raise RuntimeError("MathJax did not start: is the vendored copy in the build's vendor/ folder?")
        load_all_images(page, timeout_ms=int(timeout_s * 1000))
        if errors:
            raise RuntimeError("requests failed while loading the book: " + "; ".join(errors[:5]))
        page.emulate_media(media="print")
        page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<div></div>", footer_template=FOOTER,
                 margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return out.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the singlehtml build folder (holds index.html)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        size = print_pdf(args.site, args.out)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"make pdf: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
