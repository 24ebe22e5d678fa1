"""Prometheus metrics: requests by endpoint and status, latency, sign-in throttles (counted as they
happen), and the outbox, feed and import figures (read from the database at each scrape).

Under gunicorn every worker is its own process: set PROMETHEUS_MULTIPROC_DIR (an empty directory,
cleared at each start) and the counters are shared through files there, so any worker's /metrics
answers for all of them (prometheus_client's multiprocess mode; deploy/gunicorn.conf.py marks
exited workers). Without it the figures are this process's own.
"""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from orders import clock
from orders.extensions import db


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


_directory = multiprocess_dir()
if _directory:  # each metric below opens its file there at once; the directory must exist
    os.makedirs(_directory, exist_ok=True)

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "orders_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"], registry=REGISTRY,
)
LATENCY = Histogram(
    "orders_http_request_duration_seconds", "Time to answer a request, by endpoint.", ["endpoint"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SIGN_IN_THROTTLED = Counter(
    "orders_sign_in_throttled_total", "Sign-in attempts refused by the throttle (429) before any password check.",
    registry=REGISTRY,
)


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request. Unknown URLs share one label, so scanners cannot grow the series."""
    label = endpoint or "unmatched"
    REQUESTS.labels(label, method if method in ("GET", "POST", "HEAD") else "other", str(status)).inc()
    LATENCY.labels(label).observe(seconds)
    if label == "auth.sign_in" and status == 429:
        SIGN_IN_THROTTLED.inc()


class DatabaseCollector:
    """Figures read from the database at scrape time (the same for every worker, so never summed)."""

    def describe(self):
        return []

    def collect(self):
        from orders.domain.mail.failed import outbox_stats
        from orders.domain.models import AdminAuditEntry, FeedRun

        now = clock.utcnow()
        stats = outbox_stats()
        yield GaugeMetricFamily(
            "orders_outbox_pending", "Emails waiting to be sent (pending or being sent).", value=stats.pending
        )
        yield GaugeMetricFamily(
            "orders_outbox_failed",
            "Emails the worker gave up on (see the back office: Failed mail).",
            value=stats.failed,
        )
        yield GaugeMetricFamily(
            "orders_outbox_oldest_pending_age_seconds",
            "Age of the oldest email not yet sent; 0 when none waits.",
            value=stats.oldest_pending_age(now),
        )
        feeds = CounterMetricFamily(
            "orders_feed_runs", "Order feed files written (export-feed), by kind.", labels=["kind"]
        )
        last_feed = GaugeMetricFamily(
            "orders_feed_last_run_timestamp_seconds",
            "When the last feed file of each kind was written.",
            labels=["kind"],
        )
        for kind, count, last in db.session.execute(
            select(FeedRun.kind, func.count(), func.max(FeedRun.created_at)).group_by(FeedRun.kind)
        ):
            feeds.add_metric([kind.value], count)
            last_feed.add_metric([kind.value], last.timestamp())
        yield feeds
        yield last_feed
        count, last = db.session.execute(
            select(func.count(), func.max(AdminAuditEntry.occurred_at)).where(AdminAuditEntry.kind == "sis.import")
        ).one()
        yield CounterMetricFamily(
            "orders_sis_imports", "SIS imports applied (import-sis, recorded in the audit log).", value=count
        )
        yield GaugeMetricFamily(
            "orders_sis_import_last_run_timestamp_seconds",
            "When the last SIS import was applied; 0 if never.",
            value=last.timestamp() if last else 0,
        )


def exposition() -> tuple[bytes, str]:
    """The text format: the process (or, in multiprocess mode, all workers') counters, then the database's figures."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    from_database = CollectorRegistry(auto_describe=False)
    from_database.register(DatabaseCollector())
    return generate_latest(counted) + generate_latest(from_database), CONTENT_TYPE_LATEST
