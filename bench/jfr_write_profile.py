"""Where the Glue script's JVM spends its time per Spark job: JFR execution samples, by job and by what they were doing.

    PYSPARK_SUBMIT_ARGS="--driver-java-options -XX:StartFlightRecording=filename=/tmp/p/rec.jfr,settings=profile \
      --conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file:///tmp/p pyspark-shell" \
      .venv/bin/python src/etl/script/weather_etl.py ...        # (docs/PERFORMANCE.md, section 2, round h15f)
    jfr print --json --stack-depth 64 --events jdk.ExecutionSample /tmp/p/rec.jfr > /tmp/p/exec.json
    python3 bench/jfr_write_profile.py /tmp/p/exec.json /tmp/p/local-*

Each sample (a thread seen running Java code, every 10-20 ms) is put in the Spark job whose run it fell in (the
event log's job start and end) and in the first category below whose pattern one of its frames matches (a frame is
`package.Class.method`), so a sample counts once. Categories are read top-down: a Parquet writer's creation that
creates a file counts as file-system work, not as the writer's.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime

CATEGORIES = [
    ("commit: job commit (committer, partition moves)", r"(commitJob|FileOutputCommitter\.mergePaths)"),
    ("commit: task commit", r"(commitTask|FileOutputCommitter\.commitTask)"),
    ("file system: create (mkdirs, permission, open)", r"(RawLocalFileSystem\.(create|mkdirs|setPermission)|"
                                                       r"FileSystem\.(create|mkdirs)|ChecksumFileSystem\.create|"
                                                       r"LocalFsPermissions|InProcessPermission)"),
    ("file system: stat, list, rename, delete", r"(getFileStatus|listStatus|\.rename|\.delete|\.exists)"),
    ("Parquet: writer creation", r"(ParquetOutputWriter\.<init>|ParquetOutputFormat\.getRecordWriter|"
                                 r"ParquetFileWriter\.<init>|ParquetFileWriter\.start|ParquetWriteSupport\.init)"),
    ("Parquet: close (flush pages, footer)", r"(ParquetOutputWriter\.close|ParquetRecordWriter\.close|"
                                             r"InternalParquetRecordWriter\.close|ParquetFileWriter\.end)"),
    ("Parquet: snappy", r"(?i)snappy"),
    ("Parquet: writing rows", r"(ParquetWriteSupport\.write|InternalParquetRecordWriter\.write|ColumnWriter)"),
    ("write task: new file per partition, stats", r"(FileFormatDataWriter|DynamicPartitionDataSingleWriter|"
                                                  r"BasicWriteTaskStatsTracker|FileFormatWriter)"),
    ("sort", r"(UnsafeExternalSorter|UnsafeInMemorySorter|SortExec|UnsafeExternalRowSorter)"),
    ("shuffle", r"(?i)shuffle"),
    ("expression evaluation, rows", r"(Projection|InterpretedPredicate|Expression\.eval|UnsafeRow|Window)"),
    ("JSON parsing", r"(?i)(jackson|JacksonParser|JsonToStructs)"),
    ("query planning, analysis", r"(catalyst\.analysis|catalyst\.optimizer|RuleExecutor|QueryExecution|SparkPlanner|"
                                 r"TreeNode)"),
    ("py4j", r"py4j"),
    ("class loading, JIT", r"(ClassLoader|defineClass)"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]


def frame_name(frame: dict) -> str:
    method = frame["method"]
    return method["type"]["name"].replace("/", ".") + "." + method["name"]


def category(frames: list[str]) -> str:
    for name, pattern in COMPILED:
        if any(pattern.search(f) for f in frames):
            return name
    return "other"


def jobs_of(event_log: str) -> list[tuple[int, float, float]]:
    starts, ends = {}, {}
    with open(event_log, encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            if event["Event"] == "SparkListenerJobStart":
                starts[event["Job ID"]] = event["Submission Time"] / 1000
            elif event["Event"] == "SparkListenerJobEnd":
                ends[event["Job ID"]] = event["Completion Time"] / 1000
    return [(job, starts[job], ends.get(job, float("inf"))) for job in sorted(starts)]


def main() -> int:
    samples = json.load(open(sys.argv[1], encoding="utf-8"))["recording"]["events"]
    jobs = jobs_of(sys.argv[2])
    table: dict[str, Counter] = defaultdict(Counter)
    threads: dict[str, Counter] = defaultdict(Counter)
    for sample in samples:
        at = datetime.fromisoformat(sample["values"]["startTime"].replace("Z", "+00:00")[:26] + "+00:00").timestamp()
        phase = next((f"job {job}" for job, start, end in jobs if start <= at <= end), "between jobs")
        frames = [frame_name(f) for f in (sample["values"]["stackTrace"] or {"frames": []})["frames"]]
        table[phase][category(frames)] += 1
        thread = sample["values"]["sampledThread"]["javaName"] or "?"
        threads[phase][re.sub(r"[0-9]+", "N", thread)] += 1
    for phase in sorted(table, key=lambda p: (p == "between jobs", int(p.split()[-1]) if p != "between jobs" else 0)):
        counts = table[phase]
        total = sum(counts.values())
        print(f"\n{phase}: {total} samples; threads {dict(threads[phase].most_common(3))}")
        for name, n in counts.most_common():
            print(f"  {n:6d}  {100 * n / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
