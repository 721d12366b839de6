"""Colours people read text on or in (issue 26): at least 4.5:1 (WCAG AA), where axe cannot look (the
grid draws on a canvas) and for the page style's own grey."""

import re

import pytest

from spendscore_ui.charts import BAND_COLORS, band_cell_style
from spendscore_ui.page_style import READABLE_GREY

WHITE, SIDEBAR_GREY = "#ffffff", "#f0f2f6"


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#8c8c8c", "#ffffff") < 4.5  # the former "medium" badge


@pytest.mark.parametrize("band", sorted(BAND_COLORS))
def test_white_text_on_each_band_badge_is_readable(band):
    style = band_cell_style(band)
    text = re.search(r"(?<!-)color: (\S+?);", style)
    background = re.search(r"background-color: (#[0-9a-f]{6})", style)
    assert text and background and text.group(1) == "white"
    assert contrast(WHITE, background.group(1)) >= 4.5


def test_the_grey_of_captions_is_readable_on_the_page_and_the_sidebar():
    assert contrast(READABLE_GREY, WHITE) >= 4.5 and contrast(READABLE_GREY, SIDEBAR_GREY) >= 4.5
