"""Prometheus metrics of one server, in a registry of its own (tests run several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter("waitwell_events_total", "Queue events accepted, by type",
                              ["type"], registry=self.registry)
        self.duplicates = Counter("waitwell_events_duplicate_total", "Queue events already seen",
                                  registry=self.registry)
        self.rejects = Counter("waitwell_events_rejected_total", "Queue events rejected, by reason",
                               ["code"], registry=self.registry)
        self.connections = Gauge("waitwell_connections", "Open WebSocket connections, by feed",
                                 ["feed"], registry=self.registry)
        self.alerts = Counter("waitwell_alerts_total", "Alert changes, by kind and change",
                              ["kind", "change"], registry=self.registry)
        self.journal_commit = Histogram(
            "waitwell_journal_commit_seconds", "Time to make one group of records durable",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry)
        self.journal_batch = Histogram(
            "waitwell_journal_batch_records", "Records per group commit",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), registry=self.registry)
        self.waiting = Gauge("waitwell_waiting", "Tickets waiting now", registry=self.registry)
        self.open_windows = Gauge("waitwell_open_windows", "Windows open now", registry=self.registry)

    def observe_commit(self, seconds: float, records: int) -> None:
        self.journal_commit.observe(seconds)
        self.journal_batch.observe(records)

    def render(self) -> bytes:
        return generate_latest(self.registry)
