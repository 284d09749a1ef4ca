#!/usr/bin/env python3
"""What storage alone costs on this disk, below the service (standard library only).

  python3 bench/storage_floor.py [DIR]

DIR (default: a temporary directory on the same file system as the service's data) gets:
- fsync: 4 KiB to 256 KiB written over a preallocated file, then fdatasync (as SQLite's WAL
  after it restarts), and appended to a growing file, then fdatasync (as a new WAL);
- SQLite: the `messages` table with the indexes of migrations/m20261207_000006_messages.rs,
  in WAL mode, at synchronous=FULL and OFF, one transaction of N rows of the bench's
  ~1 KB delivery per commit (INSERT ... ON CONFLICT DO NOTHING, executemany), 300 commits
  each: the commit time of one writer with nothing else to do, no HTTP, no Rust.

Each line: mean, p50 and p99 per operation, and for SQLite the rows/s one writer reaches.
The PostgreSQL counterpart is `bench/pg_floor.sql` (pgbench).
"""

import os
import sqlite3
import sys
import tempfile
import time
import uuid


def percentiles(samples):
    samples = sorted(samples)
    n = len(samples)
    return sum(samples) / n, samples[n // 2], samples[min(n - 1, int(n * 0.99))]


def fsync_floor(directory):
    path = os.path.join(directory, "prealloc.bin")
    size = 64 << 20
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    chunk = b"\1" * (1 << 20)
    for i in range(size >> 20):
        os.pwrite(fd, chunk, i << 20)
    os.fsync(fd)
    for pages in (1, 8, 32, 64):
        data = b"x" * (4096 * pages)
        offset, lat = 0, []
        for _ in range(300):
            start = time.perf_counter()
            os.pwrite(fd, data, offset)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - start)
            offset = (offset + len(data)) % (size - len(data))
        mean, p50, p99 = percentiles(lat)
        print(f"overwrite {pages * 4} KiB + fdatasync: mean {mean * 1e3:.3f} ms, "
              f"p50 {p50 * 1e3:.3f}, p99 {p99 * 1e3:.3f}")
    os.close(fd)
    os.remove(path)
    path = os.path.join(directory, "append.bin")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    lat = []
    for _ in range(300):
        start = time.perf_counter()
        os.write(fd, b"y" * 4096 * 8)
        os.fdatasync(fd)
        lat.append(time.perf_counter() - start)
    mean, p50, p99 = percentiles(lat)
    print(f"append 32 KiB + fdatasync: mean {mean * 1e3:.3f} ms, p50 {p50 * 1e3:.3f}, "
          f"p99 {p99 * 1e3:.3f}")
    os.close(fd)
    os.remove(path)


SCHEMA = """
create table channels(id varchar(36) primary key);
insert into channels values ('c1');
create table messages(
  id varchar(36) not null primary key,
  channel_id varchar(36) not null references channels(id) on delete cascade,
  x_event_id text not null, conversation_id text not null, direction varchar(8) not null,
  sender_id text not null, sender_username text, sender_name text, recipient_id varchar(64),
  text text not null, attachments json_text not null, sent_at_ms bigint not null,
  received_at timestamp_with_timezone_text not null);
create unique index messages_channel_event on messages(channel_id, x_event_id);
create index messages_channel_sent on messages(channel_id, sent_at_ms, id);
create index messages_channel_conversation_sent
  on messages(channel_id, conversation_id, sent_at_ms, id);
create index messages_channel_direction_sent on messages(channel_id, direction, sent_at_ms, id);
"""

TEXT = ("Hello, my order 12345 has not arrived yet and I would like to know where it is. " * 8)[:530]


def sqlite_floor(directory, synchronous, batch, commits=300):
    path = os.path.join(directory, "floor.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma journal_mode=wal")
    db.execute(f"pragma synchronous={synchronous}")
    db.execute("pragma temp_store=memory")
    db.execute("pragma cache_size=-32768")
    db.executescript(SCHEMA)
    db.execute("pragma foreign_keys=on")
    event, lat = 1900000000000000000, []
    for _ in range(commits):
        rows = []
        for _ in range(batch):
            event += 1
            sender = 3000000000000000000 + event % 97
            # uuid1 is time-ordered, as the service's UUIDv7 ids are.
            rows.append((str(uuid.uuid1()), "c1", str(event), f"1000000000000000001-{sender}",
                         "inbound", str(sender), f"customer_{event % 97}",
                         f"Customer {event % 97}", "1000000000000000001", TEXT, "[]",
                         1733000000000 - event % 100000, "2026-12-01 12:00:00.000000 +00:00"))
        start = time.perf_counter()
        db.execute("begin immediate")
        db.executemany("insert into messages values (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                       "on conflict(channel_id, x_event_id) do nothing", rows)
        db.execute("commit")
        lat.append(time.perf_counter() - start)
    db.close()
    mean, p50, p99 = percentiles(lat)
    print(f"SQLite {sqlite3.sqlite_version} synchronous={synchronous}, {batch} rows per commit: "
          f"mean {mean * 1e3:.3f} ms, p50 {p50 * 1e3:.3f}, p99 {p99 * 1e3:.3f} per commit; "
          f"{batch / mean:,.0f} rows/s")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(dir="/var/tmp")
    os.makedirs(directory, exist_ok=True)
    print(f"in {directory}; load average {open('/proc/loadavg').read().split()[0]}")
    fsync_floor(directory)
    for batch in (32, 64):
        for synchronous in ("full", "off"):
            sqlite_floor(directory, synchronous, batch)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))
    if len(sys.argv) <= 1:
        os.rmdir(directory)


if __name__ == "__main__":
    main()
