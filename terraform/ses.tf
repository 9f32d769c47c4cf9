# SES for outgoing mail: the sending domain verified with Easy DKIM and a custom MAIL FROM
# subdomain (SPF aligned), all records in the hosted zone of dns.tf. The application sends
# over SMTP (EMAIL_URL), with credentials of an IAM user that may only send as that domain.
#
# A new SES account is in the sandbox (it can only send to verified addresses): ask AWS
# for production access in the SES console before the first authority signs up.
# Publish a DMARC record (_dmarc.<email_domain>) yourself: a domain often has one already.

resource "aws_ses_domain_identity" "main" {
  domain = local.email_domain
}

resource "aws_route53_record" "ses_verification" {
  zone_id = local.zone_id
  name    = "_amazonses.${local.email_domain}"
  type    = "TXT"
  ttl     = 600
  records = [aws_ses_domain_identity.main.verification_token]
}

resource "aws_ses_domain_identity_verification" "main" {
  domain = aws_ses_domain_identity.main.id

  depends_on = [aws_route53_record.ses_verification]
}

resource "aws_ses_domain_dkim" "main" {
  domain = aws_ses_domain_identity.main.domain
}

resource "aws_route53_record" "ses_dkim" {
  count = 3

  zone_id = local.zone_id
  name    = "${aws_ses_domain_dkim.main.dkim_tokens[count.index]}._domainkey.${local.email_domain}"
  type    = "CNAME"
  ttl     = 600
  records = ["${aws_ses_domain_dkim.main.dkim_tokens[count.index]}.dkim.amazonses.com"]
}

# Bounces come back to bounce.<email_domain>, so SPF aligns with the sender's domain.
resource "aws_ses_domain_mail_from" "main" {
  domain           = aws_ses_domain_identity.main.domain
  mail_from_domain = "bounce.${local.email_domain}"
}

resource "aws_route53_record" "ses_mail_from_mx" {
  zone_id = local.zone_id
  name    = aws_ses_domain_mail_from.main.mail_from_domain
  type    = "MX"
  ttl     = 600
  records = ["10 feedback-smtp.${local.region}.amazonses.com"]
}

resource "aws_route53_record" "ses_mail_from_spf" {
  zone_id = local.zone_id
  name    = aws_ses_domain_mail_from.main.mail_from_domain
  type    = "TXT"
  ttl     = 600
  records = ["v=spf1 include:amazonses.com ~all"]
}

# --- SMTP credentials --------------------------------------------------------------------
# SES's SMTP interface only accepts credentials derived from an IAM user's access key;
# a role cannot be used. The user belongs to a group whose only right is to send as the
# verified domain.

resource "aws_iam_group" "ses_smtp" {
  count = var.create_ses_smtp_user ? 1 : 0

  name = "${local.name}-ses-smtp"
}

resource "aws_iam_group_policy" "ses_smtp" {
  count = var.create_ses_smtp_user ? 1 : 0

  name  = "send-as-${replace(local.email_domain, ".", "-")}"
  group = aws_iam_group.ses_smtp[0].name

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "ses:SendRawEmail"
      Resource = aws_ses_domain_identity.main.arn
    }]
  })
}

resource "aws_iam_user" "ses_smtp" {
  #checkov:skip=CKV_AWS_273:SES's SMTP interface authenticates only with credentials derived from an IAM user's access key; SSO or a role cannot log in to SMTP. The user can do nothing but send as the verified domain.
  count = var.create_ses_smtp_user ? 1 : 0

  name = "${local.name}-ses-smtp"
}

resource "aws_iam_user_group_membership" "ses_smtp" {
  count = var.create_ses_smtp_user ? 1 : 0

  user   = aws_iam_user.ses_smtp[0].name
  groups = [aws_iam_group.ses_smtp[0].name]
}

resource "aws_iam_access_key" "ses_smtp" {
  count = var.create_ses_smtp_user ? 1 : 0

  user = aws_iam_user.ses_smtp[0].name
}

locals {
  # smtp://<access key id>:<SMTP password>@email-smtp.<region>.amazonaws.com:587/?tls=True
  # (dj-email-url unquotes the password, which may hold '/' and '+').
  email_url = var.create_ses_smtp_user ? format(
    "smtp://%s:%s@email-smtp.%s.amazonaws.com:587/?tls=True",
    one(aws_iam_access_key.ses_smtp[*].id),
    urlencode(one(aws_iam_access_key.ses_smtp[*].ses_smtp_password_v4)),
    local.region,
  ) : ""

  default_from_email = coalesce(
    var.default_from_email,
    "Collectiv'Récup <ne-pas-repondre@${local.email_domain}>",
  )
}
