"""signage/content.py: the screen's settings and texts read from decoded screen.yaml."""

from __future__ import annotations

import pytest

from signage.content import NearbyBranch, QrCode, ScreenConfig, Tip, parse_screen
from signage.errors import ContentError


def test_an_empty_file_means_the_defaults():
    """None (an empty or absent file) and {} give ScreenConfig's defaults."""
    assert parse_screen(None) == parse_screen({}) == ScreenConfig()
    assert (ScreenConfig().banner_seconds, ScreenConfig().history, ScreenConfig().chime) == (8.0, 6, True)


def test_screen_yaml_read_into_the_model():
    """Settings, QR codes, bare and bilingual tips, busy-hall suggestions and nearby halls."""
    screen = parse_screen({
        "banner_seconds": 5, "chime": False, "history": 3, "ticker_page_seconds": 4.5,
        "qr": [{"url": "https://x.example/a", "caption": "下载", "caption_en": "App"}],
        "tips": ["欢迎", {"zh": "请保管好号票", "en": "Keep your ticket"}],
        "busy": {"self_service": [{"zh": "自助"}], "nearby": [{"name": "建设路", "distance": "1 km", "phone": 12345}]},
    })
    assert screen == ScreenConfig(
        banner_seconds=5.0, chime=False, history=3, ticker_page_seconds=4.5,
        qr=(QrCode(url="https://x.example/a", caption="下载", caption_en="App"),),
        tips=(Tip(zh="欢迎"), Tip(zh="请保管好号票", en="Keep your ticket")),
        self_service=(Tip(zh="自助"),),
        nearby=(NearbyBranch(name="建设路", distance="1 km", phone="12345"),),
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"banner_seconds": "soon"}, "banner_seconds"),
        ({"chime": "yes"}, "chime"),
        ({"history": -1}, "history"),
        ({"qr": [{"url": "example.com", "caption": "c"}]}, "qr[0].url"),
        ({"tips": ["a", {"en": "only English"}]}, "tips[1].zh"),
        ({"busy": {"self_service": [3]}}, "busy.self_service[0]"),
        ({"busy": ["x"]}, "busy"),
        (["banner_seconds"], "(top level)"),
    ],
)
def test_errors_name_the_file_given_and_the_field(data, field):
    """The error names the file the caller read (relative to the content directory) and the field."""
    with pytest.raises(ContentError) as info:
        parse_screen(data, "signage/screen.yaml")
    assert info.value.file == "signage/screen.yaml" and info.value.field == field
    assert str(info.value).startswith(f"signage/screen.yaml: {field}: ")


def test_the_topmost_error_is_reported_first():
    """With several errors, the one highest in the sample file's order is reported."""
    with pytest.raises(ContentError) as info:
        parse_screen({"qr": "x", "banner_seconds": "soon"})
    assert info.value.field == "banner_seconds"
