"""Template helpers shared by every page."""

from __future__ import annotations

from django import template

register = template.Library()


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


@register.filter
def audit_changes(event) -> list[dict]:
    """Rows ``{"field", "before", "after"}`` of an audit event, for people to read."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for key in list(dict.fromkeys([*before.keys(), *after.keys()])):
        rows.append(
            {
                "field": key,
                "before": _show(before.get(key)) if key in before else None,
                "after": _show(after.get(key)) if key in after else None,
            }
        )
    return rows


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Render Markdown to sanitized HTML."""
    from cogest.markdown import render_markdown

    return render_markdown(text)
