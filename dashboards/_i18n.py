"""The UI's words in Chinese (default) and English; domain terms come from ``geo.vocab``.

A page picks its language from ``?lang=zh|en``, else the one last chosen (the ``LANGUAGE_COOKIE``
that ``install`` sets whenever a request names one), else ``AppSettings.language``.
"""

from __future__ import annotations

import re

import flask

from geo import errors
from geo.vocab import ADMIN_LEVELS, CHAIN_LEVELS, term

# The product's name, the same in every language.
TITLE = "挂图作战 battlemap"
LANGUAGES: tuple[str, ...] = ("zh", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}
LANGUAGE_COOKIE = "battlemap_lang"
LANGUAGE_COOKIE_DAYS = 365

_STRINGS: dict[str, dict[str, str]] = {
    "subtitle": {"zh": "社区防控态势图", "en": "Community epidemic-control situation map"},
    "loaded_heading": {"zh": "已加载数据（按街镇）", "en": "What is loaded, by sub-district"},
    "as_of": {"zh": "数据更新于", "en": "Data as of"},
    "never_loaded": {"zh": "尚未加载任何数据", "en": "Nothing has been loaded yet"},
    "empty": {
        "zh": "数据库中还没有数据。运行 battlemap demo load 加载示例，"
        "或用 battlemap load KIND FILE 加载文件。",
        "en": "The database holds no data yet. Run battlemap demo load for the sample, "
        "or battlemap load KIND FILE for your own files.",
    },
    "buildings": {"zh": "楼栋", "en": "Buildings"},
    "grids": {"zh": "网格", "en": "Grids"},
    "compounds": {"zh": "小区", "en": "Compounds"},
    "households": {"zh": "户", "en": "Households"},
    "cases": {"zh": "病例点位", "en": "Cases located"},
    "places": {"zh": "场所", "en": "Places"},
    "total": {"zh": "合计", "en": "Total"},
    "unassigned": {"zh": "未落入已加载街镇", "en": "Not in a loaded sub-district"},
    "simulated": {"zh": "模拟数据", "en": "simulated"},
    "simulated_note": {
        "zh": "标有“模拟数据”的数量来自模拟生成的演示数据，不是真实记录。",
        "en": 'Counts with a "simulated" badge come from generated demo data, not real records.',
    },
    "simulated_title": {"zh": "{n} 条为模拟数据", "en": "{n} of these rows are simulated"},
    "other_heading": {"zh": "其他已加载数据", "en": "Also loaded"},
    "admin_units": {"zh": "行政区划", "en": "Administrative units"},
    "addresses": {"zh": "地址库", "en": "Gazetteer addresses"},
    "house_status": {"zh": "房态记录", "en": "House-status records"},
    "responsibilities": {"zh": "包干关系", "en": "Responsibility assignments"},
    "basemap_features": {"zh": "底图要素", "en": "Basemap features"},
    "unavailable": {"zh": "数据库暂不可用", "en": "The database is not available"},
    "maps": {"zh": "地图", "en": "Maps"},
    "maps_house_status": {"zh": "房态图", "en": "House-status map"},
    "maps_responsibility": {"zh": "楼组包干图", "en": "Building-responsibility map"},
    "language": {"zh": "语言", "en": "Language"},
    # The map pages (房态图, 楼组包干图, wall).
    "nav_home": {"zh": "首页", "en": "Home"},
    "nav_wall": {"zh": "大屏", "en": "Wall display"},
    "nav_national": {"zh": "全国汇总", "en": "National"},
    "menu": {"zh": "菜单", "en": "Menu"},
    "unit_households": {"zh": "户", "en": "households"},
    "unit_buildings": {"zh": "栋", "en": "buildings"},
    "unit_people": {"zh": "人", "en": "people"},
    "unit_chains": {"zh": "条", "en": "chains"},
    "legend_buildings": {"zh": "图例（楼栋数）", "en": "Legend (buildings)"},
    "legend_buildings_note": {
        "zh": "楼栋按其最严重的户房态着色；数字为楼栋数，上方指标为户数",
        "en": "A building takes its most severe household status; counts are buildings, "
        "the strip above counts households",
    },
    "legend_legs": {"zh": "图例（段数）", "en": "Legend (legs)"},
    "legend_grid_buildings": {"zh": "图例（楼栋数）", "en": "Legend (buildings)"},
    "changed_more": {"zh": "另有 {n} 栋", "en": "and {n} more"},
    "home_maps": {"zh": "地图", "en": "Maps"},
    "headline_cases": {"zh": "确诊户", "en": "confirmed households"},
    "headline_case_buildings": {"zh": "有病例楼栋", "en": "buildings with cases"},
    "headline_gaps": {"zh": "包干缺位楼栋", "en": "buildings with a gap"},
    "headline_open": {"zh": "未闭环链条", "en": "open chains"},
    "headline_overdue": {"zh": "超时未交接", "en": "overdue"},
    "headline_on": {"zh": "{day}", "en": "on {day}"},
    "flows_link": {"zh": "动线管理图", "en": "Movement-flow map"},
    "date": {"zh": "日期", "en": "Date"},
    "play": {"zh": "▶ 播放", "en": "▶ Play"},
    "pause": {"zh": "⏸ 暂停", "en": "⏸ Pause"},
    "search": {"zh": "搜索地址", "en": "Search an address"},
    "search_go": {"zh": "定位", "en": "Go"},
    "search_none": {"zh": "未找到“{q}”", "en": 'No building matches "{q}"'},
    "search_found": {"zh": "找到 {n} 栋，已定位到第一栋", "en": "{n} found; showing the first"},
    "all": {"zh": "全部", "en": "All"},
    "kpi_households": {"zh": "总户数 · 户", "en": "Households"},
    "kpi_status_households": {"zh": "{status} · 户", "en": "{status} · households"},
    "kpi_changed": {"zh": "较昨日变化 · 户", "en": "Changed since yesterday · households"},
    "kpi_case_buildings": {"zh": "有病例楼栋 · 栋", "en": "Buildings with cases"},
    "legend": {"zh": "图例", "en": "Legend"},
    "card_hint": {"zh": "点击楼栋查看详情", "en": "Click a building for its card"},
    "card_address": {"zh": "地址", "en": "Address"},
    "card_compound": {"zh": "小区", "en": "Compound"},
    "card_grid": {"zh": "网格", "en": "Grid"},
    "card_subdistrict": {"zh": "街镇", "en": "Sub-district"},
    "card_households": {"zh": "各房态户数", "en": "Households by status"},
    "card_vulnerable": {"zh": "独居老人/残障户", "en": "Elderly-alone / disabled households"},
    "card_chain": {"zh": "包干责任链", "en": "Responsibility chain"},
    "card_missing": {"zh": "缺位", "en": "Missing"},
    "card_devices": {"zh": "技防设备", "en": "Home-isolation devices"},
    "card_household": {"zh": "户", "en": "Household"},
    "device_door_sensor": {"zh": "门磁", "en": "Door sensor"},
    "device_thermometer": {"zh": "测温", "en": "Thermometer"},
    "device_online": {"zh": "在线", "en": "online"},
    "device_offline": {"zh": "离线", "en": "offline"},
    "device_door_open": {"zh": "开门", "en": "door opened"},
    "device_door_close": {"zh": "关门", "en": "door closed"},
    "card_alerts": {"zh": "报警记录", "en": "Alert history"},
    "alert_fever": {"zh": "发热", "en": "fever"},
    "alert_missed_reading": {"zh": "漏测", "en": "missed readings"},
    "alert_door": {"zh": "门磁", "en": "door"},
    "alert_offline": {"zh": "设备离线", "en": "device offline"},
    "alert_battery": {"zh": "电量低", "en": "battery low"},
    "alert_open": {"zh": "待处置", "en": "open"},
    "alert_closed": {"zh": "已处置", "en": "closed"},
    "contacts_show": {"zh": "联系人", "en": "Who to call"},
    "contacts_none": {"zh": "无登记联系人", "en": "Nobody on record"},
    "contacts_masked": {"zh": "姓名与电话已脱敏", "en": "Names and phones are masked"},
    "scope_building": {"zh": "楼栋", "en": "building"},
    "scope_compound": {"zh": "小区", "en": "compound"},
    "scope_grid": {"zh": "网格", "en": "grid"},
    "scope_unit": {"zh": "街镇/居委", "en": "unit"},
    "no_history": {"zh": "尚无房态记录", "en": "No house-status history loaded"},
    "gaps_by_grid": {"zh": "各网格包干缺位楼栋", "en": "Buildings with a responsibility gap, by grid"},
    "overloaded": {
        "zh": "包干楼栋超过 {limit} 栋的人员",
        "en": "People answering for more than {limit} buildings",
    },
    "person_code": {"zh": "人员编号", "en": "Person code"},
    "role": {"zh": "角色", "en": "Role"},
    "building_count": {"zh": "楼栋数", "en": "Buildings"},
    "none_over": {"zh": "无", "en": "None"},
    "rs_fill_note": {
        "zh": "楼栋按缺位的最高层级着色；包干齐全的楼栋为灰色。数字为楼栋数。",
        "en": "Buildings are filled by the most senior level nobody answers for; complete ones are grey. "
        "Numbers count buildings.",
    },
    "rs_grid_note": {
        "zh": "网格：深色边框与名称，“●”后为缺位楼栋数；缩小时缺位楼栋显示为圆点。",
        "en": "Grids: dark outline and name, ● the buildings with a gap; "
        "zoomed out, each such building is a dot.",
    },
    "rs_leader_note": {
        "zh": "放大到 {zoom} 级显示楼组长编号；点击编号查看其负责的全部楼栋。",
        "en": "From zoom {zoom}: building leaders' codes; click a code for all their buildings.",
    },
    "person_heading": {"zh": "{code} 负责的楼栋", "en": "Buildings {code} answers for"},
    "person_summary": {
        "zh": "共 {n} 栋 · 层级：{levels} · 网格：{grids}",
        "en": "{n} buildings · level: {levels} · grids: {grids}",
    },
    "person_unknown": {"zh": "没有编号为 {code} 的人员", "en": "No person has the code {code}"},
    "stale_since": {
        "zh": "数据连接中断 · 画面停留于 {time}",
        "en": "Database unreachable · picture as of {time}",
    },
    "changed_recently": {
        "zh": "近 {minutes} 分钟房态变化楼栋",
        "en": "Buildings changed in the last {minutes} min",
    },
    "whole_area": {"zh": "全域", "en": "All areas"},
    "kpi_gap_buildings": {"zh": "包干缺位楼栋 · 栋", "en": "Buildings with a gap"},
    "kpi_overloaded": {"zh": "超量包干人员 · 人", "en": "People over the limit"},
    "kpi_buildings": {"zh": "楼栋 · 栋", "en": "Buildings"},
    # The movement-flow map (动线管理图, /flows).
    "flows_view_loops": {"zh": "闭环转运", "en": "Closed-loop transfers"},
    "flows_view_compound": {"zh": "小区动线", "en": "Compound flows"},
    "window_end": {"zh": "截至", "en": "Up to"},
    "window_hours": {"zh": "时间窗", "en": "Window"},
    "hours_n": {"zh": "{n} 小时", "en": "{n} h"},
    "kpi_chains": {"zh": "转运链条 · 条", "en": "Transfer chains"},
    "kpi_open_chains": {"zh": "未闭环 · 条", "en": "Open chains"},
    "kpi_overdue_chains": {"zh": "超时未交接 · 条", "en": "Overdue chains"},
    "kpi_gap_chains": {"zh": "链条断点 · 条", "en": "Chains with a gap"},
    "kpi_in_transit": {"zh": "在途人数 · 人", "en": "People in transit"},
    "kpi_handed_over": {"zh": "已交接段 · 段", "en": "Legs handed over"},
    "overdue_heading": {
        "zh": "超时链条（{h} 小时未交接）",
        "en": "Overdue chains (not handed over in {h} h)",
    },
    "none_overdue": {"zh": "无超时链条", "en": "No overdue chain"},
    "gaps_heading": {"zh": "断点链条（未绘为闭环）", "en": "Chains with a gap (not drawn as closed)"},
    "chain": {"zh": "链条", "en": "Chain"},
    "leg": {"zh": "段", "en": "Leg"},
    "leg_from": {"zh": "起点", "en": "From"},
    "leg_to": {"zh": "终点", "en": "To"},
    "leg_planned": {"zh": "计划", "en": "Planned"},
    "leg_departed": {"zh": "出发", "en": "Departed"},
    "leg_arrived": {"zh": "交接", "en": "Handed over"},
    "heads": {"zh": "人数", "en": "People"},
    "vehicle": {"zh": "车辆", "en": "Vehicle"},
    "leg_state": {"zh": "状态", "en": "State"},
    "stuck_at": {"zh": "第 {leg} 段 {origin} → {to}", "en": "leg {leg} {origin} → {to}"},
    "overdue_by": {"zh": "超时 {h} 小时", "en": "{h} h overdue"},
    "chain_hint": {
        "zh": "点击链条或线路查看各段交接时间",
        "en": "Click a chain or a line for its legs and handover times",
    },
    "compound_pick": {"zh": "选择小区", "en": "Choose a compound"},
    "gate_counts": {"zh": "各门每小时计数", "en": "Hourly counts per gate"},
    "gate": {"zh": "门", "en": "Gate"},
    "hour": {"zh": "时段", "en": "Hour"},
    "no_gate_counts": {"zh": "该时间窗内无门岗计数", "en": "No gate counts in this window"},
    "no_transfers": {
        "zh": "尚无转运数据：运行 battlemap load transfers 文件",
        "en": "No transfers loaded: run battlemap load transfers FILE",
    },
    "width_note": {"zh": "线宽表示人数，箭头表示方向", "en": "Line width: people; arrowheads: direction"},
    "od_note": {
        "zh": "缩小时按起讫点合计显示",
        "en": "Zoomed out, legs are summed per origin and destination",
    },
    # The risk overlay of the house-status map (dashboards._risk_panel) and the print action.
    "risk_heading": {"zh": "风险区域", "en": "Risk areas"},
    "risk_none": {"zh": "当日无生效的风险区域", "en": "No risk area is active on this day"},
    "risk_none_here": {"zh": "地图范围内无生效的风险区域", "en": "No active risk area within the map"},
    "risk_outside": {
        "zh": "地图范围外另有 {n} 个（由近及远，点击定位）",
        "en": "{n} more outside the map (nearest first; click to fly there)",
    },
    "risk_fly": {"zh": "定位", "en": "Show"},
    "risk_simulate": {"zh": "模拟此处病例", "en": "Simulate a case here"},
    "risk_simulated": {"zh": "模拟病例（未保存）", "en": "Simulated case (not saved)"},
    "risk_declare": {"zh": "确认发布", "en": "Confirm and declare"},
    "risk_clear": {"zh": "清除模拟", "en": "Clear"},
    "risk_declared": {"zh": "已发布风险区域 #{id}", "en": "Risk area #{id} declared"},
    "risk_zone": {"zh": "区域", "en": "Zone"},
    "risk_buildings": {"zh": "楼栋", "en": "Bldgs"},
    "risk_households": {"zh": "户", "en": "Households"},
    "risk_vulnerable": {"zh": "独居/残障", "en": "Vulnerable"},
    "risk_places": {"zh": "场所", "en": "Places"},
    "risk_people": {"zh": "责任人", "en": "People"},
    "risk_status_unknown": {
        "zh": "当日无房态数据，户按“未知”计",
        "en": "No house-status data on this day: households counted as unknown",
    },
    "risk_lift_in": {
        "zh": "距可解封 {days} 天 {rest} 小时（共 {hours} 小时）",
        "en": "Lift due in {days} d {rest} h ({hours} h)",
    },
    "risk_lift_due": {"zh": "已满足解封条件，待解除", "en": "Quiet period over: due to lift"},
    "risk_lifted": {"zh": "已解除", "en": "Lifted"},
    "risk_steps": {"zh": "处置流程", "en": "SOP steps"},
    "step_done": {"zh": "已完成", "en": "done"},
    "step_due": {"zh": "待办", "en": "due"},
    "step_overdue": {"zh": "超时", "en": "overdue"},
    "step_by": {"zh": "时限 {at}", "en": "by {at}"},
    "risk_read_only": {
        "zh": "当前账号为只读，不能发布风险区域",
        "en": "This account is read-only: it cannot declare risk areas",
    },
    "gap_reason": {
        "zh": "第 {leg} 段到达 {arrived}，第 {next} 段却从 {leaves} 出发",
        "en": "leg {leg} arrives at {arrived} but leg {next} leaves from {leaves}",
    },
    "print": {"zh": "打印 PDF", "en": "Print PDF"},
    "print_confirm": {
        "zh": "尚未选择网格或街镇：将打印全部 {n} 个网格（每格一页）。继续？",
        "en": "No grid or sub-district chosen: this prints all {n} grids (a page each). Continue?",
    },
    "print_title": {"zh": "下载当前范围的地图集 PDF", "en": "Download the atlas PDF of this selection"},
    # The vaccination campaign board (/campaign): the field report's own words.
    "cp_campaign": {"zh": "接种任务", "en": "Campaign"},
    "cp_none": {
        "zh": "尚无接种任务。运行 battlemap campaign add 或 battlemap demo load。",
        "en": "No campaign yet. Run battlemap campaign add, or battlemap demo load.",
    },
    "cp_unit": {"zh": "街镇 / 居村", "en": "Sub-district / committee"},
    "cp_target": {"zh": "任务总量", "en": "Task total"},
    "cp_organised": {"zh": "组织到人", "en": "Organised"},
    "cp_booked": {"zh": "预约到人", "en": "Booked"},
    "cp_vaccinated": {"zh": "接种到人", "en": "Vaccinated"},
    "cp_remaining": {"zh": "剩余任务量", "en": "Remaining"},
    "cp_days_left": {"zh": "剩余天数", "en": "Days left"},
    "cp_daily_needed": {"zh": "日均任务量", "en": "Daily needed"},
    "cp_avg_7d": {"zh": "近7日日均", "en": "7-day average"},
    "cp_flag": {"zh": "状态", "en": "Flag"},
    "cp_behind": {"zh": "进度落后", "en": "Behind"},
    "cp_on_track": {"zh": "正常", "en": "On track"},
    "cp_unknown": {"zh": "近7日未报", "en": "No report in 7 days"},
    "cp_missing": {"zh": "当日未报 {n}", "en": "{n} not reported today"},
    "cp_behind_units": {"zh": "落后单位", "en": "Units behind"},
    "cp_missing_units": {"zh": "当日未报单位", "en": "Units not reported today"},
    "cp_total": {"zh": "全区合计", "en": "District total"},
    "cp_ranking": {"zh": "街镇完成率排名", "en": "Sub-districts ranked by progress"},
    "cp_progress": {"zh": "完成率", "en": "Progress"},
    "cp_map": {"zh": "剩余任务占比", "en": "Remaining share of the task"},
    "cp_funnel": {"zh": "组织 → 预约 → 接种", "en": "Organised → booked → vaccinated"},
    "cp_series": {"zh": "累计接种与计划进度", "en": "Cumulative vaccinated against the plan"},
    "cp_actual": {"zh": "累计接种", "en": "Vaccinated to date"},
    "cp_planned": {"zh": "计划进度（匀速至截止日）", "en": "Straight line to the deadline"},
    "cp_committees": {"zh": "{unit} 各居村", "en": "Committees of {unit}"},
    "cp_no_committees": {
        "zh": "{unit} 按街镇整体上报，无居村分解。",
        "en": "{unit} reports as a whole: no committee breakdown.",
    },
    "cp_click_hint": {
        "zh": "点击街镇查看居村、漏斗与进度曲线",
        "en": "Click a sub-district for its committees",
    },
    "cp_deadline": {"zh": "截止 {day}", "en": "deadline {day}"},
    "cp_avg_note": {
        "zh": "近7日日均只计已上报的日子；未报不按零计。",
        "en": "The 7-day average counts reported days only; a missing day is never a zero.",
    },
    "brief": {"zh": "日报 PDF", "en": "Daily brief"},
    "brief_title": {
        "zh": "下载当日所选区/街镇的疫情防控日报（A4）",
        "en": "Download the daily brief of the chosen district or sub-district (A4)",
    },
    # The 居家隔离索引图 (home-isolation step guide) on a building's card and the field page.
    "guide_heading": {"zh": "居家隔离索引图", "en": "Home-isolation step guide"},
    "guide_since": {"zh": "隔离起始 {date}", "en": "isolated since {date}"},
    "guide_print": {"zh": "打印索引图", "en": "Print the guide"},
    "guide_print_grid": {
        "zh": "打印网格 {grid} 全部隔离户",
        "en": "Print every isolated household of {grid}",
    },
    "guide_do": {"zh": "操作内容", "en": "What to do"},
    "guide_department": {"zh": "责任部门", "en": "Responsible department"},
    "guide_requirements": {"zh": "工作要求", "en": "Requirements"},
    "guide_protection": {"zh": "防护标准", "en": "Protection standard"},
    "guide_notes": {"zh": "注意事项", "en": "Notes"},
    "state_done": {"zh": "已完成", "en": "done"},
    "state_running": {"zh": "每日进行中", "en": "daily, running"},
    "state_current": {"zh": "当前步骤", "en": "current step"},
    "state_todo": {"zh": "待办", "en": "to do"},
    "state_none": {"zh": "未建事项", "en": "no item yet"},
    "nav_field": {"zh": "外勤", "en": "Field"},
    # The field page (/field, dashboards/_field_page.py): its script reads these as FIELD.strings.
    "field_title": {"zh": "外勤 · 我的事项", "en": "Field · my items"},
    "field_items": {"zh": "我的事项", "en": "My items"},
    "field_none": {"zh": "暂无待办事项", "en": "Nothing to do"},
    "field_overdue": {"zh": "超时", "en": "overdue"},
    "field_due": {"zh": "时限", "en": "due"},
    "field_daily_due": {"zh": "今日测温时限", "en": "today's reading due"},
    "field_back": {"zh": "← 返回列表", "en": "← Back to the list"},
    "field_report": {"zh": "在此上报问题", "en": "Report a problem here"},
    "field_report_tap": {"zh": "点地图选位置", "en": "Tap the map"},
    "field_report_tap_hint": {"zh": "请在地图上点击问题位置", "en": "Tap the map where the problem is"},
    "field_report_where": {"zh": "位置", "en": "Position"},
    "field_report_send": {"zh": "上报", "en": "Send report"},
    "field_report_cancel": {"zh": "取消", "en": "Cancel"},
    "field_locating": {"zh": "正在定位…", "en": "Locating…"},
    "field_no_position": {
        "zh": "无法获取定位：请在地图上点击位置",
        "en": "No position from the device: tap the map instead",
    },
    "field_note": {"zh": "备注", "en": "Note"},
    "field_note_required": {"zh": "备注（必填）", "en": "Note (required)"},
    "field_reading": {"zh": "今日体温", "en": "Today's temperature"},
    "field_range": {"zh": "范围 {min}–{max} {unit}", "en": "range {min}–{max} {unit}"},
    "field_out_of_range": {
        "zh": "读数须在 {min}–{max} {unit} 之间",
        "en": "The reading must lie between {min} and {max} {unit}",
    },
    "field_required": {"zh": "必填", "en": "required"},
    "field_photo": {"zh": "照片（可选，≤ {kb} KB）", "en": "Photo (optional, ≤ {kb} KB)"},
    "field_photo_big": {
        "zh": "照片 {kb} KB，超过上限 {max} KB",
        "en": "The photo is {kb} KB, over the {max} KB limit",
    },
    "field_submit": {"zh": "提交", "en": "Submit"},
    "field_differs": {
        "zh": "须由完成“{step}”以外的人完成",
        "en": "Someone else than who did “{step}” must do it",
    },
    "field_queue": {"zh": "发送记录", "en": "Sent and queued"},
    "field_queued": {"zh": "待发送", "en": "queued"},
    "field_sending": {"zh": "发送中", "en": "sending"},
    "field_sent": {"zh": "已发送", "en": "sent"},
    "field_refused": {"zh": "被拒绝", "en": "refused"},
    "field_online": {"zh": "在线", "en": "Online"},
    "field_offline": {"zh": "离线", "en": "Offline"},
    "field_pending": {"zh": "{n} 条待发送", "en": "{n} queued"},
    "field_signin": {"zh": "登录已过期，请重新登录", "en": "Signed out: sign in again"},
    "field_log": {"zh": "处理记录", "en": "Log"},
    "field_step_now": {"zh": "当前步骤", "en": "Current step"},
    "field_action_open": {"zh": "建立事项", "en": "opened"},
    "field_action_escalate": {"zh": "超时升级", "en": "escalated"},
    "field_action_assign": {"zh": "转派", "en": "reassigned"},
    "field_household": {"zh": "户", "en": "Household"},
    "field_building": {"zh": "楼栋", "en": "Building"},
    "check_at_home": {"zh": "人员在家", "en": "Person at home"},
    "check_notice_posted": {"zh": "已张贴告知书", "en": "Notice posted"},
    "check_door_sensor_fitted": {"zh": "门磁已安装", "en": "Door sensor fitted"},
    "check_volunteer_assigned": {"zh": "志愿者已落实", "en": "Volunteer assigned"},
    "check_rectified": {"zh": "已整改到位", "en": "Rectified"},
}


