"""The CloudFormation templates lint clean and hold the design: one task per service, a private
encrypted database, no public inference, only the allowed network paths, secrets never in plain env."""

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "cloudformation"
SERVICES = {"auth": 8001, "customers": 8002, "inference": 8003, "ui": 8501}
SECRET_NAME_MARKERS = ("PASSWORD", "SECRET", "PRIVATE_KEY", "DATABASE_URL", "TOKEN")

# (source, destination security group, port): every call the design makes, and nothing else.
# Inference -> auth is the JWKS fetch that lets inference verify tokens itself.
ALLOWED_PATHS = {
    ("LoadBalancerSecurityGroup", "UiSecurityGroup", 8501),
    ("LoadBalancerSecurityGroup", "AuthSecurityGroup", 8001),
    ("LoadBalancerSecurityGroup", "CustomersSecurityGroup", 8002),
    ("UiSecurityGroup", "AuthSecurityGroup", 8001),
    ("UiSecurityGroup", "CustomersSecurityGroup", 8002),
    ("UiSecurityGroup", "InferenceSecurityGroup", 8003),
    ("CustomersSecurityGroup", "InferenceSecurityGroup", 8003),
    ("CustomersSecurityGroup", "AuthSecurityGroup", 8001),
    ("InferenceSecurityGroup", "AuthSecurityGroup", 8001),
    ("AuthSecurityGroup", "CustomersSecurityGroup", 8002),
    ("AuthSecurityGroup", "DatabaseSecurityGroup", 5432),
    ("CustomersSecurityGroup", "DatabaseSecurityGroup", 5432),
}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == resource_type
    }


def resolve_number(value: Any, template: dict[str, Any]) -> int:
    """A literal port, or a !Ref to a parameter with a default."""
    if isinstance(value, dict) and "Ref" in value:
        return int(template["Parameters"][value["Ref"]]["Default"])
    return int(value)


def referenced_id(value: Any) -> str:
    assert isinstance(value, dict) and "Ref" in value, f"expected a !Ref, got {value!r}"
    return str(value["Ref"])


@pytest.mark.parametrize("path", sorted(TEMPLATE_DIR.glob("*.yaml")), ids=lambda path: path.name)
def test_template_lints_clean(path: Path) -> None:
    matches = lint(path.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(match) for match in matches] == []


def test_templates_are_the_four_expected(templates: dict[str, dict[str, Any]]) -> None:
    assert set(templates) == {"main", "network", "database", "services"}
    nested = resources_of_type(templates["main"], "AWS::CloudFormation::Stack")
    assert sorted(stack["Properties"]["TemplateURL"] for stack in nested.values()) == [
        "database.yaml",
        "network.yaml",
        "services.yaml",
    ]


