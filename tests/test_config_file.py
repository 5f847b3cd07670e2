"""config_file.py: the hall config file read into settings, with errors that name the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config_file import DEFAULT_CONFIG_PATH, load_config, parse_config
from server.errors import ConfigError

from tests.halltools import staffing_config
from tests.web.test_restart import free_port


def test_lookahead_is_configured_in_minutes_and_zero_turns_it_off():
    """staffing.lookahead_min is 30 in the sample, may be 0, and a negative value is refused, naming it."""
    assert parse_config(staffing_config()).staffing.lookahead_min == 30
    assert parse_config(staffing_config(lookahead_min=0)).staffing.lookahead_min == 0
    with pytest.raises(ConfigError, match="staffing.lookahead_min"):
        parse_config(staffing_config(lookahead_min=-5))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_config_numbers_must_be_finite(value):
    """YAML's .nan and .inf parse as floats: they are refused, naming the setting."""
    with pytest.raises(ConfigError, match="staffing.lookahead_min.*finite"):
        parse_config(staffing_config(lookahead_min=value))
    with pytest.raises(ConfigError, match="staffing.target_share.*finite"):
        parse_config(staffing_config(target_share=value))


# --- hall.yaml that refuses mistakes: every error names the file, the line and what to do ---

SAMPLE = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``text`` that contains ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) >= nth, f"{needle!r} not in the config text"
    return found[nth - 1]


def sample_with(old: str, new: str, count: int = 1) -> str:
    assert SAMPLE.count(old) >= count, old
    return SAMPLE.replace(old, new, count)


def config_error(tmp_path: Path, text: str) -> tuple[str, str]:
    """(the error message, the config's path) for a hall.yaml with ``text``."""
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message, message
    return message, str(path)


def test_the_sample_hall_loads_cleanly():
    """content/hall.yaml passes every check below: services, windows, PINs as the file has them."""
    config = load_config(DEFAULT_CONFIG_PATH)
    assert [s.id for s in config.services] == ["quick", "standard", "complex"]
    assert [w.id for w in config.windows] == [str(n) for n in range(1, 9)]
    assert dict(config.staff_pins) == {"2468": "王芳 Wang Fang", "1357": "李明 Li Ming"}


@pytest.mark.parametrize(("old", "new", "bad", "good", "where"), [
    ("\nservices:\n", "\nservces:\n", "servces", "services", "at the top level"),
    ("  timezone: Asia", "  timezon: Asia", "timezon", "timezone", "in hall"),
    ("    mean_service_s: 480", "    mean_servce_s: 480", "mean_servce_s", "mean_service_s", "in services[1]"),
    ("    services: [complex, standard]", "    servics: [complex, standard]", "servics", "services",
     "in windows[7]"),
    ("  care_first_min: 15", "  care_frist_min: 15", "care_frist_min", "care_first_min", "in alerts"),
    ("  target_share: 0.05", "  target_shares: 0.05", "target_shares", "target_share", "in staffing"),
    ("{from: \"11:30\"", "{form: \"11:30\"", "form", "from", "in staffing.minimums[0]"),
    ("  display: null", "  dispaly: null", "dispaly", "display", "in tokens"),
    ("  pins:", "  pin:", "pin", "pins", "in staff"),
    ("data_dir: ../var", "datadir: ../var", "datadir", "data_dir", "at the top level"),
])
def test_an_unknown_key_at_any_level_names_its_line_and_the_nearest_valid_key(tmp_path, old, new, bad, good, where):
    """A typo is never ignored: `servces:` would start a hall with no services, `care_frist_min` keep 15."""
    text = sample_with(old, new)
    message, path = config_error(tmp_path, text)
    assert message == f"{path}:{line_of(text, bad + ':')}: unknown key {bad!r} " \
                      f"{where} — did you mean {good!r}?"


def test_an_unknown_key_far_from_any_valid_one_lists_the_valid_keys(tmp_path):
    text = sample_with("alerts:\n", "alerts:\n  colour: red\n")
    message, path = config_error(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'colour')}: unknown key 'colour' in alerts — ")
    assert "care_first_min, care_second_min" in message


