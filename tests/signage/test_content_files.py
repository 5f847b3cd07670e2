"""signage/content_files.py: the content directory read from disk, errors naming file and field, reload by mtime."""

from __future__ import annotations

import pytest
from lobby_helpers import CONTENT

from signage.content_files import ContentWatcher, load_content
from signage.errors import ContentError


def test_sample_content_loads():
    """The shipped content directory is valid."""
    c = load_content(CONTENT)
    assert len(c.playlist.slides) >= 4 and c.screen.qr and c.screen.nearby


@pytest.mark.parametrize(
    ("file", "text", "field"),
    [
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    duration_s: fast\n", "slides[0].duration_s"),
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    schedule: {hours: ['25:00-26:00']}\n", "slides[0].schedule.hours[0]"),
        ("playlist.yaml", "slides:\n  - id: x\n    title: t\n    schedule: {weekdays: [funday]}\n", "slides[0].schedule.weekdays[0]"),
        ("playlist.yaml", "slides:\n  - id: x\n", "slides[0]"),
        ("screen.yaml", "qr:\n  - url: not a url\n    caption: c\n", "qr[0].url"),
        ("screen.yaml", "banner_seconds: 0\n", "banner_seconds"),
        ("screen.yaml", "busy:\n  nearby:\n    - address: x\n", "busy.nearby[0].name"),
        ("screen.yaml", "qr: [\n", "line 2"),
        ("screen.yaml", "banner_seconds: .nan\n", "banner_seconds"),
        ("screen.yaml", "history: .inf\n", "history"),
        ("playlist.yaml", "slides:\n  - {title: t, duration_s: .inf}\n", "slides[0].duration_s"),
        ("playlist.yaml", "slides:\n  - {title: t, schedule: {from: 2027-02-05 10:00:00}}\n", "slides[0].schedule.from"),
    ],
)
def test_content_errors_name_file_and_field(tmp_path, file, text, field):
    """Invalid content raises ContentError whose message names the file and the field."""
    (tmp_path / "signage").mkdir()
    (tmp_path / "signage" / file).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    assert info.value.file.endswith(f"signage/{file}") and info.value.field == field
    assert file in str(info.value) and field in str(info.value)


def test_content_watcher_reloads_on_change_and_keeps_last_good(tmp_path):
    """An edit is picked up on poll; a broken edit keeps the previous content."""
    (tmp_path / "signage").mkdir()
    f = tmp_path / "signage" / "screen.yaml"
    f.write_text("banner_seconds: 6\n", encoding="utf-8")
    w = ContentWatcher(tmp_path)
    assert w.content.screen.banner_seconds == 6 and not w.poll()
    f.write_text("banner_seconds: 9\n", encoding="utf-8")
    import os

    os.utime(f, ns=(1, 10**18))
    assert w.poll() and w.content.screen.banner_seconds == 9
    f.write_text("banner_seconds: [\n", encoding="utf-8")
    os.utime(f, ns=(1, 2 * 10**18))
    assert not w.poll() and w.content.screen.banner_seconds == 9 and w.last_error is not None


def test_content_watcher_keeps_last_good_on_a_file_that_is_not_utf8(tmp_path):
    """A screen.yaml saved in another encoding is a ContentError naming the file; the screen keeps its content."""
    (tmp_path / "signage").mkdir()
    f = tmp_path / "signage" / "screen.yaml"
    f.write_text("banner_seconds: 6\n", encoding="utf-8")
    w = ContentWatcher(tmp_path)
    f.write_bytes("tips: [欢迎]\n".encode("gb2312"))
    import os

    os.utime(f, ns=(1, 10**18))
    assert not w.poll() and w.content.screen.banner_seconds == 6
    assert w.last_error is not None and w.last_error.file.endswith("signage/screen.yaml")
    assert "cannot read" in str(w.last_error)
