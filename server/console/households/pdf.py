"""PDF from the console's print pages, with WeasyPrint (Pango, the installed Noto CJK fonts).

WeasyPrint lays out the very HTML and print stylesheet the print view serves, so paper
and PDF cannot drift apart, and it embeds (a subset of) the CJK font it used, so the
Chinese text reads and extracts in any PDF reader. See docs/architecture.md for the choice.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static"
PRINT_CSS = STATIC / "household-print.css"


def _refusing_fetcher():
    """A URL fetcher that fetches nothing: the page is self-contained, and text from the
    data (a name, an address) must never make the server open a URL or read a file."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class Refuse(URLFetcher):
        def fetch(self, url, headers=None):
            raise FatalURLFetchingError(f"the PDF fetches nothing ({url[:40]})")

    return Refuse()


def household_pdf(html: str) -> bytes:
    """The PDF of a print page's ``html`` (rendered with ``pdf=True``: the stylesheet is
    given here rather than linked)."""
    # Imported when first used: loading Pango costs a moment the other pages need not pay.
    from weasyprint import CSS, HTML

    fetcher = _refusing_fetcher()
    stylesheet = CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
