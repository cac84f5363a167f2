"""The engine's state belongs to one QBO company and one HubSpot portal: ids repeat across simulator runs and
seeded accounts, so a state reused against others would link records that never met (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine_settings import for_simulators
from simulators.sims import Simulators
from sync.clock import VirtualClock
from sync.engine import Engine
from sync.state import StateMismatch


def test_settings_without_portal_id_learn_the_portal_on_the_first_pass_and_refuse_another(tmp_path: Path) -> None:
    sims = Simulators()
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with sims.in_process():
        company = sims.new_qbo_company(seed="empty")
        first, second = sims.new_hubspot_portal(seed="empty"), sims.new_hubspot_portal(seed="empty")
        clock = VirtualClock(sims.runtime.clock)

        def engine(portal: dict) -> Engine:
            settings = for_simulators(company, portal, state=state, hubspot={"portal_id": None})
            assert settings.hubspot.portal_id is None  # as hand-written settings often are
            return Engine(settings, clock=clock)

        owner = engine(first)
        assert owner.run_pass().complete
        assert owner.state.get_value("owner")["hubspot_portal"] == str(first["portalId"])
        assert engine(first).run_pass().complete  # the same portal again: fine
        stranger = engine(second)
        with pytest.raises(StateMismatch, match=str(first["portalId"])):
            stranger.run_pass()
