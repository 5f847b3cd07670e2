"""bench/display_delta_size.py's delta holds what changed and nothing else."""

from __future__ import annotations

import copy

from bench.display_delta_size import delta


def test_a_delta_carries_the_changed_service_and_the_new_call_only():
    before = {"type": "display.state", "seq": 1, "at": "09:00", "hall": {"id": "h"}, "waiting_total": 3,
              "services": [{"id": "a", "waiting": 1}, {"id": "b", "waiting": 2}],
              "calls": [{"ticket": "A001", "called_at": "08:59"}]}
    after = copy.deepcopy(before)
    after.update(seq=2, at="09:01", waiting_total=2)
    after["services"][1]["waiting"] = 1
    after["calls"].insert(0, {"ticket": "B001", "called_at": "09:01"})
    assert delta(after, before) == {"type": "display.state", "seq": 2, "at": "09:01", "waiting_total": 2,
                                    "services": [{"id": "b", "waiting": 1}],
                                    "calls": [{"ticket": "B001", "called_at": "09:01"}]}
