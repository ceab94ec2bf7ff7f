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
import sys
import time
from pathlib import Path

from tools.browsing import MATHJAX_DONE, launch, load_all_images, serve

# Page numbers in the footer; Chromium fills the spans' classes in.
FOOTER = ('<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def print_pdf(site: Path, out: Path, *, timeout_s: float = 300) -> int:
    """Print ``site/index.html`` to ``out``; returns the PDF's size in bytes."""
    from playwright.sync_api import sync_playwright

    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no single-page build at {site}: `make pdf` builds it first")
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, serve(site) as origin:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.set_default_timeout(timeout_s * 1000)
        errors: list[str] = []
        page.on("requestfailed", lambda r: errors.append(f"{r.url} ({r.failure})"))
        page.goto(f"{origin}/index.html", wait_until="load")
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
