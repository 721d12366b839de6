"""The CloudFormation templates lint clean and hold the design: one task per service, a private
encrypted database with one role per service, TLS on every public listener, no public inference, only
the allowed network paths, secrets never in plain env."""

import asyncio
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
import pytest
from cfnlint.api import ManualArgs, lint

from auth_service.create_databases import OWNED_DATABASES, create_databases
from testkit.postgres import TestPostgres, with_database

TEMPLATES = ("main", "network", "database", "services")
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


def referenced_names(value: Any) -> set[str]:
    """Every parameter or resource a property refers to: !Ref, !GetAtt and the ${...} of !Sub."""
    if isinstance(value, list):
        return set().union(*(referenced_names(item) for item in value))
    if not isinstance(value, dict):
        return set()
    names = set()
    for key, inner in value.items():
        if key == "Ref":
            names.add(str(inner))
        elif key == "Fn::GetAtt":
            names.add(str(inner[0] if isinstance(inner, list) else inner).split(".")[0])
        elif key == "Fn::Sub":
            text = inner[0] if isinstance(inner, list) else inner
            names |= set(re.findall(r"\$\{([A-Za-z0-9]+)", str(text)))
            if isinstance(inner, list):
                names |= referenced_names(inner[1])
        else:
            names |= referenced_names(inner)
    return names


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_lints_clean(name: str, template_dir: Path) -> None:
    path = template_dir / f"{name}.yaml"
    matches = lint(path.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(match) for match in matches] == []


