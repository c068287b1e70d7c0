"""UI strings: the home page, the pages' frame (navigation, sign-in badge, language) and error sentences.

key -> {"zh", "en", "ja", "ko"}, merged into ``dashboards._strings.STRINGS``."""

from __future__ import annotations

HOME_STRINGS: dict[str, dict[str, str]] = {
    "subtitle": {
        "zh": "社区防控态势图",
        "en": "Community epidemic-control situation map",
        "ja": "地域防疫状況図",
        "ko": "지역 방역 상황도",
    },
    "loaded_heading": {
        "zh": "已加载数据（按街镇）",
        "en": "What is loaded, by sub-district",
        "ja": "読み込み済みデータ（街道・鎮別）",
        "ko": "불러온 데이터 (가도·진별)",
    },
    "as_of": {"zh": "数据更新于", "en": "Data as of", "ja": "データ更新", "ko": "데이터 기준"},
    "never_loaded": {
        "zh": "尚未加载任何数据",
        "en": "Nothing has been loaded yet",
        "ja": "まだデータが読み込まれていません",
        "ko": "아직 불러온 데이터가 없습니다",
    },
    "empty": {
        "zh": "数据库中还没有数据。运行 battlemap demo load "
        "加载示例，或用 battlemap load KIND FILE 加载文件。",
        "en": "The database holds no data yet. Run battlemap demo load for "
        "the sample, or battlemap load KIND FILE for your own files.",
        "ja": "データベースにまだデータがありません。battlemap demo load でサンプルを、"
        "battlemap load KIND FILE で自分のファイルを読み込んでください。",
        "ko": "데이터베이스에 아직 데이터가 없습니다. battlemap demo load로 예시 "
        "데이터를, battlemap load KIND FILE로 직접 가진 파일을 불러오세요.",
    },
    "buildings": {"zh": "楼栋", "en": "Buildings", "ja": "建物", "ko": "건물"},
    "grids": {"zh": "网格", "en": "Grids", "ja": "グリッド", "ko": "그리드"},
    "compounds": {"zh": "小区", "en": "Compounds", "ja": "団地", "ko": "단지"},
    "households": {"zh": "户", "en": "Households", "ja": "世帯", "ko": "세대"},
    "cases": {"zh": "病例点位", "en": "Cases located", "ja": "所在地判明の症例", "ko": "위치 확인 사례"},
    "places": {"zh": "场所", "en": "Places", "ja": "施設", "ko": "시설"},
    "total": {"zh": "合计", "en": "Total", "ja": "合計", "ko": "합계"},
    "unassigned": {
        "zh": "未落入已加载街镇",
        "en": "Not in a loaded sub-district",
        "ja": "読み込み済みの街道・鎮の外",
        "ko": "불러온 가도·진 밖",
    },
    "simulated": {"zh": "模拟数据", "en": "simulated", "ja": "模擬データ", "ko": "모의 데이터"},
    "simulated_note": {
        "zh": "标有“模拟数据”的数量来自模拟生成的演示数据，不是真实记录。",
        "en": 'Counts with a "simulated" badge come from generated demo data, not real records.',
        "ja": "「模擬データ」の印が付いた件数は生成されたデモデータで、実際の記録ではありません。",
        "ko": "‘모의 데이터’ 표시가 있는 수치는 생성된 데모 데이터이며 실제 기록이 아닙니다.",
    },
    "simulated_title": {
        "zh": "{n} 条为模拟数据",
        "en": "{n} of these rows are simulated",
        "ja": "うち {n} 件は模擬データ",
        "ko": "이 중 {n}건은 모의 데이터",
    },
    "other_heading": {
        "zh": "其他已加载数据",
        "en": "Also loaded",
        "ja": "その他の読み込み済みデータ",
        "ko": "기타 불러온 데이터",
    },
    "admin_units": {"zh": "行政区划", "en": "Administrative units", "ja": "行政区画", "ko": "행정구역"},
    "addresses": {
        "zh": "地址库",
        "en": "Gazetteer addresses",
        "ja": "住所データベース",
        "ko": "주소 데이터베이스",
    },
    "house_status": {
        "zh": "房态记录",
        "en": "House-status records",
        "ja": "住戸状況の記録",
        "ko": "세대 현황 기록",
    },
    "responsibilities": {
        "zh": "包干关系",
        "en": "Responsibility assignments",
        "ja": "担当の割り当て",
        "ko": "담당 배정",
    },
    "basemap_features": {
        "zh": "底图要素",
        "en": "Basemap features",
        "ja": "ベースマップの地物",
        "ko": "기본 지도 객체",
    },
    "unavailable": {
        "zh": "数据库暂不可用",
        "en": "The database is not available",
        "ja": "データベースに接続できません",
        "ko": "데이터베이스를 사용할 수 없습니다",
    },
    "maps": {"zh": "地图", "en": "Maps", "ja": "地図", "ko": "지도"},
    "maps_house_status": {"zh": "房态图", "en": "House-status map", "ja": "住戸状況図", "ko": "세대 현황도"},
    "maps_responsibility": {
        "zh": "楼组包干图",
        "en": "Building-responsibility map",
        "ja": "棟別担当図",
        "ko": "동별 담당 현황도",
    },
    "language": {"zh": "语言", "en": "Language", "ja": "言語", "ko": "언어"},
    "nav_home": {"zh": "首页", "en": "Home", "ja": "ホーム", "ko": "홈"},
    "nav_wall": {"zh": "大屏", "en": "Wall display", "ja": "大型スクリーン", "ko": "대형 화면"},
    "page_campaign": {
        "zh": "疫苗接种挂图",
        "en": "Vaccination campaign",
        "ja": "ワクチン接種状況図",
        "ko": "백신 접종 현황도",
    },
    "nav_national": {"zh": "全国汇总", "en": "National", "ja": "全国集計", "ko": "전국 집계"},
    "menu": {"zh": "菜单", "en": "Menu", "ja": "メニュー", "ko": "메뉴"},
    "nav_field": {"zh": "外勤", "en": "Field", "ja": "現場", "ko": "현장"},
    "sign_out": {"zh": "退出", "en": "Sign out", "ja": "ログアウト", "ko": "로그아웃"},
    "role_commander": {"zh": "指挥", "en": "commander", "ja": "指揮", "ko": "지휘"},
    "role_operator": {"zh": "街镇操作员", "en": "operator", "ja": "街道オペレーター", "ko": "가도 운영자"},
    "role_analyst": {"zh": "分析", "en": "analyst", "ja": "分析担当", "ko": "분석 담당"},
    "role_wall": {"zh": "大屏", "en": "wall display", "ja": "大型スクリーン", "ko": "대형 화면"},
    "role_worker": {"zh": "网格员", "en": "grid worker", "ja": "グリッド担当員", "ko": "그리드 담당자"},
    "error_database": {
        "zh": "数据库暂不可用，请稍后重试",
        "en": "The database is not available; try again later",
        "ja": "データベースに接続できません。しばらくしてから再試行してください",
        "ko": "데이터베이스를 사용할 수 없습니다. 잠시 후 다시 시도하세요",
    },
    "error_unauthorized": {
        "zh": "请先登录",
        "en": "Sign in first",
        "ja": "先にログインしてください",
        "ko": "먼저 로그인하세요",
    },
    "error_forbidden": {
        "zh": "当前账号无权执行此操作",
        "en": "This account may not do that",
        "ja": "このアカウントにはこの操作の権限がありません",
        "ko": "이 계정에는 이 작업 권한이 없습니다",
    },
    "error_attempts": {
        "zh": "尝试次数过多，请稍后再试",
        "en": "Too many attempts; try again later",
        "ja": "試行回数が多すぎます。しばらくしてから再試行してください",
        "ko": "시도 횟수가 너무 많습니다. 잠시 후 다시 시도하세요",
    },
    "error_outside": {
        "zh": "该位置不在已加载数据的范围内",
        "en": "That position is outside the loaded data",
        "ja": "その位置は読み込み済みデータの範囲外です",
        "ko": "그 위치는 불러온 데이터 범위 밖입니다",
    },
    "error_not_found": {
        "zh": "未找到所请求的对象（或不在您的管辖范围内）",
        "en": "Not found (or not in your area)",
        "ja": "見つかりません（または担当地域外です）",
        "ko": "찾을 수 없습니다 (또는 담당 지역 밖입니다)",
    },
    "error_parameter": {
        "zh": "输入的参数有误，请检查后重试",
        "en": "A parameter is wrong; check it and try again",
        "ja": "入力内容に誤りがあります。確認して再試行してください",
        "ko": "입력값이 잘못되었습니다. 확인 후 다시 시도하세요",
    },
    "error_conflict": {
        "zh": "数据已被他人修改，请刷新后重试",
        "en": "Someone else changed this; reload and try again",
        "ja": "他の人がデータを変更しました。再読み込みして再試行してください",
        "ko": "다른 사람이 데이터를 변경했습니다. 새로고침 후 다시 시도하세요",
    },
    "error_transition": {
        "zh": "当前状态下不能执行此步骤",
        "en": "This step is not possible in the current state",
        "ja": "現在の状態ではこの手順を実行できません",
        "ko": "현재 상태에서는 이 단계를 실행할 수 없습니다",
    },
    "error_input": {
        "zh": "输入文件无法加载",
        "en": "The input file could not be loaded",
        "ja": "入力ファイルを読み込めません",
        "ko": "입력 파일을 불러올 수 없습니다",
    },
    "error_config": {
        "zh": "系统配置有误，请联系管理员",
        "en": "The system is misconfigured; contact the administrator",
        "ja": "システム設定に誤りがあります。管理者に連絡してください",
        "ko": "시스템 설정이 잘못되었습니다. 관리자에게 문의하세요",
    },
    "error_other": {
        "zh": "操作未能完成，请稍后重试",
        "en": "That did not work; try again later",
        "ja": "操作を完了できませんでした。しばらくしてから再試行してください",
        "ko": "작업을 완료하지 못했습니다. 잠시 후 다시 시도하세요",
    },
    "error_fix": {
        "zh": "（处理：{commands}）",
        "en": " (fix: {commands})",
        "ja": "（対処：{commands}）",
        "ko": " (조치: {commands})",
    },
}
