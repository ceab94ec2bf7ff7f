"""The built site in headless Chromium: what the browser test, the site benchmark and
``make pdf`` share.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright. The site
is served from a folder on 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps calling Google's hosts,
# which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Resolves to true once MathJax has typeset the page (false if the page has no MathJax).
MATHJAX_DONE = """() => new Promise(resolve => {
  if (!window.MathJax || !MathJax.startup) { resolve(false); return; }
  MathJax.startup.promise.then(() => resolve(true));
})"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; yields the origin URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def launch(playwright):
    """Headless Debian Chromium, from a ``sync_playwright()`` context."""
    if CHROMIUM is None:
        raise RuntimeError("Chromium not found: install it with `apt-get install chromium` (Debian)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def load_all_images(page, timeout_ms: int = 15_000) -> None:
    """Load the figures that would wait for the reader to scroll (``loading="lazy"``), and wait for them."""
    # A lazy image not yet fetched is not ``complete``: this waits for every one to load or fail.
    page.evaluate("() => document.querySelectorAll('img[loading=lazy]')"
                  ".forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=timeout_ms)


def move_control(control) -> bool:
    """Move an explorer's control one step with the keyboard, as a reader would.

    A slider steps right (left at its end), a dropdown down (up at its end), a
    checkbox toggles with Space. Returns False, without a key press, for a
    disabled control.
    """
    if control.is_disabled():
        return False
    kind = control.evaluate("el => el.type")
    control.focus()
    if kind == "checkbox":
        control.press("Space")
    elif kind == "range":
        at_end = control.evaluate("el => Number(el.value) >= Number(el.max)")
        control.press("ArrowLeft" if at_end else "ArrowRight")
    else:  # a <select>
        at_end = control.evaluate("el => el.selectedIndex === el.options.length - 1")
        control.press("ArrowUp" if at_end else "ArrowDown")
    return True
