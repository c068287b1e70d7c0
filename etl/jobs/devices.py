"""Home-isolation devices (技防): smart door sensors (门磁) and thermometers fitted to households.

A row is ``device_id, type, household`` (the household's id) or ``building, unit`` (the building's
id and the household's unit label), ``installed`` (date) and optionally ``removed``. The device id
is the one its messages carry (topic ``battlemap/devices/<device_id>/events``); loading a later file
updates the devices it repeats (a removal date, a move to another household).

Rejected with a reason: a household that is not loaded, a building without that unit, a removal
before the installation, a device id repeated in the file.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.columns import as_code, as_date
from etl.jobs.base import Field, Job, LoadOptions
from etl.jobs.place_refs import reject_repeats, take
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.devices.payload import DEVICE_TYPES

TYPE_ALIASES = {
    "门磁": "door_sensor",
    "智能门磁": "door_sensor",
    "door": "door_sensor",
    "door sensor": "door_sensor",
    "测温": "thermometer",
    "体温计": "thermometer",
    "红外测温": "thermometer",
    "温度计": "thermometer",
}


class DeviceJob(Job):
    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        conn.execute(
            text(f"UPDATE {s} x SET household_id = h.id FROM households h WHERE h.source_id = x.household")
        )
        conn.execute(
            text(f"""UPDATE {s} x SET household_id = h.id FROM households h
                     WHERE x.household_id IS NULL AND x.household ~ '^[0-9]{{1,18}}$'
                       AND h.id = CAST(x.household AS bigint)""")
        )
        conn.execute(
            text(f"""UPDATE {s} x SET household_id = h.id
                     FROM households h JOIN buildings b ON b.id = h.building_id
                     WHERE x.household IS NULL AND b.source_id = x.building AND h.unit_label = x.unit""")
        )
        for row, value in take(conn, stage, "household IS NULL AND building IS NULL", "''"):
            report.reject(row, "household", value, "name the household (its id) or its building and unit")
        for row, value in take(conn, stage, "household IS NOT NULL AND household_id IS NULL", "household"):
            report.reject(
                row, "household", value, "no loaded household has this id (load the households first)"
            )
        for row, value in take(conn, stage, "household_id IS NULL AND unit IS NULL", "building"):
            report.reject(row, "unit", value, "a building alone does not say which household: add the unit")
        for row, value in take(conn, stage, "household_id IS NULL", "building || ' ' || unit"):
            report.reject(row, "unit", value, "no loaded household of this building has this unit label")
        for row, value in take(conn, stage, "removed_on < installed_on", "removed_on"):
            report.reject(row, "removed_on", value, "removed before it was installed")
        reject_repeats(conn, stage, report, field="source_id", what="device id")


JOB = DeviceJob(
    kind="devices",
    table="devices",
    fields=(
        Field(
            "type",
            ("type", "device_type", "kind", "设备类型", "类型"),
            as_code(DEVICE_TYPES, TYPE_ALIASES),
            required=True,
        ),
        Field("household", ("household", "household_id", "户", "户号"), target=False),
        Field("building", ("building", "building_id", "楼栋"), target=False),
        Field("unit", ("unit", "unit_label", "room", "室号", "门牌"), target=False),
        Field(
            "installed_on",
            ("installed_on", "installed", "install_date", "安装日期"),
            as_date,
            "date",
            required=True,
        ),
        Field("removed_on", ("removed_on", "removed", "remove_date", "拆除日期"), as_date, "date"),
    ),
    id_candidates=("device_id", "device", "id", "设备编号"),
    extra_stage_columns=(StageColumn("household_id", "bigint"),),
)