# Closed-loop work on the house-status map and the wall; the map's day shortcuts and its card.
_LOOP_MAP_STRINGS: dict[str, dict[str, str]] = {
    "loops_heading": {"zh": "闭环工作", "en": "Closed-loop work"},
    "loops_kind": {"zh": "类型", "en": "Kind"},
    "loops_grid": {"zh": "网格", "en": "Grid"},
    "loops_open": {"zh": "待办", "en": "Open"},
    "loops_overdue": {"zh": "超时", "en": "Overdue"},
    "loops_closed_today": {"zh": "今日闭环", "en": "Closed today"},
    "loops_total": {"zh": "合计", "en": "All"},
    "loops_no_grid": {"zh": "不在网格内", "en": "In no grid"},
    "loops_more_grids": {"zh": "另有 {n} 个网格", "en": "{n} more grids"},
    "loops_none": {"zh": "本区域暂无闭环事项", "en": "No loop items in your area"},
    "loops_units": {"zh": "单位：事项（件）", "en": "Counts are items"},
    "loops_overdue_grids": {"zh": "超时最多的网格", "en": "Grids with most overdue"},
    "loops_markers": {
        "zh": "圆点：有待办闭环事项的楼栋（大小为件数）",
        "en": "Dots: buildings with open items (size: count)",
    },
    "day_active": {"zh": "最近有病例 {day}", "en": "Latest with cases {day}"},
    "day_busiest": {"zh": "最忙一天 {day}", "en": "Busiest day {day}"},
    "day_today": {"zh": "今天", "en": "Today"},
    "day_today_none": {
        "zh": "今天（{today}）不在房态记录期内（{first} 至 {last}）",
        "en": "Today ({today}) is outside the status history ({first} to {last})",
    },
    "day_quiet_after": {
        "zh": "{day} 之后无病例（记录止于 {last}），已打开最近有病例的一天 {day}",
        "en": "No cases after {day} (the history ends {last}); opened on {day}, the latest day with cases",
    },
    "day_quiet": {
        "zh": "整个记录期（{first} 至 {last}）内本区域无病例",
        "en": "No case in your area on any day of the history ({first} to {last})",
    },
    "card_close": {"zh": "关闭", "en": "Close"},
}
_STRINGS.update(_LOOP_MAP_STRINGS)


