"""The built book site, opened as a reader would: every page in headless Chromium, offline.

Needs the site built first (``make book``, which ``make test`` does) and Debian's
``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it). The site is
served on 127.0.0.1; any request to another host is blocked and counts as a
failure, so the test proves the site works with no network. For every page it
asserts: no console errors, no failed requests, every formula rendered by
MathJax, every image loaded, every figure described, no live ipywidgets (which
need a kernel), no serious accessibility violation (axe-core), and, at a phone's
width, formulas and figures that fit. Every control of every kernel-free
explorer is moved with the keyboard, and its picture must change. Screenshots
of two pages are kept in ``_build/screenshots/``.

Each page is opened once at the desktop width and once at the phone width (the
``desktop`` and ``phone`` fixtures), and everything above is collected on those
visits; each test then asserts one check over every page, naming the pages that
fail it.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tools.browsing import MATHJAX_DONE, launch, load_all_images, move_control, serve

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI") == "true"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ["book/intro.html", "book/05_optimizers.html"]


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


@dataclass
class Problems:
    """What went wrong in a page's traffic and scripts."""

    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


class PageWatch:
    """A page's console, requests and responses, watched from before it loads.

    Requests to another host than the site's are aborted and recorded. The
    requests in flight are kept, so that :meth:`settle` can wait for the last
    one to end instead of for a quiet half second (``networkidle``).
    """

    def __init__(self, page, origin: str) -> None:
        self.page = page
        self.problems = Problems()
        self.in_flight: set = set()
        page.on("console", lambda m: m.type == "error" and self.problems.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.problems.console_errors.append(str(e)))
        page.on("request", lambda r: self.in_flight.add(r))
        page.on("requestfinished", lambda r: self.in_flight.discard(r))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.problems.failed.append(f"{r.url} {r.status}"))
        host = urlparse(origin).netloc

        def route(route):
            if urlparse(route.request.url).netloc in (host, "") or route.request.url.startswith(
                ("data:", "blob:", "about:")
            ):
                route.continue_()
            else:
                self.problems.external.append(route.request.url)
                route.abort()

        page.route("**/*", route)

    def _failed(self, request) -> None:
        self.in_flight.discard(request)
        self.problems.failed.append(f"{request.url} ({request.failure})")

    def settle(self, timeout_s: float = 30) -> None:
        """Wait until no request is in flight (Playwright delivers the page's events while it waits)."""
        deadline = time.monotonic() + timeout_s
        while self.in_flight and time.monotonic() < deadline:
            self.page.wait_for_timeout(10)
        self.problems.failed += [f"{r.url} (no answer in {timeout_s:.0f} s)" for r in self.in_flight]
        self.in_flight.clear()

    def take(self) -> Problems:
        """The problems seen so far; later ones are collected afresh."""
        seen, self.problems = self.problems, Problems()
        return seen


def _open(browser, url: str, viewport: dict[str, int] = DESKTOP):
    page = browser.new_page(viewport=viewport)
    watch = PageWatch(page, url)
    page.goto(url, wait_until="load")
    watch.settle()
    return page, watch


# ------------------------------------------------------ one visit per page, at 1280 px

REPOSITORY_LINKS = r"""() => [...document.querySelectorAll('a[href]')].map(a => a.href)
  .filter(h => /\/\/(github\.com|mybinder\.org|colab\.research\.google\.com)\//.test(h))"""

# An explorer's overlay (alt="") is drawn over its described picture.
NO_ALT_TEXT = r"""() => [...document.querySelectorAll('article img:not(.ce-overlay)')]
  .filter(i => { const a = (i.getAttribute('alt') || '').trim();
                 return a.length < 12 || /\.(png|jpe?g|svg|gif)$/i.test(a) || a.includes('<Figure size'); })
  .map(i => `${i.getAttribute('src')} (alt: "${i.getAttribute('alt') || ''}")`)"""

BROKEN_IMAGES = """() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
  .map(i => i.src)"""

# axe-core's serious and critical violations, each with its first offending node.
AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => `${v.id} (${v.impact}) at ${JSON.stringify(v.nodes[0].target)}: `
             + v.nodes[0].html.slice(0, 120)))"""


@dataclass
class Explorers:
    """What moving every control of a page's explorers found."""

    seen: set[str] = field(default_factory=set)
    moved: int = 0
    faults: list[str] = field(default_factory=list)  # no controls, a disabled one without a reason, ...
    dead: list[str] = field(default_factory=list)  # a control that moves but leaves the picture as it was


@dataclass
class Desktop:
    """What one visit of a page at 1280 px found; each test below asserts one part of it."""

    math: str = ""  # why not every formula is typeset, if not
    images: int = 0
    broken: list[str] = field(default_factory=list)
    no_alt: list[str] = field(default_factory=list)
    repository_links: list[str] = field(default_factory=list)
    live_widgets: int = 0
    accessibility: list[str] = field(default_factory=list)
    explorers: Explorers = field(default_factory=Explorers)
    loading: Problems = field(default_factory=Problems)  # while it loaded and was checked
    moving: Problems = field(default_factory=Problems)  # while its explorers' controls moved


