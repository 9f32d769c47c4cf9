# Every input of the reference deployment. Only `base_domain` and `image` have no default.
# The table in README.md lists them with their defaults.

# --- Where and what --------------------------------------------------------------------

variable "region" {
  description = "AWS region of every resource. Paris (eu-west-3) keeps the authorities' data in France."
  type        = string
  default     = "eu-west-3"
}

variable "name" {
  description = "Prefix of resource names (lowercase letters, digits and hyphens)."
  type        = string
  default     = "collectivrecup"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name: 2 to 20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (production, staging…): part of resource names, Sentry's environment by default."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.environment))
    error_message = "environment: 2 to 12 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags put on every resource (for example a cost centre)."
  type        = map(string)
  default     = {}
}

variable "base_domain" {
  description = "The bare domain (BASE_DOMAIN), e.g. collectivrecup.fr: the public site and operator console live there, each authority on <slug>.<base_domain>."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.base_domain))
    error_message = "base_domain must be a lowercase DNS name such as collectivrecup.fr."
  }
}

variable "route53_zone_name" {
  description = "Name of the Route 53 public hosted zone holding base_domain's records. Null: a zone named base_domain."
  type        = string
  default     = null
}

variable "create_route53_zone" {
  description = "Create the hosted zone (then delegate the domain to the name servers in the output) instead of looking an existing one up."
  type        = bool
  default     = false
}

# --- Application image and processes ---------------------------------------------------

variable "image" {
  description = "Application image (infra/Dockerfile) for web, worker and beat, with an immutable tag, e.g. <account>.dkr.ecr.eu-west-3.amazonaws.com/collectivrecup:2025.06.1."
  type        = string
}

variable "release_image" {
  description = "Image of the one-off release task (migrations). Null: the same as image. A deploy sets it to the new image first, runs the release task, then moves image (docs/operations.md)."
  type        = string
  default     = null
}

variable "release" {
  description = "Release name reported to Sentry (RELEASE). Null: the tag of image."
  type        = string
  default     = null
}

variable "start_services" {
  description = "Run the web, worker and beat tasks. Set false for the first apply, before the image is pushed, the external secrets are filled in and the release task has migrated."
  type        = bool
  default     = true
}

variable "web_desired_count" {
  description = "Number of web tasks (gunicorn) behind the load balancer."
  type        = number
  default     = 2
}

variable "web_cpu" {
  description = "CPU units of one web task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "web_memory" {
  description = "Memory of one web task, in MiB."
  type        = number
  default     = 2048
}

variable "web_concurrency" {
  description = "gunicorn sync workers per web task (WEB_CONCURRENCY). Each holds at most one database connection."
  type        = number
  default     = 3
}

variable "worker_desired_count" {
  description = "Number of Celery worker tasks."
  type        = number
  default     = 1
}

variable "worker_cpu" {
  description = "CPU units of one worker task."
  type        = number
  default     = 1024
}

variable "worker_memory" {
  description = "Memory of one worker task, in MiB."
  type        = number
  default     = 2048
}

variable "worker_concurrency" {
  description = "Celery prefork processes per worker task (--concurrency). Each holds at most one database connection."
  type        = number
  default     = 2
}

variable "beat_cpu" {
  description = "CPU units of the beat task (there is always exactly one)."
  type        = number
  default     = 256
}

variable "beat_memory" {
  description = "Memory of the beat task, in MiB."
  type        = number
  default     = 512
}

variable "release_cpu" {
  description = "CPU units of the release task, which migrates two authority schemas at a time."
  type        = number
  default     = 1024
}

