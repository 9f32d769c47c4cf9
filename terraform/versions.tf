# Collectiv'Récup — reference deployment on AWS (Paris, eu-west-3 by default).
# What it creates and how to apply it: README.md beside this file.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # The state holds generated secrets (database password, Redis token, SECRET_KEY,
  # SMTP password): keep it in an encrypted, access-controlled backend, never in git.
  # Fill in and uncomment, then `terraform init -migrate-state`:
  #
  # backend "s3" {
  #   bucket         = "my-terraform-state-bucket"
  #   key            = "collectivrecup/production.tfstate"
  #   region         = "eu-west-3"
  #   encrypt        = true
  #   use_lockfile   = true   # Terraform >= 1.10; older: dynamodb_table = "…"
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project     = var.name
        Environment = var.environment
        ManagedBy   = "terraform"
      },
      var.tags,
    )
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}
