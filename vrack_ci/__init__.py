"""vrack ci: continuous test cycles against fresh racks, with history, flaky tests, GitHub PR gates and a dashboard.

Stands on vrack's public API only: the ``vrack.commands`` entry point for the CLI, :mod:`vrack.testing` for
the rack of each cycle, :mod:`vrack.located` for validating the config like rack specs.
"""
