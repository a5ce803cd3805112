"""Database commits per verdict: each pipeline stage writes its batch in one transaction (a durable
SQLite commit is an fsync), so a run's write commits grow with batches and transactions, not with
each request's every state change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

from oracle.chain import Chain
from oracle.daemon import OracleDaemon
from tests.daemon.conftest import scenario_on

_WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class CommitCounter:
    """Commits of one engine: all of them, and those whose transaction wrote a row."""

    commits: int = 0
    writes: int = 0

    def watch(self, engine: Engine) -> None:
        """Count `engine`'s commits from now on."""
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _begin(self, connection: Any) -> None:
        connection.info["wrote"] = False

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            connection.info["wrote"] = True

    def _commit(self, connection: Any) -> None:
        self.commits += 1
        if connection.info.pop("wrote", False):
            self.writes += 1


def run_and_count(
    chain: Chain, tmp_path: Any, requests: int, store_url: str | None = None
) -> CommitCounter:
    """Open `requests` requests (half of them invalid), run one daemon until every one is settled,
    and count its store's commits (a SQLite file under `tmp_path` unless `store_url`)."""
    scenario = scenario_on(chain, tmp_path)
    scenario.store_url = store_url or scenario.store_url
    for n in range(requests):
        scenario.open(valid=n % 2 == 0)
    store = scenario.store()
    counter = CommitCounter()
    counter.watch(store._engine)
    settings = scenario.settings(batch_size=requests, vote_batch_size=requests)
    daemon = OracleDaemon(scenario.oracle, store, settings)
    daemon.run(until_settled=True, timeout=120)
    for request_id, valid in scenario.expected.items():
        stored = store.request(request_id)
        assert stored is not None
        assert stored.verdict is valid
    store.close()
    return counter


def test_write_commits_per_verdict_stay_below_one(
    embedded_chain: Chain, tmp_path: Any, store_url: str
) -> None:
    requests = 20
    counter = run_and_count(embedded_chain, tmp_path, requests, store_url)
    print(  # the numbers reported with the change (pytest -s)
        f"\n{requests} requests: {counter.commits} commits ({counter.commits / requests:.2f} per "
        f"verdict), {counter.writes} writing ({counter.writes / requests:.2f} per verdict)"
    )
    # A write per request and state change would be 4 or more per verdict (pending, verified,
    # submitted, voted, final); a transaction per stage's batch is a handful per run.
    assert counter.writes / requests < 1
