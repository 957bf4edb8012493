"""The ethics satisfaction questionnaire (行风满意度评价, DOMAIN.md): questions, answers, what counts as positive,
and checking a filled form. Pure data and functions: the public form, the rollup and the dashboard share it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

COMMENT = "comment"
COMMENT_MAX = 2000
FORMAT = 1


@dataclass(frozen=True)
class Question:
    key: str
    text: str  # Chinese; the English comes from the catalogue
    short: str  # column heading on the dashboard
    answers: tuple[tuple[str, str], ...]  # (stored value, Chinese label), in the order shown
    positive: frozenset[str]
    positive_rule: str  # what "positive" means, said on the dashboard

    @cached_property
    def values(self) -> frozenset[str]:  # cached: the rollup asks for every answer of every rating
        return frozenset(value for value, _ in self.answers)

    def label(self, value: str) -> str:
        return dict(self.answers).get(value, value)


def _five(labels: tuple[str, str, str, str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(zip(("5", "4", "3", "2", "1"), labels, strict=True))


_GOOD = ("很好", "较好", "一般", "较差", "很差")
_CLEAR = ("很清楚", "较清楚", "一般", "不太清楚", "很不清楚")
_YES_NO_UNSURE = (("yes", "是"), ("no", "否"), ("unsure", "不清楚"))
_YES_NO = (("yes", "是"), ("no", "否"))
_TOP_TWO = frozenset({"5", "4"})

QUESTIONS: tuple[Question, ...] = (
    Question("overall", "总体评价", "总体评价", _five(_GOOD), _TOP_TWO, "很好或较好"),
    Question("red_envelope", "医务人员是否暗示或索要“红包”、礼品？", "未索要红包", _YES_NO_UNSURE,
             frozenset({"no"}), "答“否”"),
    Question("outside_purchase", "是否被推荐到院外购药或购买第三方服务？", "未推荐院外购药", _YES_NO,
             frozenset({"no"}), "答“否”"),
    Question("unnecessary", "是否有不必要的检查或治疗？", "无不必要检查", _YES_NO_UNSURE,
             frozenset({"no"}), "答“否”"),
    Question("fees_clear", "收费是否清楚透明？", "收费透明", _five(_CLEAR), _TOP_TWO, "很清楚或较清楚"),
    Question("attitude", "服务态度", "服务态度", _five(_GOOD), _TOP_TWO, "很好或较好"),
    Question("recommend", "是否会向亲友推荐本院？", "愿意推荐",
             (("definitely", "一定会"), ("probably", "可能会"), ("probably_not", "基本不会"),
              ("definitely_not", "一定不会")),
             frozenset({"definitely", "probably"}), "一定会或可能会"),
)
BY_KEY: Mapping[str, Question] = {q.key: q for q in QUESTIONS}


@dataclass(frozen=True)
class FilledRating:
    """A complete, valid set of answers and an optional comment."""

    answers: Mapping[str, str]
    comment: str

    def payload(self) -> dict[str, object]:
        fields: dict[str, str] = dict(self.answers)
        if self.comment:
            fields[COMMENT] = self.comment
        return {"v": FORMAT, "fields": fields}


class IncompleteRating(Exception):
    """Some questions are unanswered or carry an answer that is not offered; `errors` says which."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = dict(errors)


MISSING = "请回答这一题"
NOT_OFFERED = "请从选项中选择"
TOO_LONG = "其他意见最多 2000 字"


def check(values: Mapping[str, str]) -> FilledRating:
    """Validate the answers of a form (absent = empty string); raise IncompleteRating with a message per question."""
    errors: dict[str, str] = {}
    answers: dict[str, str] = {}
    for question in QUESTIONS:
        value = values.get(question.key, "")
        if not value:
            errors[question.key] = MISSING
        elif value not in question.values:
            errors[question.key] = NOT_OFFERED
        else:
            answers[question.key] = value
    comment = values.get(COMMENT, "").strip()
    if len(comment) > COMMENT_MAX:
        errors[COMMENT] = TOO_LONG
    if errors:
        raise IncompleteRating(errors)
    return FilledRating(answers=answers, comment=comment)


def read_payload(payload: Mapping[str, object]) -> tuple[dict[str, str], str]:
    """The answers and comment of an opened rating, keeping only offered answers (a browser-sealed envelope
    was never checked by the server, so anything else in it is ignored rather than counted)."""
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        return {}, ""
    answers = {
        q.key: fields[q.key] for q in QUESTIONS if isinstance(fields.get(q.key), str) and fields[q.key] in q.values
    }
    comment = fields.get(COMMENT)
    return answers, comment.strip()[:COMMENT_MAX] if isinstance(comment, str) else ""


def raises_alert(answers: Mapping[str, str], comment: str) -> bool:
    """A red envelope asked for, or any comment, is a possible clue for the office."""
    return answers.get("red_envelope") == "yes" or bool(comment)
