"""`waitwell simulate` / `python -m server.simulator`: JSONL and truth files, options, errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.config_file import load_config
from server.simulator import simulate_day, summarize
from server.simulator.cli import add_arguments, load_hall, run
from tests.simulator.sim_checks import check_consistent, check_well_formed

ROOT = Path(__file__).resolve().parents[2]


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.simulator", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, encoding="utf-8")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_cli_writes_jsonl_and_truth_equal_to_the_library(tmp_path):
    """--out and --truth in a subprocess hold exactly the events and truth of simulate_day."""
    out, truth = tmp_path / "day.jsonl", tmp_path / "day.truth.json"
    proc = simulate("--scenario", "month_end", "--seed", "9", "--out", str(out),
                    "--truth", str(truth))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    day = simulate_day("month_end", 9)
    assert read_jsonl(out) == day.events
    t = json.loads(truth.read_text(encoding="utf-8"))
    assert t["scenario"] == "month_end" and t["seed"] == 9 and t["day"] == "2026-11-30"
    assert t["t0"] == "2026-11-30T09:00:00+08:00"
    assert t["tickets"] == json.loads(json.dumps(day.tickets))


def test_cli_is_byte_identical_across_runs(tmp_path):
    """Two CLI runs with the same seed write byte-identical files."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for p in (a, b):
        assert simulate("--scenario", "quiet", "--seed", "3", "--out", str(p)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_cli_writes_to_stdout_by_default_with_date_and_windows():
    """Without --out the events go to stdout; --date and --windows shape the day."""
    proc = simulate("--scenario", "normal", "--seed", "1", "--date", "2027-01-13",
                    "--windows", "12", "--stats")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    check_well_formed(events)
    assert events[1]["at"].startswith("2027-01-13T08:55")
    windows = {e["window"] for e in events if e["type"] == "window.opened"}
    assert "12" in windows and "13" not in windows
    stats = json.loads(proc.stderr.splitlines()[0])
    assert stats["tickets"] == sum(e["type"] == "ticket.issued" for e in events)


def test_cli_several_days_in_one_stream(tmp_path):
    """--days 3 --scenario calendar writes three consecutive days, each after a hall.reset."""
    out, truth = tmp_path / "days.jsonl", tmp_path / "days.truth.json"
    proc = simulate("--scenario", "calendar", "--days", "3", "--date", "2026-11-29",
                    "--seed", "4", "--out", str(out), "--truth", str(truth))
    assert proc.returncode == 0, proc.stderr
    events = read_jsonl(out)
    check_well_formed(events)
    check_consistent(events)
    resets = [e["at"][:10] for e in events if e["type"] == "hall.reset"]
    assert resets == ["2026-11-29", "2026-11-30", "2026-12-01"]
    days = json.loads(truth.read_text(encoding="utf-8"))["days"]
    assert [d["scenario"] for d in days] == ["month_end", "month_end", "month_end"]


def test_cli_rejects_bad_arguments():
    """A malformed date or an unknown scenario is a usage error (exit 2), not a traceback."""
    for args in (["--date", "30/11/2026"], ["--scenario", "holiday"],
                 ["--speed", "2", "--as-fast-as-acks"], ["--speed", "0"]):
        proc = simulate(*args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr


def test_hall_config_drives_services_and_windows(tmp_path):
    """--config takes services, prefixes, restricted windows and timezone from a hall YAML."""
    cfg = tmp_path / "hall.yaml"
    cfg.write_text(
        "hall: {id: test-hall, timezone: Europe/Berlin}\n"
        "services:\n"
        "  - {id: pay, prefix: P, mean_service_s: 120}\n"
        "  - {id: open, prefix: O, mean_service_s: 600}\n"
        "windows:\n"
        "  - {id: W1, services: [open]}\n  - {id: W2}\n  - {id: W3}\n", encoding="utf-8")
    hall = load_hall(str(cfg))
    assert [w.id for w in hall.windows] == ["W1", "W2", "W3"] and hall.timezone == "Europe/Berlin"
    out = tmp_path / "o.jsonl"
    proc = simulate("--config", str(cfg), "--scenario", "quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    events = read_jsonl(out)
    check_well_formed(events)
    check_consistent(events, {"pay": "P", "open": "O"})
    assert {e["service"] for e in events if e["type"] == "ticket.issued"} == {"pay", "open"}
    assert events[0]["at"].endswith("+01:00")
    assert any(e.get("services") == ["open"] for e in events if e["type"] == "window.opened")


def test_add_arguments_and_run_in_process(tmp_path, capsys):
    """The wiring API: add_arguments fills a parser whose namespace run() executes (exit 0)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "x.jsonl"
    args = parser.parse_args(["--scenario", "quiet", "--seed", "2", "--out", str(out), "--stats"])
    assert run(args) == 0
    assert read_jsonl(out) == simulate_day("quiet", 2).events
    err = capsys.readouterr().err
    assert json.loads(err.splitlines()[0]) == summarize(simulate_day("quiet", 2))


@pytest.mark.parametrize(("name", "scenario"), [("hall.yaml", "normal"), ("demo-hall.yaml", "month_end")])
def test_the_simulated_hall_is_exactly_the_configured_hall(tmp_path, name, scenario):
    """What `waitwell demo` pushes: the config's windows (with their services), services and prefixes, no others."""
    path = ROOT / "content" / name
    config = load_config(path)
    hall = load_hall(str(path))
    assert [(w.id, w.services) for w in hall.windows] == [(w.id, w.services) for w in config.windows]
    assert [(s.id, s.prefix, s.mean_s) for s in hall.services] == \
        [(s.id, s.prefix, s.mean_service_s) for s in config.services]
    assert (hall.id, hall.timezone) == (config.id, config.timezone)
    out = tmp_path / "day.jsonl"
    proc = simulate("--config", str(path), "--scenario", scenario, "--seed", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    events = read_jsonl(out)
    opened = {e["window"]: e.get("services") for e in events if e["type"] == "window.opened"}
    assert set(opened) == {w.id for w in config.windows}
    assert {w: s for w, s in opened.items() if s} == {w.id: list(w.services) for w in config.windows if w.services}
    prefixes = {s.id: s.prefix for s in config.services}
    issued = [e for e in events if e["type"] == "ticket.issued"]
    assert {e["service"] for e in issued} == set(prefixes)
    assert all(e["ticket"].startswith(prefixes[e["service"]]) for e in issued)


def test_a_broken_config_is_one_line_naming_the_line(tmp_path):
    """The simulator reads hall.yaml with the server's checks: a duplicate window id is refused, not dropped."""
    cfg = tmp_path / "hall.yaml"
    cfg.write_text("services:\n  - {id: pay, prefix: P}\nwindows:\n  - {id: W1}\n  - {id: W1}\n", encoding="utf-8")
    proc = simulate("--config", str(cfg), "--scenario", "quiet")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"simulate: {cfg}:5: windows[1].id: window 'W1' is listed twice (first at line 4)"
                           " — give each window its own id\n")
