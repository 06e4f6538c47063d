"""One named spider class per registered source, so `scrapy list` shows every source id.

The classes are generated from the registry (plus the new sources of the crawl config
handed over in $POLICYWATCH_CRAWL_CONFIG, if any) and only set ``name``; a site that really
differs gets a hand-written subclass in this package, registered in ``SPECIAL``, instead.
"""

from __future__ import annotations

from crawlers.crawl_config import CrawlConfig
from crawlers.registry import SourceDefinition, load_sources
from crawlers.spiders.trs import TrsSpider

FAMILIES: dict[str, type[TrsSpider]] = {"trs": TrsSpider}
SPECIAL: dict[str, type[TrsSpider]] = {}  # source id -> subclass, where a site differs


def spider_class(source: SourceDefinition) -> type[TrsSpider]:
    """The spider class that crawls ``source``, named after its id."""
    base = SPECIAL.get(source.id) or FAMILIES[source.family]
    class_name = "Spider_" + source.id.replace("-", "_")
    return type(class_name, (base,), {"name": source.id, "__module__": __name__})


def _listed_sources() -> list[SourceDefinition]:
    try:
        return load_sources(CrawlConfig.from_environment(), include_disabled=True)
    except ValueError:  # a broken hand-over must not hide the built-ins
        return load_sources(CrawlConfig(), include_disabled=True)


for _source in _listed_sources():
    _cls = spider_class(_source)
    globals()[_cls.__name__] = _cls
del _source, _cls
