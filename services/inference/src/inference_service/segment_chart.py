"""The model card's scatter plot of the training customers by segment, as a self-contained SVG (written
at training; no plotting library needed, and a Markdown viewer shows it as an image)."""

from html import escape
from typing import Any

WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 56, 270, 20, 48
INCOME_MAX, SCORE_MAX = 140.0, 100.0
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")


def _x(income: float) -> float:
    return LEFT + income / INCOME_MAX * (WIDTH - LEFT - RIGHT)


def _y(score: float) -> float:
    return HEIGHT - BOTTOM - score / SCORE_MAX * (HEIGHT - TOP - BOTTOM)


def render_segment_chart(segmentation: dict[str, Any]) -> str:
    """SVG text: one dot per training customer, coloured by segment, centroids as crosses, a legend."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    for income in range(0, int(INCOME_MAX) + 1, 20):
        parts.append(
            f'<line x1="{_x(income):.1f}" y1="{_y(0):.1f}" x2="{_x(income):.1f}" y2="{_y(SCORE_MAX):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{_x(income):.1f}" y="{_y(0) + 16:.1f}" text-anchor="middle">{income}</text>'
        )
    for score in range(0, int(SCORE_MAX) + 1, 20):
        parts.append(
            f'<line x1="{_x(0):.1f}" y1="{_y(score):.1f}" x2="{_x(INCOME_MAX):.1f}" y2="{_y(score):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{_x(0) - 6:.1f}" y="{_y(score) + 4:.1f}" text-anchor="end">{score}</text>'
        )
    parts.append(
        f'<text x="{(_x(0) + _x(INCOME_MAX)) / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
        "annual income (k$)</text>"
        f'<text x="14" y="{(_y(0) + _y(SCORE_MAX)) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(_y(0) + _y(SCORE_MAX)) / 2:.1f})">spending score</text>'
    )
    for point in segmentation["training_points"]:
        colour = COLOURS[point["segment"] % len(COLOURS)]
        parts.append(
            f'<circle cx="{_x(point["annual_income"]):.1f}" cy="{_y(point["spending_score"]):.1f}" r="3.5" '
            f'fill="{colour}" fill-opacity="0.75"/>'
        )
    for number, segment in enumerate(segmentation["segments"]):
        colour = COLOURS[number % len(COLOURS)]
        x, y = _x(segment["centroid"]["annual_income"]), _y(segment["centroid"]["spending_score"])
        parts.append(
            f'<path d="M{x - 7:.1f} {y:.1f}H{x + 7:.1f}M{x:.1f} {y - 7:.1f}V{y + 7:.1f}" stroke="black" '
            'stroke-width="2"/>'
        )
        legend_y = TOP + 10 + number * 22
        parts.append(
            f'<circle cx="{WIDTH - RIGHT + 20}" cy="{legend_y}" r="5" fill="{colour}"/>'
            f'<text x="{WIDTH - RIGHT + 32}" y="{legend_y + 4}">{escape(segment["name"]["en"])} '
            f"({segment['size']})</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
