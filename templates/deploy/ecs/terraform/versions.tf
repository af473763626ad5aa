terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Keep the state remote and locked, for example:
  # backend "s3" { bucket = "my-terraform-state", key = "service/terraform.tfstate", region = "eu-west-1", use_lockfile = true }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