def test_one_service_and_one_task_definition_per_container(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    services = resources_of_type(template, "AWS::ECS::Service")
    task_definitions = resources_of_type(template, "AWS::ECS::TaskDefinition")
    assert {service["Properties"]["ServiceName"] for service in services.values()} == set(SERVICES)
    used = [referenced_id(service["Properties"]["TaskDefinition"]) for service in services.values()]
    assert len(set(used)) == 4
    for service in services.values():
        name = service["Properties"]["ServiceName"]
        definition = task_definitions[referenced_id(service["Properties"]["TaskDefinition"])]["Properties"]
        (container,) = definition["ContainerDefinitions"]
        assert container["Name"] == name
        assert container["PortMappings"][0]["ContainerPort"] == SERVICES[name]
        assert "HealthCheck" in container, f"{name} has no container health check"
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
        assert "Ref" in container["Image"], f"{name}'s image must be a parameter"
        assert definition["RequiresCompatibilities"] == ["FARGATE"]
        assert service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == (
            "DISABLED"
        )


def test_every_service_scales_on_cpu_between_parameters(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    targets = resources_of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    policies = resources_of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    scaled = {target["Properties"]["ResourceId"]["Fn::Sub"].rsplit("${", 1)[1] for target in targets.values()}
    assert scaled == {f"{name.capitalize()}Service.Name}}" for name in SERVICES}
    for target in targets.values():
        assert referenced_id(target["Properties"]["MinCapacity"]) in template["Parameters"]
        assert referenced_id(target["Properties"]["MaxCapacity"]) in template["Parameters"]
    metrics = {
        policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for policy in policies.values()
    }
    assert len(policies) == 4 and metrics == {"ECSServiceAverageCPUUtilization"}


def test_database_is_private_encrypted_and_backed_up(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["database"]
    (database,) = resources_of_type(template, "AWS::RDS::DBInstance").values()
    properties = database["Properties"]
    assert properties["Engine"] == "postgres"
    assert int(str(properties["EngineVersion"]).split(".")[0]) >= 16
    assert properties["PubliclyAccessible"] is False
    assert properties["StorageEncrypted"] is True
    assert resolve_number(properties["BackupRetentionPeriod"], template) >= 1
    assert referenced_id(properties["MultiAZ"]) in template["Parameters"]
    assert "resolve:secretsmanager" in properties["MasterUserPassword"]["Fn::Sub"]


def test_inference_has_no_public_listener(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    listeners = resources_of_type(template, "AWS::ElasticLoadBalancingV2::Listener")
    target_groups = resources_of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    forwarded = {
        referenced_id(action["TargetGroupArn"])
        for listener in listeners.values()
        for action in listener["Properties"]["DefaultActions"]
    }
    assert {target_groups[name]["Properties"]["Port"] for name in forwarded} == {8001, 8002, 8501}
    inference = template["Resources"]["InferenceService"]["Properties"]
    assert "LoadBalancers" not in inference
    (load_balancer,) = resources_of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert load_balancer["Properties"]["Type"] == "network"
    assert all("AllocationId" in mapping for mapping in load_balancer["Properties"]["SubnetMappings"])


def test_every_ingress_rule_is_an_allowed_path(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["network"]
    for group in resources_of_type(template, "AWS::EC2::SecurityGroup").values():
        assert "SecurityGroupIngress" not in group["Properties"], "ingress rules are separate resources"
    listener_ports = {
        resolve_number(template["Parameters"][name]["Default"], template)
        for name in ("UiListenerPort", "AuthListenerPort", "CustomersListenerPort")
    }
    paths = set()
    for rule_id, rule in resources_of_type(template, "AWS::EC2::SecurityGroupIngress").items():
        properties = rule["Properties"]
        port = resolve_number(properties["FromPort"], template)
        assert port == resolve_number(properties["ToPort"], template), f"{rule_id} opens a port range"
        destination = referenced_id(properties["GroupId"])
        if "CidrIp" in properties:
            assert properties["CidrIp"] == "0.0.0.0/0"
            assert destination == "LoadBalancerSecurityGroup" and port in listener_ports, rule_id
            paths.add(("internet", destination, port))
        else:
            paths.add((referenced_id(properties["SourceSecurityGroupId"]), destination, port))
    internet = {("internet", "LoadBalancerSecurityGroup", port) for port in listener_ports}
    assert paths == ALLOWED_PATHS | internet


def environment_and_secrets(templates: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    containers = []
    for definition in resources_of_type(templates["services"], "AWS::ECS::TaskDefinition").values():
        for container in definition["Properties"]["ContainerDefinitions"]:
            containers.append((container["Name"], container))
    return containers


def test_secrets_never_travel_as_plain_environment(templates: dict[str, dict[str, Any]]) -> None:
    for name, container in environment_and_secrets(templates):
        for variable in container.get("Environment", []):
            assert not any(marker in variable["Name"] for marker in SECRET_NAME_MARKERS), (name, variable)
            assert "secretsmanager" not in str(variable["Value"]), (name, variable)


def test_signing_key_reaches_the_auth_task_only(templates: dict[str, dict[str, Any]]) -> None:
    holders = [
        name
        for name, container in environment_and_secrets(templates)
        for secret in container.get("Secrets", [])
        if secret["Name"] == "AUTH_PRIVATE_KEY"
    ]
    assert holders == ["auth"]
    roles = resources_of_type(templates["services"], "AWS::IAM::Role")
    readers = [
        role_id for role_id, role in roles.items() if "JwtSigningKeySecretArn" in str(role["Properties"])
    ]
    assert readers == ["AuthExecutionRole"]


def test_migration_task_runs_both_migrations(templates: dict[str, dict[str, Any]]) -> None:
    definition = templates["services"]["Resources"]["MigrateTaskDefinition"]["Properties"]
    commands = [container.get("Command") for container in definition["ContainerDefinitions"]]
    assert ["python", "-m", "auth_service.migrate"] in commands
    assert ["python", "-m", "customers_service.migrate"] in commands


def test_outputs_name_the_entry_points(templates: dict[str, dict[str, Any]]) -> None:
    outputs = templates["main"]["Outputs"]
    assert {"LoadBalancerDnsName", "LoadBalancerIps", "UiUrl"} <= set(outputs)
    assert templates["services"]["Resources"]["Namespace"]["Properties"]["Name"] == "spendscore.local"
