"""The static site's explorer budgets, measured on the built site in headless Chromium.

Prints (nothing is asserted; see README "Performance"):

* the size of all explorer assets (``_build/html/explorers``; budget 30 MB);
* per chapter page, the bytes transferred before the reader's first interaction
  (budget 5 MB);
* per explorer, the time from a key press on a control to its new picture being
  shown (budget 100 ms): every control moved a few steps, the first move of each
  explorer (which loads its manifest) reported apart;
* with ``--build``, the time of ``make book`` (budget 5 min on 2 cores).

Run ``make book`` first, then ``.venv/bin/python bench/site_budget.py``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT))
from tools.browsing import launch, move_control, serve  # noqa: E402

# In the page: time from a keydown on a control to the explorer's "ce-frame" event.
TIMER = """() => {
  window.__lat = [];
  document.querySelectorAll('figure.course-explorer').forEach(fig => {
    fig.addEventListener('keydown', () => { fig.__t0 = performance.now(); }, true);
    fig.addEventListener('ce-frame', () => {
      if (fig.__t0 !== undefined) window.__lat.push([fig.dataset.explorer, performance.now() - fig.__t0]);
      fig.__t0 = undefined;
    });
  });
}"""


def measure(browser, origin: str, rel: str, steps: int) -> tuple[int, list[tuple[str, float, bool]]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    transferred = []
    page.on("requestfinished", lambda r: transferred.append(r.sizes()["responseBodySize"]
                                                            + r.sizes()["responseHeadersSize"]))
    page.goto(f"{origin}/{rel}", wait_until="load")
    page.wait_for_load_state("networkidle")
    before = sum(transferred)
    page.evaluate(TIMER)
    results = []
    figures = page.locator("figure.course-explorer")
    for i in range(figures.count()):
        figure = figures.nth(i)
        controls = figure.locator("[data-control]")
        first = True
        for j in range(controls.count()):
            for _ in range(steps):
                n = page.evaluate("() => window.__lat.length")
                if not move_control(controls.nth(j)):
                    break
                page.wait_for_function(f"() => window.__lat.length > {n}", timeout=10_000)
                name, ms = page.evaluate("() => window.__lat[window.__lat.length - 1]")
                results.append((name, ms, first))
                first = False
    page.close()
    return before, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="key presses per control (default: 4)")
    parser.add_argument("--build", action="store_true", help="also time `make book` (after `rm -rf _build`)")
    args = parser.parse_args()
    if args.build:
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(["make", "book"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        print(f"make book: {time.perf_counter() - start:.0f} s (budget 300 s)")
    if not (SITE / "explorers").is_dir():
        print("no built site: run `make book` first", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in (SITE / "explorers").rglob("*") if p.is_file())
    files = sum(1 for p in (SITE / "explorers").rglob("*.png"))
    print(f"explorer assets: {total / 1e6:.1f} MB in {files} pictures (budget 30 MB)")
    from playwright.sync_api import sync_playwright

    latencies: dict[str, list[float]] = {}
    firsts: dict[str, float] = {}
    with sync_playwright() as p, serve(SITE) as origin:
        browser = launch(p)
        print(f"{'page':32} {'before interaction':>20}")
        for rel in sorted(str(q.relative_to(SITE)) for q in (SITE / "book").glob("0*.html")):
            before, results = measure(browser, origin, rel, args.steps)
            print(f"{rel:32} {before / 1e6:>17.2f} MB   (budget 5 MB)")
            for name, ms, first in results:
                if first:
                    firsts[name] = ms
                else:
                    latencies.setdefault(name, []).append(ms)
        browser.close()
    print(f"\n{'explorer':20} {'moves':>6} {'median ms':>10} {'max ms':>8} {'first move ms':>14}"
          "  (budget 100 ms)")
    for name, values in latencies.items():
        print(f"{name:20} {len(values):>6} {statistics.median(values):>10.1f} {max(values):>8.1f} "
              f"{firsts.get(name, float('nan')):>14.1f}")
    everything = [v for values in latencies.values() for v in values]
    print(f"{'all':20} {len(everything):>6} {statistics.median(everything):>10.1f} {max(everything):>8.1f} "
          f"{max(firsts.values()):>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
