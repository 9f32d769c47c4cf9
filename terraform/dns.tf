# Route 53: the hosted zone (looked up, or created when create_route53_zone), the ACM
# certificate for base_domain and *.base_domain validated by DNS, and ALIAS records that
# send base_domain and every <slug>.base_domain to the load balancer. A new authority
# needs no DNS change.

data "aws_route53_zone" "existing" {
  count = var.create_route53_zone ? 0 : 1

  name         = local.zone_name
  private_zone = false
}

resource "aws_route53_zone" "main" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs an asymmetric KMS key in us-east-1 and a DS record at the registrar (AFNIC for .fr), a manual step outside this stack; README.md says how to turn it on.
  #checkov:skip=CKV2_AWS_39:Route 53 query logging only writes to log groups in us-east-1, outside the Paris region this stack keeps its data in; the load balancer's access logs already record every request.
  count = var.create_route53_zone ? 1 : 0

  name    = local.zone_name
  comment = "${local.name}: public site, operator console and one subdomain per authority"
}

locals {
  zone_id = var.create_route53_zone ? aws_route53_zone.main[0].zone_id : data.aws_route53_zone.existing[0].zone_id
}

resource "aws_acm_certificate" "main" {
  domain_name               = var.base_domain
  subject_alternative_names = ["*.${var.base_domain}"]
  validation_method         = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# base_domain and *.base_domain share one validation record: allow_overwrite lets the
# second entry of the map write the same record.
resource "aws_route53_record" "cert_validation" {
  for_each = {
    for option in aws_acm_certificate.main.domain_validation_options : option.domain_name => {
      name   = option.resource_record_name
      type   = option.resource_record_type
      record = option.resource_record_value
    }
  }

  zone_id         = local.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "main" {
  certificate_arn         = aws_acm_certificate.main.arn
  validation_record_fqdns = [for record in aws_route53_record.cert_validation : record.fqdn]
}

resource "aws_route53_record" "apex" {
  zone_id = local.zone_id
  name    = var.base_domain
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "wildcard" {
  zone_id = local.zone_id
  name    = "*.${var.base_domain}"
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}
