"""A worker's profile file (TOML), validated like the main config: an unknown key, a wrong
type or a value out of bounds is one line naming the file and the key (exit 2).

The sections' fields below are the schema of the file; rules.profile.Profile is what the
engine reads. Region tables (``[cities.xiamen]``) are checked against the known regions.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from policywatch.config import ConfigError, _schema_of, _validate_table
from rules.levels import normalise_level
from rules.occupations import normalise_occupation
from rules.profile import EDUCATION, HOUSING, SEXES, Certificate, CityFacts, Profile


@dataclass(frozen=True)
class PersonFields:
    """[person]"""

    age: int | None = field(default=None, metadata={"doc": "Age in full years.", "min": 14, "max": 100})
    sex: str | None = field(default=None, metadata={"doc": "male or female.", "choices": SEXES})
    education: str | None = field(default=None, metadata={"doc": "Highest schooling.", "choices": EDUCATION})
    blood_donations: int | None = field(
        default=None, metadata={"doc": "Times donated blood (无偿献血).", "min": 0, "max": 1000}
    )
    volunteer_hours: float | None = field(
        default=None, metadata={"doc": "Registered volunteer hours.", "min": 0, "max": 100000}
    )
    criminal_record: bool | None = field(
        default=None, metadata={"doc": "Has a criminal record (违法犯罪记录)."}
    )
    awards: tuple[str, ...] | None = field(
        default=None, metadata={"doc": "Honours and awards as named by the schedules ([] for none)."}
    )


@dataclass(frozen=True)
class CertificateFields:
    """[[certificates]]"""

    occupation: str = field(default="", metadata={"doc": "Occupation, any name the normaliser accepts."})
    level: str = field(
        default="", metadata={"doc": "Skill level, any alias (四级, 中级, 国家职业资格四级 …)."}
    )


@dataclass(frozen=True)
class CityFields:
    """[cities.<region>]"""

    social_insurance_months: int | None = field(
        default=None,
        metadata={"doc": "Continuous social-insurance months in that city.", "min": 0, "max": 720},
    )
    residence_years: float | None = field(
        default=None,
        metadata={"doc": "Years of residence permit / registered residence there.", "min": 0, "max": 100},
    )
    housing: str | None = field(default=None, metadata={"doc": "owned, rented or none.", "choices": HOUSING})
    district: str | None = field(default=None, metadata={"doc": "District (区/县) lived in there."})


PERSON = _schema_of(PersonFields)
CERTIFICATE = _schema_of(CertificateFields)
CITY = _schema_of(CityFields)
SECTIONS = ("person", "certificates", "cities")


def parse_profile(text: str, origin: str, regions: Mapping[str, str]) -> Profile:
    """Validate a profile's TOML text; ``regions`` (id → name) are the regions a city table may
    name (ids or names). Raises ConfigError naming the first bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, "(file)", f"valid TOML ({exc})") from None
    for key in raw:
        if key not in SECTIONS:
            raise ConfigError(origin, key, "a section among " + ", ".join(SECTIONS))
    person = raw.get("person", {})
    if not isinstance(person, dict):
        raise ConfigError(origin, "person", "a [person] table")
    checked = _validate_table(origin, "person", PERSON, person)
    certificates = []
    listed = raw.get("certificates", [])
    if not isinstance(listed, list):
        raise ConfigError(origin, "certificates", "[[certificates]] tables")
    for i, cert in enumerate(listed):
        where = f"certificates[{i}]"
        if not isinstance(cert, dict):
            raise ConfigError(origin, where, "a table with occupation and level")
        values = _validate_table(origin, where, CERTIFICATE, cert)
        occupation = normalise_occupation(values.get("occupation") or "")
        if not occupation:
            raise ConfigError(origin, f"{where}.occupation", "an occupation name, e.g. 电工")
        level = normalise_level(values.get("level") or "")
        if level is None:
            raise ConfigError(
                origin,
                f"{where}.level",
                "a skill level such as 初级工, 四级, 国家职业资格三级",
                cert.get("level"),
            )
        certificates.append(Certificate(occupation, level))
    cities_raw = raw.get("cities", {})
    if not isinstance(cities_raw, dict):
        raise ConfigError(origin, "cities", "tables like [cities.xiamen]")
    by_name = {name.lower(): rid for rid, label in regions.items() for name in (rid, label)}
    cities: dict[str, CityFacts] = {}
    for name, facts in cities_raw.items():
        region = by_name.get(str(name).lower())
        if region is None:
            raise ConfigError(origin, f"cities.{name}", "a known region: " + ", ".join(regions))
        if not isinstance(facts, dict):
            raise ConfigError(origin, f"cities.{name}", "a table of facts")
        cities[region] = CityFacts(**_validate_table(origin, f"cities.{name}", CITY, facts))
    return Profile(certificates=tuple(certificates), cities=cities, **checked)


def load_profile(path: str, regions: Mapping[str, str]) -> Profile:
    """Read and validate a profile file (ConfigError when it cannot be read or is wrong)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            path, "(file)", f"a readable UTF-8 profile file ({exc.__class__.__name__})"
        ) from None
    return parse_profile(text, path, regions)
