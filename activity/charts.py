"""The dashboard's small chart of submissions per day, drawn on the server.

The page's Content-Security-Policy allows no inline script or style, so the
chart is plain SVG whose sizes are element attributes, computed here.
"""

from dataclasses import dataclass
from datetime import date

from activity.models import Status

# Bottom to top in each bar; moving states are drawn together.
SERIES = [
    ("succeeded", "Succeeded", (Status.SUCCEEDED,)),
    ("failed", "Failed", (Status.FAILED,)),
    ("waiting", "Deferred or unknown", (Status.DEFERRED, Status.UNKNOWN)),
    ("duplicate", "Duplicate", (Status.DUPLICATE,)),
    ("moving", "Queued or sending", (Status.QUEUED, Status.SENDING)),
]
WIDTH, HEIGHT, BAR, GAP, LABEL_SPACE = 420, 140, 20, 10, 18


@dataclass(frozen=True)
class Segment:
    css: str
    label: str
    count: int
    y: int
    height: int


@dataclass(frozen=True)
class Bar:
    day: date
    total: int
    x: int
    segments: list[Segment]

    @property
    def label_x(self) -> int:
        return self.x + BAR // 2


def daily_bars(days: list[tuple[date, dict[str, int]]]) -> dict:
    """Bars for ``days`` (from ``selectors.daily_counts``), scaled to fit."""
    totals = [sum(counts.values()) for _, counts in days]
    highest = max(totals, default=0) or 1
    plot = HEIGHT - LABEL_SPACE
    bars = []
    for index, (day, counts) in enumerate(days):
        bottom = plot
        segments = []
        for css, label, statuses in SERIES:
            count = sum(counts.get(status, 0) for status in statuses)
            if not count:
                continue
            height = max(round(count / highest * (plot - 4)), 1)
            bottom -= height
            segments.append(Segment(css, label, count, bottom, height))
        bars.append(Bar(day, totals[index], GAP + index * (BAR + GAP), segments))
    return {
        "bars": bars,
        "width": GAP + len(days) * (BAR + GAP),
        "height": HEIGHT,
        "baseline": plot,
        "label_y": HEIGHT - 4,
        "bar_width": BAR,
        "highest": max(totals, default=0),
        "total": sum(totals),
        "legend": [(css, label) for css, label, _ in SERIES],
    }
