"""One module per rule kind; rules.registry collects them into ``KINDS``."""
