# ECS on Fargate: one cluster, and from the one image (infra/Dockerfile, roles picked by
# infra/entrypoint.sh) four task definitions:
#   web      gunicorn behind the load balancer (web_desired_count tasks)
#   worker   Celery worker (worker_desired_count tasks)
#   beat     Celery beat, exactly one task, never two (even during a deployment)
#   release  one-off: `migrate_schemas --shared`, then every authority's schema; run by the
#            deploy before the services move to a new image (docs/operations.md)
# Every task gets the same environment (README.md, "Configuration") and secrets.

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.logs.arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "app" {
  for_each = toset(["web", "worker", "beat", "release"])

  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/ecs/${local.name}/exec-sessions"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

locals {
  # Where media live: this stack's bucket (reached with the task role, signed URLs on
  # <bucket>.s3.amazonaws.com), or an S3-compatible provider (keys in external secrets).
  media_environment = local.use_s3_bucket ? tomap({
    AWS_STORAGE_BUCKET_NAME = one(aws_s3_bucket.media[*].id)
    AWS_S3_REGION_NAME      = local.region
    MEDIA_ORIGINS           = "https://${one(aws_s3_bucket.media[*].bucket_domain_name)}"
    }) : merge(
    tomap({
      AWS_STORAGE_BUCKET_NAME = var.external_object_storage.bucket_name
      AWS_S3_ENDPOINT_URL     = var.external_object_storage.endpoint_url
      AWS_S3_REGION_NAME      = var.external_object_storage.region_name
      MEDIA_ORIGINS           = var.external_object_storage.media_origins
    }),
    var.external_object_storage.custom_domain == null ? tomap({}) : tomap({
      AWS_S3_CUSTOM_DOMAIN = var.external_object_storage.custom_domain
    }),
  )

  app_environment = merge(
    {
      DJANGO_SETTINGS_MODULE    = "collectivrecup.settings.production"
      BASE_DOMAIN               = var.base_domain
      DEFAULT_FROM_EMAIL        = local.default_from_email
      SENTRY_ENVIRONMENT        = coalesce(var.sentry_environment, var.environment)
      SENTRY_TRACES_SAMPLE_RATE = tostring(var.sentry_traces_sample_rate)
      RELEASE                   = local.release_tag
      # Behind exactly one proxy, the load balancer: the client address is the last
      # X-Forwarded-For entry (API throttling), and gunicorn trusts X-Forwarded-* only from
      # the public subnets the balancer lives in.
      API_NUM_PROXIES     = "1"
      FORWARDED_ALLOW_IPS = join(",", aws_subnet.public[*].cidr_block)
      WEB_CONCURRENCY     = tostring(var.web_concurrency)
      # The root filesystem is read-only; gunicorn's control socket goes to /tmp.
      XDG_RUNTIME_DIR = "/tmp"
    },
    local.media_environment,
    var.extra_environment,
  )

  container_environment = [
    for key in sort(keys(local.app_environment)) : { name = key, value = local.app_environment[key] }
  ]
  container_secrets = [
    for key in sort(local.secret_names) : { name = key, valueFrom = aws_secretsmanager_secret.app[key].arn }
  ]

  # What every container shares. /tmp is a writable scratch volume (uploads being
  # processed, beat's schedule, gunicorn's heartbeat files); the rest is read-only,
  # except with ECS Exec, whose agent must write inside the container (AWS does not
  # support ECS Exec on a read-only root filesystem).
  container_common = {
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = !var.enable_execute_command
    privileged             = false
    environment            = local.container_environment
    secrets                = local.container_secrets
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters        = { initProcessEnabled = true }
  }
}

# --- Task definitions --------------------------------------------------------------------------

resource "aws_ecs_task_definition" "web" {
  family                   = "${local.name}-web"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.web_cpu
  memory                   = var.web_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_common, {
    name         = "web"
    image        = var.image
    command      = ["web"]
    portMappings = [{ containerPort = 8000, protocol = "tcp" }]
    stopTimeout  = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app["web"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "web"
      }
    }
  })])
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${local.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  # Celery's warm shutdown finishes running tasks on SIGTERM; 120 s is Fargate's maximum.
  # A task killed anyway is delivered again (acks_late).
  container_definitions = jsonencode([merge(local.container_common, {
    name        = "worker"
    image       = var.image
    command     = ["worker", "--concurrency", tostring(var.worker_concurrency)]
    stopTimeout = 120
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app["worker"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "worker"
      }
    }
  })])
}

resource "aws_ecs_task_definition" "beat" {
  family                   = "${local.name}-beat"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.beat_cpu
  memory                   = var.beat_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_common, {
    name        = "beat"
    image       = var.image
    command     = ["beat"]
    stopTimeout = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app["beat"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "beat"
      }
    }
  })])
}

# Run with `aws ecs run-task` (the command is in the outputs). Its image is release_image
# when set, so that a deploy migrates with the new image before the services move to it.
resource "aws_ecs_task_definition" "release" {
  family                   = "${local.name}-release"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.release_cpu
  memory                   = var.release_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container_common, {
    name        = "release"
    image       = local.release_image
    command     = ["release"]
    stopTimeout = 120
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app["release"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "release"
      }
    }
  })])
}

# --- Services --------------------------------------------------------------------------------

resource "aws_ecs_service" "web" {
  name             = "web"
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.web.arn
  desired_count    = var.start_services ? var.web_desired_count : 0
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  enable_execute_command  = var.enable_execute_command
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  # Rolling update: new tasks must pass the /healthz check before old ones stop; a
  # deployment whose tasks keep failing rolls back to the previous task definition.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.web.arn
    container_name   = "web"
    container_port   = 8000
  }

  depends_on = [aws_lb_listener.https, aws_iam_role_policy.execution]
}

resource "aws_ecs_service" "worker" {
  name             = "worker"
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.worker.arn
  desired_count    = var.start_services ? var.worker_desired_count : 0
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  enable_execute_command  = var.enable_execute_command
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  depends_on = [aws_iam_role_policy.execution]
}

# Exactly one beat: two would queue every periodic job twice. The old task stops before
# the new one starts (minimum 0 %, maximum 100 %).
resource "aws_ecs_service" "beat" {
  name             = "beat"
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.beat.arn
  desired_count    = var.start_services ? 1 : 0
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  enable_execute_command  = var.enable_execute_command
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  depends_on = [aws_iam_role_policy.execution]
}
