"""Seeding with faker (a placeholder until the sample portal lands)."""

from ..core.runtime import Runtime


def seed_sample(runtime: Runtime, portal: str, seed: int = 0) -> None:
    return None
