"""The Markdown of the OpenAPI descriptions (the docstrings of the routes) as HTML.

CommonMark by markdown-it-py with raw HTML switched off: a ``<script>`` in a description is
shown as text, and links whose scheme is not safe (``javascript:``) are not made links.
"""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt

from api.html import Html


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Html:
    """``text`` (CommonMark) as safe HTML; nothing for an empty text."""
    if not text.strip():
        return Html("")
    return Html(_parser().render(text))
