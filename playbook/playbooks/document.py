"""The playbook as a document: one JSON-ready structure used for revisions, the JSON
export and import, the Markdown export and history comparison."""

from __future__ import annotations

from datetime import date

from playbook.models import Item, ItemKind, Playbook

FORMAT = "playbook-document/1"
# Keys that tie a snapshot to rows and people of this database; exports leave them
# out (who owns what is the team's business, and ids mean nothing elsewhere).
# Section and item ids let a change made on an older version be merged (merge.py).
_INTERNAL_KEYS = ("id", "ref_id", "element_id", "owner_id", "owner")


def _ref(item: Item) -> dict | None:
    if item.kind is ItemKind.PLAY and item.play is not None:
        return {"slug": item.play.slug, "title": item.play.title, "ref_id": item.play.id}
    if item.kind is ItemKind.RESOURCE and item.resource is not None:
        return {
            "slug": item.resource.slug,
            "title": item.resource.title,
            "ref_id": item.resource.id,
        }
    if item.kind is ItemKind.COMPONENT and item.component is not None:
        return {
            "slug": item.component.slug,
            "title": item.component.name,
            "ref_id": item.component.id,
        }
    return None


def _element(item: Item) -> dict | None:
    if item.element is None:
        return None
    return {
        "component": item.element.component.slug,
        "name": item.element.name,
        "element_id": item.element.id,
    }


def snapshot(playbook: Playbook) -> dict:
    """The whole playbook as plain data (internal ids included, for restores)."""
    framework = playbook.framework
    return {
        "format": FORMAT,
        "title": playbook.title,
        "scope": playbook.scope.value,
        "organization": playbook.organization,
        "vision": playbook.vision,
        "framework": {
            "slug": framework.slug,
            "name": framework.name,
            "edition": framework.edition,
            "ref_id": framework.id,
        }
        if framework
        else None,
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "items": [_item(item) for item in section.items],
            }
            for section in playbook.sections
        ],
    }


def _item(item: Item) -> dict:
    return {
        "id": item.id,
        "kind": item.kind.value,
        "ref": _ref(item),
        "element": _element(item),
        "title": item.title,
        "notes": item.notes,
        "status": item.status.value,
        "owner": item.owner.display_name if item.owner else None,
        "owner_id": item.owner_id,
        "target_date": item.target_date.isoformat() if item.target_date else None,
    }


def strip_internal(document):
    """A copy of a snapshot without database ids: what an export contains."""
    if isinstance(document, dict):
        return {k: strip_internal(v) for k, v in document.items() if k not in _INTERNAL_KEYS}
    if isinstance(document, list):
        return [strip_internal(v) for v in document]
    return document


def _item_heading(item: dict) -> str:
    title = item["title"] or (item["ref"] or {}).get("title") or "Untitled note"
    kind = {
        "play": "Play",
        "resource": "Resource",
        "component": "Framework component",
        "note": "Note",
    }[item["kind"]]
    return f"{title} ({kind})"


def to_markdown(document: dict) -> str:
    """A readable Markdown rendering of a document (for export and for comparing)."""
    lines = [f"# {document['title']}", ""]
    facts = [f"Scope: {document['scope'].capitalize()}"]
    if document.get("organization"):
        facts.append(f"Organization: {document['organization']}")
    if document.get("framework"):
        fw = document["framework"]
        facts.append(
            f"Framework: {fw['name']}"
            + (f" (edition {fw['edition']})" if fw.get("edition") else "")
        )
    lines += [f"- {fact}" for fact in facts] + [""]
    if document.get("vision"):
        lines += ["## Our vision", "", document["vision"].strip(), ""]
    for section in document["sections"]:
        lines += [f"## {section['title']}", ""]
        if not section["items"]:
            lines += ["_Nothing here yet._", ""]
        for item in section["items"]:
            lines.append(f"### {_item_heading(item)}")
            details = [f"Status: {item['status'].capitalize()}"]
            if item.get("owner"):
                details.append(f"Owner: {item['owner']}")
            if item.get("target_date"):
                details.append(f"Target date: {item['target_date']}")
            if item.get("element"):
                details.append(f"Element: {item['element']['name']}")
            lines += ["", " · ".join(details), ""]
            if item.get("notes"):
                lines += [item["notes"].strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def parse_date(value) -> date | None:
    return date.fromisoformat(value) if value else None
