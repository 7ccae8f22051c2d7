"""Renderers: the self-contained HTML report (and, from the sinks, markdown and JUnit)."""
