"""The multilingual service guide (涉外服务指引图, /services): where the multilingual registration
points (登记处) and service points are, which languages each serves and when it is open, the
international compounds with their foreign-national households counted (flags only, never a person),
and for each point the notices in its languages, with a link to each compound's printed A4 guide.

Everything comes from ``geo.services`` (points, counts, the international rule, the notices files);
the map is the ``services`` tile layer. A static page: it reads once per visit.
"""

from __future__ import annotations

from pathlib import Path

from dash import html

from dashboards import _context, _map
from dashboards._auth import current_scope
from dashboards._html import data_attributes
from dashboards._i18n import language, t
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.services.languages import chinese_name, own_name
from geo.services.notices import Notices, load_notices
from geo.services.read import CompoundServices, ServicePoint, services_overview
from geo.vocab import PLACE_KINDS, term
from layers.style import INTERNATIONAL_SWATCH, REGISTRATION_SWATCH, SERVICE_POINT_SWATCH, SERVICE_SWATCHES

MAP = "sv"
LAYER = "services"
PAGE = "sv-page"
GUIDE_PATH = "/print/service-guide.pdf"


def layout(lang: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    settings = context.settings.services
    scope = current_scope()
    try:
        with read_connection(context.engine) as conn:
            overview = services_overview(conn, settings=settings, scope=scope)
            version = loaded.data_state(conn).version
            simulated = loaded.shows_simulated(conn, [LAYER])
    except BattlemapError as exc:
        return unavailable_page(map_header("/services", lang, layers), exc, lang, page_id=PAGE)
    header = map_header("/services", lang, layers, simulated=simulated)
    compounds = overview.compounds
    spec = _map.map_spec(
        MAP,
        overlay=layers.get("buildings"),  # the footprints for orientation, the service layer on top
        basemap=layers.get("basemap"),
        bounds=_bounds(compounds),
        map_settings=context.settings.map,
        interactive=False,
        on_top=((layers.get(LAYER), layers.get(LAYER).style(source=LAYER)),),
    )
    query = {LAYER: {"v": version}, "buildings": {"v": version}, _map.BASEMAP_SOURCE: {"v": version}}
    notices = _read_notices(settings.notices_dir, [code for c in compounds for code in c.languages])
    points = sum(1 for c in compounds for p in c.points if p.kind == "registration_point")
    side = html.Aside(
        [
            html.H2(t("sv_heading", lang)),
            html.P(t("sv_threshold", lang, share=f"{settings.international_share:.0%}"), className="bm-note"),
            _legend(lang),
            *_compounds(compounds, lang, notices),
        ],
        className="bm-side bm-services-side",
    )
    return html.Div(
        [
            header,
            html.Div(
                [
                    _kpi(t("sv_intl_compounds", lang), overview.international, "international"),
                    _kpi(t("sv_foreign_compounds", lang), overview.compounds_with_foreign, "with_foreign"),
                    _kpi(t("sv_foreign_households", lang), overview.foreign_households, "foreign"),
                    _kpi(t("sv_points", lang), points, "points"),
                ],
                className="bm-kpis",
            ),
            html.Div([_map.map_view(MAP, spec, query), side], className="bm-map-body"),
        ],
        id=PAGE,
        lang=lang,
        className="bm-map-page",
    )


def _bounds(compounds: list[CompoundServices]) -> tuple[float, float, float, float] | None:
    """Around the points listed (a little margin), so that the map opens on them."""
    spots = [(p.lon, p.lat) for c in compounds for p in c.points]
    if not spots:
        return None
    lons, lats = [x for x, _ in spots], [y for _, y in spots]
    pad = 0.004
    return (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)


def _kpi(label: str, value: int, key: str) -> html.Div:
    return html.Div(
        [html.Span(f"{value:,}", className="bm-kpi-value"), html.Span(label, className="bm-kpi-label")],
        className="bm-kpi",
        **data_attributes(kpi=key),
    )


def _legend(lang: str) -> html.Div:
    items = []
    for swatch in SERVICE_SWATCHES:
        label = t("sv_intl_compounds", lang) if swatch.code == "international" else swatch.label(lang)
        items.append(
            html.Li(
                [
                    html.Span(
                        className="bm-swatch",
                        style={"background": swatch.fill, "borderColor": swatch.outline},
                    ),
                    html.Span(label, className="bm-legend-label"),
                ]
            )
        )
    return html.Div([html.H3(t("sv_legend", lang)), html.Ul(items)], className="bm-legend")


def _read_notices(directory: Path, languages: list[str]) -> dict[str, Notices | str]:
    """Each language's notices, or the error saying which file is missing or wrong."""
    found: dict[str, Notices | str] = {}
    for code in dict.fromkeys(languages):
        try:
            found[code] = load_notices(directory, [code])[code]
        except BattlemapError as exc:
            found[code] = str(exc)
    return found


def _compounds(compounds: list[CompoundServices], lang: str, notices: dict[str, Notices | str]) -> list:
    if not compounds:
        return [html.P(t("sv_none", lang), className="bm-note", id="sv-none")]
    return [_compound(c, lang, notices) for c in compounds]


def _compound(c: CompoundServices, lang: str, notices: dict[str, Notices | str]) -> html.Section:
    colours = {"color": INTERNATIONAL_SWATCH.outline, "borderColor": INTERNATIONAL_SWATCH.outline}
    badge = (
        html.Span(t("sv_international", lang), className="bm-badge bm-sv-intl", style=colours)
        if c.international
        else None
    )
    counts = t(
        "sv_households",
        lang,
        foreign=f"{c.foreign:,}",
        households=f"{c.households:,}",
        share=f"{c.share:.0%}",
    )
    link = html.A(
        t("sv_print", lang), href=f"{GUIDE_PATH}?compound={c.id}", className="bm-button", target="_blank"
    )
    body: list = [_point(p, lang, notices) for p in c.points]
    if not body:
        body = [html.P(t("sv_no_points", lang), className="bm-note")]
    return html.Section(
        [
            html.H3([c.name or f"#{c.id}", " ", badge]),
            html.P(counts, className="bm-sv-counts"),
            link if c.international else None,
            *body,
        ],
        className="bm-sv-compound",
        **data_attributes(
            compound=str(c.id),
            international=str(c.international).lower(),
            foreign=str(c.foreign),
            households=str(c.households),
        ),
    )


def _point(p: ServicePoint, lang: str, notices: dict[str, Notices | str]) -> html.Div:
    kind = term(PLACE_KINDS, p.kind)
    languages = " · ".join(
        own_name(code) + (f"（{chinese_name(code)}）" if lang == "zh" and code != "zh" else "")
        for code in p.languages
    )
    return html.Div(
        [
            html.Strong(p.name or kind.zh),
            html.Span(f" {kind.zh if lang == 'zh' else kind.en}", className="bm-note"),
            html.Div(
                [html.Span(f"{t('sv_languages', lang)}: "), html.Span(languages, className="bm-sv-langs")]
            ),
            html.Div(
                f"{t('sv_hours', lang)}: {p.opening_hours or t('sv_hours_unknown', lang)}",
                className="bm-sv-hours",
            ),
            *_notices(p, lang, notices),
        ],
        className="bm-sv-point",
        style={
            "borderLeftColor": (
                REGISTRATION_SWATCH if p.kind == "registration_point" else SERVICE_POINT_SWATCH
            ).fill
        },
        **data_attributes(point=str(p.id), kind=p.kind, languages=",".join(p.languages)),
    )


def _notices(p: ServicePoint, lang: str, notices: dict[str, Notices | str]) -> list:
    """One collapsed block per language of the point, its notices in that language."""
    blocks: list = []
    for code in p.languages:
        found = notices[code]
        if isinstance(found, str):
            blocks.append(html.P(t("sv_notices_missing", lang, error=found), className="bm-alert"))
            continue
        sections = [
            html.Div([html.Strong(s.title), html.Ul([html.Li(line) for line in s.lines])])
            for s in found.sections.values()
        ]
        blocks.append(
            html.Details(
                [html.Summary(f"{t('sv_notices', lang)} · {own_name(code)}"), *sections],
                lang=code,
                className="bm-sv-notices",
                **data_attributes(notices=code),
            )
        )
    return blocks
