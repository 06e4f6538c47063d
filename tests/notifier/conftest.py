"""Fixtures of the notifier tests (the shared ones are in tests/conftest.py)."""

from tests.notifier.robot_endpoint import robot_endpoint  # noqa: F401 - a fixture
