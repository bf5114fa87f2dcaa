"""The course's Kafka producer at full speed, the Python baseline of bench section 2.

Reads the partitions in time order (the course's heap, without sleeping: `--speed max`), turns each
row into JSON (timestamps as ISO-8601 strings, key = uuid) and sends it with kafka-python; each
released partition is flushed, i.e. acknowledged, before the next, as streamlab's replay awaits
each release. Producer settings (acks, batch size, linger) are passed by the harness, identical
for every producer of the section.

    python producer_course.py --data DIR --bootstrap H:P --topic-prefix P --acks all --batch-size 1048576 --linger-ms 5
    python producer_course.py --data DIR --dump FILE     # writes "key<TAB>json" lines for kcat, no Kafka
"""
import argparse
import json
import time

import pyarrow.parquet as pq

from common import discover, emit, parse_start
from replay_course import stamp, to_records


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--bootstrap", default="localhost:9092")
    ap.add_argument("--topic-prefix", default="BenchCoursePublish")
    ap.add_argument("--start", default="2020-01-01T00:00:00Z")
    ap.add_argument("--acks", default="all")
    ap.add_argument("--batch-size", type=int, default=1048576)
    ap.add_argument("--linger-ms", type=int, default=5)
    ap.add_argument("--idempotence", default="true")
    ap.add_argument("--dump")
    a = ap.parse_args()
    start_ms = parse_start(a.start)
    parts = discover(a.data)

    if a.dump:
        n, size = 0, 0
        with open(a.dump, "w") as out:
            for _t, _table, pdir, files in parts:
                for f in files:
                    for r in to_records(stamp(pq.read_table(f"{pdir}/{f}"), start_ms)):
                        v = json.dumps(r, separators=(",", ":"))
                        out.write(r["uuid"] + "\t" + v + "\n")
                        n += 1
                        size += len(v.encode())
        emit({"baseline": "dump", "rows": n, "valueBytes": size})
        return

    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=a.bootstrap, acks=a.acks if a.acks == "all" else int(a.acks),
                             batch_size=a.batch_size, linger_ms=a.linger_ms, max_request_size=max(1048576, a.batch_size * 2),
                             enable_idempotence=a.idempotence == "true",
                             key_serializer=lambda k: k.encode(), value_serializer=lambda v: json.dumps(v, separators=(",", ":")).encode())
    # Connect before the clock starts (as the other producers do).
    producer.partitions_for(f"{a.topic_prefix}-locations")
    rows, size = 0, 0
    t0 = time.perf_counter()
    for _t, table, pdir, files in parts:
        topic = f"{a.topic_prefix}-{table}"
        for f in files:
            for r in to_records(stamp(pq.read_table(f"{pdir}/{f}"), start_ms)):
                producer.send(topic, key=r["uuid"], value=r)
                rows += 1
        producer.flush()
    wall_ms = (time.perf_counter() - t0) * 1000
    producer.close()
    emit({"baseline": "course-producer", "rows": rows, "wallMs": wall_ms})


if __name__ == "__main__":
    main()
