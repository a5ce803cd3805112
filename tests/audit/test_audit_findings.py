from __future__ import annotations

import json
from typing import Any

import pytest

from oracle.audit import (
    FAIL_THRESHOLD,
    Finding,
    Location,
    count_by_severity,
    is_excluded,
    parse_slither_json,
    risk_score,
    summarise,
)
from oracle.errors import SlitherFailedError, SlitherOutputError
from tests.audit.conftest import fixture_bytes

EXCLUDED = ("contracts/test",)


def _result(check: str, impact: str, confidence: str, *paths: str) -> dict[str, Any]:
    return {
        "check": check,
        "impact": impact,
        "confidence": confidence,
        "description": f"{check} at {', '.join(paths)}\n",
        "elements": [
            {
                "type": "function",
                "name": "f",
                "source_mapping": {"filename_relative": path, "lines": [3, 4, 5]},
            }
            for path in paths
        ],
    }


def _output(*results: dict[str, Any]) -> bytes:
    return json.dumps(
        {"success": True, "error": None, "results": {"detectors": list(results)}}
    ).encode()


def test_the_fixture_parses_into_findings_by_severity_most_severe_first() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"), excluded_dirs=EXCLUDED)
    assert [(f.severity, f.check) for f in parsed.findings] == [
        ("critical", "suicidal"),
        ("high", "arbitrary-send-eth"),
        ("high", "reentrancy-eth"),
        ("medium", "tx-origin"),
        ("low", "missing-zero-check"),
        ("informational", "low-level-calls"),
        ("informational", "pragma"),
        ("optimization", "immutable-states"),
    ]


def test_findings_only_in_node_modules_or_test_contracts_are_excluded() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"), excluded_dirs=EXCLUDED)
    assert sorted(f.check for f in parsed.excluded) == [
        "assembly",
        "divide-before-multiply",
        "incorrect-exp",
        "reentrancy-eth",
    ]
    for finding in parsed.excluded:
        assert all(
            "node_modules/" in loc.path or loc.path.startswith("contracts/test/")
            for loc in finding.locations
        )


def test_a_finding_touching_our_sources_and_a_dependency_is_kept() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"), excluded_dirs=EXCLUDED)
    pragma = next(f for f in parsed.findings if f.check == "pragma")
    paths = {loc.path for loc in pragma.locations}
    assert "contracts/SignatureVerifier.sol" in paths
    assert any(path.startswith("node_modules/") for path in paths)


def test_without_excluded_dirs_the_test_contract_finding_counts() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"))
    assert [f.check for f in parsed.findings].count("reentrancy-eth") == 2
    assert len(parsed.excluded) == 3


def test_a_finding_keeps_its_fields_and_distinct_locations() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"), excluded_dirs=EXCLUDED)
    reentrancy = next(f for f in parsed.findings if f.check == "reentrancy-eth")
    assert reentrancy == Finding(
        check="reentrancy-eth",
        impact="High",
        confidence="Medium",
        description=reentrancy.description,
        locations=(
            Location("contracts/Vault.sol", 21, 26),
            Location("contracts/Vault.sol", 23, 23),
            Location("contracts/Vault.sol", 25, 25),
        ),
    )
    assert reentrancy.description.startswith("Reentrancy in Vault.withdraw()")
    assert not reentrancy.description.endswith("\n")
    assert [str(loc) for loc in reentrancy.locations] == [
        "contracts/Vault.sol#21-26",
        "contracts/Vault.sol#23",
        "contracts/Vault.sol#25",
    ]


def test_the_fixture_scores_35_and_fails() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-findings.json"), excluded_dirs=EXCLUDED)
    summary = summarise(parsed.findings)
    assert dict(summary.counts) == {
        "critical": 1,
        "high": 2,
        "medium": 1,
        "low": 1,
        "informational": 2,
        "optimization": 1,
    }
    assert summary.score == 35
    assert not summary.passed


def test_a_high_finding_in_node_modules_does_not_fail_the_audit() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-medium.json"), excluded_dirs=EXCLUDED)
    summary = summarise(parsed.findings)
    assert summary.score == 5
    assert summary.passed
    assert {f.impact for f in parsed.excluded} == {"High", "Medium"}


def test_slither_with_no_findings_writes_an_empty_results_object() -> None:
    parsed = parse_slither_json(fixture_bytes("slither-clean.json"))
    assert parsed.findings == ()
    assert summarise(parsed.findings).score == 0


