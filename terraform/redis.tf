# ElastiCache for Redis: Django's cache and the Celery broker (REDIS_URL). Encrypted at
# rest with the data key and in transit (TLS, clients use rediss://), with an AUTH token
# generated here and handed to the tasks inside the REDIS_URL secret (secrets.tf).
#
# The default parameter group keeps maxmemory-policy = volatile-lru: only keys with an
# expiry (cache entries) are evicted under memory pressure, never Celery's queues, which
# have none. An allkeys-* policy would silently drop queued tasks.

resource "random_password" "redis" {
  length  = 48
  special = false # ElastiCache refuses some punctuation, and the token goes into a URL
}

resource "aws_elasticache_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_cloudwatch_log_group" "redis" {
  name              = "/elasticache/${local.name}/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id = substr(local.name, 0, 40)
  description          = "${local.name}: Django cache and Celery broker"

  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  parameter_group_name = "default.redis7"
  port                 = 6379

  num_cache_clusters         = var.redis_multi_az ? 2 : 1
  automatic_failover_enabled = var.redis_multi_az
  multi_az_enabled           = var.redis_multi_az

  subnet_group_name  = aws_elasticache_subnet_group.main.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis.result
  # ROTATE keeps the previous token valid while tasks restart with the new REDIS_URL
  # (docs/operations.md, "Rotating secrets").
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:02:30-sun:03:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}
