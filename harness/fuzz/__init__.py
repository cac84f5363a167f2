"""A fuzz suite of the project's own (issue 13): hypothesis over the HTTP surface of both simulators, the
admin API and the engine's webhook receiver. ``make fuzz`` (``python -m harness.fuzz``) sends at least
10,000 requests per simulator and prints requests sent, 5xx seen and state changes caused by refused
requests; ``tests/fuzz/`` runs a small slice inside ``make test``. Target: 0 and 0."""
