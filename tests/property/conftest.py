"""Hypothesis profiles for the property-based end-to-end tests: ``dev`` (fast), ``ci`` (what
``make test`` runs: more examples, derandomised, no deadline), ``nightly`` (long). Choose with
``HYPOTHESIS_PROFILE=dev|ci|nightly``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
# the "explain" phase re-runs a failing history many times over: minutes for a sync; shrinking is what we need
FAST = {"phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]}
settings.register_profile("dev", max_examples=5, stateful_step_count=8, **COMMON, **FAST)
settings.register_profile("ci", max_examples=20, stateful_step_count=12, derandomize=True, print_blob=True,
                          **COMMON, **FAST)
settings.register_profile("nightly", max_examples=500, stateful_step_count=30, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
