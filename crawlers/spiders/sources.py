"""One named spider class per registered source, so `scrapy list` shows every source id.

The classes are generated from the registry (plus the config's new sources, when a config
is found) and only set ``name``; a site that really differs gets a hand-written subclass
in this package, registered in ``SPECIAL``, instead.
"""

from __future__ import annotations

from crawlers.registry import SourceDefinition, load_sources
from crawlers.spiders.trs import TrsSpider
from policywatch.config import Config, ConfigError, defaults, load_config

FAMILIES: dict[str, type[TrsSpider]] = {"trs": TrsSpider}
SPECIAL: dict[str, type[TrsSpider]] = {}  # source id -> subclass, where a site differs


def spider_class(source: SourceDefinition) -> type[TrsSpider]:
    """The spider class that crawls ``source``, named after its id."""
    base = SPECIAL.get(source.id) or FAMILIES[source.family]
    class_name = "Spider_" + source.id.replace("-", "_")
    return type(class_name, (base,), {"name": source.id, "__module__": __name__})


def _listing_config() -> Config:
    try:
        return load_config(None)
    except ConfigError:
        return Config(
            origin="built-in defaults", values=defaults()
        )  # a broken config must not hide the built-ins


for _source in load_sources(_listing_config(), include_disabled=True):
    _cls = spider_class(_source)
    globals()[_cls.__name__] = _cls
del _source, _cls
