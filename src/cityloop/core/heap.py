"""The start-up heap kept out of Python's garbage collector (``gc.freeze``).

A Django process holds some 300 k long-lived objects after start-up (modules, models, URL
patterns, templates, translations). Every full collection of the oldest generation walks
them all, and a request that builds a few thousand model instances and template contexts
triggers such collections: at 1 M cases the workbench's p95 was 3–4× its p50 for that reason
alone (bench/bench_scale.py; 274 → 85 ms p90 with the heap frozen). Frozen objects are never
scanned again — they live as long as the process anyway — and a forked worker keeps sharing
their memory pages with the master instead of copying them when the collector touches them.
"""

from __future__ import annotations

import gc


def freeze_startup() -> int:
    """Import every view (the URL configuration, which Django otherwise loads at the first
    request), collect once, then freeze what is left; returns how many objects are frozen.

    Called by ``cityloop serve`` before gunicorn forks its workers and by the benchmarks
    that time requests in their own process, so that both measure the same heap."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every urls and views module)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