@pytest.mark.parametrize(
    ("impact", "confidence", "severity"),
    [
        ("High", "High", "critical"),
        ("High", "Medium", "high"),
        ("High", "Low", "high"),
        ("Medium", "High", "medium"),
        ("Low", "High", "low"),
        ("Informational", "High", "informational"),
        ("Optimization", "High", "optimization"),
    ],
)
def test_severity_is_the_impact_and_high_with_high_confidence_is_critical(
    impact: str, confidence: str, severity: str
) -> None:
    parsed = parse_slither_json(_output(_result("x", impact, confidence, "contracts/A.sol")))
    assert parsed.findings[0].severity == severity


@pytest.mark.parametrize(
    ("counts", "score", "passed"),
    [
        ({}, 0, True),
        ({"medium": 1}, 5, True),
        ({"medium": 1, "low": 9, "informational": 50, "optimization": 7}, 5, True),
        ({"medium": 2}, 10, False),
        ({"high": 1}, 10, False),
        ({"critical": 1}, 10, False),
        ({"critical": 1, "high": 2, "medium": 3}, 45, False),
    ],
)
def test_risk_score_is_ten_per_critical_or_high_and_five_per_medium(
    counts: dict[str, int], score: int, passed: bool
) -> None:
    assert risk_score(counts) == score  # type: ignore[arg-type]
    assert (score < FAIL_THRESHOLD) is passed


def test_summary_counts_every_severity_even_when_zero() -> None:
    counts = count_by_severity([])
    assert dict(counts) == dict.fromkeys(
        ("critical", "high", "medium", "low", "informational", "optimization"), 0
    )


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("node_modules/@openzeppelin/contracts/utils/math/Math.sol", True),
        ("lib/node_modules/x/A.sol", True),
        ("./node_modules/x/A.sol", True),
        ("contracts/test/Malicious.sol", True),
        ("contracts/test", True),
        ("contracts/testing/A.sol", False),
        ("contracts/SignatureVerifier.sol", False),
        ("my_node_modules/A.sol", False),
    ],
)
def test_is_excluded_matches_whole_path_segments(path: str, excluded: bool) -> None:
    assert is_excluded(path, EXCLUDED) is excluded


def test_a_finding_without_source_locations_is_kept() -> None:
    result = _result("pragma", "Informational", "High")
    parsed = parse_slither_json(_output(result), excluded_dirs=EXCLUDED)
    assert len(parsed.findings) == 1
    assert parsed.findings[0].locations == ()


def test_slither_reporting_failure_raises_with_its_message() -> None:
    data = json.dumps(
        {
            "success": False,
            "error": "InvalidCompilation: ParserError:\n Expected ';'",
            "results": {},
        }
    )
    with pytest.raises(SlitherFailedError, match="InvalidCompilation: ParserError: Expected ';'"):
        parse_slither_json(data)


def test_a_long_slither_error_is_cut() -> None:
    data = json.dumps({"success": False, "error": "x" * 10_000})
    with pytest.raises(SlitherFailedError) as caught:
        parse_slither_json(data)
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "boolean 'success'"),
        (b'{"success": "yes"}', "boolean 'success'"),
        (b'{"success": true, "results": []}', "'results' is not an object"),
        (b'{"success": true, "results": {"detectors": {}}}', "'results.detectors' is not a list"),
        (b'{"success": true, "results": {"detectors": [1]}}', "detector result 0 is not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than 64 levels"),
        (b'{"success": true, "x": ' + b"[" * 65 + b"]" * 65 + b"}", "nests deeper than 64"),
    ],
)
def test_malformed_output_raises_output_error(data: bytes, message: str) -> None:
    with pytest.raises(SlitherOutputError, match=message):
        parse_slither_json(data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("impact", "Critical", "impact 'Critical' is not one of"),
        ("confidence", None, "confidence None is not one of"),
        ("check", 7, "check is not a string"),
        ("check", "reentrancy eth; rm", "is not a detector name"),
        ("description", ["a"], "description is not a string"),
        ("elements", "contracts/A.sol", "elements is not a list"),
    ],
)
def test_a_malformed_detector_result_raises_output_error(
    field: str, value: object, message: str
) -> None:
    result = _result("reentrancy-eth", "High", "Medium", "contracts/A.sol")
    result[field] = value
    with pytest.raises(SlitherOutputError, match=message):
        parse_slither_json(_output(result))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    result = _result("x", "Low", "Low", "contracts/A.sol")
    result["description"] = "[" * 1000 + '\\"{' * 100
    parsed = parse_slither_json(_output(result))
    assert parsed.findings[0].description.startswith("[[[")


def test_line_numbers_that_are_not_positive_integers_are_ignored() -> None:
    result = _result("x", "Low", "Low", "contracts/A.sol")
    result["elements"][0]["source_mapping"]["lines"] = [True, 0, -3, "7", 12, 10]
    parsed = parse_slither_json(_output(result))
    assert parsed.findings[0].locations == (Location("contracts/A.sol", 10, 12),)
