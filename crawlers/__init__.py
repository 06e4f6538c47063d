"""Scrapy project: the sources registry, the TRS spider family, items and the storage pipeline.

Public surface: ``crawlers.runner.crawl_sources`` (crawl a batch in a child process and get
``crawlers.health.SourceHealth`` back), ``crawlers.processes.CrawlProcesses`` (where those
children can be cancelled), ``crawlers.registry`` (the monitored sources),
``crawlers.crawl_config`` (the typed settings a crawl is handed: nothing here imports
policywatch/ or notifier/) and ``crawlers.logging_setup``. ``crawlers.browser_fetch`` is the
headless-Chromium fetch for challenge sites (scrapy-playwright), used by the spiders only.
Everything else is Scrapy wiring:
``scrapy list`` / ``scrapy crawl ID`` use crawlers.settings.
"""
