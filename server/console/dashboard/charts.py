"""Server-rendered SVG charts (pygal), handed to pages as data: URIs of images.

As images they run no script and their inline styles stay inside them, so the console's
CSP (no inline script or style) holds; pygal's tooltip script is left out (``js=[]``),
since it would load from the internet.
"""

from __future__ import annotations

import base64
import sys

import pygal
from pygal.style import Style

# pygal appends a finder for its map plugins (pygal.maps.*, unused here) that lacks
# find_spec: every later import of a module that is not installed (openpyxl's optional
# numpy, for one) then raises ImportWarning. Take it back out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

_STYLE = Style(
    font_family="'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif",
    background="white",
    plot_background="white",
    colors=("#0d6efd", "#198754", "#dc3545", "#fd7e14"),
    label_font_size=13,
    major_label_font_size=13,
    title_font_size=16,
    legend_font_size=13,
)


def _data_uri(chart) -> str:
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _chart(kind, title: str):
    return kind(
        title=title,
        style=_STYLE,
        js=[],
        width=640,
        height=320,
        show_legend=False,
        print_values=True,
        margin=20,
    )


def completion(title: str, communities: list[dict]) -> str:
    """Per community, the share of households visited this period (percent)."""
    chart = _chart(pygal.HorizontalBar, title)
    chart.range = (0, 100)
    chart.value_formatter = lambda v: f"{v:.0f}%"
    chart.x_labels = [c["community"] for c in communities]
    chart.add("", [round(c["completion_rate"] * 100, 1) for c in communities])
    return _data_uri(chart)


def per_month(title: str, series: list[tuple[str, int]]) -> str:
    """Visits per month, oldest month first."""
    chart = _chart(pygal.Bar, title)
    chart.x_labels = [month for month, _n in series]
    chart.x_label_rotation = 30
    chart.add("", [n for _month, n in series])
    return _data_uri(chart)