def test_a_key_given_twice_in_one_mapping_is_an_error_naming_both_lines(tmp_path):
    """PyYAML silently keeps the last of two equal keys: here that would drop the first services list."""
    text = SAMPLE + "\nservices:\n  - {id: other, prefix: Z}\n"
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, "services:"), line_of(text, "services:", 3)
    assert text.splitlines()[second - 1] == "services:"
    assert message == (f"{path}:{second}: key 'services' is given twice at the top level (first at line {first})"
                       " — keep one")


def test_duplicate_window_ids_name_both_lines(tmp_path):
    """Two windows with id 7 used to leave one window 7: the hall had 7 windows instead of 8."""
    text = sample_with('  - id: "8"\n', '  - id: "7"\n')
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, '- id: "7"'), line_of(text, '- id: "7"', 2)
    assert message == (f"{path}:{second}: windows[7].id: window '7' is listed twice (first at line {first})"
                       " — give each window its own id")


def test_duplicate_service_ids_name_both_lines(tmp_path):
    text = sample_with("  - id: complex\n    prefix: C", "  - id: quick\n    prefix: C")
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, "- id: quick"), line_of(text, "- id: quick", 2)
    assert message == (f"{path}:{second}: services[2].id: service 'quick' is listed twice (first at line {first})"
                       " — give each service its own id")


def test_duplicate_ticket_prefixes_name_both_lines(tmp_path):
    """Two services on prefix A: a ticket A012 could be either, so which queue it joins is a guess."""
    text = sample_with("    prefix: B\n", "    prefix: A\n")
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, "prefix: A"), line_of(text, "prefix: A", 2)
    assert message == (f"{path}:{second}: services[1].prefix: prefix 'A' is already service 'quick''s "
                       f"(line {first}) — give each service its own ticket prefix")


def test_duplicate_pins_name_both_lines(tmp_path):
    """The same PIN twice signed in as whoever YAML kept last."""
    text = sample_with('    "1357": 李明', '    "2468": 李明')
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, '"2468"'), line_of(text, '"2468"', 2)
    assert message == (f"{path}:{second}: staff.pins: PIN '2468' is given twice (first at line {first})"
                       " — give each person their own PIN")


def test_two_pins_for_one_name_name_both_lines(tmp_path):
    """Acknowledgements show the name: two people under one name cannot be told apart."""
    text = sample_with("李明 Li Ming", "王芳 Wang Fang")
    message, path = config_error(tmp_path, text)
    first, second = line_of(text, "王芳 Wang Fang"), line_of(text, "王芳 Wang Fang", 2)
    assert message == (f"{path}:{second}: staff.pins: '王芳 Wang Fang' already has a PIN (line {first})"
                       " — give each person one PIN and their own name")


@pytest.mark.parametrize(("written", "read_as"), [("0135", "the number 93"), ("2469", "a number"),
                                                 ("0x1F", "the number 31"), ("12:30", "the number 750"),
                                                 ("yes", "true"), ("2026-11-30", "a date")])
def test_a_pin_that_is_not_a_yaml_string_asks_for_quotes_in_its_own_words(tmp_path, written, read_as):
    """YAML 1.1 reads an unquoted 0135 as the octal number 93: the message quotes what was written."""
    text = sample_with('    "1357": 李明', f"    {written}: 李明")
    message, path = config_error(tmp_path, text)
    note = f" (YAML reads it as {read_as})"
    assert message == (f"{path}:{line_of(text, written + ':')}: staff.pins: PIN {written}{note}"
                       f" — write PINs in quotes: '{written}'")


def test_a_window_serving_an_undefined_service_suggests_the_nearest_id(tmp_path):
    text = sample_with("services: [complex, standard]", "services: [complex, standrad]")
    message, path = config_error(tmp_path, text)
    assert message == (f"{path}:{line_of(text, 'standrad')}: windows[7].services: no service 'standrad'"
                       " — did you mean 'standard'? (services: quick, standard, complex)")


def test_a_window_serving_a_service_far_from_any_id_lists_them(tmp_path):
    text = sample_with("services: [complex, standard]", "services: [complex, mortgages]")
    message, path = config_error(tmp_path, text)
    assert message == (f"{path}:{line_of(text, 'mortgages')}: windows[7].services: no service 'mortgages'"
                       " — define it under services, or use one of: quick, standard, complex")


