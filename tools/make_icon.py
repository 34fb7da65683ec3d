"""Draw account_xero_sync's app icon (static/description/icon.png, 128x128) with Pillow:
two sync arrows around a pair of ledger lines. `.venv/bin/python tools/make_icon.py`."""

import math
import os

from PIL import Image, ImageDraw

S = 1024  # drawn large, scaled down for smooth edges
OUT = 128
img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
d = ImageDraw.Draw(img)

# Background: a rounded square, two-tone like Odoo's flat icons.
d.rounded_rectangle((40, 40, S - 40, S - 40), radius=190, fill=(17, 120, 176, 255))
d.pieslice((40 - S // 2, 40 - S // 2, S + S // 2, S + S // 2), 200, 290, fill=(31, 150, 204, 255))
mask = Image.new("L", (S, S), 0)
ImageDraw.Draw(mask).rounded_rectangle((40, 40, S - 40, S - 40), radius=190, fill=255)
img.putalpha(mask)
d = ImageDraw.Draw(img)

cx, cy, r, w = S // 2, S // 2, 300, 78
white = (255, 255, 255, 255)


def arc_with_head(start, end):
    """A thick arc from ``start`` to ``end`` degrees (clockwise), an arrow head at ``end``."""
    d.arc((cx - r, cy - r, cx + r, cy + r), start, end, fill=white, width=w)
    a = math.radians(end)
    mid = r - w / 2  # centre line of the stroke
    px, py = cx + mid * math.cos(a), cy + mid * math.sin(a)
    tx, ty = -math.sin(a), math.cos(a)  # direction of travel (clockwise)
    nx, ny = math.cos(a), math.sin(a)  # outward normal
    head, half = 150, 120
    tip = (px + tx * head, py + ty * head)
    d.polygon([tip, (px + nx * half, py + ny * half), (px - nx * half, py - ny * half)], fill=white)


arc_with_head(200, 330)
arc_with_head(20, 150)

# A small ledger line pair in the middle: the books being kept in step.
for dy in (-50, 50):
    d.rounded_rectangle((cx - 110, cy + dy - 22, cx + 110, cy + dy + 22), radius=22, fill=white)

img.resize((OUT, OUT), Image.LANCZOS).save(
    os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "account_xero_sync",
        "static",
        "description",
        "icon.png",
    ),
    optimize=True,
)
