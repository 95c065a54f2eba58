"""The scan's in-flight gate: as many customers at once as the limit's rate needs at the round
trip measured, so that requests do not pile up in the limiter and leave as a burst."""

from __future__ import annotations

import asyncio

from workato_ipywidget.health_scan import InFlight


def test_until_a_round_trip_is_known_the_gate_lets_the_cap_through() -> None:
    assert InFlight(rate=16.7, cap=32).target == 32
    assert InFlight(rate=None, cap=8).target == 8


async def test_the_gate_follows_the_shortest_recent_round_trip() -> None:
    gate = InFlight(rate=16.7, cap=32)  # Workato's 1,000 connection lists a minute
    for seconds in (0.9, 0.25, 0.4):  # the 0.9 s read waited in the limiter
        await gate.enter()
        gate.leave(seconds)

    assert gate.target == 11  # ceil(16.7 * 0.25 * 2) + 2

    fast = InFlight(rate=1000.0, cap=32)
    await fast.enter()
    fast.leave(1.0)
    assert fast.target == 32  # never more than the cap


async def test_a_reader_waits_at_the_gate_until_another_leaves() -> None:
    gate = InFlight(rate=1.0, cap=1)
    await gate.enter()
    second = asyncio.ensure_future(gate.enter())
    await asyncio.sleep(0)
    assert not second.done()

    gate.leave(0.01)
    await asyncio.wait_for(second, 1)
