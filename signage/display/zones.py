"""Screen layout (landscape and portrait, any size) and the drawing of each zone."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pygame

from signage.content import QrCode
from signage.display.assets import ImageCache, qr_surface
from signage.display.text import Color, TextRenderer
from signage.view import BannerView, CallsView, HeaderView, PromoView, TickerView, WaitingView


__all__ = ["Theme", "THEME", "Layout", "layout", "Painter", "ZONES"]

ZONES = ("header", "calls", "waiting", "promo", "qr", "ticker")


@dataclasses.dataclass(frozen=True, slots=True)
class Theme:
    """Colours of the calm dark theme; high contrast for reading from 5–10 m."""

    bg: Color = (10, 21, 37)
    panel: Color = (19, 35, 58)
    line: Color = (40, 60, 90)
    text: Color = (242, 245, 250)
    muted: Color = (150, 170, 196)
    accent: Color = (255, 186, 30)
    accent_dark: Color = (34, 24, 4)
    good: Color = (88, 208, 150)
    warn: Color = (255, 128, 84)
    over: Color = (255, 96, 96)
    offline: Color = (214, 52, 52)
    busy: Color = (255, 186, 30)


THEME = Theme()


@dataclasses.dataclass(frozen=True, slots=True)
class Layout:
    """Rectangles of every zone, and the body that a banner covers."""

    size: tuple[int, int]
    portrait: bool
    unit: float
    header: pygame.Rect
    calls: pygame.Rect
    waiting: pygame.Rect
    promo: pygame.Rect
    qr: pygame.Rect
    ticker: pygame.Rect
    body: pygame.Rect

    def rect(self, zone: str) -> pygame.Rect:
        """Return the rectangle of a zone by name (one of ZONES, or "body")."""
        rect = getattr(self, zone, None)
        if not isinstance(rect, pygame.Rect):
            raise KeyError(f"no zone {zone!r} (zones: {', '.join(ZONES)}, body)")
        return rect


def layout(w: int, h: int) -> Layout:
    """Return the zones for a screen of w x h; portrait when taller than wide."""
    portrait = h > w
    m = round(min(w, h) * 0.018)
    unit = min(w, h) / 1080  # 1.0 on a full-HD screen in either orientation
    R = pygame.Rect
    if not portrait:
        hh, th = round(h * 0.11), round(h * 0.075)
        header = R(0, 0, w, hh)
        ticker = R(0, h - th, w, th)
        top, bottom = hh + m, h - th - m
        split = round(w * 0.40)
        calls = R(m, top, split - m - m // 2, bottom - top)
        rx = split + m // 2
        rw = w - rx - m
        wh = round((bottom - top) * 0.44)
        waiting = R(rx, top, rw, wh)
        py = top + wh + m
        qw = round(rw * 0.36)
        promo = R(rx, py, rw - qw - m, bottom - py)
        qr = R(promo.right + m, py, qw, bottom - py)
    else:
        hh, th = round(h * 0.075), round(h * 0.05)
        header = R(0, 0, w, hh)
        ticker = R(0, h - th, w, th)
        top, bottom = hh + m, h - th - m
        ch = round((bottom - top) * 0.36)
        calls = R(m, top, w - 2 * m, ch)
        wy = top + ch + m
        wh = round((bottom - top) * 0.26)
        qw = round((w - 2 * m) * 0.34)
        waiting = R(m, wy, w - 3 * m - qw, wh)
        qr = R(waiting.right + m, wy, qw, wh)
        py = wy + wh + m
        promo = R(m, py, w - 2 * m, bottom - py)
    body = R(0, hh, w, h - hh - th)
    return Layout((w, h), portrait, unit, header, calls, waiting, promo, qr, ticker, body)


class Painter:
    """Draw zones onto the screen surface; every method draws inside its own rectangle only."""

    def __init__(self, text: TextRenderer, images: ImageCache, theme: Theme = THEME) -> None:
        self.text = text
        self.images = images
        self.t = theme
        self._qr: dict[tuple[str, int], pygame.Surface] = {}

    # -- helpers ---------------------------------------------------------------
    def _panel(self, surf: pygame.Surface, rect: pygame.Rect, colour: Color | None = None, radius: int = 0) -> None:
        surf.fill(self.t.bg, rect)
        pygame.draw.rect(surf, colour or self.t.panel, rect, border_radius=radius)

    def _blit(self, surf: pygame.Surface, img: pygame.Surface, x: int, y: int, anchor: str = "topleft") -> pygame.Rect:
        r = img.get_rect(**{anchor: (x, y)})
        surf.blit(img, r)
        return r

    def _label(self, surf: pygame.Surface, rect: pygame.Rect, zh: str, en: str, u: float) -> int:
        """Draw a zone title "中文  English" at the top of ``rect``; return the y below it."""
        pad = round(22 * u)
        a = self.text.render(zh, round(30 * u), self.t.muted, bold=True)
        r = self._blit(surf, a, rect.x + pad, rect.y + round(16 * u))
        b = self.text.render(en, round(24 * u), self.t.muted)
        self._blit(surf, b, r.right + round(14 * u), r.bottom, "bottomleft")
        return r.bottom + round(10 * u)

    def _tag(self, surf: pygame.Surface, text: str, size: int, x: int, cy: int, fg: Color, bg: Color, anchor: str = "midleft") -> pygame.Rect:
        img = self.text.render(text, size, fg, bold=True)
        pad = size // 3
        box = img.get_rect().inflate(pad * 2, pad // 2)
        setattr(box, anchor, (x, cy))
        pygame.draw.rect(surf, bg, box, border_radius=pad)
        surf.blit(img, img.get_rect(center=box.center))
        return box

    # -- zones -----------------------------------------------------------------
    def header(self, surf: pygame.Surface, L: Layout, v: HeaderView) -> None:
        r, u = L.header, L.unit
        surf.fill(self.t.panel, r)
        pygame.draw.line(surf, self.t.accent, (r.x, r.bottom - 3), (r.right, r.bottom - 3), max(2, round(4 * u)))
        pad = round(30 * u)
        time_img = self.text.render(v.time, round(64 * u), self.t.text, bold=True)
        tr = self._blit(surf, time_img, r.right - pad, r.centery, "midright")
        d1 = self.text.render(v.date, round(26 * u), self.t.text)
        d2 = self.text.render(v.date_en, round(22 * u), self.t.muted)
        dx = tr.left - round(24 * u)
        self._blit(surf, d1, dx, r.centery - round(2 * u), "bottomright")
        self._blit(surf, d2, dx, r.centery + round(2 * u), "topright")
        left_w = dx - max(d1.get_width(), d2.get_width()) - pad * 2 - r.x
        if v.offline:
            badge_w = round(360 * u)
            left_w -= badge_w
        n1 = self.text.fit(v.name or "WaitWell", round(46 * u), self.t.text, left_w, bold=True)
        n2 = self.text.fit(v.name_en, round(24 * u), self.t.muted, left_w)
        h = n1.get_height() + n2.get_height()
        y = r.centery - h // 2
        nr = self._blit(surf, n1, r.x + pad, y)
        self._blit(surf, n2, r.x + pad, nr.bottom)
        if v.offline:
            bx = nr.x + max(n1.get_width(), n2.get_width()) + pad
            room = dx - max(d1.get_width(), d2.get_width()) - pad - bx
            size = round(26 * u)
            text = v.offline
            if self.text.render(text, size, (255, 255, 255), bold=True).get_width() + size > room:
                text = text.replace(" / offline since ", " ")  # narrow portrait header: "离线 10:12"
            self._tag(surf, text, size, bx, r.centery, (255, 255, 255), self.t.offline)

    def calls(self, surf: pygame.Surface, L: Layout, v: CallsView) -> None:
        r, u = L.calls, L.unit
        self._panel(surf, r, radius=round(16 * u))
        y = self._label(surf, r, "正在呼叫", "Now calling", u)
        pad = round(28 * u)
        inner = r.inflate(-2 * pad, 0)
        if v.current is None:
            a = self.text.fit(v.placeholder[0], round(64 * u), self.t.muted, inner.width, bold=True)
            b = self.text.render(v.placeholder[1], round(34 * u), self.t.muted)
            ar = self._blit(surf, a, r.centerx, r.centery - round(20 * u), "midbottom")
            self._blit(surf, b, r.centerx, ar.bottom, "midtop")
            return
        c = v.current
        hist_rows = len(v.history)
        if L.portrait:
            hero_h = round(r.height * (0.55 if hist_rows else 0.8))
        else:
            hero_h = round(r.height * (0.56 if hist_rows else 0.8))
        hero = pygame.Rect(inner.x, y, inner.width, hero_h - (y - r.y))
        # The ticket in the largest type on the screen, the window beside/under it.
        if L.portrait:
            tsize = min(round(hero.height * 0.75), round(inner.width * 0.25))
        else:
            # ticket + window + English stacked: about 1.9 x the ticket size tall.
            tsize = min(round(hero.height / 1.95), round(inner.width * 0.30))
        ticket = self.text.render(c.ticket, tsize, self.t.accent, bold=True)
        wz = self.text.render(f"→ {c.window_zh}", round(tsize * 0.42), self.t.text, bold=True)
        we = self.text.render(c.window_en, round(tsize * 0.26), self.t.muted)
        if not L.portrait:
            block = ticket.get_height() + wz.get_height() + we.get_height()
            if block > hero.height:
                tsize = int(tsize * hero.height / block)
                ticket = self.text.render(c.ticket, tsize, self.t.accent, bold=True)
                wz = self.text.render(f"→ {c.window_zh}", round(tsize * 0.42), self.t.text, bold=True)
                we = self.text.render(c.window_en, round(tsize * 0.26), self.t.muted)
        if L.portrait:
            tr = self._blit(surf, ticket, hero.x, hero.centery, "midleft")
            wx = tr.right + round(36 * u)
            wr = self._blit(surf, wz, wx, hero.centery, "bottomleft")
            self._blit(surf, we, wx, wr.bottom, "topleft")
            tag_at = (wx, wr.top - round(30 * u))
        else:
            block = ticket.get_height() + wz.get_height() + we.get_height()
            ty = hero.centery - block // 2
            tr = self._blit(surf, ticket, hero.centerx, ty, "midtop")
            wr = self._blit(surf, wz, hero.centerx, tr.bottom, "midtop")
            self._blit(surf, we, hero.centerx, wr.bottom, "midtop")
            tag_at = (hero.x, hero.y + round(10 * u))
        if c.recall:
            self._tag(surf, "重呼 Recall", round(26 * u), tag_at[0], tag_at[1], self.t.accent_dark, self.t.warn)
        if not hist_rows:
            return
        hy = hero.bottom + round(8 * u)
        pygame.draw.line(surf, self.t.line, (inner.x, hy), (inner.right, hy), max(1, round(2 * u)))
        a = self.text.render("最近叫号", round(26 * u), self.t.muted, bold=True)
        ar = self._blit(surf, a, inner.x, hy + round(12 * u))
        self._blit(surf, self.text.render("Recent calls", round(22 * u), self.t.muted), ar.right + round(12 * u), ar.bottom, "bottomleft")
        cols = 3 if L.portrait else 2
        per_col = -(-hist_rows // cols)
        gy = ar.bottom + round(10 * u)
        row_h = min(round(72 * u), (r.bottom - pad // 2 - gy) // max(1, per_col))
        col_w = inner.width // cols
        for i, line in enumerate(v.history):
            cx = inner.x + (i // per_col) * col_w
            cy = gy + (i % per_col) * row_h + row_h // 2
            t = self.text.render(line.ticket, round(row_h * 0.62), self.t.text, bold=True)
            tr = self._blit(surf, t, cx, cy, "midleft")
            w = self.text.render(line.window_zh, round(row_h * 0.40), self.t.muted)
            wr = self._blit(surf, w, tr.right + round(14 * u), cy, "midleft")
            if line.recall:
                self._tag(surf, "重呼", round(row_h * 0.30), wr.right + round(10 * u), cy, self.t.accent_dark, self.t.warn)

    def banner(self, surf: pygame.Surface, L: Layout, v: BannerView) -> None:
        r, u = L.body, L.unit
        surf.fill(self.t.accent, r)
        inner = r.inflate(-round(80 * u), -round(60 * u))
        if len(v.rows) > 1:
            self._banner_rows(surf, L, v, inner)
            return
        big = min(round(inner.height * 0.42), round(inner.width * (0.24 if not L.portrait else 0.36)))
        top = self.text.fit(v.text, round(big * 0.36), self.t.accent_dark, inner.width, bold=True)
        ticket = self.text.fit(v.ticket, big, self.t.accent_dark, inner.width, bold=True)
        arrow = self.text.render(f"→ {v.window}", round(big * 0.8), self.t.accent_dark, bold=True)
        en = self.text.fit(v.text_en, round(big * 0.22), self.t.accent_dark, inner.width)
        if L.portrait:
            block = top.get_height() + ticket.get_height() + arrow.get_height() + en.get_height()
            y = r.centery - block // 2
            y = self._blit(surf, top, r.centerx, y, "midtop").bottom
            y = self._blit(surf, ticket, r.centerx, y, "midtop").bottom
            y = self._blit(surf, arrow, r.centerx, y, "midtop").bottom
            self._blit(surf, en, r.centerx, y, "midtop")
        else:
            gap = round(40 * u)
            row_w = ticket.get_width() + gap + arrow.get_width()
            block = top.get_height() + ticket.get_height() + en.get_height()
            y = r.centery - block // 2
            y = self._blit(surf, top, r.centerx, y, "midtop").bottom
            x = r.centerx - row_w // 2
            tr = self._blit(surf, ticket, x, y)
            self._blit(surf, arrow, tr.right + gap, tr.centery, "midleft")
            self._blit(surf, en, r.centerx, tr.bottom, "midtop")
        self._banner_tags(surf, L, v)

    def _banner_rows(self, surf: pygame.Surface, L: Layout, v: BannerView, inner: pygame.Rect) -> None:
        """Several calls at once: one row each, "A001 → 3号窗口 Window 3", oldest on top."""
        r, u = L.body, L.unit
        ink = self.t.accent_dark
        title = self.text.fit(v.text, round(56 * u), ink, inner.width, bold=True)
        sub = self.text.fit(v.text_en, round(34 * u), ink, inner.width)
        head = title.get_height() + sub.get_height()
        room = inner.height - head - round(50 * u)  # the pending tag's strip at the bottom
        row_h = min(room // len(v.rows), round(inner.height * 0.3))
        size = round(row_h * 0.78)
        gap = round(36 * u)
        y = inner.y + (room - row_h * len(v.rows)) // 2
        y = self._blit(surf, title, r.centerx, y, "midtop").bottom
        y = self._blit(surf, sub, r.centerx, y, "midtop").bottom
        half = inner.width // 2 - gap // 2
        for line in v.rows:
            cy = y + row_h // 2
            t = self.text.fit(line.ticket, size, ink, half, bold=True)
            self._blit(surf, t, r.centerx - gap // 2, cy, "midright")
            tag = None
            tag_size = min(round(size * 0.24), round(30 * u))
            if line.recall:
                tag = self.text.render("重呼 Recall", tag_size, ink, bold=True)
            room = half - (tag.get_width() + round(30 * u) if tag is not None else 0)
            w = self.text.fit(f"→ {line.window_zh}", round(size * 0.58), ink, half, bold=True)
            e = self.text.fit(line.window_en, round(size * 0.28), ink, room)
            top = cy - (w.get_height() + e.get_height()) // 2
            wr = self._blit(surf, w, r.centerx + gap // 2, top)
            er = self._blit(surf, e, r.centerx + gap // 2, wr.bottom)
            if tag is not None:
                self._tag(surf, "重呼 Recall", tag_size, er.right + round(14 * u), er.centery, self.t.accent, ink)
            y += row_h
        if v.pending:
            self._banner_tags(surf, L, v)

    def _banner_tags(self, surf: pygame.Surface, L: Layout, v: BannerView) -> None:
        r, u = L.body, L.unit
        if v.recall and len(v.rows) == 1:
            self._tag(surf, "再次呼叫  Recall", round(34 * u), r.centerx, r.y + round(50 * u), self.t.accent, self.t.accent_dark, "center")
        if v.pending:
            self._tag(surf, f"稍后还有 {v.pending} 位  {v.pending} more next", round(26 * u), r.right - round(30 * u), r.bottom - round(40 * u), self.t.accent, self.t.accent_dark, "midright")

    def waiting(self, surf: pygame.Surface, L: Layout, v: WaitingView) -> None:
        r, u = L.waiting, L.unit
        self._panel(surf, r, radius=round(16 * u))
        y = self._label(surf, r, "等候情况", "Waiting now", u)
        pad = round(22 * u)
        rows = v.rows
        foot = round(40 * u) if v.total else 0
        avail = r.bottom - y - foot - pad // 2
        if not rows:
            a = self.text.render("—", round(40 * u), self.t.muted)
            self._blit(surf, a, r.centerx, y + avail // 2, "center")
            return
        row_h = min(round(96 * u), avail // len(rows))
        s = row_h / 96
        col_wait = r.right - pad
        col_count = r.x + round(r.width * 0.56)
        for i, row in enumerate(rows):
            cy = y + i * row_h + row_h // 2
            if i:
                pygame.draw.line(surf, self.t.line, (r.x + pad, cy - row_h // 2), (r.right - pad, cy - row_h // 2), 1)
            badge = pygame.Rect(0, 0, round(58 * s * u / u), round(58 * s * u / u))
            badge.midleft = (r.x + pad, cy)
            pygame.draw.rect(surf, self.t.accent, badge, border_radius=round(10 * s))
            p = self.text.render(row.prefix or "·", round(40 * s), self.t.accent_dark, bold=True)
            self._blit(surf, p, badge.centerx, badge.centery, "center")
            nx = badge.right + round(16 * s)
            name_w = col_count - nx - round(100 * s)
            n1 = self.text.fit(row.name, round(32 * s), self.t.text, name_w, bold=True)
            n2 = self.text.fit(row.name_en, round(22 * s), self.t.muted, name_w)
            self._blit(surf, n1, nx, cy + round(4 * s), "bottomleft")
            self._blit(surf, n2, nx, cy + round(4 * s), "topleft")
            cnt = self.text.render(row.waiting, round(44 * s), self.t.text, bold=True)
            cr = self._blit(surf, cnt, col_count, cy + round(4 * s), "midright")
            self._blit(surf, self.text.render("人", round(22 * s), self.t.muted), cr.right + round(6 * s), cr.bottom - round(6 * s), "bottomleft")
            colour = {"short": self.t.good, "long": self.t.accent, "over": self.t.over}.get(row.level, self.t.muted)
            wmax = col_wait - col_count - round(60 * s)
            w1 = self.text.fit(row.wait, round(34 * s), colour, wmax, bold=True)
            w2 = self.text.fit(row.wait_en, round(22 * s), self.t.muted, wmax)
            self._blit(surf, w1, col_wait, cy + round(4 * s), "bottomright")
            self._blit(surf, w2, col_wait, cy + round(4 * s), "topright")
        if v.total:
            t1 = self.text.render(v.total, round(24 * u), self.t.muted)
            t1r = self._blit(surf, t1, r.x + pad, r.bottom - pad // 2, "bottomleft")
            t2 = self.text.fit(v.total_en, round(20 * u), self.t.muted, r.right - pad - t1r.right - round(16 * u))
            self._blit(surf, t2, t1r.right + round(16 * u), t1r.bottom - round(2 * u), "bottomleft")

    def promo(self, surf: pygame.Surface, L: Layout, v: PromoView) -> bool:
        """Draw the promotion; return False when its image could not be loaded."""
        r, u = L.promo, L.unit
        self._panel(surf, r, radius=round(16 * u))
        slide = v.slide
        if slide is not None and slide.kind == "image" and slide.image:
            img = self.images.get(slide.image, (r.width, r.height))
            if img is not None:
                surf.set_clip(r)
                pygame.draw.rect(surf, self.t.panel, r, border_radius=round(16 * u))
                surf.blit(img, img.get_rect(center=r.center))
                surf.set_clip(None)
                return True
            if not slide.title:
                self._text_card(surf, r, u, v.fallback[0], v.fallback[1], "", "", None)
                return False
        if slide is None:
            self._text_card(surf, r, u, v.fallback[0], v.fallback[1], "祝您办理顺利", "Thank you for your patience", None)
            return True
        self._text_card(surf, r, u, slide.title, slide.title_en, slide.body, slide.body_en, slide.accent)
        return True

    def _text_card(self, surf: pygame.Surface, r: pygame.Rect, u: float, title: str, title_en: str, body: str, body_en: str, accent: str | None) -> None:
        colour = self.t.accent
        if accent:
            try:
                colour = tuple(pygame.Color(accent))[:3]  # type: ignore[assignment]
            except ValueError:
                pass
        pygame.draw.rect(surf, colour, (r.x, r.y + round(20 * u), round(10 * u), r.height - round(40 * u)))
        pad = round(44 * u)
        w = r.width - 2 * pad
        lines: list[pygame.Surface] = [self.text.fit(title, round(56 * u), self.t.text, w, bold=True)]
        if title_en:
            lines.append(self.text.fit(title_en, round(30 * u), self.t.muted, w))
        gap = round(18 * u)
        for para, size, col in ((body, 32, self.t.text), (body_en, 24, self.t.muted)):
            for ln in _wrap(self.text, para, round(size * u), w):
                lines.append(self.text.render(ln, round(size * u), col))
        total = sum(s.get_height() for s in lines) + gap * 2
        y = r.centery - total // 2
        for i, s in enumerate(lines):
            if i == 2 and len(lines) > 2:
                y += gap * 2
            surf.blit(s, (r.x + pad, y))
            y += s.get_height()

    def qr(self, surf: pygame.Surface, L: Layout, codes: Sequence[QrCode]) -> None:
        r, u = L.qr, L.unit
        self._panel(surf, r, radius=round(16 * u))
        if not codes:
            return
        codes = list(codes)[:2]
        pad = round(18 * u)
        cap_h = round(70 * u)
        vertical = r.height > r.width * 1.3 or (not L.portrait and r.height >= 2 * (r.width * 0.6 + cap_h))
        n = len(codes)
        if vertical:
            cell_w, cell_h = r.width, r.height // n
        else:
            cell_w, cell_h = r.width // n, r.height
        for i, code in enumerate(codes):
            cell = pygame.Rect(r.x + (0 if vertical else i * cell_w), r.y + (i * cell_h if vertical else 0), cell_w, cell_h)
            side = max(40, min(cell.width - 2 * pad, cell.height - cap_h - 2 * pad))
            key = (code.url, side)
            img = self._qr.get(key)
            if img is None:
                img = self._qr[key] = qr_surface(code.url, side)
                if len(self._qr) > 8:
                    self._qr.pop(next(iter(self._qr)))
            block = img.get_height() + round(8 * u) + cap_h
            qr_r = self._blit(surf, img, cell.centerx, cell.centery - block // 2, "midtop")
            c1 = self.text.fit(code.caption, round(26 * u), self.t.text, cell.width - pad, bold=True)
            c1r = self._blit(surf, c1, cell.centerx, qr_r.bottom + round(8 * u), "midtop")
            if code.caption_en:
                c2 = self.text.fit(code.caption_en, round(20 * u), self.t.muted, cell.width - pad)
                self._blit(surf, c2, cell.centerx, c1r.bottom, "midtop")

    def ticker(self, surf: pygame.Surface, L: Layout, v: TickerView) -> None:
        r, u = L.ticker, L.unit
        bg = self.t.busy if v.busy else self.t.panel
        fg = self.t.accent_dark if v.busy else self.t.text
        fg2 = self.t.accent_dark if v.busy else self.t.muted
        surf.fill(bg, r)
        pad = round(30 * u)
        dots_w = 0
        if v.pages > 1:
            d = max(3, round(6 * u))
            dots_w = v.pages * d * 3 + pad
            for i in range(v.pages):
                c = (r.right - pad - (v.pages - i) * d * 3 + d, r.centery)
                pygame.draw.circle(surf, fg if i == v.page else fg2, c, d if i == v.page else d - 1, 0 if i == v.page else 1)
        avail = r.width - 2 * pad - dots_w
        size = round(r.height * 0.42)
        a = self.text.render(v.text, size, fg, bold=True)
        b = self.text.render(v.text_en, round(size * 0.78), fg2)
        if a.get_width() + b.get_width() + pad <= avail:
            ar = self._blit(surf, a, r.x + pad, r.centery, "midleft")
            self._blit(surf, b, ar.right + pad, ar.bottom - round(3 * u), "bottomleft")
        else:
            a = self.text.fit(v.text, size, fg, avail, bold=True)
            b = self.text.fit(v.text_en, round(size * 0.62), fg2, avail)
            ar = self._blit(surf, a, r.x + pad, r.centery + round(2 * u), "bottomleft")
            self._blit(surf, b, r.x + pad, ar.bottom, "topleft")


def _wrap(text: TextRenderer, para: str, size: int, width: int) -> list[str]:
    """Wrap ``para`` to ``width`` px: at spaces for Latin text, anywhere for CJK; at most 4 lines."""
    if not para:
        return []
    out: list[str] = []
    for hard in para.split("\n"):
        line = ""
        tokens = hard.split(" ") if hard.isascii() else list(hard)
        sep = " " if hard.isascii() else ""
        for tok in tokens:
            cand = f"{line}{sep}{tok}" if line else tok
            if line and text.render(cand, size, (0, 0, 0)).get_width() > width:
                out.append(line)
                line = tok
            else:
                line = cand
        if line:
            out.append(line)
    return out[:4]
