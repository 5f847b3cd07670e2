"""Tiny runs of the estimate and staffing benchmarks: structure and sanity, no accuracy thresholds."""

from __future__ import annotations

import json
import math

import pytest

from bench import estimate_bench, staffing_bench
from bench.replay import ESTIMATORS, TIME_BANDS


def check_row(row: dict, *, coverage: bool) -> None:
    assert row["n"] >= 0
    for key in ("rase", "rase_waited", "rmse_min", "bias_min", "within_5min", "worst_error_min"):
        value = row[key]
        assert value is None or math.isfinite(value), (key, value)
    if row["n"]:
        assert row["rase"] >= 0 and row["rmse_min"] >= 0
        assert 0 <= row["within_5min"] <= 1
        assert abs(row["bias_min"]) <= row["rmse_min"] + 1e-9  # |mean error| <= RMS error
        assert row["rmse_min"] <= row["worst_error_min"] + 1e-9
    for key in ("coverage", "coverage_waited", "coverage_ranged"):
        if coverage:
            assert row[key] is None or 0 <= row[key] <= 1
        else:
            assert key not in row


def check_result(res: dict) -> None:
    assert res["tickets_scored"] > 0 and res["tickets_issued"] >= res["tickets_scored"]
    assert set(res["table"]) == set(ESTIMATORS)
    for name, row in res["table"].items():
        check_row(row, coverage=name == "ours")
        assert row["n"] == res["tickets_scored"]
    assert set(res["by_time"]) == {band for band, _, _ in TIME_BANDS}
    assert sum(res["by_time"][band]["ours"]["n"] for band in res["by_time"]) == res["tickets_scored"]
    care = res["care_soon"]
    if care["status"] == "ok":
        for name in ("any", "ahead_5min"):
            for key in ("precision", "recall"):
                assert care[name][key] is None or 0 <= care[name][key] <= 1
            assert care[name]["flagged"] <= care["waits"]
        assert care["ahead_5min"]["flagged"] <= care["any"]["flagged"]
        assert care["waited_over_care_first"] <= care["waits"]
    else:
        assert care["status"].startswith("n/a")
    assert "_points" not in res


def test_estimate_bench_one_history_day_one_quiet_day(tmp_path, capsys):
    """One day of history, one scored quiet day: a table printed, JSON with finite metrics in range."""
    out = tmp_path / "estimate.json"
    assert estimate_bench.main(["--scenario", "quiet", "--days", "1", "--history", "1", "--jobs", "1",
                                "--out", str(out), "--plots", ""]) == 0
    report = json.loads(out.read_text())
    assert set(report) >= {"estimator", "machine", "run", "scenarios", "seconds", "care_soon_available"}
    res = report["scenarios"]["quiet"]
    assert res["days"] == 1 and res["history"] == 1 and res["hall_windows"] == 8
    check_result(res)
    assert set(res["targets"]) <= {"rase_vs_best_baseline", "coverage", "coverage_ranged"}
    printed = capsys.readouterr().out
    assert "RASE" in printed and "HOL" in printed and "vendor (5.5 min)" in printed


def test_estimate_bench_scores_a_jsonl_log(tmp_path):
    """--events: realised waits come from the log itself; any simulated day in our protocol works."""
    from server.simulator import simulate_day

    log = tmp_path / "day.jsonl"
    day = simulate_day("quiet", 3)
    log.write_text("".join(json.dumps(e) + "\n" for e in day.events))
    out = tmp_path / "e.json"
    assert estimate_bench.main(["--events", str(log), "--out", str(out), "--plots", ""]) == 0
    res = json.loads(out.read_text())["events"][str(log)]
    check_result(res)
    assert res["days_in_log"] == 1
    assert res["tickets_scored"] == sum("called" in t for t in day.tickets.values())


