"""Downloads through a fault-injecting proxy (tests/fault_proxy.py) in front of a real demo
pool: the real engine and pool client, the one download transport, seeded faults on every
kind of answer break (reset, stall, short body, flipped byte, HTML 500, slow trickle).

Whatever the wire does, a finished file is the server's file byte for byte (its SHA-256),
no final file holds partial content, no ``.part`` is left once a job is done, each retry
resumes from where the bytes on disk end, and a download that cannot finish fails with a
plain sentence (and finishes once the link is healthy again).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from wire_plans import Plan, check_resumes, expected_attempts, plan_for

import reliability_log
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.downloads import DownloadEngine, JobSnapshot, JobState, RetryPolicy
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tag_values import ID3_RESERVE
from crateq.demo.catalog import DEMO_POOLS
from crateq.demo.cluster import DemoCluster
from crateq.demo.store import MediaSettings
from fault_proxy import CLEAN, KINDS, Fault, FaultProxy, Served

POOL = "club-edits"
READ_TIMEOUT = 3.0  # the engine's read timeout here (30 s by default): a stall costs this;
# well above the longest trickle pause (0.9 s): 16 downloads, their proxies and the pool
# share one process on two cores in the long run, and a starved second is not the wire's
STALL_LIMIT = 15.0  # the proxy ends a stall itself after this: the client must go first
RETRY = RetryPolicy(base=0.01, cap=0.05)  # the engine's backoff, shortened (no test sleeps)
FAULTS = {  # kind: (the fault as the table names it, what the engine did)
    "drop": ("connection reset (mid-body, or before the head)",
             "resumed with Range from the bytes on disk"),
    "stall": ("stall: no more bytes (mid-body, or before the head)",
              f"read timeout after {READ_TIMEOUT:.0f} s, resumed at the exact offset"),
    "truncate": ("body cut short under a correct Content-Length, clean close",
                 "short body rejected, resumed at the exact offset"),
    "flip": ("flipped byte in the body",
             "caught by the SHA-256 ETag: part discarded, fetched again from byte 0"),
    "html500": ("HTML 500 page instead of the file", "nothing saved, retried with backoff"),
    "trickle": ("very slow trickle (each pause under the read timeout, longer in all)",
                "taken in one answer, no spurious timeout"),
}  # fmt: skip
DONE_OUTCOME = "every file matches the server's sha256; no partial final file, no .part left"


async def _password() -> str:
    return "demo"


@pytest.fixture(scope="module")
def big_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCluster]:
    """A pool of bigger files for the long run (a few MB each, as real tracks)."""
    pool = next(spec for spec in DEMO_POOLS if spec.name == POOL)
    media = MediaSettings(size_bytes=2_500_000)
    with DemoCluster(catalog_size=300, media=media, specs=[pool],
                     media_dir=tmp_path_factory.mktemp("big-media")) as cluster:  # fmt: skip
        yield cluster


def _sha(cluster: DemoCluster, media_id: int) -> str:
    return cluster.media_file(POOL, media_id).sha256


async def _distinct_rows(cluster: DemoCluster, count: int) -> list[MediaRow]:
    """``count`` audio rows whose files all differ (equal files would be skipped as
    already in the library); asking for their SHA-256 also builds the files first."""
    handle = cluster.pools[POOL]
    rows: list[MediaRow] = []
    seen: set[str] = set()
    async with PoolClient(POOL, handle.url, handle.api_key, username="demo",
                          password_provider=_password) as client:  # fmt: skip
        await client.login()
        query = MediaQuery(media="audio", size=500, sort="mediaId", dir="asc")
        for row in (await client.search(query)).data:
            sha = await asyncio.to_thread(_sha, cluster, row.media_id)
            if sha not in seen:
                seen.add(sha)
                row.pool = POOL
                rows.append(row)
            if len(rows) == count:
                return rows
    raise AssertionError(f"the pool has fewer than {count} distinct files")


def _audio_sha(path: Path) -> str:
    """The SHA-256 of the file without the ID3 tag the engine wrote in front."""
    data = path.read_bytes()
    return hashlib.sha256(data[ID3(path).size :]).hexdigest()


def _engine(store: Store, client: PoolClient, dest: Path) -> DownloadEngine:
    settings = DownloadSettings(
        folder=str(dest), per_pool_jobs=4, total_jobs=4, read_timeout_seconds=READ_TIMEOUT
    )
    return DownloadEngine(store, {POOL: client}, settings, retry=RETRY)


FAILED_BECAUSE = {
    "html500": f"Pool {POOL} failed: HTTP 500",
    "flip": "The file's SHA-256 does not match the server's ETag.",
}


def _check_failed(job: JobSnapshot, last_fault: str, server: bytes) -> None:
    """A job that gave up says why in a sentence; what it keeps is a prefix of the file."""
    assert job.state is JobState.FAILED, (job.state, job.reason)
    assert job.reason == FAILED_BECAUSE[last_fault], job.reason
    if job.path:
        part = Path(job.path + ".part")
        assert not Path(job.path).exists()  # never committed
        if part.exists():
            kept = part.read_bytes()[ID3_RESERVE:]  # after the MP3's room for its tag
            assert server.startswith(kept), "a failed job kept bytes that are not the file's"


def _check_done(jobs: list[JobSnapshot], cluster: DemoCluster, dest: Path, store: Store) -> None:
    finals = {Path(j.path) for j in jobs}
    for job in jobs:
        assert job.state is JobState.DONE and not job.skipped, (job.media_id, job.reason)
        assert _audio_sha(Path(job.path)) == _sha(cluster, job.media_id), job.media_id
        assert ID3(job.path).size == ID3_RESERVE  # tagged in the room the part kept for it
        assert "sha256" in job.verified, job.verified
    on_disk = {p for p in dest.rglob("*") if p.is_file()}
    assert on_disk == finals  # no .part, no stray or duplicate final file
    assert not store.unfinished_jobs()
    assert len(store.library()) == len(jobs)


@dataclass
class Round:
    """One engine (its own library and folder) downloading the rows through its own proxy,
    each row under the plan of its seed."""

    cluster: DemoCluster
    rows: list[MediaRow]
    seeds: range
    folder: Path
    plans: dict[int, Plan] = field(default_factory=dict)

    def planner(self, media_id: int, attempt: int) -> Fault:
        plan = self.plans.get(media_id)
        return plan.fault(attempt) if plan is not None else CLEAN

    async def run(self) -> Tally:
        """Download every row, retry the jobs that gave up once the link is healthy, check
        everything; returns what was served."""
        attempts_to_fail = RETRY.max_failures + 1
        for seed, row in zip(self.seeds, self.rows, strict=True):
            self.plans[row.media_id] = plan_for(seed, attempts_to_fail=attempts_to_fail)
        handle = self.cluster.pools[POOL]
        dest, store = self.folder / "downloads", Store(self.folder / "crateq.sqlite")
        with FaultProxy(handle.url, self.planner, stall_limit=STALL_LIMIT) as proxy:
            async with PoolClient(POOL, proxy.url, handle.api_key, username="demo",
                                  password_provider=_password) as client:  # fmt: skip
                await client.login()
                engine = _engine(store, client, dest)
                ids = [(await engine.add(row.model_copy())).id for row in self.rows]
                await engine.wait()
                for job in [engine.job(i) for i in ids]:
                    await self._check_first_pass(engine, job, proxy)
                await engine.wait()
                jobs = [engine.job(i) for i in ids]
                await engine.shutdown()
            tally = Tally()
            for job in jobs:
                served = proxy.attempts(job.media_id)
                check_resumes(served)
                tally.add(served, hopeless=self.plans[job.media_id].hopeless)
        _check_done(jobs, self.cluster, dest, store)
        store.close()
        return tally

    async def _check_first_pass(
        self, engine: DownloadEngine, job: JobSnapshot, proxy: FaultProxy
    ) -> None:
        plan, served = self.plans[job.media_id], proxy.attempts(job.media_id)
        if not plan.hopeless:
            assert len(served) == expected_attempts(plan), (job.media_id, plan, served)
            return
        assert len(served) == RETRY.max_failures + 1, (job.media_id, served)
        server = await asyncio.to_thread(
            lambda: self.cluster.media_file(POOL, job.media_id).path.read_bytes()
        )
        _check_failed(job, served[-1].fault, server)
        plan.faults = []  # the link is healthy again: a retry must finish the job
        await engine.retry(job.id)


@dataclass
class Tally:
    """What the proxy served over many downloads: the figures of the report."""

    downloads: int = 0
    answers: int = 0
    hopeless: int = 0
    most_answers: int = 0
    injected: Counter[str] = field(default_factory=Counter)  # faults, by kind
    hit: Counter[str] = field(default_factory=Counter)  # downloads that met each kind
    before_head: int = 0  # drops and stalls before the status line

    def add(self, served: list[Served], *, hopeless: bool) -> None:
        self.downloads += 1
        self.answers += len(served)
        self.hopeless += hopeless
        self.most_answers = max(self.most_answers, len(served))
        faults = [s.fault for s in served if s.fault != "none"]
        self.injected.update(faults)
        self.hit.update(set(faults))
        self.before_head += sum(s.before_head for s in served)

    def merge(self, other: Tally) -> None:
        self.downloads += other.downloads
        self.answers += other.answers
        self.hopeless += other.hopeless
        self.most_answers = max(self.most_answers, other.most_answers)
        self.injected.update(other.injected)
        self.hit.update(other.hit)
        self.before_head += other.before_head

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {self.injected[k]} in {self.hit[k]}" for k in KINDS)
        return (
            f"{self.downloads} downloads, {self.answers} file answers "
            f"({self.answers - self.downloads} retried, at most {self.most_answers} for one), "
            f"{self.hopeless} hopeless (failed, then finished on retry); faults: {kinds}; "
            f"{self.before_head} drops/stalls before the head"
        )


async def _run_seeds(
    cluster: DemoCluster, seeds: range, tmp: Path, *, rows: int, parallel: int
) -> Tally:
    """One download per seed: rounds of ``rows`` distinct tracks, ``parallel`` rounds at a
    time; returns what was served."""
    tracks = await _distinct_rows(cluster, rows)
    rounds = [
        Round(cluster, tracks[: len(part)], part, tmp / f"round-{part.start}")
        for part in (seeds[i : i + rows] for i in range(0, len(seeds), rows))
    ]
    tally = Tally()
    for wave in range(0, len(rounds), parallel):
        for part in await asyncio.gather(*(r.run() for r in rounds[wave : wave + parallel])):
            tally.merge(part)
    return tally


def _record(tally: Tally) -> None:
    for kind in KINDS:
        fault, outcome = FAULTS[kind]
        reliability_log.record("wire", fault, f"{outcome}; {DONE_OUTCOME}",
                               tries=tally.injected[kind])  # fmt: skip
    reliability_log.record(
        "wire", "every answer broken (HTML 500 or flipped byte)",
        f"job failed after {RETRY.max_failures + 1} answers with a plain message, kept only "
        "a prefix of the file; a retry on a healthy link finished it", tries=tally.hopeless,
    )  # fmt: skip
    reliability_log.record("wire", "seeded downloads through the proxy", DONE_OUTCOME,
                           tries=tally.downloads)  # fmt: skip


async def test_a_hundred_seeded_downloads_survive_the_faulty_wire(
    demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    tally = await _run_seeds(demo_cluster, range(105), tmp_path, rows=15, parallel=7)
    assert tally.downloads == 105 and tally.hopeless >= 10
    assert all(tally.hit[kind] >= 10 for kind in KINDS), tally.summary()
    print(f"\nwire: {tally.summary()}")
    _record(tally)


@pytest.mark.long
@pytest.mark.timeout(3600)
async def test_a_thousand_seeded_downloads_of_big_files_survive_the_faulty_wire(
    big_cluster: DemoCluster, tmp_path: Path
) -> None:
    seeds = range(1000, 1000 + reliability_log.scaled(1000, 1000))
    tally = await _run_seeds(big_cluster, seeds, tmp_path, rows=50, parallel=4)
    assert tally.downloads == len(seeds)
    print(f"\nwire (big files): {tally.summary()}")
    _record(tally)
