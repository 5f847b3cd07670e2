"""deploy/systemd: every unit passes `systemd-analyze verify` with nothing to say, and keeps the
promises of docs/deploy.md (restarts forever, watchdog, journal, enabled at boot)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import REPO


UNITS = REPO / "deploy" / "systemd"
PREFIX = "/opt/waitwell"
"""Where docs/deploy.md installs WaitWell; the test points it at this checkout (its .venv)."""

INSTANCES = {"waitwell-display@.service": "lobby", "waitwell-display-x11@.service": "lobby",
             "waitwell-adapt@.service": "generic"}


def unit_files() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


def settings(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` -> every value it is given (systemd allows a key more than once)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return out


def test_the_units_are_there() -> None:
    names = {p.name for p in unit_files()}
    assert {"waitwell.service", "waitwell-display@.service", "waitwell-display-x11@.service",
            "waitwell-xorg.service", "waitwell-adapt@.service"} <= names
    assert set(INSTANCES) <= names


@pytest.mark.parametrize("unit", unit_files(), ids=lambda p: p.name)
def test_systemd_analyze_verify_is_silent(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is absent: `bash .ci/run` installs systemd (apt-get install systemd)")
    venv_bin = REPO / ".venv" / "bin" / "waitwell"
    assert venv_bin.exists(), "the units start .venv/bin/waitwell: make the venv first (bash .ci/run)"
    # Each unit as installed, but pointing at this checkout: verify checks that every command exists.
    for source in unit_files():
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8").replace(PREFIX, str(REPO)),
                                            encoding="utf-8")
    name = unit.name.replace("@.", f"@{INSTANCES[unit.name]}.") if unit.name in INSTANCES else unit.name
    result = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / name)],
                            capture_output=True, text=True, timeout=120)
    # verify exits 0 for an unknown key or a bad value, and only says so: any output is a failure.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), \
        f"{result.returncode}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("unit", unit_files(), ids=lambda p: p.name)
def test_each_unit_restarts_forever_logs_to_the_journal_and_starts_at_boot(unit: Path) -> None:
    s = settings(unit)
    assert s["Service.Restart"] == ["always"]
    assert s["Unit.StartLimitIntervalSec"] == ["0"]  # never "start request repeated too quickly"
    assert s["Install.WantedBy"]
    for stream in ("Service.StandardOutput", "Service.StandardError"):
        assert s.get(stream, ["journal"]) == ["journal"]


@pytest.mark.parametrize("unit", [p for p in unit_files() if "xorg" not in p.name and "adapt" not in p.name],
                         ids=lambda p: p.name)
def test_server_and_screens_have_a_watchdog_and_a_dedicated_user(unit: Path) -> None:
    s = settings(unit)
    assert s["Service.Type"] == ["notify"] and s["Service.NotifyAccess"] == ["main"]
    assert int(s["Service.WatchdogSec"][0]) > 0
    assert s["Service.User"][0] in ("waitwell", "waitwell-screen")
    assert "network-online.target" in " ".join(s["Unit.After"]) and "network-online.target" in " ".join(s["Unit.Wants"])


def test_the_kms_screen_draws_through_kms_and_the_x_screen_through_x() -> None:
    kms = settings(UNITS / "waitwell-display@.service")
    x11 = settings(UNITS / "waitwell-display-x11@.service")
    assert "SDL_VIDEODRIVER=kmsdrm" in kms["Service.Environment"]
    assert "SDL_VIDEODRIVER=x11" in x11["Service.Environment"] and "DISPLAY=:0" in x11["Service.Environment"]
    assert any("setterm" in c and "--blank 0" in c for c in kms["Service.ExecStartPre"])
    assert any("xset s off s noblank -dpms" in c for c in x11["Service.ExecStartPre"])
    xorg = settings(UNITS / "waitwell-xorg.service")["Service.ExecStart"][0]
    assert " -s 0 " in xorg and xorg.endswith("-dpms")


def test_sysusers_makes_every_user_the_units_run_as(tmp_path: Path) -> None:
    """systemd-sysusers itself, into an empty root: the users, and the screen user in video and audio."""
    sysusers = shutil.which("systemd-sysusers")
    if sysusers is None:
        pytest.skip("systemd-sysusers is absent: `bash .ci/run` installs systemd")
    (tmp_path / "etc").mkdir()
    subprocess.run([sysusers, f"--root={tmp_path}", str(REPO / "deploy" / "sysusers.d" / "waitwell.conf")],
                   check=True, capture_output=True, timeout=60)
    users = {line.split(":")[0] for line in (tmp_path / "etc" / "passwd").read_text().splitlines()}
    members = {line.split(":")[0]: line.split(":")[3].split(",")
               for line in (tmp_path / "etc" / "group").read_text().splitlines()}
    used = {settings(p)["Service.User"][0] for p in unit_files() if "Service.User" in settings(p)}
    assert used and used <= users
    for group in ("video", "render", "audio", "input"):
        assert "waitwell-screen" in members[group]
