"""The whole book as a PDF (``make pdf``), opened as a reader's PDF viewer would: pypdf.

Needs ``_build/pdf/book.pdf`` (``make pdf-test`` builds it first). Checks that every
chapter of the table of contents is in it with its title, in order, that formulas
were typeset (MathJax, not raw TeX), that the figures are embedded, that the
outline (bookmarks) lists the chapters and that cross-references are links
inside the document.
"""

from __future__ import annotations

import json
import multiprocessing
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


def _pages_text(task: tuple[str, range]) -> list[str]:
    """The text of some pages of a PDF, whitespace collapsed."""
    import pypdf

    path, pages = task
    reader = pypdf.PdfReader(path)
    return [" ".join((reader.pages[i].extract_text() or "").split()) for i in pages]


@pytest.fixture(scope="module")
def text(reader) -> str:
    """The PDF's text, pages joined, whitespace collapsed.

    Extracting it takes most of this test (pypdf parses every content stream in
    Python), so two processes share the pages: every other page each.
    """
    n = len(reader.pages)
    tasks = [(str(PDF), range(start, n, 2)) for start in (0, 1)]
    pages: list[str] = [""] * n
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pages[0::2], pages[1::2] = pool.map(_pages_text, tasks)
    return " ".join(pages)


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


def _image_xobjects(holder, seen: set) -> int:
    """The images drawn by a page or form: image XObjects in its resources and in its forms'.

    Counted from the resources alone: pypdf's ``page.images`` also parses every content
    stream for inline images (10 s for this PDF), and Chromium writes none.
    """
    resources = holder.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    count = 0
    for ref in (xobjects.get_object() if xobjects else {}).values():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            count += 1
        elif obj.get("/Subtype") == "/Form" and id(obj) not in seen:
            seen.add(id(obj))
            count += _image_xobjects(obj, seen)
    return count


def test_figures_are_embedded(reader):
    images = sum(_image_xobjects(page, set()) for page in reader.pages)
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
