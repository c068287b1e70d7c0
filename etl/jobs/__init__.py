"""The load jobs, one module per kind of input, and the registry ``battlemap load KIND`` uses."""

from __future__ import annotations

from etl.jobs import (
    addresses,
    admin,
    basemap,
    buildings,
    cases,
    compounds,
    devices,
    gate_events,
    grids,
    households,
    places,
    responsibility,
    risk_areas,
    status,
    transfers,
    vaccination,
)
from etl.jobs.base import Job

REGISTRY: dict[str, Job] = {
    module.JOB.kind: module.JOB
    for module in (
        admin,
        grids,
        compounds,
        buildings,
        households,
        cases,
        responsibility,
        places,
        status,
        addresses,
        basemap,
        risk_areas,
        transfers,
        gate_events,
        devices,
        vaccination,
    )
}

# The kinds of `battlemap load KIND`, in the order a first load needs them.
KINDS: tuple[str, ...] = tuple(REGISTRY)
