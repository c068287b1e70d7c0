"""Responsibility assignments (包干): who answers for a building, compound, grid or unit.

A row names a person (by code), the chain level, and the scope. Names, phones and ID
numbers go to ``person_contacts`` and nowhere else.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote, take_unresolved
from geo.vocab import CHAIN_LEVEL_CODES, CHAIN_LEVELS, RESPONSIBILITY_SCOPES

LEVEL_ALIASES = (
    {t.zh: t.code for t in CHAIN_LEVELS}
    | {t.en.lower(): t.code for t in CHAIN_LEVELS}
    | {
        "楼长": "building_leader",
        "书记": "area_secretary",
        "干部": "cadre",
        "总长": "area_secretary",
        "片长": "cadre",
        "区长": "social_worker",
    }
)
SCOPE_ALIASES = {"楼栋": "building", "小区": "compound", "网格": "grid", "街镇": "unit", "居委": "unit"}

# How a scope reference is looked up, per scope type.
_SCOPE_LOOKUP = {
    "building": "SELECT id FROM buildings WHERE source_id = s.scope",
    "compound": "SELECT id FROM compounds WHERE source_id = s.scope OR name = s.scope",
    "grid": "SELECT id FROM grids WHERE code = s.scope OR name = s.scope",
    "unit": "SELECT id FROM admin_units WHERE code = s.scope OR name = s.scope",
}


class ResponsibilityJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        frame["role"] = frame["role"].where(frame["role"].notna(), frame["level"])
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        for scope_type, lookup in _SCOPE_LOOKUP.items():
            conn.execute(
                text(f"""
                UPDATE {s} s SET scope_id = ({lookup} ORDER BY id LIMIT 1)
                WHERE s.scope_type = :t
            """),
                {"t": scope_type},
            )
        for row in take_unresolved(conn, stage, "scope_id IS NULL"):
            report.reject(row, "scope", "", "the building, compound, grid or unit it names is not loaded")
        conn.execute(
            text(f"""
            INSERT INTO people (code, title, source, source_id)
            SELECT DISTINCT ON (person) person, level, :source, 'person:' || person FROM {s}
            ORDER BY person, row_no DESC
            ON CONFLICT (source_id) DO UPDATE SET title = EXCLUDED.title, source = EXCLUDED.source
            WHERE (people.title, people.source) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.source)
        """),
            {"source": options.source or "responsibility"},
        )
        conn.execute(text(f"UPDATE {s} s SET person_id = p.id FROM people p WHERE p.code = s.person"))
        conn.execute(
            text(f"""
            INSERT INTO person_contacts (person_id, name, phone, id_number)
            SELECT DISTINCT ON (person_id) person_id, contact_name, phone, id_number FROM {s}
            WHERE contact_name IS NOT NULL OR phone IS NOT NULL OR id_number IS NOT NULL
            ORDER BY person_id, row_no DESC
            ON CONFLICT (person_id) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
                id_number = EXCLUDED.id_number
        """)
        )


JOB = ResponsibilityJob(
    kind="responsibility",
    table="responsibilities",
    fields=(
        Field(
            "person",
            ("person", "person_code", "person_id", "人员编号"),
            required=True,
            target=False,
            stored_as="people.code",
        ),
        Field(
            "level",
            ("level", "chain_level", "层级"),
            as_code(CHAIN_LEVEL_CODES, LEVEL_ALIASES),
            required=True,
        ),
        Field("role", ("role", "title", "职务")),
        Field(
            "scope_type",
            ("scope_type", "范围类型"),
            as_code(RESPONSIBILITY_SCOPES, SCOPE_ALIASES),
            required=True,
        ),
        Field("scope", ("scope", "scope_ref", "scope_id", "范围"), required=True, target=False),
        Field(
            "contact_name",
            ("name", "contact_name", "姓名"),
            target=False,
            option="name",
            stored_as="person_contacts.name",
            personal=True,
        ),
        Field(
            "phone",
            ("phone", "mobile", "电话", "手机"),
            target=False,
            stored_as="person_contacts.phone",
            personal=True,
        ),
        Field(
            "id_number",
            ("id_number", "身份证", "身份证号"),
            target=False,
            stored_as="person_contacts.id_number",
            personal=True,
        ),
    ),
    identity=("person", "level", "scope_type", "scope"),
    id_candidates=("id", "assignment_id", "source_id"),
    extra_stage_columns=(StageColumn("scope_id", "bigint"), StageColumn("person_id", "integer")),
)