variable "release_memory" {
  description = "Memory of the release task, in MiB."
  type        = number
  default     = 2048
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` (a shell in a running task, sessions encrypted with the logs KMS key and logged). Makes the containers' root filesystem writable: ECS Exec does not work on a read-only one."
  type        = bool
  default     = false
}

variable "extra_environment" {
  description = "More plain environment variables for every task (e.g. SENTRY_TRACES_SAMPLE_RATE, API_TOKEN_RATE, LOG_LEVEL). Never secrets: those go through external_secrets."
  type        = map(string)
  default     = {}
}

variable "external_secrets" {
  description = "Secrets Manager entries that Terraform creates empty and that you fill in (aws secretsmanager put-secret-value) before starting the services; each is injected under its own name. Remove a name you do not use."
  type        = list(string)
  default     = ["SENTRY_DSN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]

  validation {
    condition     = alltrue([for name in var.external_secrets : can(regex("^[A-Z][A-Z0-9_]*$", name))])
    error_message = "external_secrets: environment variable names (A-Z, 0-9, _)."
  }
}

variable "sentry_environment" {
  description = "SENTRY_ENVIRONMENT. Null: the value of environment."
  type        = string
  default     = null
}

variable "sentry_traces_sample_rate" {
  description = "SENTRY_TRACES_SAMPLE_RATE: share of requests traced (0 to 1)."
  type        = number
  default     = 0.05
}

variable "create_ecr_repository" {
  description = "Create a private ECR repository for the image (immutable tags, scan on push, KMS)."
  type        = bool
  default     = true
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks: X86_64, or ARM64 (Graviton, about 20 % cheaper) for an image built with --platform linux/arm64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

# --- Network ---------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "Address range of the VPC (a /16 leaves room for the /24 subnets)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones used (2 or 3); one public and one private subnet in each."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (RDS and the load balancer need two zones)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper; outbound traffic stops if its zone fails) instead of one per zone."
  type        = bool
  default     = false
}

variable "enable_waf" {
  description = "Put an AWS WAF web ACL (AWS managed rules and a per-address rate limit) in front of the load balancer."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per client address per 5 minutes above which WAF blocks. An authority's agents often share one public address: keep it generous."
  type        = number
  default     = 20000
}

variable "readyz_allowed_cidrs" {
  description = "Addresses (CIDR, at most 4) allowed to call /readyz through the load balancer, e.g. your monitoring service. Everyone else gets a 404 there: each call queries the database, Redis and S3."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.readyz_allowed_cidrs) <= 4
    error_message = "readyz_allowed_cidrs: at most 4 ranges (a listener rule takes 5 condition values, one is the path)."
  }
}

# --- PostgreSQL ------------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class. max_connections follows its memory: see docs/operations.md, connection counts."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_engine_version" {
  description = "PostgreSQL version (major only: minor versions are upgraded automatically in the maintenance window)."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial gp3 storage, in GiB."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling, in GiB."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "Standby replica in a second zone with automatic failover (doubles the instance cost)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window), 1 to 35."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "db_name" {
  description = "Name of the database (one database; one schema per authority inside it)."
  type        = string
  default     = "collectivrecup"
}

variable "db_username" {
  description = "Master user the application connects as (django-tenants creates schemas, so it needs CREATE on the database)."
  type        = string
  default     = "collectivrecup"
}

variable "db_iam_authentication" {
  description = "Enable IAM database authentication on the instance. The application itself keeps using the password in DATABASE_URL."
  type        = bool
  default     = false
}

variable "db_log_min_duration_ms" {
  description = "Log statements slower than this (log_min_duration_statement), in milliseconds; -1 turns it off."
  type        = number
  default     = 1000
}

variable "db_performance_insights_retention_days" {
  description = "Performance Insights retention: 7 (free) or a multiple of 31."
  type        = number
  default     = 7
}

# --- Redis -----------------------------------------------------------------------------

variable "redis_node_type" {
  description = "ElastiCache node type (cache and Celery broker)."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "redis_multi_az" {
  description = "A replica in a second zone with automatic failover."
  type        = bool
  default     = true
}

variable "redis_snapshot_retention_days" {
  description = "Days of daily Redis snapshots, a restore point for the queued tasks (0 turns them off)."
  type        = number
  default     = 1
}

# --- Storage, logs, e-mail -------------------------------------------------------------

variable "media_noncurrent_version_days" {
  description = "Days an overwritten or deleted media file stays recoverable (S3 versioning) before it is purged."
  type        = number
  default     = 90
}

variable "external_object_storage" {
  description = "Media on an S3-compatible provider (Scaleway, OVHcloud…) instead of an S3 bucket: endpoint_url, region_name, bucket_name, media_origins (CSP img-src, comma list) and optionally custom_domain. The keys become the external secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Null: an S3 bucket is created."
  type = object({
    endpoint_url  = string
    region_name   = string
    bucket_name   = string
    media_origins = string
    custom_domain = optional(string)
  })
  default = null
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (application, VPC flow logs, WAF, database, Redis)."
  type        = number
  default     = 365
}

variable "access_log_retention_days" {
  description = "Days the load balancer and S3 access logs (they hold client IP addresses) are kept in the logs bucket."
  type        = number
  default     = 365
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer against deletion (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "email_domain" {
  description = "Domain verified in SES for sending (DKIM, custom MAIL FROM). Null: base_domain. Its records go in the same hosted zone."
  type        = string
  default     = null
}

variable "default_from_email" {
  description = "DEFAULT_FROM_EMAIL. Null: \"Collectiv'Récup <ne-pas-repondre@<email_domain>>\"."
  type        = string
  default     = null
}

variable "create_ses_smtp_user" {
  description = "Create an IAM user allowed only to send through SES, and build EMAIL_URL from its SMTP credentials. False: EMAIL_URL becomes an external secret you fill in."
  type        = bool
  default     = true
}
