"""Helpers shared by the tests: traces, and the real tools (click, p4c, BMv2) when present."""
