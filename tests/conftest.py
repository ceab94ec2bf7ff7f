"""Shared test settings: hypothesis profiles and a seeded generator fixture."""

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