def test_a_wrong_value_names_the_line_of_its_key(tmp_path):
    """The checks that existed before (here: a negative number) now say where too."""
    text = sample_with("    mean_service_s: 480", "    mean_service_s: -480")
    message, path = config_error(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, '-480')}: services[1].mean_service_s: must be positive")


def test_unquoted_ids_and_times_keep_the_text_as_written(tmp_path):
    """YAML 1.1 reads `id: 010` as 8 and `11:30` as 690: ids and times are taken as written instead."""
    text = sample_with('  - id: "8"\n', "  - id: 010\n").replace('{from: "11:30", to: "13:30"',
                                                                  "{from: 11:30, to: 13:30")
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.windows[-1].id == "010"
    assert (config.staffing.minimums[0].from_s, config.staffing.minimums[0].to_s) == (11.5 * 3600, 13.5 * 3600)


def test_not_yaml_is_one_line_with_the_line_number(tmp_path):
    text = sample_with("  care_first_min: 15", "  care_first_min: [15")
    message, path = config_error(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, '[15') + 1}: not valid YAML: ")
    assert f"started at line {line_of(text, '[15')}" in message


def test_an_empty_config_is_refused(tmp_path):
    message, path = config_error(tmp_path, "# nothing yet\n")
    assert message == f"{path}: the config is empty — start from content/hall.yaml"


def test_a_relative_data_dir_is_relative_to_the_config_files_folder(tmp_path):
    """Started from another folder, the hall must still find its journal and tokens."""
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "hall.yaml").write_text(sample_with("data_dir: ../var", "data_dir: data"), encoding="utf-8")
    assert load_config(folder / "hall.yaml").data_dir == str(folder / "data")
    (folder / "abs.yaml").write_text(sample_with("data_dir: ../var", f"data_dir: {tmp_path / 'x'}"),
                                     encoding="utf-8")
    assert load_config(folder / "abs.yaml").data_dir == str(tmp_path / "x")
    assert load_config(DEFAULT_CONFIG_PATH).data_dir == str(DEFAULT_CONFIG_PATH.parents[1] / "var")


# --- the commands: a broken config is one line and exit 2; the data dir is printed absolute ---

REPO = DEFAULT_CONFIG_PATH.parents[1]


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["demo", "--headless", "--port", "PORT"],
                                     ["simulate", "--scenario", "quiet", "--out", "-"]],
                         ids=["serve", "demo", "simulate"])
def test_a_broken_config_stops_each_command_with_one_line_and_exit_2(tmp_path, command):
    """`waitwell serve --config bad.yaml` used to start a hall with no services; now it says why and stops."""
    text = sample_with("\nservices:\n", "\nservces:\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    argv = [str(free_port()) if arg == "PORT" else arg for arg in command]
    proc = subprocess.run([sys.executable, "-m", "server", *argv, "--config", str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.endswith(f"{bad}:{line_of(text, 'servces')}: unknown key 'servces' at the top level"
                                " — did you mean 'services'?\n")


def test_serve_prints_and_uses_the_absolute_data_dir_next_to_its_config(tmp_path):
    """Started from another folder, the server keeps its journal and tokens beside the config, and says where."""
    folder, elsewhere = tmp_path / "hall", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "hall.yaml").write_text(sample_with("data_dir: ../var", "data_dir: data"), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--config", "../hall/hall.yaml", "--port", "0"],
                            cwd=elsewhere, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert first.endswith(f"data in {folder / 'data'}\n"), (first, err)
    assert second.strip() == f"hall config:   {folder / 'hall.yaml'}"
    assert (folder / "data" / "tokens.json").exists() and not (elsewhere / "data").exists()


@pytest.mark.parametrize("path", [DEFAULT_CONFIG_PATH, DEFAULT_CONFIG_PATH.parent / "demo-hall.yaml"],
                         ids=["hall.yaml", "demo-hall.yaml"])
def test_the_hall_shaping_settings_go_through_json_and_back_unchanged(path):
    """The journal keeps the settings a day runs on as JSON; the replay must get the same hall."""
    import json
    from dataclasses import replace

    from server.config import changed_settings, hall_settings, with_hall_settings

    config = load_config(path)
    settings = json.loads(json.dumps(hall_settings(config)))
    assert with_hall_settings(config, settings) == config
    other = replace(config, windows=config.windows[:3], alerts=replace(config.alerts, care_second_min=40.0))
    assert changed_settings(settings, hall_settings(other)) == ["windows", "alerts.care_second_min"]
    # Names, tokens and PINs do not shape the hall: the day's settings leave them as hall.yaml has them.
    renamed = replace(config, name="新名字", staff_pins={})
    assert with_hall_settings(renamed, settings) == renamed


def test_an_alias_that_contains_itself_is_one_line(tmp_path):
    """YAML lets an anchor hold an alias of itself; walking it used to raise RecursionError."""
    text = SAMPLE + "\nloop: &loop [*loop]\n"
    message, path = config_error(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'loop:')}: unknown key 'loop' at the top level"), message


def test_aliases_of_aliases_are_read_once(tmp_path):
    """Ten aliases of ten aliases, seven deep, stand for 10**7 leaves: each node is checked once."""
    lines = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 8)]
    text = SAMPLE + "\n" + "\n".join(lines) + "\n"
    message, path = config_error(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'l0:')}: unknown key 'l0' at the top level"), message


