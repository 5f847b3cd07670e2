"""Hall simulator: realistic, seeded service-hall days as queue-event streams.

``simulate_day`` / ``simulate_days`` are pure (stdlib only); ``push`` does the I/O and
``cli`` is ``waitwell simulate``.
"""

from .day import Day, simulate_day, simulate_days, summarize
from .scenarios import SCENARIOS, Hall, Scenario, Service, Window, sample_hall, scenario_for_date

__all__ = [
    "Day",
    "Hall",
    "SCENARIOS",
    "Scenario",
    "Service",
    "Window",
    "sample_hall",
    "scenario_for_date",
    "simulate_day",
    "simulate_days",
    "summarize",
]
