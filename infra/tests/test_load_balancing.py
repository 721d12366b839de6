"""The load balancer as N tasks need it (issue 27): the client's address reaches the tasks, traffic
follows readiness, a failing task leaves the rotation within 10 s, and a browser stays on one UI task."""

from typing import Any

import pytest

PUBLISHED = {8501: "/_stcore/health", 8001: "/readyz", 8002: "/readyz"}
LEAVES_ROTATION_WITHIN_SECONDS = 10


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        key: value for key, value in template.get("Resources", {}).items() if value["Type"] == resource_type
    }


def target_groups(templates: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    services = templates["services"]
    groups = resources_of_type(services, "AWS::ElasticLoadBalancingV2::TargetGroup")
    return {int(group["Properties"]["Port"]): group["Properties"] for group in groups.values()}


def attributes(group: dict[str, Any]) -> dict[str, str]:
    return {item["Key"]: str(item["Value"]) for item in group.get("TargetGroupAttributes", [])}


def test_every_published_port_has_a_target_group(templates: dict[str, dict[str, Any]]) -> None:
    assert set(target_groups(templates)) == set(PUBLISHED)


@pytest.mark.parametrize("port", sorted(PUBLISHED))
def test_the_clients_address_is_preserved(templates: dict[str, dict[str, Any]], port: int) -> None:
    group = target_groups(templates)[port]
    # AWS's default for TCP/TLS target groups with IP targets is off: it must be said.
    assert group["TargetType"] == "ip"
    assert attributes(group).get("preserve_client_ip.enabled") == "true"


@pytest.mark.parametrize("port", sorted(PUBLISHED))
def test_traffic_follows_readiness(templates: dict[str, dict[str, Any]], port: int) -> None:
    group = target_groups(templates)[port]
    assert group["HealthCheckProtocol"] == "HTTP"
    assert group["HealthCheckPath"] == PUBLISHED[port]


@pytest.mark.parametrize("port", sorted(PUBLISHED))
def test_a_failing_task_leaves_the_rotation_within_ten_seconds(
    templates: dict[str, dict[str, Any]], port: int
) -> None:
    group = target_groups(templates)[port]
    interval = int(group["HealthCheckIntervalSeconds"])
    failures = int(group["UnhealthyThresholdCount"])
    timeout = int(group.get("HealthCheckTimeoutSeconds", interval))
    assert interval * failures <= LEAVES_ROTATION_WITHIN_SECONDS
    assert timeout < interval  # a hung task's check ends before the next one starts


def test_liveness_restarts_the_containers(templates: dict[str, dict[str, Any]]) -> None:
    """The container health check (ECS replaces a task failing it) asks liveness, not readiness: a
    database outage must not restart every task."""
    services = templates["services"]
    for name, definition in resources_of_type(services, "AWS::ECS::TaskDefinition").items():
        for container in definition["Properties"]["ContainerDefinitions"]:
            check = container.get("HealthCheck")
            if check is None:
                continue
            command = " ".join(check["Command"])
            assert "/readyz" not in command, name


def test_a_browser_stays_on_one_ui_task(templates: dict[str, dict[str, Any]]) -> None:
    """Streamlit keeps a browser's session (uploads, downloads) in the task that serves its websocket."""
    ui = attributes(target_groups(templates)[8501])
    assert ui.get("stickiness.enabled") == "true"
    assert ui.get("stickiness.type") == "source_ip"
