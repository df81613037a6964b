"""Storage cleanup: report Lambda code storage against the quota and prune unreferenced versions.

The flow is inventory (read the region) -> plan (pure, prints as a dry run) -> apply (delete).
`docs/cleanup.md` describes what is never deleted and why.
"""
