"""The script's entry point as Glue starts it: GlueContext, then `Job.init` with the arguments resolved by
`getResolvedOptions`, as Glue's documentation writes every job script (awsglue.utils.getResolvedOptions,
awsglue.job.Job.init(job_name, args)). awsglue exists only on Glue: the test stands in minimal modules for it and
checks what the script hands them; the ETL itself is stubbed (the other tests run it on Spark)."""

import sys
import types

import pytest

import weather_etl


class _Recorder:
    def __init__(self):
        self.resolved = None
        self.init_calls = []
        self.commits = 0


@pytest.fixture
def fake_awsglue(monkeypatch):
    rec = _Recorder()

    def get_resolved_options(argv, names):
        # Glue's helper parses --NAME value pairs of sys.argv (argv[0] is the script).
        assert argv[0].endswith(".py") or argv[0] == "script", argv
        values = {}
        for name in names:
            i = argv.index(f"--{name}")
            values[name] = argv[i + 1]
        rec.resolved = values
        return values

    class GlueContext:
        def __init__(self, spark_context):
            self.spark_session = "glue-spark-session"

    class Job:
        def __init__(self, glue_context):
            assert isinstance(glue_context, GlueContext)

        def init(self, job_name, args):
            rec.init_calls.append((job_name, args))

        def commit(self):
            rec.commits += 1

    class SparkContext:
        @staticmethod
        def getOrCreate():
            return "spark-context"

    modules = {
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=Job),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=get_resolved_options),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "pyspark.context", types.SimpleNamespace(SparkContext=SparkContext))
    return rec


def test_job_init_gets_the_resolved_arguments(fake_awsglue, monkeypatch):
    argv = ["--JOB_NAME", "weather-etl-prod", "--job-bookmark-option", "job-bookmark-disable",
            "--landing_uri", "s3://landing", "--refined_uri", "s3://refined", "--manifest_key", "m.json", "--run_id", "r1"]
    monkeypatch.setattr(sys, "argv", ["/tmp/glue/weather_etl.py", *argv])
    seen = {}

    def fake_run(spark, args, contract, listed=None):
        seen["spark"], seen["listed"] = spark, listed
        return {"reconciled": True, "run_id": args.run_id}

    monkeypatch.setattr(weather_etl, "run", fake_run)
    assert weather_etl.main() == 0
    assert seen["spark"] == "glue-spark-session" and seen["listed"] is None  # run() lists the batch on Glue
    # Job.init receives the very dict getResolvedOptions returned, with the job name Glue passed.
    assert fake_awsglue.resolved == {"JOB_NAME": "weather-etl-prod"}
    assert len(fake_awsglue.init_calls) == 1
    job_name, args = fake_awsglue.init_calls[0]
    assert job_name == "weather-etl-prod"
    assert args is fake_awsglue.resolved
    assert fake_awsglue.commits == 1
