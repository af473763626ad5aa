# ElastiCache (Valkey, which speaks the Redis protocol) in the private subnets: a primary and a
# replica in two zones, encrypted at rest and in transit, with an auth token; REDIS_URL is
# written to SSM for the tasks.
resource "aws_security_group" "cache" {
  name        = "${local.name}-cache"
  description = "Cache of ${local.name}: from the tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_tasks" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis protocol from the tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_elasticache_subnet_group" "cache" {
  name       = local.name
  subnet_ids = var.private_subnet_ids
}

resource "random_password" "cache" {
  length  = 64
  special = false
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = local.cache_id
  description                = "Cache of ${local.name}"
  engine                     = "valkey"
  engine_version             = "8.0"
  node_type                  = var.cache_node_type
  port                       = 6379
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.cache.name
  security_group_ids         = [aws_security_group.cache.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.service.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.cache.result

  snapshot_retention_limit   = 3
  auto_minor_version_upgrade = true
  maintenance_window         = "sun:05:30-sun:06:30"
}

resource "aws_ssm_parameter" "redis_url" {
  name   = "${local.parameter_path}/REDIS_URL"
  type   = "SecureString"
  key_id = aws_kms_key.service.arn
  value  = "rediss://:${random_password.cache.result}@${aws_elasticache_replication_group.cache.primary_endpoint_address}:6379"
}
