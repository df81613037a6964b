"""The `iam-policy` command group: each area's least-privilege IAM policy, printed as JSON."""
