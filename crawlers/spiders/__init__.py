"""Spiders: ``trs`` (the province's TRS platform) and one named class per source id (sources.py)."""
