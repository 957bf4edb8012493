"""Answer counts of ratings, and how they are sealed at rest: under a key derived from an office key generation,
bound to their office, department and month so that a sealed counter cannot be moved to another cell."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crypto import PrivateKey, context, hkdf, private_key_bytes, unwrap_with_key, wrap_with_key

SOURCES = ("verified", "open")
CHINA = timedelta(hours=8)  # months are counted in China time (no daylight saving)
NO_DEPARTMENT = 0


def month_of(hour: datetime) -> str:
    china = hour + CHINA
    return f"{china.year:04d}-{china.month:02d}"  # strftime costs more than opening half an envelope


def source_of(verified: bool) -> str:
    return "verified" if verified else "open"


@dataclass
class Tally:
    """Ratings and answers counted per source (verified / open), question and answer."""

    ratings: Counter[str] = field(default_factory=Counter)
    answers: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (source, question, answer)

    def add(self, source: str, answers: Mapping[str, str]) -> None:
        self.ratings[source] += 1
        for question, answer in answers.items():
            self.answers[(source, question, answer)] += 1

    def merge(self, other: Tally) -> None:
        self.ratings.update(other.ratings)
        self.answers.update(other.answers)

    def to_bytes(self) -> bytes:
        data = {
            "v": 1,
            "ratings": dict(self.ratings),
            "answers": [[s, q, a, n] for (s, q, a), n in sorted(self.answers.items())],
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Tally:
        data = json.loads(raw.decode("utf-8"))
        return cls(
            ratings=Counter({str(k): int(v) for k, v in data["ratings"].items()}),
            answers=Counter({(str(s), str(q), str(a)): int(n) for s, q, a, n in data["answers"]}),
        )


def counter_key(office_private: PrivateKey) -> bytes:
    return hkdf(private_key_bytes(office_private), info=b"hip-rating-counters-v1")


def _counter_context(office_id: int, department_key: int, month: str) -> bytes:
    return context("rating-counter", str(office_id), str(department_key), month)


def seal_tally(key: bytes, tally: Tally, *, office_id: int, department_key: int, month: str) -> bytes:
    return wrap_with_key(key, tally.to_bytes(), associated_data=_counter_context(office_id, department_key, month))


def open_tally(key: bytes, sealed: bytes, *, office_id: int, department_key: int, month: str) -> Tally:
    return Tally.from_bytes(
        unwrap_with_key(key, sealed, associated_data=_counter_context(office_id, department_key, month))
    )
