"""The whole book as a PDF (``make pdf``), opened as a reader's PDF viewer would: pypdf.

Needs ``_build/pdf/book.pdf`` (``make pdf-test`` builds it first). Checks that every
chapter of the table of contents is in it with its title, in order, that formulas
were typeset (MathJax, not raw TeX), that the figures are embedded, that the
outline (bookmarks) lists the chapters and that cross-references are links
inside the document.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf" / "book.pdf"


def _chapter_titles() -> list[str]:
    """Each chapter's title: the first heading of its notebook, in the table of contents' order."""
    toc = (ROOT / "_toc.yml").read_text()
    titles = []
    for rel in re.findall(r"file: (book/0\d_\w+)", toc):
        cells = json.loads((ROOT / f"{rel}.ipynb").read_text())["cells"]
        first = next(c for c in cells if c["cell_type"] == "markdown")
        titles.append("".join(first["source"]).splitlines()[0].lstrip("# ").strip())
    return titles


@pytest.fixture(scope="module")
def reader():
    pypdf = pytest.importorskip("pypdf")
    if not PDF.exists():
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(
            f"no {PDF}: run `make pdf` first")
    return pypdf.PdfReader(str(PDF))


@pytest.fixture(scope="module")
def text(reader) -> str:
    """The PDF's text, pages joined, whitespace collapsed (extracting it takes most of this test)."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _flat(outline) -> list:
    out = []
    for item in outline:
        out += _flat(item) if isinstance(item, list) else [item]
    return out


def test_every_chapter_is_in_the_pdf_in_order(reader, text):
    titles = _chapter_titles()
    assert len(titles) >= 7
    positions = []
    for title in titles:
        assert title in text, f"chapter {title!r} is missing from the PDF"
        positions.append(text.index(title))
    assert positions == sorted(positions), "the chapters are out of order"
    assert len(reader.pages) >= 20 * len(titles) // 2, f"only {len(reader.pages)} pages"


def test_math_is_typeset_not_raw_tex(text):
    raw = [m for m in (r"\frac{", r"\nabla", r"\mathbf{", r"\begin{") if m in text]
    assert not raw, f"raw TeX in the PDF (MathJax did not typeset it): {raw}"


def test_figures_are_embedded(reader):
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 40, f"only {images} images in the PDF"


def test_the_outline_lists_the_chapters_and_links_stay_inside(reader):
    outline = [item.title for item in _flat(reader.outline)]
    for title in _chapter_titles():
        assert any(title in entry for entry in outline), f"{title!r} is not in the PDF's outline"
    internal = external = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            if annot.get("/Dest") is not None or (action and action.get("/S") == "/GoTo"):
                internal += 1
            elif action and action.get("/S") == "/URI":
                external += 1
                uri = str(action.get("/URI"))
                assert not uri.startswith("http://127.0.0.1"), f"a link points at the print server: {uri}"
    assert internal >= 50, f"only {internal} internal links (cross-references should be links)"
