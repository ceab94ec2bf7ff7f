"""The built book site, opened as a reader would: every page in headless Chromium, offline.

Needs the site built first (``make book``, which ``make test`` does) and Debian's
``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it). The site is
served on 127.0.0.1; any request to another host is blocked and counts as a
failure, so the test proves the site works with no network. For every page it
asserts: no console errors, no failed requests, every formula rendered by
MathJax, every image loaded, and no live ipywidgets (which need a kernel). Every
control of every kernel-free explorer is moved with the keyboard, and its
picture must change. Screenshots of two pages are kept in ``_build/screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tools.browsing import MATHJAX_DONE, load_all_images, move_control, serve

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI") == "true"


def _missing(reason: str) -> None:
    # In CI a missing prerequisite is a failure, never a silent skip.
    (pytest.fail if IN_CI else pytest.skip)(reason)


def _pages() -> list[str]:
    pages = sorted(p.relative_to(SITE).as_posix()
                   for folder in ("book", "exercises", "docs") for p in SITE.glob(f"{folder}/*.html"))
    return ["index.html", *pages]


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").exists():
        _missing(f"no built site at {SITE}: run `make book` first")
    with serve(SITE) as origin:
        yield origin




class PageProblems:
    """Everything that went wrong while one page loaded."""

    def __init__(self, page, origin: str) -> None:
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))
        host = urlparse(origin).netloc

        def route(route):
            if urlparse(route.request.url).netloc in (host, "") or route.request.url.startswith(
                ("data:", "blob:", "about:")
            ):
                route.continue_()
            else:
                self.external.append(route.request.url)
                route.abort()

        page.route("**/*", route)


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = PageProblems(page, url)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


REPOSITORY_LINKS = r"""() => [...document.querySelectorAll('a[href]')].map(a => a.href)
  .filter(h => /\/\/(github\.com|mybinder\.org|colab\.research\.google\.com)\//.test(h))"""


# An explorer's overlay (alt="") is drawn over its described picture.
NO_ALT_TEXT = r"""() => [...document.querySelectorAll('article img:not(.ce-overlay)')]
  .filter(i => { const a = (i.getAttribute('alt') || '').trim();
                 return a.length < 12 || /\.(png|jpe?g|svg|gif)$/i.test(a) || a.includes('<Figure size'); })
  .map(i => `${i.getAttribute('src')} (alt: "${i.getAttribute('alt') || ''}")`)"""


def test_every_page_renders_offline(server, browser):
    pages = _pages()
    assert len(pages) > 1, "the site has no chapter pages"
    report = []
    for rel in pages:
        page, problems = _open(browser, f"{server}/{rel}")
        math_blocks = page.locator("div.math, span.math").count()
        if math_blocks:
            assert page.evaluate(MATHJAX_DONE), f"{rel}: MathJax did not start"
            rendered = page.locator("mjx-container").count()
            assert rendered >= math_blocks, f"{rel}: {rendered} of {math_blocks} formulas rendered"
        # Figures load lazily, as the reader scrolls: load them all now, to check each one.
        load_all_images(page)
        broken = page.evaluate(
            "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        # Every figure says what it shows: not its file name, not matplotlib's repr.
        no_alt = page.evaluate(NO_ALT_TEXT)
        if not os.environ.get("REPO_URL"):  # built without a repository: no button may point anywhere
            links = page.evaluate(REPOSITORY_LINKS)
            assert not links, f"{rel}: buttons point at a repository that was never set: {links}"
        assert not page.locator(".jupyter-widgets, .widget-slider").count(), (
            f"{rel}: live ipywidgets on the static site, where no kernel can drive them")
        page.wait_for_load_state("networkidle")
        assert not problems.external, f"{rel}: requests leave the machine: {problems.external}"
        assert not problems.failed, f"{rel}: failed requests: {problems.failed}"
        assert not problems.console_errors, f"{rel}: console errors: {problems.console_errors}"
        assert not broken, f"{rel}: images that did not load: {broken}"
        assert not no_alt, f"{rel}: figures whose alt text does not say what they show: {no_alt}"
        report.append((rel, math_blocks, page.locator("img").count()))
        page.close()
    chapters = [r for r in report if r[0].startswith("book/0")]
    assert all(images > 0 for _, _, images in chapters), f"a chapter has no figure: {report}"


@pytest.mark.parametrize("rel", ["book/intro.html", "book/05_optimizers.html"])
def test_screenshots(server, browser, rel):
    if not (SITE / rel).exists():
        pytest.fail(f"{rel} is missing from the built site")
    page, _ = _open(browser, f"{server}/{rel}")
    page.evaluate(MATHJAX_DONE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / (Path(rel).stem + ".png")
    page.screenshot(path=str(shot), full_page=False)
    page.close()
    assert shot.stat().st_size > 10_000  # a blank page compresses to far less


# -------------------------------------------------------------- the explorers

FRAME = "fig => fig.dataset.frame || null"
SHOWN = """fig => [...fig.querySelectorAll('.ce-figure img')].every(
    i => i.complete && i.naturalWidth > 0 && !i.src.startsWith('data:'))"""


def _chapter_pages() -> list[str]:
    return [p for p in _pages() if p.startswith("book/0")]


def test_every_explorer_control_changes_its_picture(server, browser):
    manifests = sorted((SITE / "explorers").glob("*/manifest.json"))
    assert manifests, "no explorer assets: `make book` writes them to _build/html/explorers/"
    expected = {m.parent.name for m in manifests}
    seen, dead, moved = set(), [], 0
    for rel in _chapter_pages():
        page, problems = _open(browser, f"{server}/{rel}")
        figures = page.locator("figure.course-explorer")
        for i in range(figures.count()):
            figure = figures.nth(i)
            name = figure.get_attribute("data-explorer")
            seen.add(name)
            controls = figure.locator("[data-control]")
            assert controls.count() > 0, f"{rel}: explorer {name} has no controls"
            for j in range(controls.count()):
                control = controls.nth(j)
                label = control.get_attribute("data-control")
                if control.is_disabled():
                    reason = control.evaluate("el => el.closest('.ce-control').title")
                    assert reason, f"{rel}: {name}.{label} is disabled without a reason"
                    continue
                control.focus()  # the first touch loads the manifest and sets the shown frame
                page.wait_for_function(FRAME, arg=figure.element_handle(), timeout=10_000)
                before = figure.evaluate(FRAME)
                move_control(control)
                try:
                    page.wait_for_function(f"fig => fig.dataset.frame !== {before!r}",
                                           arg=figure.element_handle(), timeout=5_000)
                except Exception:  # noqa: BLE001 - reported below with its chapter and name
                    dead.append(f"{rel}: explorer {name}, control {label}")
                    continue
                assert figure.evaluate(SHOWN), f"{rel}: {name}.{label}: the new picture did not load"
                moved += 1
        page.wait_for_load_state("networkidle")
        assert not problems.external, f"{rel}: requests leave the machine: {problems.external}"
        assert not problems.failed, f"{rel}: failed requests: {problems.failed}"
        assert not problems.console_errors, f"{rel}: console errors: {problems.console_errors}"
        page.close()
    assert not dead, "controls that move but leave the picture unchanged:\n" + "\n".join(dead)
    assert seen == expected, f"explorers on the pages {sorted(seen)} != built {sorted(expected)}"
    assert moved >= 20, f"only {moved} controls were moved"


def test_an_inactive_control_wakes_up_when_it_has_an_effect(server, browser):
    page, problems = _open(browser, f"{server}/book/05_optimizers.html")
    figure = page.locator('figure[data-explorer="optimizer-paths"]')
    beta = figure.locator('[data-control="beta"]')
    assert beta.is_disabled(), "β should be inactive while plain GD is selected"
    assert "no momentum" in beta.evaluate("el => el.closest('.ce-control').textContent")
    figure.locator('[data-control="optimizer"]').select_option(label="Momentum")
    page.wait_for_function("el => !el.disabled", arg=beta.element_handle(), timeout=10_000)
    figure.locator('[data-control="optimizer"]').select_option(label="Adagrad")
    page.wait_for_function("el => el.disabled", arg=beta.element_handle(), timeout=10_000)
    assert not problems.console_errors and not problems.failed
    page.close()


# ------------------------------------------------------------- accessibility

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def test_no_serious_accessibility_violations(server, browser):
    """axe-core (vendored from npm, web/package.json) on every page: no serious or critical violation."""
    if not AXE.exists():
        _missing(f"{AXE} is missing: `make vendor` installs it")
    found = []
    for rel in _pages():
        page, _ = _open(browser, f"{server}/{rel}")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                found.append(f"{rel}: {v['id']} ({v['impact']}) at {v['nodes'][0]['target']}: "
                             f"{v['nodes'][0]['html'][:120]}")
        page.close()
    assert not found, "accessibility violations:\n" + "\n".join(found)


# ------------------------------------------------------------------ phones

PHONE = {"width": 390, "height": 844}
# Every display formula either fits its box or scrolls inside it, and its number
# does not sit on top of it; nothing makes the page wider than the screen.
MATH_AND_OVERFLOW = """() => {
  const bad = [];
  const overlaps = (a, b) => !(a.right <= b.left || a.left >= b.right
                               || a.bottom <= b.top || a.top >= b.bottom);
  document.querySelectorAll('div.math').forEach(div => {
    const c = div.querySelector('mjx-container');
    if (!c) return;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(c).overflowX);
    if (c.scrollWidth > c.clientWidth + 1 && !scrolls) bad.push(`${div.id || 'a formula'} is cut off`);
    if (c.getBoundingClientRect().right > div.getBoundingClientRect().right + 1)
      bad.push(`${div.id} overflows`);
    const eqno = div.querySelector('.eqno');
    if (eqno && overlaps(eqno.getBoundingClientRect(), c.getBoundingClientRect()))
      bad.push(`${div.id}: its number overlaps the formula`);
  });
  // A figure shrunk more than 2.2 times has specks for labels (small-multiples grids
  // show their panels one by one instead).
  document.querySelectorAll('article img').forEach(img => {
    if (!img.offsetParent || !img.naturalWidth || !img.clientWidth) return;
    const shrink = img.naturalWidth / img.clientWidth;
    if (shrink > 2.2) bad.push(`${img.src.split('/').pop()} is shrunk ${shrink.toFixed(1)} times`);
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    bad.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  return bad;
}"""


def test_phone_width_math_and_layout(server, browser):
    found = []
    for rel in _pages():
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{server}/{rel}", wait_until="load")
        page.wait_for_load_state("networkidle")
        if page.locator("div.math").count():
            assert page.evaluate(MATHJAX_DONE), f"{rel}: MathJax did not start"
        load_all_images(page)
        found += [f"{rel}: {problem}" for problem in page.evaluate(MATH_AND_OVERFLOW)]
        page.close()
    assert not found, "at 390 px wide:\n" + "\n".join(found)
