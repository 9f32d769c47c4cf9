"""terraform/ is valid HCL, internally consistent, documented, and gives the tasks the
configuration the application reads (README.md, "Configuration")."""

from __future__ import annotations

import re

import pytest
from lark.exceptions import UnexpectedInput

from .terraform_files import (
    ROOT,
    TERRAFORM,
    blocks,
    code_without_comments,
    declared_data_sources,
    declared_locals,
    declared_resources,
    declared_variables,
    parse_hcl,
    parsed,
    tf_files,
)

EXPECTED_FILES = {
    "versions.tf", "variables.tf", "outputs.tf", "locals.tf", "network.tf", "alb.tf",
    "dns.tf", "ecs.tf", "ecr.tf", "rds.tf", "redis.tf", "s3.tf", "ses.tf", "secrets.tf",
    "iam.tf", "kms.tf",
}


def test_the_reference_deployment_has_its_files():
    assert {path.name for path in tf_files()} == EXPECTED_FILES


@pytest.mark.parametrize("path", tf_files(), ids=lambda path: path.name)
def test_every_terraform_file_parses(path):
    document = parsed(path)
    assert document, f"{path.name} declares nothing"


def test_a_syntax_error_fails_to_parse():
    """The check above can fail: a real file with a stray brace, or a block left open,
    does not parse, and the error says where."""
    text = (TERRAFORM / "rds.tf").read_text(encoding="utf-8")
    parse_hcl(text)
    family = '  family      = "postgres16"\n'
    broken = text.replace(family, family + "  {\n", 1)
    assert broken != text
    with pytest.raises(UnexpectedInput, match="Unexpected token") as caught:
        parse_hcl(broken)
    assert caught.value.line == text[: text.index(family)].count("\n") + 2

    with pytest.raises(UnexpectedInput):
        parse_hcl('resource "aws_s3_bucket" "media" {\n  bucket = "x"\n')


def test_required_versions():
    terraform = blocks("terraform")[0]
    assert terraform["required_version"] == ">= 1.5"
    providers = terraform["required_providers"][0]
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert re.fullmatch(r"~> 5\.\d+", providers["aws"]["version"])


def test_paris_is_the_default_region():
    region = next(block["region"] for block in blocks("variable") if "region" in block)
    assert region["default"] == "eu-west-3"


@pytest.mark.parametrize("kind", ["variable", "output"])
def test_every_variable_and_output_is_described(kind):
    undocumented = [name for block in blocks(kind) for name, body in block.items()
                    if len(body.get("description", "").strip()) < 15]
    assert not undocumented, f"{kind}s without a description: {undocumented}"


REFERENCE_PATTERNS = {
    "variable": r"\bvar\.([a-z0-9_]+)",
    "local": r"\blocal\.([a-z0-9_]+)",
    "data": r"\bdata\.([a-z0-9_]+\.[a-z0-9_]+)",
    "resource": r"(?<![\w.\"])((?:aws|random)_[a-z0-9_]+\.[a-z0-9_]+)",
}


