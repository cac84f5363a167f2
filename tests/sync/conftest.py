"""The end-to-end fixtures of tests/sync, defined in ``sync_world`` beside the helpers the tests import from it
(a module of its own name: ``from conftest import`` would find whichever conftest was imported first)."""

from sync_world import books, postgres_up, state_url, world  # noqa: F401  (pytest finds fixtures here)
