"""Seeding with faker (placeholder until the sample company lands)."""

from ..core.runtime import Runtime


def seed_sample(runtime: Runtime, realm: str, seed: int = 0) -> None:
    return None
