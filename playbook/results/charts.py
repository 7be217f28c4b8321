"""The over-time chart as plain geometry, drawn by templates/results/_chart.html as
inline SVG (no script, no chart library; the page's data table says the same for
screen readers)."""

from __future__ import annotations

from dataclasses import dataclass

from playbook.models import SurveyAudience

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 12, 28


@dataclass
class Line:
    audience: SurveyAudience
    index: int  # picks the line's class (its colour and dash) in app.css
    points: list[tuple[float, float, float]]  # (x, y, score) of each shown score
    path: str  # "M x y L x y ..." through consecutive shown scores


@dataclass
class Chart:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    marks: list[tuple[float, str]]  # a dashed rule between two rounds, with its text


def x_of(i: int, n: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span / 2 if n == 1 else span * i / (n - 1))


def y_of(score: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / 100)


def line_chart(
    labels: list[str],
    lines: dict[SurveyAudience, list[float | None]],
    marks: list[tuple[int, str]],
) -> Chart:
    """Scores 0–100 per round (x: rounds in order); a None breaks the line."""
    n = len(labels)
    drawn = []
    for index, (audience, scores) in enumerate(lines.items()):
        points, path, pen_up = [], [], True
        for i, score in enumerate(scores):
            if score is None:
                pen_up = True
                continue
            x, y = round(x_of(i, n), 1), round(y_of(score), 1)
            points.append((x, y, score))
            path.append(f"{'M' if pen_up else 'L'} {x} {y}")
            pen_up = False
        drawn.append(Line(audience, index, points, " ".join(path)))
    between = [
        (round((x_of(i, n) + x_of(i + 1, n)) / 2, 1), text) for i, text in marks if i + 1 < n
    ]
    return Chart(
        WIDTH,
        HEIGHT,
        drawn,
        [(round(x_of(i, n), 1), label) for i, label in enumerate(labels)],
        [(round(y_of(v), 1), v) for v in (0, 25, 50, 75, 100)],
        between,
    )
