"""Shared test settings: hypothesis profiles, a seeded generator, headless Chromium."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI runs a fixed, derandomised profile so a failure reproduces exactly.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright (tools/browsing.py), one per test module.

    In CI a missing Chromium is a failure, never a silent skip.
    """
    from tools.browsing import CHROMIUM, launch

    if CHROMIUM is None:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(
            "Chromium not found: install it with `apt-get install chromium` (Debian)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
