"""Draw the sample promotion images of content/images with pygame (no external artwork).

    python -m signage.tools.make_sample_images [--out content/images]
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
W, H = 1280, 800


def main(argv: list[str] | None = None) -> int:
    """Write promo-*.png."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    import pygame.freetype

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "content" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pygame.freetype.init()
    bold = pygame.freetype.Font(str(ROOT / "content/fonts/NotoSansSC-Bold-GB2312.otf"))
    reg = pygame.freetype.Font(str(ROOT / "content/fonts/NotoSansSC-Regular-GB2312.otf"))

    def gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> pygame.Surface:
        s = pygame.Surface((W, H))
        for y in range(H):
            t = y / (H - 1)
            s.fill([round(a + (b - a) * t) for a, b in zip(top, bottom)], (0, y, W, 1))
        return s

    def text(s: pygame.Surface, font: pygame.freetype.Font, msg: str, size: int, colour: tuple[int, int, int], pos: tuple[int, int]) -> pygame.Rect:
        r = font.render_to(s, pos, msg, colour, size=size)
        return pygame.Rect(pos, r.size)

    def pill(s: pygame.Surface, msg: str, pos: tuple[int, int], bg: tuple[int, int, int], fg: tuple[int, int, int]) -> None:
        r = bold.get_rect(msg, size=34)
        box = pygame.Rect(pos, (r.width + 48, 60))
        pygame.draw.rect(s, bg, box, border_radius=30)
        bold.render_to(s, (box.x + 24, box.centery - r.height // 2), msg, fg, size=34)

    # 1. 5G plan: deep blue with signal arcs.
    s = gradient((14, 44, 110), (6, 18, 48))
    for i in range(6):
        pygame.draw.arc(s, (60, 140, 255), (860 - i * 70, 260 - i * 70, 260 + i * 140, 260 + i * 140), math.radians(-40), math.radians(40), 10)
    pygame.draw.circle(s, (255, 196, 40), (990, 390), 22)
    text(s, bold, "5G", 220, (255, 196, 40), (90, 120))
    text(s, bold, "畅享套餐", 96, (255, 255, 255), (90, 360))
    text(s, reg, "每月 129 元  100GB 通用流量  1000 分钟通话", 38, (200, 220, 255), (94, 500))
    text(s, reg, "5G Unlimited · 100 GB data · 1000 minutes · 129 yuan/month", 28, (150, 180, 230), (94, 560))
    pill(s, "到店办理 首月半价", (90, 650), (255, 196, 40), (20, 24, 40))
    pygame.image.save(s, str(args.out / "promo-5g.png"))

    # 2. Broadband: teal, house outline and speed bars.
    s = gradient((8, 92, 96), (4, 40, 52))
    pygame.draw.polygon(s, (140, 230, 220), [(900, 330), (1070, 200), (1240, 330)], 10)
    pygame.draw.rect(s, (140, 230, 220), (935, 330, 270, 230), 10)
    for i, hgt in enumerate((60, 110, 160, 210)):
        pygame.draw.rect(s, (255, 255, 255), (985 + i * 48, 540 - hgt, 30, hgt), border_radius=6)
    text(s, bold, "千兆宽带", 110, (255, 255, 255), (90, 140))
    text(s, bold, "全屋 WiFi 覆盖", 64, (140, 230, 220), (94, 300))
    text(s, reg, "1000M 光纤  免费上门安装  送智能路由器", 38, (210, 240, 236), (94, 420))
    text(s, reg, "Gigabit fibre with free installation and a mesh router", 28, (150, 210, 204), (94, 480))
    pill(s, "新装用户 首年 999 元", (90, 600), (255, 255, 255), (4, 60, 64))
    pygame.image.save(s, str(args.out / "promo-broadband.png"))

    # 3. App: indigo, a phone outline.
    s = gradient((48, 40, 120), (18, 14, 52))
    phone = pygame.Rect(930, 130, 250, 500)
    pygame.draw.rect(s, (240, 240, 255), phone, 12, border_radius=36)
    for i in range(3):
        for j in range(3):
            pygame.draw.rect(s, (255, 186, 30) if (i + j) % 2 == 0 else (120, 150, 255), (965 + j * 65, 220 + i * 80, 48, 48), border_radius=12)
    pygame.draw.circle(s, (240, 240, 255), (phone.centerx, phone.bottom - 45), 16, 4)
    text(s, bold, "掌上营业厅", 100, (255, 255, 255), (90, 150))
    text(s, reg, "查话费 · 交费 · 办套餐 · 开发票", 42, (210, 210, 255), (94, 300))
    text(s, reg, "Bills, payments, plans and invoices on your phone", 28, (170, 170, 230), (94, 365))
    text(s, bold, "扫描右侧二维码下载", 44, (255, 186, 30), (94, 480))
    text(s, reg, "Scan the QR code to install", 30, (255, 210, 120), (94, 545))
    pygame.image.save(s, str(args.out / "promo-app.png"))

    # 4. Self-service guide: warm light theme, three steps.
    s = gradient((250, 244, 232), (236, 226, 206))
    text(s, bold, "自助终端 三步办理", 80, (40, 40, 48), (90, 90))
    text(s, reg, "Self-service terminals in three steps", 32, (110, 100, 90), (94, 200))
    steps = (("1", "插入身份证", "Insert your ID"), ("2", "选择业务", "Pick a service"), ("3", "确认并缴费", "Confirm and pay"))
    for i, (n, zh, en) in enumerate(steps):
        x = 90 + i * 380
        pygame.draw.circle(s, (230, 120, 40), (x + 60, 370), 56)
        bold.render_to(s, (x + 42, 335), n, (255, 255, 255), size=72)
        text(s, bold, zh, 44, (40, 40, 48), (x, 460))
        text(s, reg, en, 28, (110, 100, 90), (x, 525))
    pill(s, "无需排队 · 7×24 小时", (90, 640), (230, 120, 40), (255, 255, 255))
    pygame.image.save(s, str(args.out / "promo-selfservice.png"))
    for p in sorted(args.out.glob("promo-*.png")):
        print(p, p.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
