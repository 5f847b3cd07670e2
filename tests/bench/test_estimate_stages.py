"""The staged estimate bench (issue 13): what each stage learns, what it is compared with, the goals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bench import estimate_bench
from bench.estimate_bench import BEST_OF, CASES, STAGE_DAY, Case, best_baseline, ratio_goal, run_group, run_stages
from bench.replay import Scored
from server.simulator import simulate_day


@pytest.fixture(scope="module")
def quiet_stages():
    return run_stages(CASES["quiet"], 3)


def test_stage_one_learns_nothing_stage_two_one_day_stage_three_seven(quiet_stages):
    """The hall of each stage received exactly the days before the scored day that its stage names."""
    stages = quiet_stages["stages"]
    day = dt.date.fromisoformat(quiet_stages["day"])
    assert stages["first_day"]["learnt"] == []
    assert stages["second_day"]["learnt"] == [(day - dt.timedelta(days=1)).isoformat()]
    assert stages["after_7_days"]["learnt"] == [(day - dt.timedelta(days=k)).isoformat() for k in range(7, 0, -1)]


def test_every_stage_scores_the_same_day(quiet_stages):
    """Same tickets and realised waits in every stage: only what the hall learnt differs."""
    truth = simulate_day("quiet", 3, STAGE_DAY).tickets
    called = {label: t["called"] - t["issued"] for label, t in truth.items() if "called" in t}
    for stage in ("first_day", "second_day", "after_7_days"):
        scored = quiet_stages["stages"][stage]["scored"].scored()
        assert {r.label for r in scored} == set(called)
        for r in scored:
            assert r.realised == pytest.approx(called[r.label], abs=2e-3)


def test_history_changes_the_estimates_not_the_baselines(quiet_stages):
    """LES, HOL and the naive queue length read the scored day alone; ours differs after a week.

    (The rolling-mean vendor formula keeps its last 30 services across days, as a vendor box does.)
    """
    first = {r.label: r for r in quiet_stages["stages"]["first_day"]["scored"].scored()}
    week = {r.label: r for r in quiet_stages["stages"]["after_7_days"]["scored"].scored()}
    assert all(first[k].baselines[b] == week[k].baselines[b] for k in first for b in BEST_OF)
    assert any(first[k].ours != week[k].ours for k in first)


def test_a_copied_hall_scores_exactly_as_one_that_learnt_the_days_itself():
    """Cases sharing their earlier days replay them once and copy the hall: no difference in any estimate."""
    a = Case("a", "quiet", "quiet", "quiet", "")
    b = Case("b", "quiet_half_lunch", "quiet", "quiet", "")
    stages = (("first_day", 0), ("after_2_days", 2))
    with pytest.raises(ValueError, match="same hall"):  # 4 windows against the 8 of a quiet week
        run_group([a, b], 4, stages)
    b = Case("b", "quiet", "quiet", "quiet", "")
    grouped = run_group([a, b], 4, stages)
    alone = run_stages(a, 4, stages)

    def seen(run, stage):
        s = run["stages"][stage]["scored"]
        return ([(r.label, r.ours, r.low, r.high, r.realised, r.baselines) for r in s.issued],
                [(e.start, e.end, e.flagged_at) for e in s.episodes])

    for stage, _ in stages:
        assert seen(grouped[0], stage) == seen(alone, stage) == seen(grouped[1], stage)
    assert grouped[0]["stages"]["after_2_days"]["learnt"] == alone["stages"]["after_2_days"]["learnt"]


def test_the_best_baseline_is_les_hol_or_the_naive_queue_length():
    """The rolling-mean vendor formula is printed but is not one of the issue's baselines."""
    tab = {"ours": {"rase": 0.3}, "les": {"rase": 0.9}, "hol": {"rase": 0.8}, "vendor_recent": {"rase": 0.1},
           "vendor_fixed": {"rase": 0.6}}
    assert best_baseline(tab) == ("vendor_fixed", pytest.approx(0.5))
    tab["hol"]["rase"] = 0.0
    assert best_baseline(tab)[1] == float("inf")
    tab["ours"]["rase"] = None
    assert best_baseline(tab) == (None, None)