def test_estimate_bench_names_the_bad_line_of_a_log(tmp_path, capsys):
    """A line that is not JSON, or not an event, is reported with its file and line number."""
    log = tmp_path / "bad.jsonl"
    log.write_text('{"id": "1", "type": "clock.tick", "at": "2026-11-18T09:00:00+08:00"}\n\nnot json\n')
    assert estimate_bench.main(["--events", str(log), "--out", "", "--plots", ""]) == 2
    assert f"{log}:3: not a JSON line" in capsys.readouterr().err
    log.write_text('{"id": "1", "type": "ticket.teleported", "at": "2026-11-18T09:00:00+08:00"}\n')
    assert estimate_bench.main(["--events", str(log), "--out", "", "--plots", ""]) == 2
    assert f"{log}:1: not a queue event" in capsys.readouterr().err


def test_staffing_bench_one_policy_one_day(tmp_path):
    """count-3 on one quiet day (plus ours if the hall advises): finite, in-range policy rows."""
    out = tmp_path / "staffing.json"
    assert staffing_bench.main(["--scenario", "quiet", "--days", "1", "--history", "1", "--policies", "count",
                                "ours", "--k", "3", "--targets", "0.1", "--jobs", "1", "--out", str(out),
                                "--plots", ""]) == 0
    report = json.loads(out.read_text())
    rows = report["scenarios"]["quiet"]["policies"]
    families = {r["family"] for r in rows}
    if staffing_bench.ours_available() is None:
        assert families == {"count", "ours"}
        points = report["scenarios"]["quiet"]["ours_vs_oracle_and_count_k"]["points"]
        assert points and all("ratio_to_count_k" in p or p["count_k_share_at_same_hours"] is None for p in points)
    else:
        assert families == {"count"} and report["ours_skipped"]
    for r in rows:
        assert r["days"] == 1 and r["called"] > 0
        assert 0 < r["counter_hours_per_day"] <= 8 * 9.5  # 8 windows, 08:55 to past 17:00
        for key in ("share_over_15", "share_over_30", "lunch_share_over_15"):
            assert 0 <= r[key] <= 1
        assert r["share_over_30"] <= r["share_over_15"]
        assert r["opens_per_day"] >= 0 and math.isfinite(r["mean_wait_min"])


def test_interpolating_the_oracle_and_count_k_curves():
    """Ours is compared with the oracle and count-k at the same counter-hours, never by extrapolation:
    MET at most 1.1 x the oracle's share and at most count-k's."""
    curve = [(80.0, 0.5), (90.0, 0.1)]
    assert staffing_bench.interpolate(curve, 85.0) == pytest.approx(0.3)
    assert staffing_bench.interpolate(curve, 79.9) is None and staffing_bench.interpolate(curve, 95.0) is None
    rows = [{"family": "count", "param": 5, "counter_hours_per_day": 80.0, "share_over_15": 0.5},
            {"family": "count", "param": 2, "counter_hours_per_day": 90.0, "share_over_15": 0.1},
            {"family": "oracle", "param": 0.2, "counter_hours_per_day": 82.0, "share_over_15": 0.2},
            {"family": "oracle", "param": 0.02, "counter_hours_per_day": 88.0, "share_over_15": 0.08},
            {"family": "ours", "param": 0.05, "setting": "target_share", "counter_hours_per_day": 85.0,
             "share_over_15": 0.15},
            {"family": "ours", "param": 0.1, "setting": "target_share", "counter_hours_per_day": 86.0,
             "share_over_15": 0.25},
            {"family": "ours", "param": 0.2, "setting": "target_share", "counter_hours_per_day": 70.0,
             "share_over_15": 0.6}]
    cmp = staffing_bench.compare(rows)
    first, second, outside = cmp["points"]
    assert first["target_share"] == 0.05
    assert first["ratio_to_oracle"] == pytest.approx(1.071, abs=1e-3) and first["oracle_met"]  # oracle 0.14 there
    assert first["ratio_to_count_k"] == pytest.approx(0.5) and first["count_k_met"]
    assert second["ratio_to_oracle"] == pytest.approx(2.083, abs=1e-3) and not second["oracle_met"]  # 0.12 there
    assert second["ratio_to_count_k"] == pytest.approx(0.962, abs=1e-3) and second["count_k_met"]  # 0.26 there
    assert "ratio_to_oracle" not in outside and "ratio_to_count_k" not in outside
    assert (cmp["oracle_met"], cmp["oracle_comparable"], cmp["count_k_met"], cmp["count_k_comparable"]) == (1, 2, 2, 2)