@pytest.mark.parametrize("kind", ["variable", "output"])
def test_the_terraform_readme_lists_every_variable_and_output(kind):
    readme = (TERRAFORM / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", readme, re.MULTILINE))
    declared = {name: body["description"] for block in blocks(kind)
                for name, body in block.items()}
    assert set(declared) - listed == set()
    escaped = {name: description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
               for name, description in declared.items()}
    stale = [name for name, description in escaped.items() if description not in readme]
    assert stale == [], "README.md describes these differently from the .tf files"


def _references(kind: str, sources: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Names of one kind used in the code (comments left out), with the files using them."""
    if sources is None:
        sources = {path.name: path.read_text(encoding="utf-8") for path in tf_files()}
    found: dict[str, set[str]] = {}
    for file_name, text in sources.items():
        for match in re.finditer(REFERENCE_PATTERNS[kind], code_without_comments(text)):
            found.setdefault(match.group(1), set()).add(file_name)
    return found


def _unresolved(sources: dict[str, str] | None = None) -> dict[str, list[str]]:
    declared = {
        "variable": declared_variables(),
        "local": declared_locals(),
        "data": declared_data_sources(),
        "resource": declared_resources(),
    }
    return {name: sorted(files) for kind in REFERENCE_PATTERNS
            for name, files in _references(kind, sources).items()
            if name not in declared[kind]}


def test_every_reference_points_at_something_declared():
    """What `terraform validate` would catch first, without the providers (no network):
    a misspelt variable, local, resource or data source."""
    assert _unresolved() == {}


def test_the_reference_check_finds_misspelt_names():
    snippet = (
        'resource "aws_ecs_service" "x" {\n'
        '  # aws_comment.ignored and var.ignored are in a comment\n'
        '  cluster = aws_ecs_cluster.main.id\n'
        '  role    = aws_iam_role.tsak.arn\n'
        '  count   = var.web_desired_cuont\n'
        '  name    = "${local.nmae}-${data.aws_region.current.name}"\n'
        '}\n'
    )
    parse_hcl(snippet)
    assert _unresolved({"snippet.tf": snippet}) == {
        "aws_iam_role.tsak": ["snippet.tf"],
        "web_desired_cuont": ["snippet.tf"],
        "nmae": ["snippet.tf"],
    }


def test_every_variable_is_used():
    assert declared_variables() - set(_references("variable")) == set()


# --- The tasks' configuration ----------------------------------------------------------------

SETTINGS_SOURCES = [
    *sorted((ROOT / "platform" / "collectivrecup" / "settings").glob("*.py")),
    ROOT / "infra" / "gunicorn.conf.py",
]


def _variables_the_application_reads() -> set[str]:
    names = set()
    for path in SETTINGS_SOURCES:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(
            r"""(?:environ\.get|environ\[|env_bool|env_list|env=)\(?\s*["']([A-Z][A-Z0-9_]+)["']""",
            text))
    return names


def _variables_the_tasks_get() -> set[str]:
    ecs = code_without_comments((TERRAFORM / "ecs.tf").read_text(encoding="utf-8"))
    start = ecs.index("media_environment =")
    end = ecs.index("container_environment =")
    environment = set(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*=", ecs[start:end], re.MULTILINE))
    local_values = code_without_comments((TERRAFORM / "locals.tf").read_text(encoding="utf-8"))
    secrets = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', local_values))
    external = next(block["external_secrets"] for block in blocks("variable")
                    if "external_secrets" in block)["default"]
    return environment | secrets | set(external)


def test_the_application_reads_what_it_is_given():
    assert "SECRET_KEY" in _variables_the_application_reads()
    for_the_platform = {"DJANGO_SETTINGS_MODULE", "XDG_RUNTIME_DIR"}
    unknown = _variables_the_tasks_get() - _variables_the_application_reads() - for_the_platform
    assert not unknown, f"variables set in terraform that nothing reads: {unknown}"


def test_the_tasks_get_what_production_requires():
    given = _variables_the_tasks_get()
    required = {
        "SECRET_KEY", "DATABASE_URL", "BASE_DOMAIN", "REDIS_URL", "EMAIL_URL",
        "DEFAULT_FROM_EMAIL", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_REGION_NAME",
        "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MEDIA_ORIGINS",
        "SENTRY_DSN", "SENTRY_ENVIRONMENT", "RELEASE", "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET", "API_NUM_PROXIES", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS",
    }
    assert required - given == set()


def test_the_readme_configuration_table_lists_what_the_tasks_get():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)[`=]", section))
    undocumented = _variables_the_tasks_get() - documented - {"XDG_RUNTIME_DIR"}
    assert not undocumented


def test_secrets_are_never_plain_environment_variables():
    ecs = code_without_comments((TERRAFORM / "ecs.tf").read_text(encoding="utf-8"))
    start, end = ecs.index("app_environment ="), ecs.index("container_environment =")
    for secret in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SENTRY_DSN",
                   "STRIPE_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"):
        assert not re.search(rf"^\s*{secret}\s*=", ecs[start:end], re.MULTILINE), secret


def test_beat_runs_alone_and_web_is_checked_on_healthz():
    services = {name: body for block in blocks("resource")
                for name, body in block.get("aws_ecs_service", {}).items()}
    assert set(services) == {"web", "worker", "beat"}
    beat = services["beat"]
    assert "? 1 : 0" in beat["desired_count"]
    assert beat["deployment_maximum_percent"] == 100
    assert beat["deployment_minimum_healthy_percent"] == 0
    target_group = next(block["aws_lb_target_group"]["web"] for block in blocks("resource")
                        if "aws_lb_target_group" in block)
    assert target_group["health_check"][0]["path"] == "/healthz"
    release = (TERRAFORM / "ecs.tf").read_text(encoding="utf-8")
    assert 'command     = ["release"]' in release


def test_containers_have_a_read_only_root_unless_ecs_exec_is_on():
    """checkov cannot tell (it does not evaluate `!var.…`), so this test does."""
    ecs = (TERRAFORM / "ecs.tf").read_text(encoding="utf-8")
    assert "readonlyRootFilesystem = !var.enable_execute_command" in ecs
    assert ecs.count("merge(local.container_common,") == 4
    exec_variable = next(block["enable_execute_command"] for block in blocks("variable")
                         if "enable_execute_command" in block)
    assert exec_variable["default"] is False
