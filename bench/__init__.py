"""Benchmarks of the simulators: ``python -m bench`` (``make bench``) prints figures beside their targets.

Modules:

* :mod:`bench.load` — a stdlib-only HTTP load generator (keep-alive ``http.client``, client threads), run in
  its own process so that the server under test keeps a core and a GIL to itself;
* :mod:`bench.data` — bulk realistic rows (clones of what ``Company.create`` produces) for large realms;
* :mod:`bench.measure` — one function per figure, each returning a dict of numbers;
* :mod:`bench.__main__` — runs them all and prints the table.

Benchmarks print, they never fail: the machine is small and noisy, so targets are compared, not asserted.
"""
