"""Benchmarks: real uvicorn servers driven by wrk on loopback, against a reference measured in the same run.

`python -m bench` writes bench/RESULTS.md; `python -m bench --smoke` is the seconds-long check CI runs.
"""
