"""The YAML schema of a survey file (pydantic models), and turning a checked one into the
frozen objects of bot/content/surveys.py (split from it)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.content.surveys import (
    ID_RE,
    MAX_ID,
    SCALES,
    Condition,
    Jump,
    Option,
    Question,
    QuestionType,
    Survey,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def as_values(v: Any) -> tuple[str, ...]:
    """YAML 1.1 reads yes/no as booleans and 3 as an int: normalise all to answer strings."""
    items = v if isinstance(v, list) else [v]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("yes" if item else "no")
        else:
            out.append(str(item))
    return tuple(out)


class OptionModel(_Model):
    id: str = Field(max_length=MAX_ID)
    label: str = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        v = str(v)
        if not ID_RE.match(v):
            raise ValueError(f"{v!r} is not a valid id (lower-case letters, digits, - or _)")
        return v


class ConditionModel(_Model):
    question: str
    equals: Any = None
    at_least: float | None = None
    at_most: float | None = None


class JumpModel(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    if_: Any = Field(default=None, alias="if")
    at_least: float | None = None
    at_most: float | None = None
    goto: str


class QuestionModel(_Model):
    id: str = Field(max_length=MAX_ID)
    type: QuestionType
    text: str = Field(min_length=1)
    title: str | None = Field(default=None, min_length=1)
    required: bool = True
    options: list[OptionModel] = []
    min: int | None = None
    max: int | None = None
    pick: int | None = None
    scale: str | None = None
    low: str | None = None
    high: str | None = None
    max_length: int | None = None
    show_if: ConditionModel | None = None
    next: str | list[JumpModel] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"{v!r} is not a valid id (lower-case letters, digits, - or _)")
        return v


class SurveyModel(_Model):
    id: str = Field(max_length=MAX_ID)
    title: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    privacy: str = Field(min_length=1)
    thanks: str = Field(min_length=1)
    opens: str
    closes: str
    audience: Literal["everyone", "nags", "link"] = "everyone"
    nags: list[str] = []
    anonymous: bool = True
    repeatable: bool = False
    changeable: bool = False
    questions: list[QuestionModel] = Field(min_length=1)


def condition(c: ConditionModel) -> Condition:
    values = as_values(c.equals) if c.equals is not None else ()
    return Condition(c.question, values, c.at_least, c.at_most)


def build(m: SurveyModel, opens: date, closes: date, file: str, yes_no: tuple[str, str]) -> Survey:
    questions = []
    for q in m.questions:
        jumps: tuple[Jump, ...] = ()
        goto = None
        if isinstance(q.next, str):
            goto = q.next
        elif q.next:
            jumps = tuple(
                Jump(
                    condition(
                        ConditionModel(
                            question=q.id, equals=r.if_, at_least=r.at_least, at_most=r.at_most
                        )
                    ),
                    r.goto,
                )
                for r in q.next
            )
        questions.append(
            Question(
                id=q.id,
                type=q.type,
                text=q.text.strip(),
                required=q.required,
                options=tuple(Option(o.id, o.label) for o in q.options),
                min=q.min
                if q.type != "multi"
                else (q.min if q.min is not None else int(q.required)),
                max=q.max
                if q.type != "multi"
                else (q.max if q.max is not None else len(q.options)),
                pick=q.pick or 3,
                scale=SCALES.get(str(q.scale or "1-5"), (1, 5)),
                low=q.low or "",
                high=q.high or "",
                max_length=q.max_length or 1000,
                show_if=condition(q.show_if) if q.show_if else None,
                jumps=jumps,
                goto=goto,
                yes_no=yes_no,
                title=(q.title or "").strip(),
            )
        )
    return Survey(
        id=m.id,
        title=m.title,
        intro=m.intro.strip(),
        privacy=m.privacy.strip(),
        thanks=m.thanks.strip(),
        opens=opens,
        closes=closes,
        audience=m.audience,
        nags=tuple(m.nags),
        anonymous=m.anonymous,
        repeatable=m.repeatable,
        changeable=m.changeable,
        questions=tuple(questions),
        file=file,
    )
