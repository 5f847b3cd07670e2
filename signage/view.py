"""display.state + time -> the view model of the lobby screen: strings per zone (pure)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from signage.calls import Banner
from signage.content import ScreenConfig
from signage.playlist import Slide, SlideAt
from signage.state import Call, DisplayState, NearbyHall


__all__ = [
    "HeaderView",
    "CallLine",
    "CallsView",
    "BannerView",
    "ServiceRow",
    "WaitingView",
    "PromoView",
    "TickerView",
    "View",
    "format_wait",
    "wait_level",
    "LONG_SHARE",
    "window_text",
    "hall_now",
    "ticker_items",
    "nearby_text",
    "build_view",
]

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclasses.dataclass(frozen=True, slots=True)
class HeaderView:
    """Hall name, date and time, and the offline badge."""

    name: str
    name_en: str
    date: str
    date_en: str
    time: str
    offline: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class CallLine:
    """One call as shown: ticket, window in both languages, recall mark."""

    ticket: str
    window: str
    window_zh: str
    window_en: str
    recall: bool


@dataclasses.dataclass(frozen=True, slots=True)
class CallsView:
    """The current call and the recent history, newest first."""

    current: CallLine | None
    history: tuple[CallLine, ...]
    placeholder: tuple[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class BannerView:
    """The takeover announcing calls: one to ``MAX_ROWS`` rows, in the order they were called.

    ``ticket`` and ``window`` are the newest row's; ``text`` addresses the one ticket, or
    everyone on the banner when it holds several.
    """

    rows: tuple[CallLine, ...]
    ticket: str
    window: str
    text: str
    text_en: str
    recall: bool
    pending: int
    key: tuple[tuple[str, str, str], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceRow:
    """Waiting figures of one service as text."""

    id: str
    prefix: str
    name: str
    name_en: str
    waiting: str
    wait: str
    wait_en: str
    unknown: bool
    level: str
    """"short", "long", "over" (see wait_level) or "none" (no window open): the colour."""


@dataclasses.dataclass(frozen=True, slots=True)
class WaitingView:
    """Per-service waiting rows and the totals line."""

    rows: tuple[ServiceRow, ...]
    total: str
    total_en: str


@dataclasses.dataclass(frozen=True, slots=True)
class PromoView:
    """The promotion slide on screen (or the fallback card when none is active)."""

    slide: Slide | None
    next: Slide | None
    fallback: tuple[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class TickerView:
    """The ticker page shown now."""

    text: str
    text_en: str
    busy: bool
    page: int
    pages: int


@dataclasses.dataclass(frozen=True, slots=True)
class View:
    """Everything the screen shows at one instant; zones compare equal when unchanged."""

    seq: int | None
    header: HeaderView
    calls: CallsView
    banner: BannerView | None
    waiting: WaitingView
    promo: PromoView
    ticker: TickerView


def window_text(window: str) -> tuple[str, str]:
    """Return ("3号窗口", "Window 3") for a window id."""
    if window.isdigit():
        return f"{window}号窗口", f"Window {window}"
    return f"{window} 窗口", f"Window {window}"


def _call_line(call: Call) -> CallLine:
    zh, en = window_text(call.window)
    return CallLine(call.ticket, call.window, zh, en, call.recall)


def format_wait(
    waiting: int,
    expected_s: float | None,
    range_s: tuple[float, float] | None,
    elapsed_s: float = 0.0,
) -> tuple[str, str] | None:
    """Return the expected wait as (Chinese, English) text, or None when no window serves it.

    The server sends no estimate exactly when no open window serves the service; that
    comes first, nobody waiting or not: a closed service is never "no wait".
    The range is counted down by ``elapsed_s`` (seconds since the state's
    ``at``); both ends are rounded to the nearest minute, so the text changes
    at half-minutes rather than flickering at the exact values the server sends.
    """
    if range_s is None:
        if expected_s is None:
            return None
        range_s = (expected_s, expected_s)
    if waiting <= 0:
        return "无需等待", "no wait"
    lo = max(0.0, range_s[0] - elapsed_s) / 60
    hi = max(0.0, range_s[1] - elapsed_s) / 60
    lo_m = math.floor(lo + 0.5)
    hi_m = max(lo_m, math.floor(hi + 0.5))
    if hi_m <= 1:
        return "即将叫号", "any moment"
    if lo_m >= 120:
        return "超过 2 小时", "over 2 hours"
    if lo_m == hi_m:
        return f"约 {lo_m} 分钟", f"about {lo_m} min"
    if lo_m <= 0:
        return f"{hi_m} 分钟内", f"within {hi_m} min"
    return f"约 {lo_m}–{hi_m} 分钟", f"about {lo_m}–{hi_m} min"


# A wait is "long" from two thirds of the care threshold (10 of 15 min): the customer is
# told before the wait reaches the point where staff must come and see them.
LONG_SHARE = 2 / 3


def wait_level(
    waiting: int,
    expected_s: float | None,
    range_s: tuple[float, float] | None,
    elapsed_s: float,
    care_first_min: float,
) -> str:
    """Return the colour level of a wait: "none" (no window open), "short", "long" or "over".

    The expected wait (the range's middle when only a range is sent), counted down as the
    text is, is "over" from the hall's care threshold ``care_first_min`` and "long" from
    ``LONG_SHARE`` of it.
    """
    if expected_s is None and range_s is None:
        return "none"
    if waiting <= 0:
        return "short"
    if expected_s is not None:
        mid = expected_s
    else:
        assert range_s is not None
        mid = (range_s[0] + range_s[1]) / 2
    left_min = max(0.0, mid - elapsed_s) / 60
    if left_min >= care_first_min:
        return "over"
    if left_min >= care_first_min * LONG_SHARE:
        return "long"
    return "short"


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def hall_now(state: DisplayState, elapsed_s: float, wall_now: datetime | None = None) -> datetime:
    """Return the hall's local time: the state's ``at`` advanced by local elapsed seconds.

    The hall clock may be replayed or accelerated, so the local wall clock is
    never trusted for hall time; between states it advances at real speed.
    Before the hall has a time (``at`` null), ``wall_now`` is used.
    """
    if state.at is None:
        t = wall_now if wall_now is not None else datetime.now().astimezone()
    else:
        t = state.at + timedelta(seconds=elapsed_s)
    tz = _zone(state.hall.timezone)
    return t.astimezone(tz) if tz is not None else t


def _dates(t: datetime) -> tuple[str, str]:
    wd = t.weekday()
    return (
        f"{t.year}年{t.month}月{t.day}日 星期{WEEKDAYS_ZH[wd]}",
        f"{WEEKDAYS_EN[wd]} {t.day} {MONTHS_EN[t.month - 1]} {t.year}",
    )


def ticker_items(screen: ScreenConfig, busy: bool, quiet_hours: tuple[str, str] | None = None,
                 nearby: tuple[NearbyHall, ...] | None = None) -> list[tuple[str, str]]:
    """Return the ticker pages: tips, or the busy-hall suggestions while busy; and the next quiet hours.

    While busy, ``nearby`` (live from head office) replaces the content's static nearby halls;
    None (no head office, or its answer too old) leaves them.
    """
    quiet = [(f"{quiet_hours[0]} 等候较少", f"Shorter waits {quiet_hours[1]}")] if quiet_hours else []
    if not busy:
        return ([(t.zh, t.en) for t in screen.tips] or [("欢迎光临", "Welcome")]) + quiet
    items = [("当前办理人数较多，请耐心等候，或使用以下方式快速办理", "We are very busy — these may be quicker for you:")]
    items += quiet
    items += [(t.zh, t.en) for t in screen.self_service]
    if nearby is not None:
        return items + [nearby_text(n) for n in nearby]
    for b in screen.nearby:
        zh = f"附近营业厅：{b.name}　{b.address}"
        en = f"Nearby: {b.name_en or b.name}, {b.address_en or b.address}"
        if b.distance:
            zh += f"（{b.distance}）"
            en += f" ({b.distance})"
        if b.phone:
            zh += f"　电话 {b.phone}"
            en += f", tel. {b.phone}"
        items.append((zh, en))
    return items


def nearby_text(n: NearbyHall) -> tuple[str, str]:
    """A live nearby hall's ticker page: name, distance, how many wait, the wait and as of when."""
    wait = format_wait(n.waiting, n.expected_wait_s, None) or ("", "")
    where_zh, where_en = (f"（{n.distance}）", f" ({n.distance})") if n.distance else ("", "")
    as_of = f"{n.as_of.hour:02d}:{n.as_of.minute:02d}"
    return (f"附近营业厅：{n.name}{where_zh}　{n.waiting} 人等候 · {wait[0]} · 截至 {as_of}",
            f"Nearby: {n.name_en}{where_en}: {n.waiting} waiting · {wait[1]} · as of {as_of}")


def build_view(
    state: DisplayState | None,
    *,
    elapsed_s: float,
    mono_now: float,
    wall_now: datetime,
    screen: ScreenConfig,
    banner: Banner | None = None,
    slide: SlideAt | None = None,
    offline_since: datetime | None = None,
) -> View:
    """Build the view model for one instant.

    Args:
        state: the last display.state received, or None before the first.
        elapsed_s: seconds (monotonic) since ``state`` was received.
        mono_now: monotonic time, paces the ticker pages.
        wall_now: local wall time, used only before any state arrived.
        screen: settings and texts from the content directory.
        banner: the call banner at this instant (calls.state_banner), if any.
        slide: the promotion playing now.
        offline_since: hall-local time at which the feed went down, None while online.
    """
    if state is not None:
        now = hall_now(state, elapsed_s, wall_now)
        name, name_en = state.hall.name, state.hall.name_en
    else:
        now, name, name_en = wall_now, "", ""
    date_zh, date_en = _dates(now)
    offline = None
    if offline_since is not None:
        # The feed notes the loss on the machine's clock; the badge reads in the header's zone.
        since = offline_since.astimezone(now.tzinfo) if now.tzinfo is not None else offline_since
        offline = f"离线 / offline since {since:%H:%M}"
    header = HeaderView(name, name_en, date_zh, date_en, f"{now:%H:%M}", offline)

    calls: Sequence[Call] = state.calls if state is not None else ()
    if state is None:
        placeholder = ("正在连接…", "Connecting…")
    elif state.open_windows <= 0:
        # Closed (or not yet open): the last call is not "now calling" any more.
        calls, placeholder = (), ("暂无窗口", "No window open")
    else:
        placeholder = ("暂无叫号", "No calls yet")
    calls_view = CallsView(
        current=_call_line(calls[0]) if calls else None,
        history=tuple(_call_line(c) for c in calls[1 : 1 + screen.history]),
        placeholder=placeholder,
    )

    banner_view = None
    if banner is not None:
        lines = tuple(_call_line(c) for c in banner.calls)
        last = lines[-1]
        if len(lines) == 1:
            say = f"请 {last.ticket} 号到 {last.window} 号窗口办理" if last.window.isdigit() else f"请 {last.ticket} 号到 {last.window} 窗口办理"
            say_en = f"Ticket {last.ticket}, please go to window {last.window}"
        else:
            say, say_en = "请以下号码到对应窗口办理", "Tickets below, please go to your window"
        banner_view = BannerView(
            rows=lines,
            ticket=last.ticket,
            window=last.window,
            text=say,
            text_en=say_en,
            recall=any(line.recall for line in lines),
            pending=banner.pending,
            key=banner.key,
        )

    rows = []
    if state is not None:
        for s in state.services:
            text = format_wait(s.waiting, s.expected_wait_s, s.expected_wait_range_s, elapsed_s)
            zh, en = text if text is not None else ("暂无窗口", "no window open")
            level = wait_level(s.waiting, s.expected_wait_s, s.expected_wait_range_s, elapsed_s, state.care_first_min)
            rows.append(ServiceRow(s.id, s.prefix, s.name, s.name_en, str(s.waiting), zh, en, text is None, level))
        total = f"共 {state.waiting_total} 人等候 · {state.open_windows} 个窗口服务中"
        total_en = f"{state.waiting_total} waiting · {state.open_windows} windows open"
    else:
        total, total_en = "", ""
    waiting = WaitingView(tuple(rows), total, total_en)

    promo = PromoView(
        slide.slide if slide is not None else None,
        slide.next if slide is not None else None,
        (name or "欢迎光临", name_en or "Welcome"),
    )

    busy = state.busy if state is not None else False
    items = ticker_items(screen, busy, state.quiet_hours if state is not None else None,
                         state.nearby if state is not None else None)
    page = int(mono_now // screen.ticker_page_seconds) % len(items)
    ticker = TickerView(items[page][0], items[page][1], busy, page, len(items))

    return View(
        seq=state.seq if state is not None else None,
        header=header,
        calls=calls_view,
        banner=banner_view,
        waiting=waiting,
        promo=promo,
        ticker=ticker,
    )
