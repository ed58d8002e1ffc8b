"""Fixtures of the Glue script's tests. The helpers live in etl_testkit (a unique module name: test/catalog has a
conftest of its own, and both are loaded in one pytest session, so importing from "conftest" is ambiguous)."""
from etl_testkit import b1_lake, b1_monthly_lake, b1_sequence, contract, moto, s3_client, spark  # noqa: F401  (pytest fixtures)
