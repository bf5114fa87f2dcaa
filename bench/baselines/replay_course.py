"""The course's replay, re-created as the baseline of bench section 1 (replay precision).

What the course does (Python): push every partition of both tables on a `heapq` keyed by its
`t=` time, pop them in order, `time.sleep()` until the partition is due (t0 + time / speed), then read
its parquet files, set `timestamp = start + offset`, and either write the files to the file stream
(staging folder, then a rename into `input/`) or send every row as JSON with kafka-python
(key = uuid) and flush. Lateness = the moment the sleep returns minus the due moment — the same
definition as streamlab's replay summary (measured before the write; a slow write shows up as
lateness of the next release).

    python replay_course.py --data DIR --speed 1 --sink files --out DIR --start ISO
    python replay_course.py --data DIR --speed 10 --sink kafka --bootstrap localhost:9092 --topic-prefix P
"""
import argparse
import heapq
import json
import os
import shutil
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common import discover, emit, iso_ms, parse_start, percentiles


def stamp(table, start_ms):
    """timestamp = start + offset (ms), replacing the source's 1970-based column."""
    ms = pc.add(pc.cast(pc.round(pc.multiply(table.column("offset"), 1000.0)), pa.int64()), start_ms)
    ts = pc.cast(ms, pa.timestamp("ms"))
    i = table.schema.get_field_index("timestamp")
    return table.set_column(i, "timestamp", ts) if i >= 0 else table.append_column("timestamp", ts)


def to_records(table):
    """Rows as JSON-ready dicts, timestamps as ISO-8601 strings (the replay's wire format)."""
    rows = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if hasattr(v, "isoformat"):
                r[k] = iso_ms(v.timestamp() * 1000) if v.tzinfo else v.isoformat(timespec="milliseconds") + "Z"
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--speed", type=float, required=True)
    ap.add_argument("--sink", choices=["files", "kafka"], required=True)
    ap.add_argument("--out")
    ap.add_argument("--bootstrap", default="localhost:9092")
    ap.add_argument("--topic-prefix", default="BenchCourse")
    ap.add_argument("--start", default="2020-01-01T00:00:00Z")
    ap.add_argument("--acks", default="all")
    a = ap.parse_args()
    start_ms = parse_start(a.start)

    producer = None
    if a.sink == "kafka":
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=a.bootstrap, acks=a.acks if a.acks == "all" else int(a.acks),
                                 key_serializer=lambda k: k.encode(), value_serializer=lambda v: json.dumps(v, separators=(",", ":")).encode())
    else:
        for sub in ("staging", "input"):
            shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)

    heap = []
    for t, table, pdir, files in discover(a.data):
        heapq.heappush(heap, (t, table, pdir, files))

    lateness, rows, releases = [], 0, 0
    t0 = time.perf_counter()
    while heap:
        t, table, pdir, files = heapq.heappop(heap)
        due = t0 + t / a.speed
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        lateness.append(max(0.0, (time.perf_counter() - due) * 1000))
        name = os.path.basename(pdir)
        for f in files:
            data = stamp(pq.read_table(os.path.join(pdir, f)), start_ms)
            rows += data.num_rows
            if producer is None:
                staging = os.path.join(a.out, "staging", table, name)
                final = os.path.join(a.out, "input", table, name)
                os.makedirs(staging, exist_ok=True)
                os.makedirs(final, exist_ok=True)
                pq.write_table(data, os.path.join(staging, f))
                os.replace(os.path.join(staging, f), os.path.join(final, f))
            else:
                topic = f"{a.topic_prefix}-{table}"
                for r in to_records(data):
                    producer.send(topic, key=r["uuid"], value=r)
        if producer is not None:
            producer.flush()
        releases += 1
    wall_ms = (time.perf_counter() - t0) * 1000
    if producer is not None:
        producer.close()
    emit({"baseline": "course-replay", "sink": a.sink, "speed": a.speed, "rows": rows, "releases": releases,
          "wallMs": wall_ms, "lateness": percentiles(lateness)})


if __name__ == "__main__":
    main()
