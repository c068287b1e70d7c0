"""The sections of a brief, in print order: ``SECTIONS`` is a list of (code, function).

A section is one function ``(writer, brief) -> None`` that draws what ``layers.brief.data`` gathered,
and one entry in ``SECTIONS``; it computes nothing of its own.
"""

from __future__ import annotations

from reportlab.lib.colors import HexColor

from geo.vocab import CHAIN_LEVELS, HOUSE_STATUSES, LEG_STATUSES, RISK_LEVELS
from layers.atlas.layout import Box
from layers.brief.data import PUBLISHED, Brief, step_names
from layers.brief.overview import draw_overview
from layers.brief.render import Cell, Column, Section, Writer, local, signed
from layers.style import BRIEF, PRINT, ZONE_SWATCHES, status_swatch

_LEVEL_ZH = {t.code: t.zh for t in RISK_LEVELS}
_CHAIN_ZH = {t.code: t.zh for t in CHAIN_LEVELS}
_LEG_ZH = {t.code: t.zh for t in LEG_STATUSES}
_SOP_STATE_ZH = {"active": "处置中", "lift_due": "待解除", "lifted": "已解除", "not_declared": "未公布"}
_CHANGE_ZH = {"new": "新增", "lifted": "解除", "ongoing": "续存"}
RISK_ROWS = 14


def overdue_for(hours: float) -> str:
    """How long past its deadline: hours under two days (``5.5 时``), else days (``3 天``)."""
    return f"{hours:.1f} 时" if hours < 48 else f"{hours / 24:.0f} 天"


def headline(w: Writer, b: Brief) -> None:
    """Ten tiles: the day's key figures and their change since the day before."""
    tiles = b.headlines
    per_row, gap, h = 5, 6.0, 50.0
    tile_w = (w.width - gap * (per_row - 1)) / per_row
    p = w.page
    if not b.status_known:
        w.line(
            f"注意：{b.date.isoformat()} 不在已加载的房态记录范围内，房态数字按“无记录即正常”计。",
            color=BRIEF["warn"],
        )
    for start in range(0, len(tiles), per_row):
        w.need(h + gap)
        for i, t in enumerate(tiles[start : start + per_row]):
            x = w.left + i * (tile_w + gap)
            box = Box(x, w.y - h, tile_w, h)
            p.rect(box, fill=BRIEF["tile"], edge=BRIEF["tile_edge"], lw=0.5)
            p.text(x + 7, w.y - 13, t.zh, 8, color=PRINT["muted"])
            value = f"{t.value:,}"
            p.text(x + 7, w.y - 34, value, 17)
            p.text(x + 10 + p.width(value, 17), w.y - 34, t.measure, 8, color=PRINT["muted"])
            if t.change is None:
                note, colour = (
                    f"截至 {local(b.loops.at if t.code == 'loops_overdue' else b.transfers.at)}",
                    PRINT["muted"],
                )
            else:
                note = f"较前日 {signed(t.change)}"
                colour = (
                    BRIEF["worse"] if t.change > 0 else BRIEF["better"] if t.change < 0 else PRINT["muted"]
                )
            p.text(x + 7, w.y - 45, note, 7, color=colour)
        w.gap(h + gap)
    w.gap(4)


