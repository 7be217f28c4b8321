"""Reading an instrument export (JSON): strict validation with a clear message for each
problem, before anything touches the database (services.import_instrument resolves
the framework and its elements)."""

from __future__ import annotations

from typing import Any

from playbook import jsonfile, text
from playbook.jsonfile import DocumentError
from playbook.models import SCALE_OPTIONS, Scale, SurveyAudience
from playbook.models.survey import MIN_SCALE_OPTIONS
from playbook.surveys import document

MAX_BYTES = 1024 * 1024
MAX_ITEMS = 100
LIMITS = {"title": 200, "description": 5000, "open_question": 400, "text": 400}


def _line(value, name: str, limit: int, problems: list[str], required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{name} must be text.")
        return ""
    try:
        value = text.check_single_line(value, name).strip()
    except text.TextRefused as error:
        problems.append(str(error))
        return ""
    if required and not value:
        problems.append(f"{name} is missing.")
    if len(value) > limit:
        problems.append(f"{name} is longer than {limit} characters.")
    return value


def _pair(
    data, name: str, limit: int, problems: list[str], *, required=True, multi_line=False
) -> tuple[str, str]:
    """An {"en": …, "es": …} pair; both languages are required when `required`."""
    if data is None and not required:
        return "", ""
    if not isinstance(data, dict):
        problems.append(f"{name} must give an English (en) and a Spanish (es) text.")
        return "", ""
    result = []
    for lang, language in (("en", "English"), ("es", "Spanish")):
        label = f"{name} in {language}"
        if multi_line:
            value = data.get(lang) or ""
            if not isinstance(value, str):
                problems.append(f"{label} must be text.")
                value = ""
            value = text.clean_multi_line(value).strip()
            if len(value) > limit:
                problems.append(f"{label} is longer than {limit} characters.")
        else:
            value = _line(data.get(lang), label, limit, problems, required)
        result.append(value)
    if not required and bool(result[0]) != bool(result[1]):
        problems.append(f"{name} needs both an English and a Spanish text, or neither.")
    return result[0], result[1]


def _scale(data, where: str, problems: list[str]) -> str | None:
    name = data.get("name") if isinstance(data, dict) else data
    options = data.get("options") if isinstance(data, dict) else None
    known = ", ".join(s.value for s in Scale)
    if isinstance(options, list) and len(options) < MIN_SCALE_OPTIONS:
        problems.append(
            f"{where}: the scale has {len(options)} options; a scale needs at least "
            f"{MIN_SCALE_OPTIONS} labelled options (plus “prefer not to answer”)."
        )
        return None
    if not isinstance(name, str) or name not in {s.value for s in Scale}:
        problems.append(f"{where}: unknown scale {name!r}; use one of {known}.")
        return None
    if options is not None:
        expected = [{"en": o.en, "es": o.es} for o in SCALE_OPTIONS[Scale(name)]]
        if options != expected:
            problems.append(
                f"{where}: the labels of the “{name}” scale differ from this site's; "
                "leave them as exported (or leave out “options”)."
            )
    return name


def _item(data, where: str, problems: list[str]) -> dict:
    if not isinstance(data, dict):
        problems.append(f"{where} is not an item.")
        return {}
    component = data.get("component")
    if not isinstance(component, str) or not component.strip():
        problems.append(f"{where}: the component (its slug) is missing.")
    number = data.get("element")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        problems.append(f"{where}: the element must be its number in the component (1, 2, …).")
    element_name = data.get("element_name")
    if element_name is not None and not isinstance(element_name, str):
        problems.append(f"{where}: the element name must be text.")
    sensitive = data.get("sensitive", False)
    if not isinstance(sensitive, bool):
        problems.append(f"{where}: sensitive must be true or false.")
    text_en, text_es = _pair(data.get("text"), f"{where}: the question", LIMITS["text"], problems)
    return {
        "component": component,
        "element": number,
        "element_name": element_name,
        "text_en": text_en,
        "text_es": text_es,
        "scale": _scale(data.get("scale"), where, problems),
        "sensitive": sensitive,
    }


def _load(raw: bytes | str) -> Any:
    if len(raw) > MAX_BYTES:
        raise DocumentError([f"The file is larger than {MAX_BYTES // 1024} KB."])
    return jsonfile.load(raw)


def parse_document(raw: bytes | str) -> dict:
    """Validate an instrument export and return what to import. Raises DocumentError
    listing every problem found (up to 20)."""
    data = _load(raw)
    if not isinstance(data, dict) or data.get("format") != document.FORMAT:
        raise DocumentError(
            [f"The file is not a survey instrument export (expected format {document.FORMAT})."]
        )
    problems: list[str] = []
    framework = data.get("framework")
    slug = framework.get("slug") if isinstance(framework, dict) else None
    if not isinstance(slug, str) or not slug:
        problems.append("The framework (its slug) is missing.")
    audience = data.get("audience")
    if not isinstance(audience, str) or audience not in {a.value for a in SurveyAudience}:
        problems.append(
            f"Unknown audience {audience!r}; use one of "
            + ", ".join(a.value for a in SurveyAudience)
            + "."
        )
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise DocumentError(problems + ["The file has no items."])
    if len(items) > MAX_ITEMS:
        raise DocumentError(problems + [f"An instrument holds at most {MAX_ITEMS} items."])
    title = _pair(data.get("title"), "The title", LIMITS["title"], problems)
    description = _pair(
        data.get("description"),
        "The description",
        LIMITS["description"],
        problems,
        required=False,
        multi_line=True,
    )
    question = _pair(
        data.get("open_question"),
        "The open question",
        LIMITS["open_question"],
        problems,
        required=False,
    )
    doc = {
        "framework": slug,
        "audience": audience,
        "title_en": title[0],
        "title_es": title[1],
        "description_en": description[0],
        "description_es": description[1],
        "open_question_en": question[0],
        "open_question_es": question[1],
        "items": [_item(item, f"Item {n}", problems) for n, item in enumerate(items, start=1)],
    }
    if problems:
        raise DocumentError(problems[:20])
    return doc