def test_head_office_and_retention_are_read_from_the_config_with_errors_naming_the_key(tmp_path):
    """`hq:` in hall.yaml stands for `serve --hq/--hall-id/--hq-token`, `keep_days` for `--keep-days`."""
    text = sample_with("data_dir: ../var", "data_dir: ../var\nkeep_days: 30\n"
                       "hq:\n  url: https://hq.example\n  hall_id: sh-001\n  token: t0k")
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert (config.hq_url, config.hq_hall_id, config.hq_token, config.keep_days) == \
        ("https://hq.example", "sh-001", "t0k", 30.0)
    assert load_config(DEFAULT_CONFIG_PATH).hq_url is None and load_config(DEFAULT_CONFIG_PATH).keep_days == 90.0
    message, where = config_error(tmp_path, text.replace("https://hq.example", "hq.example"))
    assert message == f"{where}:{line_of(text, 'url:')}: hq.url: 'hq.example' is not an http:// or https:// " \
                      "address of head office"
    message, where = config_error(tmp_path, text.replace("keep_days: 30", "keep_days: 0"))
    assert message == f"{where}:{line_of(text, 'keep_days')}: keep_days: must be a positive number of days"
    message, _ = config_error(tmp_path, text.replace("  hall_id:", "  hallid:"))
    assert "unknown key 'hallid' in hq — did you mean 'hall_id'?" in message


def test_serve_forwards_to_the_head_office_its_config_names(tmp_path):
    """With `hq:` in hall.yaml and no flag, serve forwards as that hall (hall.id when hq.hall_id is not
    given), and /api/state shows the link: here offline, as nothing listens at the address."""
    import json
    import threading
    import time
    import urllib.request

    port, dead = free_port(), free_port()
    text = sample_with("data_dir: ../var", f"data_dir: data\nhq:\n  url: http://127.0.0.1:{dead}\n  token: t0k")
    (tmp_path / "hall.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--config", "hall.yaml", "--port", str(port),
                             "--staff-token", "s"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        lines = []
        while not any(line.startswith("  manager:") for line in lines):  # printed just before head office
            lines.append(proc.stdout.readline())
            assert lines[-1], (lines, proc.stderr.read() if proc.poll() is not None else "")
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=20)  # without head office nothing more is printed: fail, do not hang
        hall_id = load_config(tmp_path / "hall.yaml").id
        assert lines[-1].strip() == f"head office:   http://127.0.0.1:{dead} as hall {hall_id}", lines
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/state",
                                         headers={"Authorization": "Bearer s"})
        state = None
        for _ in range(100):
            try:
                state = json.load(urllib.request.urlopen(request, timeout=5))
            except OSError:
                pass
            if state is not None and state["hq"]["link"] == "offline":
                break
            time.sleep(0.1)
        assert state is not None and state["hq"]["link"] == "offline" and state["hq"]["acknowledged_seq"] == 0, state
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
