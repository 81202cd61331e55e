"""Test doubles shared by the tests and the bench scripts: loopback stand-ins for the four services.

Import as ``tests.fakes.services`` (pytest puts the checkout on ``sys.path`` through ``pythonpath`` in
pyproject.toml; bench scripts run with ``PYTHONPATH=src:.`` from the checkout).
"""
