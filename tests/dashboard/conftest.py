"""Fixtures of the dashboard's tests: ``browser`` (headless Chromium), ``page`` (a fresh tab), ``site`` (the
simulators, the sync engine and the dashboard served on loopback). They live in dashboard_helpers.py."""

from dashboard_helpers import browser, page, site  # noqa: F401 - fixtures
