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