def house_status(w: Writer, b: Brief) -> None:
    """The overview map beside households by status, with the day before's and buildings by status."""
    map_w, map_h = w.width * 0.5, 236.0
    w.heading(
        "一、房态与概图",
        f"房态变化 {b.status.changed_since_yesterday:,} 户（较前日）· 共 {b.status.total:,} 户",
        keep=map_h + 24,
    )
    top = w.y
    drawn = draw_overview(w.page, Box(w.left, top - map_h, map_w, map_h), b)
    # The legend under the map: statuses drawn, then zones.
    y = top - map_h - 10
    x = w.left
    for code in drawn:
        s = status_swatch(code)
        w.page.rect(Box(x, y - 1, 6, 6), fill=s.fill, edge=s.outline, lw=0.3)
        w.page.text(x + 8, y, s.label_zh, 6.5)
        x += 14 + w.page.width(s.label_zh, 6.5)
    present = {z for z, _ in b.risk.zones}
    for z in ZONE_SWATCHES:
        if z.code in present:
            w.page.rect(Box(x, y - 1, 9, 6), edge=z.outline, lw=0.9)
            w.page.text(x + 11, y, z.label_zh, 6.5)
            x += 16 + w.page.width(z.label_zh, 6.5)
    if PUBLISHED in present:
        sealed = ZONE_SWATCHES[0]
        w.page.c.setFillColor(HexColor(sealed.fill))
        w.page.c.setStrokeColor(HexColor(sealed.outline))
        w.page.c.circle(x + 3, y + 2, 2.4, stroke=1, fill=1)
        w.page.text(x + 8, y, "公布的风险区域", 6.5)
    table_x = w.left + map_w + 10
    rows: list[list[Cell]] = []
    swatches: list[str | None] = []
    for term in HOUSE_STATUSES:
        now, before = b.status.households[term.code], b.previous.households[term.code]
        change = now - before
        colour = PRINT["ink"] if not change else BRIEF["worse"] if change > 0 else BRIEF["better"]
        if term.code in ("normal", "vacant"):
            colour = PRINT["muted"] if change else PRINT["ink"]
        rows.append([term.zh, f"{now:,}", (signed(change), colour), f"{b.status.buildings[term.code]:,}"])
        swatches.append(status_swatch(term.code).fill)
    w.y = top
    w.table(
        [
            Column("房态", 2.0),
            Column("户数", 0.9, "right"),
            Column("较前日", 0.9, "right"),
            Column("楼栋", 0.8, "right"),
        ],
        rows,
        x=table_x,
        width=w.right - table_x,
        swatches=swatches,
    )
    w.y -= 4
    w.page.text(table_x, w.y - 8, f"涉阳楼栋 {b.status.buildings_with_cases:,} 栋（含确诊或无症状户）", 7.5)
    w.page.text(table_x, w.y - 19, "楼栋按其最严重户状态计，与房态图着色一致。", 6.5, color=PRINT["muted"])
    w.y = min(w.y - 24, top - map_h - 18)


def risk_areas(w: Writer, b: Brief) -> None:
    """New and lifted risk areas first, then those still in force, each with its SOP state."""
    r = b.risk
    w.heading(
        "二、风险区域",
        keep=60 if r.areas else 16,
        note=f"新增 {len(r.new)} 个 · 解除 {len(r.lifted)} 个 · 生效 {r.active} 个"
        f"（前日 {r.previous_active} 个）",
    )
    steps = step_names()
    if not r.areas:
        w.line("当日无生效风险区域。", color=PRINT["muted"])
        w.gap(4)
        return
    rows: list[list[Cell]] = []
    for a in r.areas[:RISK_ROWS]:
        late = f"{len(a.overdue)} 项：" + "、".join(steps.get(s, s) for s in a.overdue) if a.overdue else ""
        lift = "—" if a.state == "lifted" else ("已满" if a.days_to_lift == 0 else f"{a.days_to_lift} 天")
        rows.append(
            [
                (
                    _CHANGE_ZH[a.change],
                    BRIEF["worse"]
                    if a.change == "new"
                    else BRIEF["better"]
                    if a.change == "lifted"
                    else PRINT["ink"],
                ),
                a.name,
                _LEVEL_ZH.get(a.level, a.level),
                _SOP_STATE_ZH.get(a.state, a.state),
                (late or "无", BRIEF["worse"] if late else PRINT["muted"]),
                lift,
                f"{a.households:,}" if a.households else "—",
            ]
        )
    w.table(
        [
            Column("变化", 0.55),
            Column("名称", 2.4),
            Column("等级", 0.65),
            Column("SOP 状态", 1.1),
            Column("超时步骤", 3.3),
            Column("距解除", 0.7, "right"),
            Column("区内户", 0.7, "right"),
        ],
        rows,
    )
    if len(r.areas) > RISK_ROWS:
        w.line(
            f"另有 {len(r.areas) - RISK_ROWS} 个生效区域未列出（见地图页风险区域图层）。",
            size=7,
            color=PRINT["muted"],
        )
    w.gap(4)


def loops(w: Writer, b: Brief) -> None:
    """Closed-loop work by kind, then the overdue items with who answers for each."""
    lp = b.loops
    current = "（当前状态）" if lp.at.date() > b.date else ""
    w.heading(
        "三、闭环事项",
        keep=60,
        note=f"截至 {local(lp.at)}{current} · 在办 {lp.open_total} 件 · 超时 {lp.overdue_total} 件"
        f" · 今日办结 {lp.closed_today_total} 件",
    )
    w.table(
        [
            Column("类别", 3.0),
            Column("在办", 1.0, "right"),
            Column("超时", 1.0, "right"),
            Column("今日办结", 1.0, "right"),
        ],
        [
            [
                k.zh,
                f"{k.open:,}",
                (f"{k.overdue:,}", BRIEF["worse"] if k.overdue else PRINT["ink"]),
                f"{k.closed_today:,}",
            ]
            for k in lp.kinds
        ],
        width=w.width * 0.6,
    )
    w.gap(6)
    rows: list[list[Cell]] = [
        [
            f"#{i.id} {i.kind_zh}",
            i.step_zh,
            i.grid or "—",
            i.place,
            _CHAIN_ZH.get(i.assignee_level or "", i.assignee_level or "—"),
            i.contact_name or "—",
            i.contact_phone or "—",
            (overdue_for(i.hours_over), BRIEF["worse"]),
        ]
        for i in lp.overdue
    ]
    if not rows:
        w.line("无超时事项。", color=PRINT["muted"])
        return
    w.line(
        f"超时事项（按紧急程度，列前 {len(rows)} 件，共 {lp.overdue_total} 件）", size=8, color=PRINT["muted"]
    )
    w.table(
        [
            Column("事项", 1.8),
            Column("卡在步骤", 1.2),
            Column("网格", 1.55),
            Column("地点", 1.95),
            Column("责任层级", 1.1),
            Column("联系人", 0.8),
            Column("电话", 1.15),
            Column("超时", 0.75, "right"),
        ],
        rows,
    )
    w.gap(4)


