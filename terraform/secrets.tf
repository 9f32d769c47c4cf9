# Secrets Manager: one entry per environment variable, named <name>-<environment>/<VAR>,
# encrypted with the data key and injected by ECS into every task (`secrets` in ecs.tf).
#
# - Generated here (values in the Terraform state): SECRET_KEY, DATABASE_URL, REDIS_URL,
#   and EMAIL_URL when create_ses_smtp_user.
# - External (Terraform creates the empty entry, you put the value, which never enters
#   the state): external_secrets (SENTRY_DSN, STRIPE_* by default), EMAIL_URL without the
#   SMTP user, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY with external_object_storage:
#     aws secretsmanager put-secret-value --secret-id <name>-<environment>/SENTRY_DSN \
#       --secret-string 'https://…'
#   A task does not start while one of its secrets has no value.
#
# Rotation is manual and documented in docs/operations.md ("Rotating secrets").

resource "random_password" "secret_key" {
  length = 64
  # No quote, backslash or dollar (the value may be pasted into a shell), and no comma
  # (a comma-separated list of old keys, SECRET_KEY_FALLBACKS, must stay possible).
  override_special = "!#%&()*+-.:;<=>?@[]^_{|}~"
}

locals {
  database_url = format(
    "postgres://%s:%s@%s:%d/%s?sslmode=require",
    var.db_username, random_password.db.result, aws_db_instance.main.address,
    aws_db_instance.main.port, var.db_name,
  )
  # rediss = TLS; redis-py and kombu verify the ElastiCache certificate.
  redis_url = format(
    "rediss://:%s@%s:%d/0?ssl_cert_reqs=required",
    random_password.redis.result,
    aws_elasticache_replication_group.main.primary_endpoint_address,
    aws_elasticache_replication_group.main.port,
  )
  generated_secret_values = {
    SECRET_KEY   = random_password.secret_key.result
    DATABASE_URL = local.database_url
    REDIS_URL    = local.redis_url
    EMAIL_URL    = local.email_url
  }
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:No rotation Lambda: DATABASE_URL, REDIS_URL and EMAIL_URL are whole URLs that the application reads at start, which AWS's rotation functions cannot rewrite; rotation is a documented manual procedure (docs/operations.md).
  for_each = toset(local.secret_names)

  name                    = "${local.name}/${each.key}"
  description             = "${local.name}: environment variable ${each.key}"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each = toset(local.generated_secret_names)

  secret_id     = aws_secretsmanager_secret.app[each.key].id
  secret_string = local.generated_secret_values[each.key]
}
