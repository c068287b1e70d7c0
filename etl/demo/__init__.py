"""The demo: the real Shanghai sample shipped in data/sample, plus the simulated parts it lacks.

``run_demo(conn, settings=...)`` loads both in order (etl/demo/run.py); the sample steps are in
etl/demo/sample.py and the seeded generator of grids, households, statuses and people, with its
model, in etl/demo/generator.py.
"""

from etl.demo.run import iter_demo, run_demo

__all__ = ["iter_demo", "run_demo"]
