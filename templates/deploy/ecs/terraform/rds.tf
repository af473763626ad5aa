# RDS PostgreSQL in the private subnets: encrypted, Multi-AZ, backups, slow-query logging, and
# DATABASE_URL written to SSM for the tasks.
resource "aws_security_group" "database" {
  name        = "${local.name}-database"
  description = "PostgreSQL of ${local.name}: from the tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_subnet_group" "database" {
  name       = local.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_db_parameter_group" "database" {
  name   = local.name
  family = "postgres18"

  # Statements slower than half a second, and every schema change, reach the logs.
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }
}

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "aws_db_instance" "database" {
  identifier     = local.name
  engine         = "postgres"
  engine_version = "18"
  instance_class = var.db_instance_class
  db_name        = replace(local.container_name, "-", "_")
  username       = replace(local.container_name, "-", "_")
  password       = random_password.database.result

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_allocated_storage * 10
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.service.arn

  multi_az                            = true
  db_subnet_group_name                = aws_db_subnet_group.database.name
  vpc_security_group_ids              = [aws_security_group.database.id]
  publicly_accessible                 = false
  parameter_group_name                = aws_db_parameter_group.database.name
  iam_database_authentication_enabled = true

  backup_retention_period = var.environment == "production" ? 14 : 3
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot   = true
  # Turn off before `terraform destroy`.
  deletion_protection       = true
  skip_final_snapshot       = var.environment != "production"
  final_snapshot_identifier = "${local.name}-final"

  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.service.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.database_monitoring.arn
}

data "aws_iam_policy_document" "database_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "database_monitoring" {
  name               = "${local.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.database_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "database_monitoring" {
  role       = aws_iam_role.database_monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# Encrypted in transit (rds.force_ssl). Node's trust store lacks the RDS CA, so this URL does
# not verify the server certificate; to verify it, add the RDS CA bundle to the image
# (NODE_EXTRA_CA_CERTS) and use sslmode=verify-full.
resource "aws_ssm_parameter" "database_url" {
  name   = "${local.parameter_path}/DATABASE_URL"
  type   = "SecureString"
  key_id = aws_kms_key.service.arn
  value  = "postgres://${aws_db_instance.database.username}:${random_password.database.result}@${aws_db_instance.database.address}:${aws_db_instance.database.port}/${aws_db_instance.database.db_name}?sslmode=require&uselibpqcompat=true"
}
