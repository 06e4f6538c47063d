"""Scrapy project: the sources registry, the TRS spider family, items and the storage pipeline.

Public surface: ``crawlers.runner.crawl_sources`` (crawl a batch in a child process and get
``crawlers.health.SourceHealth`` back), ``crawlers.processes.CrawlProcesses`` (where those
children can be cancelled) and ``crawlers.registry`` (the monitored sources).
Everything else is Scrapy wiring: ``scrapy list`` / ``scrapy crawl ID`` use crawlers.settings.
"""
