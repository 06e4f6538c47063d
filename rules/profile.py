"""A worker's profile: the facts the eligibility engine reads (rules/eligibility.py).

Plain data, stdlib only. ``None`` always means "not given": the engine reports what it
could not evaluate instead of guessing. Validation of what people type (unknown keys,
bounds, region names) happens where the file is read (policywatch/profile_file.py); this
module only holds the facts and turns them to and from JSON for storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .levels import LEVELS, level_rank, normalise_level
from .occupations import normalise_occupation

SEXES: tuple[str, ...] = ("male", "female")
HOUSING: tuple[str, ...] = ("owned", "rented", "none")
# Schooling, lowest first; 高中, 中专 and 技工院校 are the same tier.
EDUCATION: tuple[str, ...] = ("初中", "高中", "中专", "技工院校", "大专", "本科", "硕士", "博士")
_EDUCATION_TIER = {"初中": 0, "高中": 1, "中专": 1, "技工院校": 1, "大专": 2, "本科": 3, "硕士": 4, "博士": 5}
_EDUCATION_WORDS = {
    "初中": "初中",
    "高中": "高中",
    "中专": "中专",
    "中职": "中专",
    "技工院校": "技工院校",
    "技校": "技工院校",
    "大专": "大专",
    "专科": "大专",
    "本科": "本科",
    "学士": "本科",
    "硕士": "硕士",
    "研究生": "硕士",
    "博士": "博士",
}


def education_tier(text: str | None) -> int | None:
    """Rank of a schooling level (初中 0 … 博士 5), from a profile value or a rule's wording."""
    if not text:
        return None
    for word, name in _EDUCATION_WORDS.items():
        if word in text:
            return _EDUCATION_TIER[name]
    return None


def education_words(text: str) -> set[str]:
    """The schooling levels a rule's wording names ("高中、中专" → {高中, 中专})."""
    return {name for word, name in _EDUCATION_WORDS.items() if word in text}


@dataclass(frozen=True)
class Certificate:
    """A 职业技能等级证书 / 职业资格证书: occupation (normalised) and canonical level."""

    occupation: str
    level: str

    @property
    def rank(self) -> int:
        return level_rank(self.level) or 0


@dataclass(frozen=True)
class CityFacts:
    """What the person has in one region: continuous insurance months, residence, housing."""

    social_insurance_months: int | None = None
    residence_years: float | None = None
    housing: str | None = None  # owned | rented | none
    district: str | None = None


@dataclass(frozen=True)
class Profile:
    """A worker as the rules see them. Optional facts the schedules score may be left out."""

    age: int | None = None
    sex: str | None = None
    education: str | None = None
    certificates: tuple[Certificate, ...] = ()
    cities: Mapping[str, CityFacts] = field(default_factory=dict)
    blood_donations: int | None = None  # times
    volunteer_hours: float | None = None
    criminal_record: bool | None = None
    awards: tuple[str, ...] | None = None  # () = none; None = not given

    def city(self, region: str) -> CityFacts:
        """The facts for a region; all unknown when the profile has no table for it."""
        return self.cities.get(region) or CityFacts()

    def best_certificate(self) -> Certificate | None:
        """The highest-level certificate (the first of equals)."""
        best: Certificate | None = None
        for cert in self.certificates:
            if best is None or cert.rank > best.rank:
                best = cert
        return best

    def with_level(self, occupation: str, level: str) -> Profile:
        """The same person holding ``level`` in ``occupation`` (a what-if)."""
        certs = [c for c in self.certificates if c.occupation != occupation]
        return replace(self, certificates=(*certs, Certificate(occupation, level)))

    def with_city(self, region: str, **facts: Any) -> Profile:
        cities = dict(self.cities)
        cities[region] = replace(self.city(region), **facts)
        return replace(self, cities=cities)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the same shape as the TOML file (stored on a subscription)."""
        person: dict[str, Any] = {
            k: v
            for k, v in {
                "age": self.age,
                "sex": self.sex,
                "education": self.education,
                "blood_donations": self.blood_donations,
                "volunteer_hours": self.volunteer_hours,
                "criminal_record": self.criminal_record,
                "awards": list(self.awards) if self.awards is not None else None,
            }.items()
            if v is not None
        }
        return {
            "person": person,
            "certificates": [{"occupation": c.occupation, "level": c.level} for c in self.certificates],
            "cities": {
                region: {k: v for k, v in vars_of(facts).items() if v is not None}
                for region, facts in self.cities.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Rebuild from ``to_dict`` output (stored data, already validated when it was saved)."""
        person = dict(data.get("person") or {})
        awards = person.get("awards")
        return cls(
            age=person.get("age"),
            sex=person.get("sex"),
            education=person.get("education"),
            blood_donations=person.get("blood_donations"),
            volunteer_hours=person.get("volunteer_hours"),
            criminal_record=person.get("criminal_record"),
            awards=tuple(awards) if awards is not None else None,
            certificates=tuple(
                Certificate(normalise_occupation(c["occupation"]), normalise_level(c["level"]) or c["level"])
                for c in data.get("certificates") or ()
            ),
            cities={region: CityFacts(**facts) for region, facts in (data.get("cities") or {}).items()},
        )


def vars_of(facts: CityFacts) -> dict[str, Any]:
    return {
        "social_insurance_months": facts.social_insurance_months,
        "residence_years": facts.residence_years,
        "housing": facts.housing,
        "district": facts.district,
    }


def next_level(level: str) -> str | None:
    """The level above ``level`` on the five-tier ladder (一级/高级技师 is the top one offered)."""
    rank = level_rank(level)
    if rank is None or rank >= LEVELS.index("一级/高级技师"):
        return None
    return LEVELS[rank + 1]