def test_checkov_finds_no_failed_check(template_dir: Path) -> None:
    """The security scanner, offline (--skip-download): every check passes or is skipped inline, with
    the reason next to the resource (Metadata.checkov.skip[].comment)."""
    checkov = Path(sys.executable).parent / "checkov"
    result = subprocess.run(
        [str(checkov), "--directory", str(template_dir), "--framework", "cloudformation"]
        + ["--skip-download", "--compact", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
    assert failed == [], result.stdout
    assert summary["parsing_errors"] == 0 and summary["passed"] > 100, summary
    for check in report["results"]["skipped_checks"]:
        assert check["check_result"].get("suppress_comment"), f"{check['check_id']} skipped without a reason"


def test_templates_are_the_four_expected(templates: dict[str, dict[str, Any]]) -> None:
    assert set(templates) == set(TEMPLATES)
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
        assert referenced_names(target["Properties"]["MinCapacity"]) <= set(template["Parameters"])
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
    # Point-in-time recovery needs the automated backups; they outlive an instance deleted by mistake.
    assert properties["DeleteAutomatedBackups"] is False
    assert template["Parameters"][referenced_id(properties["DeletionProtection"])]["Default"] == "true"
    assert database["DeletionPolicy"] == "Snapshot"
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


def listener_ports(templates: dict[str, dict[str, Any]]) -> set[int]:
    services = templates["services"]
    listeners = resources_of_type(services, "AWS::ElasticLoadBalancingV2::Listener").values()
    return {resolve_number(listener["Properties"]["Port"], services) for listener in listeners}


def test_public_listeners_are_tls_with_the_certificate(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    listeners = resources_of_type(template, "AWS::ElasticLoadBalancingV2::Listener")
    assert len(listeners) == 3
    for listener_id, listener in listeners.items():
        properties = listener["Properties"]
        assert properties["Protocol"] == "TLS", listener_id
        assert [referenced_id(item["CertificateArn"]) for item in properties["Certificates"]] == [
            "CertificateArn"
        ]
        assert properties["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2"), listener_id
    assert listener_ports(templates) == {443, 8001, 8002}
    # TLS ends at the NLB: TCP targets (the UI's source-IP stickiness needs them, not TLS target groups).
    for group in resources_of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup").values():
        assert group["Properties"]["Protocol"] == "TCP"
    assert template["Parameters"]["CertificateArn"]["AllowedPattern"].startswith("^arn:aws[a-z-]*:acm:")
    passed = templates["main"]["Resources"]["Services"]["Properties"]["Parameters"]
    assert referenced_id(passed["CertificateArn"]) == "CertificateArn"
    assert referenced_id(passed["DomainName"]) == "DomainName"


def test_browsers_are_sent_to_https_only(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    for name, container in environment_and_secrets(templates):
        for variable in container.get("Environment", []):
            if variable["Name"] in ("AUTH_PUBLIC_URL", "CORS_ORIGINS"):
                assert variable["Value"]["Fn::Sub"].startswith("https://${DomainName}"), (name, variable)
    assert {"Name": "UI_COOKIE_SECURE", "Value": "true"} in (
        template["Resources"]["UiTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Environment"]
    )
    for output in ("UiUrl", "AuthUrl", "CustomersUrl"):
        assert template["Outputs"][output]["Value"]["Fn::Sub"].startswith("https://${DomainName}")
    # A CORS origin has no default port: the UI's https origin must be exactly what browsers send.
    assert template["Outputs"]["UiUrl"]["Value"]["Fn::Sub"] == "https://${DomainName}"


def test_every_ingress_rule_is_an_allowed_path(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["network"]
    for group in resources_of_type(template, "AWS::EC2::SecurityGroup").values():
        assert "SecurityGroupIngress" not in group["Properties"], "ingress rules are separate resources"
    paths = set()
    for rule_id, rule in resources_of_type(template, "AWS::EC2::SecurityGroupIngress").items():
        properties = rule["Properties"]
        port = resolve_number(properties["FromPort"], template)
        assert port == resolve_number(properties["ToPort"], template), f"{rule_id} opens a port range"
        destination = referenced_id(properties["GroupId"])
        if "CidrIp" in properties:
            assert properties["CidrIp"] == "0.0.0.0/0"
            assert destination == "LoadBalancerSecurityGroup", rule_id
            paths.add(("internet", destination, port))
        else:
            paths.add((referenced_id(properties["SourceSecurityGroupId"]), destination, port))
    # The internet reaches exactly the ports the services template listens on.
    internet = {("internet", "LoadBalancerSecurityGroup", port) for port in listener_ports(templates)}
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


def test_services_run_only_once_services_running_is_set(templates: dict[str, dict[str, Any]]) -> None:
    """The first create starts no task (auth's start-up checks fail on the empty database): every
    service's DesiredCount and autoscaling minimum are 0 until ServicesRunning is true."""
    for name in ("main", "services"):
        parameter = templates[name]["Parameters"]["ServicesRunning"]
        assert parameter["Default"] == "false" and sorted(parameter["AllowedValues"]) == ["false", "true"]
    passed = templates["main"]["Resources"]["Services"]["Properties"]["Parameters"]
    assert referenced_id(passed["ServicesRunning"]) == "ServicesRunning"
    template = templates["services"]
    assert template["Conditions"]["ServicesRunning"] == {"Fn::Equals": [{"Ref": "ServicesRunning"}, "true"]}
    services = resources_of_type(template, "AWS::ECS::Service")
    targets = resources_of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert len(services) == len(targets) == len(SERVICES)
    for service_id, service in services.items():
        prefix = service_id.removesuffix("Service")
        expected = {"Fn::If": ["ServicesRunning", {"Ref": f"{prefix}MinCount"}, 0]}
        assert service["Properties"]["DesiredCount"] == expected, service_id
        assert targets[f"{prefix}ScalableTarget"]["Properties"]["MinCapacity"] == expected, prefix


def test_readme_migrates_before_services_start(repo_root: Path) -> None:
    """The deployment guide runs the migration task before it starts the services (first create) and
    before the new images roll out (update)."""
    text = (repo_root / "infra" / "README.md").read_text()
    run_task = text.index("aws ecs run-task --cluster")
    assert run_task < text.index("ServicesRunning=true")
    update = text[text.index("## 7. Update") :]
    assert (
        update.index("deploy MigrateAuthImage=") < update.index("step 5") < update.index("deploy AuthImage=")
    )


def test_migration_task_can_run_the_next_images(templates: dict[str, dict[str, Any]]) -> None:
    """The migration task takes MigrateXImage when set (an update migrates before rolling out), else the
    service's image (the first create)."""
    template = templates["services"]
    definition = template["Resources"]["MigrateTaskDefinition"]["Properties"]
    images = {container["Name"]: container["Image"] for container in definition["ContainerDefinitions"]}
    for service in ("Auth", "Customers"):
        assert images[f"{service.lower()}-migrate"] == {
            "Fn::If": [
                f"HasMigrate{service}Image",
                {"Ref": f"Migrate{service}Image"},
                {"Ref": f"{service}Image"},
            ]
        }
        assert template["Parameters"][f"Migrate{service}Image"]["Default"] == ""
        passed = templates["main"]["Resources"]["Services"]["Properties"]["Parameters"]
        assert referenced_id(passed[f"Migrate{service}Image"]) == f"Migrate{service}Image"


def test_customers_service_secret_reaches_auth_and_customers_only(
    templates: dict[str, dict[str, Any]],
) -> None:
    template = templates["services"]
    secret = template["Resources"]["CustomersServiceSecret"]["Properties"]["GenerateSecretString"]
    assert secret["PasswordLength"] == 48 and secret["ExcludePunctuation"] is True
    holders = {
        name: referenced_names(secret["ValueFrom"])
        for name, container in environment_and_secrets(templates)
        for secret in container.get("Secrets", [])
        if secret["Name"] == "CUSTOMERS_SERVICE_SECRET"
    }
    assert holders == {"auth": {"CustomersServiceSecret"}, "customers": {"CustomersServiceSecret"}}
    readers = {
        resource_id
        for resource_id, resource in template["Resources"].items()
        if "CustomersServiceSecret" in referenced_names(resource.get("Properties", {}))
    }
    assert readers == {
        "AuthTaskDefinition",
        "CustomersTaskDefinition",
        "AuthExecutionRole",
        "CustomersExecutionRole",
    }
    customers = template["Resources"]["CustomersTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert {"Name": "AUTH_URL", "Value": "http://auth.spendscore.local:8001"} in customers["Environment"]


def test_migration_task_runs_both_migrations(templates: dict[str, dict[str, Any]]) -> None:
    definition = templates["services"]["Resources"]["MigrateTaskDefinition"]["Properties"]
    commands = [container.get("Command") for container in definition["ContainerDefinitions"]]
    assert ["python", "-m", "auth_service.migrate"] in commands
    assert ["python", "-m", "customers_service.migrate"] in commands


def test_outputs_name_the_entry_points(templates: dict[str, dict[str, Any]]) -> None:
    outputs = templates["main"]["Outputs"]
    assert {"LoadBalancerDnsName", "LoadBalancerIps", "UiUrl"} <= set(outputs)
    assert templates["services"]["Resources"]["Namespace"]["Properties"]["Name"] == "spendscore.local"


DATABASE_SECRETS = {
    "MasterSecretArn",
    "AuthDatabaseSecretArn",
    "CustomersDatabaseSecretArn",
    "AuthDatabaseUrlSecretArn",
    "CustomersDatabaseUrlSecretArn",
}


def test_each_service_reads_only_its_own_database_secret(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["services"]
    own = {"auth": {"AuthDatabaseUrlSecretArn"}, "customers": {"CustomersDatabaseUrlSecretArn"}}
    for service in SERVICES:
        prefix = service.capitalize()
        definition = template["Resources"][f"{prefix}TaskDefinition"]["Properties"]
        (container,) = definition["ContainerDefinitions"]
        assert referenced_names(container.get("Secrets", [])) & DATABASE_SECRETS == own.get(service, set())
        role = template["Resources"][f"{prefix}ExecutionRole"]["Properties"]
        assert referenced_names(role) & DATABASE_SECRETS == own.get(service, set()), service
    master_readers = {
        resource_id
        for resource_id, resource in template["Resources"].items()
        if "MasterSecretArn" in referenced_names(resource.get("Properties", {}))
    }
    assert master_readers == {"MigrateTaskDefinition", "MigrateExecutionRole"}
    # ... and inside the migration task only the step that creates the roles; migrations run as the roles.
    migrate = template["Resources"]["MigrateTaskDefinition"]["Properties"]["ContainerDefinitions"]
    secrets_by_container = {
        container["Name"]: referenced_names(container["Secrets"]) for container in migrate
    }
    assert secrets_by_container == {
        "create-databases": {"MasterSecretArn", "AuthDatabaseSecretArn", "CustomersDatabaseSecretArn"},
        "auth-migrate": {"AuthDatabaseUrlSecretArn"},
        "customers-migrate": {"CustomersDatabaseUrlSecretArn"},
    }


def test_database_urls_are_built_from_each_service_role(templates: dict[str, dict[str, Any]]) -> None:
    resources = templates["database"]["Resources"]
    for service in ("auth", "customers"):
        prefix = service.capitalize()
        role = resources[f"{prefix}DatabaseSecret"]["Properties"]["GenerateSecretString"]
        assert role["SecretStringTemplate"] == f'{{"username": "{service}"}}'
        assert role["ExcludePunctuation"] is True  # the password goes into a URL unescaped
        url = resources[f"{prefix}DatabaseUrlSecret"]["Properties"]["SecretString"]["Fn::Sub"]
        assert set(re.findall(r"resolve:secretsmanager:\$\{(\w+)\}", url)) == {f"{prefix}DatabaseSecret"}
        assert url.endswith(f"/{service}")


def libpq_environment(server_url: str) -> dict[str, str]:
    """libpq variables for a postgresql:// URL (the embedded form keeps its socket in ?host=)."""
    parts = urlsplit(server_url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    environment = {"PGHOST": host}
    if parts.port:
        environment["PGPORT"] = str(parts.port)
    return environment


def as_role(server_url: str, role: str, password: str, database: str) -> str:
    parts = urlsplit(with_database(server_url, database))
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{role}:{password}@{host}", parts.path, parts.query, ""))


async def database_facts(server_url: str, roles: dict[str, str]) -> dict[str, tuple[str, bool, str]]:
    """Per database: its owner, whether PUBLIC has any right on it, and its role's password hash."""
    connection = await asyncpg.connect(server_url)
    try:
        rows = await connection.fetch(
            "SELECT d.datname, pg_get_userbyid(d.datdba) AS owner,"
            " EXISTS (SELECT FROM aclexplode(d.datacl) acl WHERE acl.grantee = 0) AS public,"
            " a.rolpassword"
            " FROM pg_database d JOIN pg_authid a ON a.rolname = d.datname WHERE d.datname = ANY($1::text[])",
            list(roles.values()),
        )
    finally:
        await connection.close()
    return {row["datname"]: (row["owner"], row["public"], row["rolpassword"]) for row in rows}


async def drop_everything(server_url: str, names: list[str]) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        for name in names[:-1]:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'DROP ROLE IF EXISTS "{name}"')
        master = names[-1]
        await connection.execute(f'DROP OWNED BY "{master}"')
        await connection.execute(f'DROP ROLE IF EXISTS "{master}"')
    finally:
        await connection.close()


def test_migration_task_gives_each_service_its_own_closed_database(
    templates: dict[str, dict[str, Any]], test_postgres: TestPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create-databases step (auth_service.create_databases, from the auth image), run for real twice
    (as a non-superuser master with CREATEROLE and CREATEDB, like the RDS one): each role owns its database,
    PUBLIC has no right on it, the role's password follows its secret, and a role cannot connect to the
    other service's database."""
    definition = templates["services"]["Resources"]["MigrateTaskDefinition"]["Properties"]
    (step,) = [
        container
        for container in definition["ContainerDefinitions"]
        if container["Name"] == "create-databases"
    ]
    assert step["Command"] == ["python", "-m", "auth_service.create_databases"]
    assert step["Image"] == definition["ContainerDefinitions"][1]["Image"]  # auth-migrate's: the auth image
    passed = {variable["Name"] for variable in step["Secrets"]}
    assert set(OWNED_DATABASES.values()) <= passed and {"PGUSER", "PGPASSWORD"} <= passed
    template_env = {variable["Name"]: variable["Value"] for variable in step["Environment"]}
    # Unique names on the shared test server; the statements run unchanged.
    tag = "ss_infra_" + uuid.uuid4().hex[:8]
    roles = {service: f"{tag}_{service}" for service in OWNED_DATABASES}
    master = f"{tag}_master"
    server = test_postgres.server_url
    asyncio.run(_create_master(server, master))
    environment = {
        **libpq_environment(server),
        "PGDATABASE": template_env["PGDATABASE"],
        "PGUSER": master,
        "PGPASSWORD": "master-password",
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    try:
        hashes = []
        for auth_password in ("first0auth0password", "rotated0auth0password"):
            passwords = {roles["auth"]: auth_password, roles["customers"]: "customers0password"}
            asyncio.run(create_databases(passwords))
            facts = asyncio.run(database_facts(server, roles))
            assert {name: fact[:2] for name, fact in facts.items()} == {
                role: (role, False) for role in roles.values()
            }
            hashes.append(facts[roles["auth"]][2])
        assert hashes[0] != hashes[1], "the auth role's password follows its secret on every run"
        asyncio.run(_check_isolation(server, roles))
    finally:
        asyncio.run(drop_everything(server, [*roles.values(), master]))


async def _create_master(server_url: str, master: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(
            f"CREATE ROLE \"{master}\" LOGIN PASSWORD 'master-password' CREATEROLE CREATEDB"
        )
    finally:
        await connection.close()


async def _check_isolation(server_url: str, roles: dict[str, str]) -> None:
    auth_role, customers_role = roles["auth"], roles["customers"]
    own = await asyncpg.connect(as_role(server_url, auth_role, "rotated0auth0password", auth_role))
    try:
        await own.execute("CREATE TABLE probe (id int)")  # the owner may create its schema
    finally:
        await own.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(as_role(server_url, auth_role, "rotated0auth0password", customers_role))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(as_role(server_url, customers_role, "customers0password", auth_role))


def test_auth_trusts_forwarded_addresses_from_the_task_subnets_only(
    templates: dict[str, dict[str, Any]],
) -> None:
    """The UI's calls to auth carry the browser's address; only the private subnets (where the tasks run,
    not the NLB's public ones) may set it."""
    auth = templates["services"]["Resources"]["AuthTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    (trusted,) = [
        variable["Value"] for variable in auth["Environment"] if variable["Name"] == "AUTH_TRUSTED_PROXIES"
    ]
    assert trusted == {"Fn::Join": [",", {"Ref": "PrivateSubnetCidrs"}]}
    passed = templates["main"]["Resources"]["Services"]["Properties"]["Parameters"]
    assert passed["PrivateSubnetCidrs"] == {"Fn::GetAtt": ["Network", "Outputs.PrivateSubnetCidrs"]}
    cidrs = templates["network"]["Outputs"]["PrivateSubnetCidrs"]["Value"]
    assert referenced_names(cidrs) == {"PrivateSubnetA", "PrivateSubnetB"}
    for name, container in environment_and_secrets(templates):
        names = {variable["Name"] for variable in container.get("Environment", [])}
        assert name == "auth" or "AUTH_TRUSTED_PROXIES" not in names, name


def test_database_connections_verify_the_rds_certificate(
    templates: dict[str, dict[str, Any]], repo_root: Path
) -> None:
    """Every container that reaches RDS checks its certificate and host name against the CA bundle the
    Dockerfile puts into our images (issue 28 item 5), the step that creates the databases included."""
    dockerfile = (repo_root / "Dockerfile").read_text()
    checked = []
    for name, container in environment_and_secrets(templates):
        environment = {variable["Name"]: variable["Value"] for variable in container.get("Environment", [])}
        if "PGSSLMODE" not in environment:
            continue
        assert environment["PGSSLMODE"] == "verify-full", name
        assert environment["PGSSLROOTCERT"] == "/app/certs/rds-ca-bundle.pem", name
        checked.append(name)
    assert sorted(checked) == ["auth", "auth-migrate", "create-databases", "customers", "customers-migrate"]
    assert "/app/certs/rds-ca-bundle.pem" in dockerfile
    for target in ("auth", "customers"):
        stage = dockerfile.split(f"FROM runtime AS {target}\n", 1)[1].split("\nFROM ", 1)[0]
        assert "COPY --from=rds-ca /app/certs /app/certs" in stage, target
    guide = (repo_root / "infra" / "README.md").read_text()
    assert (
        "--build-arg RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
        in guide
    )
