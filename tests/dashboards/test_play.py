"""dashboards._play: slider labels that never crowd the last one."""

from __future__ import annotations

from dashboards._play import slider_marks


def test_marks_are_evenly_spaced_and_always_end_on_the_last_index() -> None:
    assert list(slider_marks(12, str)) == [0, 2, 4, 6, 8, 10, 12]
    assert slider_marks(3, lambda i: f"d{i}") == {0: "d0", 1: "d1", 2: "d2", 3: "d3"}
    assert slider_marks(0, str) == {0: "0"}


def test_a_mark_too_close_to_the_last_is_left_out() -> None:
    # 70 days in steps of 11: 66 would sit 4 days before 70 (under half a step), so it goes.
    assert list(slider_marks(70, str)) == [0, 11, 22, 33, 44, 55, 70]