def language(value: object, default: str) -> str:
    """``value`` when it names a supported language, else the last choice (its cookie, inside a
    request), else ``default`` (itself checked)."""
    if isinstance(value, str) and value.lower() in LANGUAGES:
        return value.lower()
    remembered = flask.request.cookies.get(LANGUAGE_COOKIE) if flask.has_request_context() else None
    if remembered in LANGUAGES:
        return str(remembered)
    return default if default in LANGUAGES else LANGUAGES[0]


def install(server: flask.Flask) -> None:
    """Remember the language a request names (``?lang=``) in a cookie, for URLs typed later."""

    @server.after_request
    def remember(response: flask.Response) -> flask.Response:
        chosen = flask.request.args.get("lang", "").lower()
        if chosen in LANGUAGES and flask.request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_DAYS * 86400, samesite="Lax", httponly=True
            )
        return response


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = _STRINGS[key][lang]
    return text.format(**values) if values else text


def strings(prefixes: tuple[str, ...], lang: str) -> dict[str, str]:
    """Every string whose key starts with one of ``prefixes``, in ``lang`` (for a page's script)."""
    return {key: words[lang] for key, words in _STRINGS.items() if key.startswith(prefixes)}


def level(code: str, lang: str) -> str:
    """An administrative level's name (区, 街镇…) from the shared vocabulary."""
    found = term(ADMIN_LEVELS, code)
    return found.zh if lang == "zh" else found.en