def test_goals_per_stage_and_kind_of_day():
    assert ratio_goal("first_day", "busy") == 1.0 and ratio_goal("second_day", "quiet") == 0.8
    assert ratio_goal("after_7_days", "busy") == 0.35 and ratio_goal("after_7_days", "normal") == 0.35
    assert ratio_goal("after_7_days", "quiet") == 0.5


def test_pooling_keeps_every_ticket_and_wait(quiet_stages):
    a = quiet_stages["stages"]["first_day"]["scored"]
    pooled = Scored.pool([a, a])
    assert len(pooled.scored()) == 2 * len(a.scored())
    flagged, long = a.care_soon_sets()
    p_flagged, p_long = pooled.care_soon_sets()
    assert len(p_flagged) == 2 * len(flagged) and len(p_long) == 2 * len(long)


def test_staged_run_prints_one_row_per_case_and_stage_and_writes_json(tmp_path, capsys):
    """A tiny staged run (one quiet case, one seed, one recorded log as a trace)."""
    log = tmp_path / "quiet-x.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in simulate_day("quiet", 5).events))
    out = tmp_path / "stages.json"
    assert estimate_bench.main(["--scenario", "quiet", "--seeds", "1", "--traces", str(log), "--jobs", "1",
                                "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["run"]["mode"] == "stages" and report["run"]["seeds"] == [1]
    stages = report["cases"]["quiet"]["stages"]
    assert list(stages) == ["first_day", "second_day", "after_7_days"]
    for name, row in stages.items():
        assert row["days"] == 1 and row["tickets_scored"] > 0
        assert row["best"] in ("les", "hol", "vendor_fixed")
        assert row["ratio"] == pytest.approx(row["rase"]["ours"] / row["rase"][row["best"]], abs=1e-3)
        assert row["ratio_met"] == (row["ratio"] <= row["ratio_goal"])
        assert 0 <= row["coverage_ranged"] <= 1
    assert [s["days_learnt"] for s in stages.values()] == [0, 1, 7]
    trace = report["traces"][str(log)]
    assert trace["kind"] == "quiet" and list(trace["stages"]) == ["first_day"]
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith(("quiet ", "quiet-x"))]
    assert len(rows) == 4
    assert all("MET" in line for line in rows)


def test_long_run_options_still_choose_the_long_run(tmp_path):
    """--history/--days keep their meaning: one hall, history then scored days (no stages)."""
    out = tmp_path / "e.json"
    assert estimate_bench.main(["--scenario", "quiet", "--days", "1", "--history", "0", "--jobs", "1",
                                "--out", str(out), "--plots", ""]) == 0
    report = json.loads(out.read_text())
    assert "cases" not in report and report["scenarios"]["quiet"]["history"] == 0


def test_unknown_staged_case_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        estimate_bench.main(["--scenario", "nonesuch"])
    assert exc.value.code == 2


def test_stage_option_runs_only_the_stages_named(tmp_path):
    out = tmp_path / "s.json"
    assert estimate_bench.main(["--scenario", "quiet", "--seeds", "1", "--stage", "first_day", "--traces",
                                "--jobs", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert list(report["cases"]["quiet"]["stages"]) == ["first_day"] and report["traces"] == {}
    assert report["run"]["stages"] == {"first_day": 0}


def test_the_shared_traces_join_a_run_of_every_case_with_a_first_day(tmp_path):
    (tmp_path / "b.jsonl").write_text("")
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "a.truth.json").write_text("{}")
    every = estimate_bench.STAGES
    assert estimate_bench.default_traces(None, every, tmp_path) == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]
    assert estimate_bench.default_traces(["quiet"], every, tmp_path) == []
    assert estimate_bench.default_traces(None, (("after_7_days", 7),), tmp_path) == []
    assert estimate_bench.default_traces(None, every, tmp_path / "missing") == []
