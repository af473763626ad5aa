# One customer-managed key for the service's data at rest: logs, SSM parameters, the database and
# the cache. Administration stays with the account; CloudWatch Logs may use it for this
# account's log groups only.
resource "aws_kms_key" "service" {
  description             = "${local.name}: logs, parameters and data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "service" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.service.key_id
}

# A key policy's "*" resource is the key itself, so the wildcard findings do not apply here.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:key policy; its resource "*" is this key, and the account administers it
  #checkov:skip=CKV_AWS_111:key policy; its resource "*" is this key, and the account administers it
  #checkov:skip=CKV_AWS_356:key policy; its resource "*" is this key
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.aws_region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }
}
