"""policywatch: the application shell — config, the `policywatch` CLI, the daemon wiring.

The work itself is done by crawlers/, parsers/, storage/ and notifier/; modules here only
compose them (policywatch.cycle runs one crawl → version → notify cycle).
"""

__version__ = "0.1.0"