def transfers(w: Writer, b: Brief) -> None:
    """Closed-loop transfers: the flow map's strip, then the overdue chains and where they are stuck."""
    t, k = b.transfers, b.transfers.kpis
    w.heading(
        "四、闭环转运",
        keep=60 if t.overdue else 28,
        note=f"截至 {local(t.at)} · 近 {t.window_hours:g} 小时 · 交接时限 {t.deadline_hours:g} 小时",
    )
    w.line(
        f"转运链 {k.chains} 条：在途 {k.open_chains} 条，超时 {k.overdue_chains} 条，"
        f"链条断点 {k.gap_chains} 条；"
        f"在途人员 {k.in_transit_people} 人，已交接 {k.handed_over_legs} 段。",
    )
    rows: list[list[Cell]] = [
        [
            c.chain_id,
            f"第 {c.stuck_leg}/{c.legs} 段",
            c.stuck_from,
            c.stuck_to,
            _LEG_ZH.get(c.stuck_state, c.stuck_state),
            f"{c.head_count}",
            (overdue_for(c.overdue_hours), BRIEF["worse"]),
            ("是", BRIEF["worse"]) if c.gap else "否",
        ]
        for c in t.overdue
    ]
    if not rows:
        w.line("无超时转运链。", color=PRINT["muted"])
        return
    w.table(
        [
            Column("转运链", 1.3),
            Column("卡在", 0.9),
            Column("从", 2.0),
            Column("至", 2.0),
            Column("状态", 0.8),
            Column("人数", 0.6, "right"),
            Column("超时", 0.8, "right"),
            Column("断点", 0.5, "center"),
        ],
        rows,
    )


def campaign(w: Writer, b: Brief) -> None:
    """The vaccination board's line for the area and its units behind (the page's own figures)."""
    c = b.campaign
    if c is None:
        return
    t = c.total
    w.heading(
        f"五、疫苗接种：{c.campaign.name}",
        keep=60 if c.flagged else 28,
        note=f"截至 {c.day.isoformat()} · 截止 {c.campaign.deadline.isoformat()} · 剩余 {t.days_left} 天",
    )
    needed = "–" if t.daily_needed is None else f"{t.daily_needed:,.0f}"
    average = "–" if t.avg_7d is None else f"{t.avg_7d:,.0f}"
    w.line(
        f"任务总量 {t.target:,}，已接种 {t.vaccinated:,}，剩余任务量 {t.remaining:,}；"
        f"日均任务量 {needed}，近 7 日日均 {average}；未报 {len(c.missing)} 个单位。",
        color=BRIEF["worse"] if t.behind else PRINT["ink"],
    )
    rows: list[list[Cell]] = [
        [
            r.unit,
            f"{r.target:,}",
            f"{r.vaccinated:,}",
            f"{r.remaining:,}",
            "–" if r.daily_needed is None else f"{r.daily_needed:,.0f}",
            ("–" if r.avg_7d is None else f"{r.avg_7d:,.0f}", BRIEF["worse"]),
        ]
        for r in c.flagged[:RISK_ROWS]
    ]
    if not rows:
        w.line("无进度落后单位。", color=PRINT["muted"])
        return
    w.table(
        [
            Column("进度落后单位", 2.2),
            Column("任务总量", 1.0, "right"),
            Column("已接种", 1.0, "right"),
            Column("剩余任务量", 1.0, "right"),
            Column("日均任务量", 1.0, "right"),
            Column("近7日日均", 1.0, "right"),
        ],
        rows,
    )


SECTIONS: list[tuple[str, Section]] = [
    ("headline", headline),
    ("house_status", house_status),
    ("risk_areas", risk_areas),
    ("loops", loops),
    ("transfers", transfers),
    ("campaign", campaign),
]
"""The brief's sections in print order: adding one is one function and one entry here."""
