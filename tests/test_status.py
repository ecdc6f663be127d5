import pytest

from pouw import InvalidTransition, JobStatus, JobTier, PoUwMode, ZkMode
from pouw.status import ALLOWED_TRANSITIONS, check_transition


def test_enum_values_are_config_words():
    assert PoUwMode.DISABLED.value == "disabled"
    assert PoUwMode.LOCAL.value == "local"
    assert PoUwMode.REMOTE.value == "remote"
    assert PoUwMode("local") is PoUwMode.LOCAL
    assert ZkMode("mock") is ZkMode.MOCK
    assert [t.value for t in JobTier] == ["micro", "macro", "full"]
    assert [s.name for s in JobStatus] == [
        "PENDING",
        "IN_PROGRESS",
        "COMPLETED",
        "FAILED",
        "EXPIRED",
    ]


def test_transitions_are_exactly_design_md():
    p, i, c, f, e = (
        JobStatus.PENDING,
        JobStatus.IN_PROGRESS,
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.EXPIRED,
    )
    assert {(p, i), (i, c), (i, f), (i, p), (p, e), (i, e)} == ALLOWED_TRANSITIONS
    for old in JobStatus:
        for new in JobStatus:
            if (old, new) in ALLOWED_TRANSITIONS:
                check_transition("j", old, new)
            else:
                with pytest.raises(InvalidTransition):
                    check_transition("j", old, new)


def test_late_proof_move_only_when_asked():
    with pytest.raises(InvalidTransition):
        check_transition("j", JobStatus.PENDING, JobStatus.COMPLETED)
    check_transition("j", JobStatus.PENDING, JobStatus.COMPLETED, late_proof=True)
    with pytest.raises(InvalidTransition):
        check_transition("j", JobStatus.FAILED, JobStatus.COMPLETED, late_proof=True)


def test_final_states():
    assert {s for s in JobStatus if s.is_final} == {
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.EXPIRED,
    }


@pytest.mark.parametrize(
    ("enum_type", "word"),
    [(JobTier, "full"), (JobStatus, "in_progress"), (PoUwMode, "remote"), (ZkMode, "mock")],
)
def test_parse_enum_takes_members_and_words(enum_type, word):
    from pouw.status import parse_enum

    member = enum_type(word)
    assert parse_enum(enum_type, word, "x") is member
    assert parse_enum(enum_type, member, "x") is member


@pytest.mark.parametrize("bad", ["FULL", "", None, 1, ["micro"], JobStatus.PENDING])
def test_parse_enum_rejects_naming_the_field_and_the_choices(bad):
    from pouw.status import parse_enum

    with pytest.raises(ValueError) as info:
        parse_enum(JobTier, bad, "tier")
    assert str(info.value) == f"tier: expected one of 'micro', 'macro', 'full', got {bad!r}"


def test_tier_codes_are_one_table_for_job_ids_and_mock_proofs():
    from pouw import job
    from pouw.prover import mock
    from pouw.status import TIER_CODES

    assert dict(TIER_CODES) == {JobTier.MICRO: 1, JobTier.MACRO: 2, JobTier.FULL: 3}
    with pytest.raises(TypeError):
        TIER_CODES[JobTier.MICRO] = 9  # type: ignore[index]
    assert {t: bytes([code]) for t, code in TIER_CODES.items()} == job._TIER_BYTE
    assert not hasattr(mock, "_TIER_CODE") and not hasattr(job, "_TIER_CODE")
