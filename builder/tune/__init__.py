"""`tune`: duration and cost against memory, in local containers or measured on AWS."""
