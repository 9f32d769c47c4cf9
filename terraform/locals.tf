# Names and values computed once and used across the files.

locals {
  name       = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  zone_name    = coalesce(var.route53_zone_name, var.base_domain)
  email_domain = coalesce(var.email_domain, var.base_domain)

  # Media: an S3 bucket of this stack, or an S3-compatible provider (README.md).
  use_s3_bucket = var.external_object_storage == null

  release_image = coalesce(var.release_image, var.image)
  # The image tag (what follows the last ':' after the last '/'), for Sentry's release.
  image_tag   = try(regex(":([^:/]+)$", var.image)[0], "untagged")
  release_tag = coalesce(var.release, local.image_tag)

  # Secrets that Terraform generates and stores (their values are in the state).
  generated_secret_names = concat(
    ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"],
    var.create_ses_smtp_user ? ["EMAIL_URL"] : [],
  )
  # Secrets that you fill in yourself; Terraform only creates the empty entries.
  external_secret_names = distinct(concat(
    var.external_secrets,
    var.create_ses_smtp_user ? [] : ["EMAIL_URL"],
    local.use_s3_bucket ? [] : ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  ))
  secret_names = concat(local.generated_secret_names, local.external_secret_names)

  # Connections the application can open at once: each gunicorn sync worker and each
  # Celery process holds at most one, beat one, the release task one per migration
  # process (django-tenants' multiprocessing executor: 2; the parent closes its own).
  # Compare with the instance's max_connections (docs/operations.md, "Add capacity").
  peak_database_connections = (
    var.web_desired_count * var.web_concurrency
    + var.worker_desired_count * var.worker_concurrency
    + 1 # beat
    + 2 # release
  )
}
