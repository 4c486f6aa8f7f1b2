"""Metrics: what each observation counts, which labels exist, and the exposition text."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from scimkeeper.metrics import Metrics, prepare_multiprocess_dir


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.render().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_requests_are_counted_by_route_template_and_status() -> None:
    """A request counts once under its template; an unmatched path is `unmatched`, never the raw path."""
    metrics = Metrics()
    metrics.request("GET", "/scim/v2/Users/{id}", 200, 0.01, "acct")
    metrics.request("GET", None, 404, 0.001, None)
    found = samples(metrics)
    key = (("method", "GET"), ("route", "/scim/v2/Users/{id}"), ("status", "200"))
    assert found["scimkeeper_http_requests_total", key] == 1
    assert found["scimkeeper_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert found["scimkeeper_http_request_duration_seconds_count", key[:2]] == 1


def test_401s_count_as_auth_failures_of_their_api() -> None:
    """401 on /scim and on /api count separately; other 401s (e.g. /metrics) are not authentication of an API."""
    metrics = Metrics()
    metrics.request("GET", "/scim/v2/Users", 401, 0.001, None)
    metrics.request("GET", "/api/v1/accounts/{account}/access", 401, 0.001, None)
    metrics.request("GET", "/metrics", 401, 0.001, None)
    found = samples(metrics)
    assert found["scimkeeper_auth_failures_total", (("api", "scim"),)] == 1
    assert found["scimkeeper_auth_failures_total", (("api", "api"),)] == 1


def test_lifecycle_actions_map_to_provisioning_events() -> None:
    """Audit actions become events; PUT and PATCH are both `updated`; other actions are not events."""
    metrics = Metrics()
    metrics.lifecycle(["member.provisioned", "member.replaced", "member.patched", "token.generated"], "acct")
    metrics.lifecycle(["member.deprovisioned", "member.reactivated", "member.removed"], "acct")
    found = samples(metrics)
    counts = {
        labels[0][1]: value for (name, labels), value in found.items() if name == "scimkeeper_provisioning_events_total"
    }
    assert counts == {"created": 1, "updated": 2, "deprovisioned": 1, "reactivated": 1, "removed": 1, "purged": 0}


def test_purge_runs_count_outcomes_and_purged_members() -> None:
    """A run is ok or failed; each member it removed is a `purged` event; the last success is a timestamp."""
    metrics = Metrics()
    metrics.purge_run(ok=True, purged=["a", "a", "b"], at=1_700_000_000.0)
    metrics.purge_run(ok=False)
    found = samples(metrics)
    assert found["scimkeeper_purge_runs_total", (("outcome", "ok"),)] == 1
    assert found["scimkeeper_purge_runs_total", (("outcome", "failed"),)] == 1
    assert found["scimkeeper_provisioning_events_total", (("event", "purged"),)] == 3
    assert found["scimkeeper_purge_last_success_timestamp_seconds", ()] == 1_700_000_000.0


def test_account_labels_only_when_asked() -> None:
    """With account labels the account id (not a name) labels requests and events; without, no label exists."""
    labelled = Metrics(account_labels=True)
    labelled.request("POST", "/scim/v2/Users", 201, 0.01, "acct-1")
    labelled.lifecycle(["member.provisioned"], "acct-1")
    found = samples(labelled)
    assert found["scimkeeper_provisioning_events_total", (("account", "acct-1"), ("event", "created"))] == 1
    plain = Metrics()
    plain.request("POST", "/scim/v2/Users", 201, 0.01, "acct-1")
    assert "acct-1" not in plain.render().decode()


def test_multiprocess_directory_is_wiped_of_a_previous_run(tmp_path: Path) -> None:
    """Sample files of an earlier run are removed; the directory is made if missing."""
    directory = tmp_path / "metrics"
    prepare_multiprocess_dir(str(directory))
    (directory / "counter_123.db").write_bytes(b"old")
    (directory / "keep.txt").write_text("not ours")
    prepare_multiprocess_dir(str(directory))
    assert sorted(p.name for p in directory.iterdir()) == ["keep.txt"]
