# What a deploy and an operator need after `terraform apply`. No secret value is output:
# secrets are read in Secrets Manager (secret_arns).

output "app_url" {
  description = "Public site and operator console; authorities are served on https://<slug>.<base_domain>/."
  value       = "https://${var.base_domain}/"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer (base_domain and *.base_domain are ALIAS records to it)."
  value       = aws_lb.main.dns_name
}

output "route53_name_servers" {
  description = "Name servers to delegate the domain to at the registrar, when create_route53_zone created the zone (empty otherwise)."
  value       = var.create_route53_zone ? aws_route53_zone.main[0].name_servers : []
}

output "ecr_repository_url" {
  description = "Repository to push the image to (null when create_ecr_repository is false)."
  value       = one(aws_ecr_repository.app[*].repository_url)
}

output "ecs_cluster_name" {
  description = "ECS cluster running the services and the release task."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_names" {
  description = "ECS services, by role."
  value = {
    web    = aws_ecs_service.web.name
    worker = aws_ecs_service.worker.name
    beat   = aws_ecs_service.beat.name
  }
}

output "release_task_definition_arn" {
  description = "Task definition of the one-off release task (migrations), with release_image."
  value       = aws_ecs_task_definition.release.arn
}

output "task_network_configuration" {
  description = "Private subnets and security group to run one-off tasks in (aws ecs run-task --network-configuration)."
  value = {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.app.id]
  }
}

output "run_release_command" {
  description = "AWS CLI command that starts the release task; docs/operations.md shows how to wait for it and read its exit code."
  value = join(" ", [
    "aws ecs run-task",
    "--region ${local.region}",
    "--cluster ${aws_ecs_cluster.main.name}",
    "--task-definition ${aws_ecs_task_definition.release.family}",
    "--launch-type FARGATE",
    "--started-by release",
    "--network-configuration 'awsvpcConfiguration={subnets=[${join(",", aws_subnet.private[*].id)}],securityGroups=[${aws_security_group.app.id}],assignPublicIp=DISABLED}'",
    "--query 'tasks[0].taskArn' --output text",
  ])
}

output "log_groups" {
  description = "CloudWatch log groups of the tasks, by role."
  value       = { for role, group in aws_cloudwatch_log_group.app : role => group.name }
}

output "database_endpoint" {
  description = "PostgreSQL address and port (private; reachable from the tasks only)."
  value       = "${aws_db_instance.main.address}:${aws_db_instance.main.port}"
}

output "database_instance_id" {
  description = "RDS instance identifier (snapshots, point-in-time restore)."
  value       = aws_db_instance.main.identifier
}

output "peak_database_connections" {
  description = "Connections the tasks can open at once at the configured counts (web x WEB_CONCURRENCY + worker x concurrency + beat + release); a rolling web deploy briefly doubles the web share. Keep it well under the instance's max_connections."
  value       = local.peak_database_connections
}

output "redis_endpoint" {
  description = "Primary endpoint of Redis (TLS, AUTH token in the REDIS_URL secret)."
  value       = "${aws_elasticache_replication_group.main.primary_endpoint_address}:${aws_elasticache_replication_group.main.port}"
}

output "media_bucket_name" {
  description = "Media bucket (null when external_object_storage is used)."
  value       = one(aws_s3_bucket.media[*].id)
}

output "logs_bucket_name" {
  description = "Bucket of the load balancer and S3 access logs."
  value       = aws_s3_bucket.logs.id
}

output "secret_arns" {
  description = "Secrets Manager entries by environment variable name. The external ones (external_secret_names) need a value before the services start."
  value       = { for name, secret in aws_secretsmanager_secret.app : name => secret.arn }
}

output "external_secret_names" {
  description = "Secrets Terraform created empty, to fill in with `aws secretsmanager put-secret-value`."
  value       = local.external_secret_names
}

output "ses_smtp_user" {
  description = "IAM user whose SMTP credentials are in EMAIL_URL (null when create_ses_smtp_user is false)."
  value       = one(aws_iam_user.ses_smtp[*].name)
}