def test_count_k_opens_on_a_long_queue_and_closes_after_a_quiet_spell():
    """count-2 with 2 staffed asks for a third at 4 waiting; with nobody waiting and 2 idle for 10 min, one fewer."""
    policy = staffing_bench.CountK(2, 600.0, {})
    at = "2026-11-18T09:00:00.000+08:00"
    events = [{"id": "0", "type": "hall.reset", "at": at}]
    events += [{"id": f"w{i}", "type": "window.opened", "at": at, "window": str(i)} for i in (1, 2, 3)]
    assert policy(0.0, events, 3) == 3
    assert policy(300.0, events, 3) == 3
    assert policy(600.0, events, 3) == 2  # quiet since 0 s
    events += [{"id": f"t{i}", "type": "ticket.issued", "at": at, "ticket": f"A{i:03d}", "service": "quick"}
               for i in range(4)]
    assert policy(630.0, events, 2) == 3
    assert policy(660.0, events, 3) == 3  # 4 < 2 x 3


def test_plots_are_written(tmp_path):
    """Both PNGs render with the Agg backend (needs the bench extra)."""
    pytest.importorskip("matplotlib")
    points = {"realised": [0.0, 300.0, 900.0], "ours": [60.0, 240.0, 800.0], "les": [0.0, 200.0, 1000.0]}
    estimate_bench.plot(points, "les", tmp_path / "e.png", "test")
    rows = [{"family": "count", "param": 3, "counter_hours_per_day": 80.0, "share_over_15": 0.2, "days": 1},
            {"family": "fixed", "param": None, "counter_hours_per_day": 90.0, "share_over_15": 0.1, "days": 1}]
    staffing_bench.plot({"scenarios": {"normal": {"policies": rows}}}, tmp_path / "s.png")
    for name in ("e.png", "s.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_our_policy_feeds_each_event_once_and_keeps_staffing_without_advice():
    """The hall gets every event exactly once across calls and days; no advice keeps the staffing as is."""

    class FakeHall:
        def __init__(self):
            self.got, self.advice = [], None

        def receive(self, event):
            self.got.append(event.id)

        def alerts_to_send(self):
            return []

        def staffing_advice(self):
            return self.advice

    hall = FakeHall()
    policy = staffing_bench.Ours(hall)
    at = "2026-11-18T09:00:00.000+08:00"
    day1 = [{"id": "a", "type": "hall.reset", "at": at}]
    assert policy(0.0, day1, 4) == 4
    day1.append({"id": "b", "type": "clock.tick", "at": at})
    hall.advice = 7
    assert policy(30.0, day1, 4) == 7
    day2 = [{"id": "c", "type": "hall.reset", "at": "2026-11-19T08:55:00.000+08:00"}]
    policy(0.0, day2, 7)
    assert hall.got == ["a", "b", "c"]


def test_the_oracle_reference_staffs_a_busier_hour_with_more_windows():
    """The oracle reads the scenario's true hourly rates: month end's 11:00 hour needs more than 09:00's."""
    from server.simulator import sample_hall
    from server.simulator.scenarios import get_scenario

    sc = get_scenario("month_end")
    oracle = staffing_bench.Oracle(sc, sample_hall(sc.windows), 0.05)
    first, peak = oracle(600.0, [], 8), oracle(2 * 3600.0 + 600.0, [], 8)
    assert 1 <= first < peak <= 15
    assert staffing_bench.Oracle(sc, sample_hall(sc.windows), 0.2)(600.0, [], 8) <= first
