"""The owner's "describe the problem" box on the vehicle page: the form, and the ranked
answers with a "book this" button each (or the job already open for it), or, when nothing
matches well, the honest "not sure" with a general inspection to book. Every text the owner
or the car wrote is escaped (``api.html``)."""

from __future__ import annotations

from api.assist_schemas import AssistAnswer, CandidateOut
from api.html import Child, Html, el, join, url_path
from api.web_pages import csrf_field

GENERAL_INSPECTION = "owner-report"
_WORDS = {
    "en": {
        "book": "Book this",
        "open": "Already booked: job",
        "why": "What the car shows: ",
        "general": "Book a general inspection",
        "heading": "Most likely, best first",
    },
    "zh": {
        "book": "预约此项",
        "open": "已有工单：",
        "why": "车辆数据：",
        "general": "预约全面检查",
        "heading": "最可能的原因（按可能性排序）",
    },
}


def assist_box(vin: str, csrf: str | None, answer: AssistAnswer | None, text: str = "") -> Html:
    form = el(
        "form",
        csrf_field(csrf),
        el(
            "label",
            "In your own words (English or 中文)",
            el("br"),
            el("textarea", text, name="text", rows=2, cols=50, maxlength=500, required="required"),
            class_="assist-text",
        ),
        el("button", "Ask", type="submit"),
        method="post",
        action=url_path("vehicles", vin, "assist"),
        class_="assist-form",
    )
    return el(
        "section",
        el("h2", "Describe the problem"),
        form,
        _answer(vin, csrf, answer) if answer is not None else None,
        class_="assist",
        id="assist",
    )


def _answer(vin: str, csrf: str | None, answer: AssistAnswer) -> Html:
    words = _WORDS.get(answer.language, _WORDS["en"])
    if not answer.confident:
        return el(
            "div",
            el("p", answer.message, class_="assist-unsure"),
            _book_form(vin, csrf, answer.text, GENERAL_INSPECTION, words["general"]),
            class_="assist-answer",
            lang=answer.language,
        )
    items = [_candidate(vin, csrf, answer.text, c, words) for c in answer.candidates]
    return el(
        "div",
        el("h3", words["heading"]),
        el("ol", *items, class_="assist-list"),
        class_="assist-answer",
        lang=answer.language,
    )


def _candidate(
    vin: str, csrf: str | None, text: str, c: CandidateOut, words: dict[str, str]
) -> Html:
    action: Child
    if c.open_job is not None:
        job = c.open_job
        action = el(
            "p",
            words["open"],
            " ",
            el("a", f"#{job.id} ({job.status})", href=f"/jobs/{job.id}/page"),
            class_="assist-open",
        )
    else:
        action = _book_form(vin, csrf, text, c.rule_id, words["book"])
    return el(
        "li",
        el("strong", c.headline),
        el("div", c.summary, class_="muted"),
        el("p", words["why"], c.why, class_="assist-why") if c.why else None,
        action,
    )


def _book_form(vin: str, csrf: str | None, text: str, rule_id: str, label: str) -> Html:
    return el(
        "form",
        join(
            csrf_field(csrf),
            el("input", type="hidden", name="text", value=text),
            el("input", type="hidden", name="rule_id", value=rule_id),
        ),
        el("button", label, type="submit"),
        method="post",
        action=url_path("vehicles", vin, "assist", "book"),
        class_="inline assist-book",
    )
