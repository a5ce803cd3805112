"""`statusesOf`, on the embedded chain and on Anvil: for every request it answers exactly what
`statusOf` and `isCommitted` answer, in one call, and it refuses inputs out of its bounds with its
custom errors."""

from __future__ import annotations

import os
from typing import Any

from tests.chains import reverts
from tests.contracts.v2 import (
    CANCELLED,
    EXPIRED,
    INVALID,
    NONE,
    PENDING,
    VALID,
    ZERO_ADDRESS,
    Deployment,
    Terms,
    advance,
    open_request,
    with_terms,
)

MAX_STATUS_BATCH = 256


def _one_by_one(
    deployment: Deployment, ids: list[bytes], terms: list[tuple[Any, ...]]
) -> tuple[list[tuple[int, int, int, int]], list[bool]]:
    reader = deployment.outsider
    statuses = [reader.status(request_id) for request_id in ids]
    committed = [
        bool(reader.call("isCommitted", request_id, t))
        for request_id, t in zip(ids, terms, strict=True)
    ]
    return statuses, committed


def _batch(
    deployment: Deployment, ids: list[bytes], terms: list[tuple[Any, ...]]
) -> tuple[list[tuple[int, int, int, int]], list[bool]]:
    statuses, committed = deployment.outsider.call("statusesOf", ids, terms)
    return [tuple(s) for s in statuses], list(committed)


def test_statuses_of_answers_status_of_and_is_committed_for_every_request(
    deployment: Deployment,
) -> None:
    requester, oracle = deployment.requester, deployment.oracles[0]
    late = open_request(requester, timeout=60)
    cancelled = open_request(requester, timeout=60)
    advance(deployment.chain, 61)
    requester.cancel(cancelled)
    pending = open_request(requester, fee=7)
    valid = open_request(requester)
    oracle.vote(valid.ballot(True))
    invalid = open_request(requester)
    oracle.vote(invalid.ballot(False))
    unknown = os.urandom(32)
    ids = [
        pending.request_id,
        valid.request_id,
        invalid.request_id,
        late.request_id,
        cancelled.request_id,
        unknown,
        pending.request_id,
        pending.request_id,
    ]
    terms = [
        pending.terms.abi(),
        valid.terms.abi(),
        invalid.terms.abi(),
        late.terms.abi(),
        cancelled.terms.abi(),
        Terms(bytes(32), ZERO_ADDRESS).abi(),
        with_terms(pending, fee=8).abi(),  # restated wrongly
        valid.terms.abi(),  # another request's terms
    ]
    statuses, committed = _batch(deployment, ids, terms)
    assert (statuses, committed) == _one_by_one(deployment, ids, terms)
    assert [s[0] for s in statuses] == [
        PENDING,
        VALID,
        INVALID,
        EXPIRED,
        CANCELLED,
        NONE,
        PENDING,
        PENDING,
    ]
    assert statuses[1] == (VALID, 1, 0, valid.deadline)
    assert committed == [True, True, True, True, True, False, False, False]


def test_statuses_of_without_terms_reads_statuses_only(deployment: Deployment) -> None:
    opened = open_request(deployment.requester)
    ids = [opened.request_id, os.urandom(32)]
    statuses, committed = _batch(deployment, ids, [])
    assert statuses == [deployment.outsider.status(request_id) for request_id in ids]
    assert committed == []
    assert _batch(deployment, [], []) == ([], [])


def test_statuses_of_reads_up_to_its_bound_and_reverts_above_it(deployment: Deployment) -> None:
    reader = deployment.outsider
    assert reader.call("MAX_STATUS_BATCH") == MAX_STATUS_BATCH
    opened = open_request(deployment.requester)
    ids = [opened.request_id] + [os.urandom(32) for _ in range(MAX_STATUS_BATCH - 1)]
    terms = [opened.terms.abi()] * MAX_STATUS_BATCH
    statuses, committed = _batch(deployment, ids, terms)
    assert statuses[0] == reader.status(opened.request_id)
    assert statuses[1:] == [(NONE, 0, 0, 0)] * (MAX_STATUS_BATCH - 1)
    assert committed == [True] + [False] * (MAX_STATUS_BATCH - 1)
    with reverts(
        "VerifierStatusBatchTooLarge", requests=MAX_STATUS_BATCH + 1, maximum=MAX_STATUS_BATCH
    ):
        reader.call("statusesOf", [*ids, os.urandom(32)], [])


def test_statuses_of_reverts_when_terms_are_given_for_some_requests_only(
    deployment: Deployment,
) -> None:
    opened = open_request(deployment.requester)
    reader = deployment.outsider
    with reverts("VerifierStatusBatchMismatch", requests=2, terms=1):
        reader.call("statusesOf", [opened.request_id, os.urandom(32)], [opened.terms.abi()])
    with reverts("VerifierStatusBatchMismatch", requests=0, terms=1):
        reader.call("statusesOf", [], [opened.terms.abi()])
