"""`{{ value|score:unit }}`: a score as its game shows it (games.units)."""

from django import template

from games.units import format_score

register = template.Library()


@register.filter(name="score")
def score(value, unit=None) -> str:
    return format_score(int(value), unit or None)
