#!/usr/bin/env python3
"""Latency of fdatasync after a write, appending to a file or overwriting it in place.

    python3 benches/fsync_probe.py [DIR] [--bytes N] [--writes N]

Writes N blocks of the given size to a file in DIR (default: the current directory), each
followed by fdatasync, once appending (the file grows, as RocksDB's write-ahead log does)
and once overwriting blocks written and synced before (as SQLite's WAL after it wraps), and
prints the median and mean fdatasync time of each.
"""
import argparse
import os
import time


def probe(path: str, size: int, writes: int, overwrite: bool) -> tuple[float, float]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    try:
        block = b"x" * size
        if overwrite:
            os.write(fd, b"\0" * (size * writes))
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        times = []
        for _ in range(writes):
            os.write(fd, block)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return times[len(times) // 2] * 1e3, sum(times) / len(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=".")
    ap.add_argument("--bytes", type=int, default=40_000)
    ap.add_argument("--writes", type=int, default=400)
    args = ap.parse_args()
    path = os.path.join(args.dir, "fsync_probe.tmp")
    for overwrite in (False, True):
        p50, mean = probe(path, args.bytes, args.writes, overwrite)
        mode = "overwrite" if overwrite else "append"
        print(f"{mode:9}  {args.writes} x {args.bytes} B: fdatasync p50 {p50:.3f} ms, mean {mean:.3f} ms")


if __name__ == "__main__":
    main()
