# PostgreSQL 16 on RDS: one database, a `public` schema plus one schema per authority
# (django-tenants). Encrypted with the data key, TLS required, automated backups with
# point-in-time recovery (db_backup_retention_days), optional standby in a second zone.
#
# Connection pooling: the application opens one connection per gunicorn sync worker and
# per Celery process. If PgBouncer (or RDS Proxy) is ever put in front, it MUST use
# SESSION pooling: django-tenants sets the schema with `SET search_path` on the connection
# once per request, which transaction or statement pooling would hand to another client.

resource "random_password" "db" {
  length  = 40
  special = false # the password goes into DATABASE_URL unescaped
}

resource "aws_db_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "main" {
  name        = "${local.name}-postgres16"
  family      = "postgres16"
  description = "${local.name}: TLS only, slow statement log"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Slow statements only: logging every statement (log_statement = all) would copy
  # e-mail addresses and listing texts into CloudWatch.
  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.db_log_min_duration_ms)
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  # Catches a worker left "idle in transaction" by a bug before it holds locks for hours.
  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "600000"
  }
}

# Created here so that it has a retention and the logs key (RDS would create it bare).
resource "aws_cloudwatch_log_group" "postgresql" {
  name              = "/aws/rds/instance/${local.name}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "postgresql_upgrade" {
  name              = "/aws/rds/instance/${local.name}/upgrade"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_iam_role" "rds_monitoring" {
  name = "${local.name}-rds-monitoring"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "main" {
  #checkov:skip=CKV_AWS_161:IAM authentication is a variable (db_iam_authentication, off by default): the application connects with the password of DATABASE_URL, because IAM tokens expire after 15 minutes and Django's PostgreSQL backend has no hook to fetch a new one per connection.
  identifier = local.name

  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  db_name  = var.db_name
  username = var.db_username
  password = random_password.db.result
  port     = 5432

  iam_database_authentication_enabled = var.db_iam_authentication

  multi_az               = var.db_multi_az
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.main.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  # UTC: 01:00–02:00 and Sunday 02:30–03:30 in Paris in winter.
  backup_retention_period  = var.db_backup_retention_days
  backup_window            = "00:00-01:00"
  maintenance_window       = "sun:01:30-sun:02:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.data.arn
  performance_insights_retention_period = var.db_performance_insights_retention_days

  monitoring_interval = 60
  monitoring_role_arn = aws_iam_role.rds_monitoring.arn

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  depends_on = [
    aws_cloudwatch_log_group.postgresql,
    aws_cloudwatch_log_group.postgresql_upgrade,
  ]
}
