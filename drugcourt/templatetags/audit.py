from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def audit_summary(change: dict | None) -> str:
    """`field: old → new` for a diff, `field=value` for a snapshot; one line for the table."""
    if not change:
        return ""
    parts = []
    for field, value in change.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{field}: {value[0]} → {value[1]}")
        else:
            parts.append(f"{field}={value}")
    return "; ".join(parts)
