# Two roles per task, as ECS intends:
# - execution role, used by ECS itself before the container starts: pull the image, write
#   its logs, read the secrets it injects;
# - task role, used by the application: the media bucket (and the ECS Exec channel when
#   enabled). Nothing else: mail goes over SMTP, the database and Redis use passwords.

locals {
  ecs_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*" }
      }
    }]
  })

  ecr_repository_arns = (
    var.create_ecr_repository
    ? aws_ecr_repository.app[*].arn
    : ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/*"]
  )
}

# --- Execution role ------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name               = "${local.name}-ecs-execution"
  assume_role_policy = local.ecs_assume_role_policy
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-log-read-secrets"
  role = aws_iam_role.execution.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*" # this action has no resource to scope to
      },
      {
        Sid    = "PullImage"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
        ]
        Resource = local.ecr_repository_arns
      },
      {
        Sid      = "WriteContainerLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for group in aws_cloudwatch_log_group.app : "${group.arn}:*"]
      },
      {
        Sid      = "ReadInjectedSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = [for secret in aws_secretsmanager_secret.app : secret.arn]
      },
      {
        Sid      = "DecryptInjectedSecrets"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data.arn
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" }
        }
      },
    ]
  })
}

# --- Task role -------------------------------------------------------------------------------

resource "aws_iam_role" "task" {
  name               = "${local.name}-ecs-task"
  assume_role_policy = local.ecs_assume_role_policy
}

resource "aws_iam_role_policy" "task_media" {
  count = local.use_s3_bucket ? 1 : 0

  name = "media-bucket"
  role = aws_iam_role.task.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # ListBucket makes a missing object answer 404 instead of 403: django-storages'
        # exists() (used to pick a free file name) needs that.
        Sid      = "ListMediaBucket"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = aws_s3_bucket.media[0].arn
      },
      {
        Sid      = "ReadWriteMediaObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.media[0].arn}/*"
      },
      {
        Sid      = "MediaEncryption"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data.arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "task_exec" {
  count = var.enable_execute_command ? 1 : 0

  name = "ecs-exec"
  role = aws_iam_role.task.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "SessionManagerChannels"
        Effect = "Allow"
        Action = [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ]
        Resource = "*" # these actions have no resource to scope to
      },
      {
        Sid      = "DecryptSessions"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.logs.arn
      },
      {
        Sid      = "WriteSessionLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.exec.arn}:*"
      },
      {
        Sid      = "DescribeSessionLogs"
        Effect   = "Allow"
        Action   = "logs:DescribeLogGroups"
        Resource = "*" # this action has no resource to scope to
      },
    ]
  })
}
