"""Address keys: the same place written differently gets the same key."""

from __future__ import annotations

import pytest

from geo.address import match_key, split_district


@pytest.mark.parametrize(
    ("address", "district", "key"),
    [
        ("张东路2281弄", "浦东新区", "张东路2281弄"),
        ("上海市浦东新区张东路２２８１弄", "浦东新区", "张东路2281弄"),
        ("浦东新区 张东路 2281 弄", "浦东新区", "张东路2281弄"),
        ("上海市浦东新区张东路2281弄", None, "张东路2281弄"),
        ("（东方路）573弄", "浦东新区", "东方路573弄"),
        ("ABC大厦", None, "abc大厦"),
        ("", "浦东新区", ""),
        (None, None, ""),
    ],
)
def test_match_key(address: str | None, district: str | None, key: str) -> None:
    assert match_key(address, district=district) == key


def test_split_district() -> None:
    assert split_district("浦东新区白杨路199弄") == ("浦东新区", "白杨路199弄")
    assert split_district("上海市黄浦区南京东路1号") == ("黄浦区", "南京东路1号")
    assert split_district("白杨路199弄") == (None, "白杨路199弄")