def _math_problem(page) -> str:
    blocks = page.locator("div.math, span.math").count()
    if not blocks:
        return ""
    if not page.evaluate(MATHJAX_DONE):
        return "MathJax did not start"
    rendered = page.locator("mjx-container").count()
    return "" if rendered >= blocks else f"{rendered} of {blocks} formulas rendered"


def _visit(browser, origin: str, rel: str) -> Desktop:
    page, watch = _open(browser, f"{origin}/{rel}")
    seen = Desktop(math=_math_problem(page))
    # Figures load lazily, as the reader scrolls: load them all now, to check each one.
    load_all_images(page)
    seen.broken = page.evaluate(BROKEN_IMAGES)
    seen.no_alt = page.evaluate(NO_ALT_TEXT)  # every figure says what it shows
    seen.repository_links = page.evaluate(REPOSITORY_LINKS)
    seen.live_widgets = page.locator(".jupyter-widgets, .widget-slider").count()
    seen.images = page.locator("img").count()
    if rel in SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (Path(rel).stem + ".png")), full_page=False)
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        seen.accessibility = page.evaluate(AXE_RUN)
    watch.settle()
    seen.loading = watch.take()
    if rel.startswith("book/0"):
        seen.explorers = _move_every_control(page, rel)
        watch.settle()
        seen.moving = watch.take()
    page.close()
    return seen


@pytest.fixture(scope="module")
def desktop(server, browser, phone_survey) -> dict[str, Desktop]:
    """Every page, visited once at 1280 px (while ``phone_survey`` visits them at 390 px)."""
    return {rel: _visit(browser, server, rel) for rel in _pages()}


def _failures(desktop: dict[str, Desktop], what) -> list[str]:
    return [f"{rel}: {found}" for rel, seen in desktop.items() if (found := what(seen))]


def test_the_site_has_chapter_pages(desktop):
    assert len(desktop) > 1, "the site has no chapter pages"


def _traffic(desktop: dict[str, Desktop], kind: str) -> list[str]:
    return [f"{rel} ({phase}): {problems}" for rel, seen in desktop.items()
            for phase, problems in (("loading", getattr(seen.loading, kind)),
                                    ("moving its explorers", getattr(seen.moving, kind)))
            if problems]


def test_no_request_leaves_the_machine(desktop):
    found = _traffic(desktop, "external")
    assert not found, "requests leave the machine:\n" + "\n".join(found)


def test_no_request_fails(desktop):
    found = _traffic(desktop, "failed")
    assert not found, "failed requests:\n" + "\n".join(found)


def test_no_console_errors(desktop):
    found = _traffic(desktop, "console_errors")
    assert not found, "console errors:\n" + "\n".join(found)


def test_every_formula_is_typeset(desktop):
    found = _failures(desktop, lambda seen: seen.math)
    assert not found, "\n".join(found)


def test_every_image_loads(desktop):
    found = _failures(desktop, lambda seen: seen.broken)
    assert not found, "images that did not load:\n" + "\n".join(found)


def test_every_figure_says_what_it_shows(desktop):
    # not its file name, not matplotlib's repr
    found = _failures(desktop, lambda seen: seen.no_alt)
    assert not found, "figures whose alt text does not say what they show:\n" + "\n".join(found)


def test_every_chapter_has_a_figure(desktop):
    chapters = {rel: seen.images for rel, seen in desktop.items() if rel.startswith("book/0")}
    assert chapters and all(chapters.values()), f"a chapter has no figure: {chapters}"


def test_no_button_points_at_an_unset_repository(desktop):
    if os.environ.get("REPO_URL"):
        pytest.skip("built with REPO_URL: the buttons point at that repository")
    found = _failures(desktop, lambda seen: seen.repository_links)
    assert not found, "buttons point at a repository that was never set:\n" + "\n".join(found)


def test_no_live_ipywidgets(desktop):
    found = _failures(desktop, lambda seen: seen.live_widgets)
    assert not found, ("live ipywidgets on the static site, where no kernel can drive them:\n"
                       + "\n".join(found))


@pytest.mark.parametrize("rel", SCREENSHOTS)
def test_screenshots(desktop, rel):
    if rel not in desktop:
        pytest.fail(f"{rel} is missing from the built site")
    shot = SHOTS / (Path(rel).stem + ".png")
    assert shot.stat().st_size > 10_000  # a blank page compresses to far less


def test_no_serious_accessibility_violations(desktop):
    """axe-core (vendored from npm, web/package.json) on every page: no serious or critical violation."""
    if not AXE.exists():
        _missing(f"{AXE} is missing: `make vendor` installs it")
    found = _failures(desktop, lambda seen: seen.accessibility)
    assert not found, "accessibility violations:\n" + "\n".join(found)