def chain_level(code: str, lang: str) -> str:
    """A responsibility-chain level's name (指挥部, 楼组长…) from the shared vocabulary."""
    found = term(CHAIN_LEVELS, code)
    return found.zh if lang == "zh" else found.en


# What the Chinese UI says for an error, by its class (most specific first); the English UI shows
# the error's own message. Never the English message in a Chinese page: it goes in the tooltip.
_ERROR_ZH: tuple[tuple[type[errors.BattlemapError], str], ...] = (
    (errors.DatabaseUnavailable, "数据库暂不可用，请稍后重试"),
    (errors.Unauthorized, "请先登录"),
    (errors.Forbidden, "当前账号无权执行此操作"),
    (errors.TooManyAttempts, "尝试次数过多，请稍后再试"),
    (errors.OutsideLoadedArea, "该位置不在已加载数据的范围内"),
    (errors.NotFound, "未找到所请求的对象（或不在您的管辖范围内）"),
    (errors.InvalidParameter, "输入的参数有误，请检查后重试"),
    (errors.Conflict, "数据已被他人修改，请刷新后重试"),
    (errors.InvalidTransition, "当前状态下不能执行此步骤"),
    (errors.InputError, "输入文件无法加载"),
    (errors.ConfigError, "系统配置有误，请联系管理员"),
)


def error_text(error: BaseException, lang: str) -> str:
    """``error`` in words of ``lang``: the message itself in English, a sentence of its kind in Chinese."""
    if lang != "zh":
        return str(error)
    text = next((zh for kind, zh in _ERROR_ZH if isinstance(error, kind)), "操作未能完成，请稍后重试")
    # A command the message names as the fix (`battlemap db init`) is the same in every language.
    commands = re.findall(r"`([^`]+)`", str(error))
    return text + (f"（处理：{'；'.join(commands)}）" if commands else "")
