"""The address gazetteer: geocoded addresses that text-only case and risk-area lists are matched to."""

from __future__ import annotations

import pandas as pd

from etl.jobs.base import Field, Job, LoadOptions
from geo.address import match_key


class AddressJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        frame["match_key"] = [
            match_key(a, district=d) or None for a, d in zip(frame["address"], frame["district"], strict=True)
        ]
        return frame


JOB = AddressJob(
    kind="addresses",
    table="addresses",
    fields=(
        Field("district", ("district", "区", "county"), required=True),
        Field("address", ("address", "地址"), required=True),
        Field("township", ("township", "街镇", "street")),
        Field("match_key", (), required=True),
    ),
    geometry=("Point",),
    identity=("district", "address"),
    derivable=("match_key",),
)