# -------------------------------------------------------------- the explorers

FRAME = "fig => fig.dataset.frame || null"
SHOWN = """fig => [...fig.querySelectorAll('.ce-figure img')].every(
    i => i.complete && i.naturalWidth > 0 && !i.src.startsWith('data:'))"""


def _move_every_control(page, rel: str) -> Explorers:
    """Move each explorer control on the page one step; its picture must change."""
    found = Explorers()
    figures = page.locator("figure.course-explorer")
    for i in range(figures.count()):
        figure = figures.nth(i)
        name = figure.get_attribute("data-explorer")
        found.seen.add(name)
        controls = figure.locator("[data-control]")
        if not controls.count():
            found.faults.append(f"{rel}: explorer {name} has no controls")
        for j in range(controls.count()):
            control = controls.nth(j)
            label = control.get_attribute("data-control")
            if control.is_disabled():
                if not control.evaluate("el => el.closest('.ce-control').title"):
                    found.faults.append(f"{rel}: {name}.{label} is disabled without a reason")
                continue
            control.focus()  # the first touch loads the manifest and sets the shown frame
            page.wait_for_function(FRAME, arg=figure.element_handle(), timeout=10_000)
            before = figure.evaluate(FRAME)
            move_control(control)
            try:
                page.wait_for_function(f"fig => fig.dataset.frame !== {before!r}",
                                       arg=figure.element_handle(), timeout=5_000)
            except Exception:  # noqa: BLE001 - reported with its chapter and name
                found.dead.append(f"{rel}: explorer {name}, control {label}")
                continue
            if not figure.evaluate(SHOWN):
                found.faults.append(f"{rel}: {name}.{label}: the new picture did not load")
            found.moved += 1
    return found


def test_every_explorer_control_changes_its_picture(desktop):
    manifests = sorted((SITE / "explorers").glob("*/manifest.json"))
    assert manifests, "no explorer assets: `make book` writes them to _build/html/explorers/"
    expected = {m.parent.name for m in manifests}
    found = [seen.explorers for seen in desktop.values()]
    faults = [fault for f in found for fault in f.faults]
    assert not faults, "\n".join(faults)
    dead = [control for f in found for control in f.dead]
    assert not dead, "controls that move but leave the picture unchanged:\n" + "\n".join(dead)
    seen = set().union(*(f.seen for f in found))
    assert seen == expected, f"explorers on the pages {sorted(seen)} != built {sorted(expected)}"
    moved = sum(f.moved for f in found)
    assert moved >= 20, f"only {moved} controls were moved"


def test_an_inactive_control_wakes_up_when_it_has_an_effect(server, browser):
    page, watch = _open(browser, f"{server}/book/05_optimizers.html")
    figure = page.locator('figure[data-explorer="optimizer-paths"]')
    beta = figure.locator('[data-control="beta"]')
    assert beta.is_disabled(), "β should be inactive while plain GD is selected"
    assert "no momentum" in beta.evaluate("el => el.closest('.ce-control').textContent")
    figure.locator('[data-control="optimizer"]').select_option(label="Momentum")
    page.wait_for_function("el => !el.disabled", arg=beta.element_handle(), timeout=10_000)
    figure.locator('[data-control="optimizer"]').select_option(label="Adagrad")
    page.wait_for_function("el => el.disabled", arg=beta.element_handle(), timeout=10_000)
    assert not watch.problems.console_errors and not watch.problems.failed
    page.close()


# ------------------------------------------------------------------ phones

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


def _phone_problems(browser, origin: str, rel: str) -> list[str]:
    page, _ = _open(browser, f"{origin}/{rel}", PHONE)
    if page.locator("div.math").count() and not page.evaluate(MATHJAX_DONE):
        found = ["MathJax did not start"]
    else:
        load_all_images(page)
        found = page.evaluate(MATH_AND_OVERFLOW)
    page.close()
    return found


def _phone_survey(origin: str) -> dict[str, list[str]]:
    # Playwright's objects belong to the thread that made them: this thread has its own Chromium.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            return {rel: _phone_problems(browser, origin, rel) for rel in _pages()}
        finally:
            browser.close()


@pytest.fixture(scope="module")
def phone_survey(server, browser):
    """Every page visited at 390 px in a thread of its own, started before the desktop visits,
    so that the two run side by side (a page's layout and scripts take a core each)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        yield thread.submit(_phone_survey, server)


@pytest.fixture(scope="module")
def phone(phone_survey) -> dict[str, list[str]]:
    """Every page at 390 px: what does not fit."""
    return phone_survey.result()


def test_phone_width_math_and_layout(phone):
    found = [f"{rel}: {problem}" for rel, problems in phone.items() for problem in problems]
    assert not found, "at 390 px wide:\n" + "\n".join(found)
