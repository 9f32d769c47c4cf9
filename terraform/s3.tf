# Two buckets:
# - media: the authorities' files (s3://<bucket>/<schema>/…), private, versioned, SSE-KMS,
#   reached by the tasks through their role and by browsers through signed URLs. Not
#   created when external_object_storage points at another provider (README.md).
# - logs: load balancer and S3 access logs (they hold client IP addresses), kept
#   access_log_retention_days.

# --- Media -------------------------------------------------------------------------------

resource "aws_s3_bucket" "media" {
  #checkov:skip=CKV_AWS_144:No cross-region replication: the authorities' files stay in the Paris region by design; versioning and noncurrent-version retention are the recovery path.
  #checkov:skip=CKV2_AWS_62:No event notifications: nothing in the application reacts to bucket events (uploads go through Django, which already knows).
  count = local.use_s3_bucket ? 1 : 0

  bucket = "${local.name}-media-${local.account_id}"
}

resource "aws_s3_bucket_ownership_controls" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket = aws_s3_bucket.media[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.media[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket = aws_s3_bucket.media[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket = aws_s3_bucket.media[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket = aws_s3_bucket.media[0].id

  rule {
    id     = "purge-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.media_noncurrent_version_days
    }
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.media]
}

resource "aws_s3_bucket_logging" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket        = aws_s3_bucket.media[0].id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3-media/"
}

resource "aws_s3_bucket_policy" "media" {
  count = local.use_s3_bucket ? 1 : 0

  bucket = aws_s3_bucket.media[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TLSOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource = [
        aws_s3_bucket.media[0].arn,
        "${aws_s3_bucket.media[0].arn}/*",
      ]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.media]
}

# --- Access logs ---------------------------------------------------------------------------

data "aws_elb_service_account" "current" {}

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:No cross-region replication of access logs: they stay in the Paris region and expire after access_log_retention_days.
  #checkov:skip=CKV_AWS_145:Application Load Balancer access logs can only be delivered to a bucket encrypted with SSE-S3 (AES256), not SSE-KMS; the bucket uses SSE-S3.
  #checkov:skip=CKV2_AWS_62:No event notifications: the logs are read on demand (Athena, download), nothing reacts to new objects.
  bucket = "${local.name}-logs-${local.account_id}"
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}

    expiration {
      days = var.access_log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TLSOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Regions opened before August 2022, Paris among them, deliver load balancer
        # logs from an AWS-owned account of the region.
        Sid       = "LoadBalancerAccessLogs"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.current.arn }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/alb/AWSLogs/${local.account_id}/*"
      },
      {
        Sid       = "S3ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/s3-media/*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}
