"""The national policy parameters every installation starts with.

Values from docs/domain.md §7.1 (poverty lines) and §13 (thresholds). Rows whose value is
marked [MEM?] there (unverified) carry is_verified=False so that screens flag them
and the province can confirm or correct them.
"""

from decimal import Decimal

YEARLY_POVERTY_LINES = [
    # (year, 元 per person per year, evidence, source)
    (2010, "2300", "SRC", "国家扶贫标准2300元（2010年不变价）；云南统计年鉴2017注释"),
    (2011, "2536", "SRC", "国家统计局现价扶贫标准；云南统计年鉴2017注释"),
    (2012, "2625", "SRC", "国家统计局现价扶贫标准；云南统计年鉴2017注释"),
    (2013, "2736", "SRC", "国家统计局现价扶贫标准；云南统计年鉴2017注释"),
    (2014, "2800", "SRC", "国家统计局现价扶贫标准；云南统计年鉴2017注释"),
    (2015, "2855", "SRC", "国家统计局现价扶贫标准（相当于2010年2300元不变价）"),
    (2016, "2952", "SRC", "国家统计局现价扶贫标准；云南统计年鉴2017注释"),
    (2017, "2952", "MEM?", "约2952元，未核实（docs/domain.md §7.1）"),
    (2018, "2995", "MEM?", "约2995元，未核实（docs/domain.md §7.1）"),
    (2019, "3218", "MEM?", "约3218元，未核实（docs/domain.md §7.1）"),
    (2020, "4000", "SRC", "“4000元左右”（刘永富）；工作线，各省不一"),
]

THRESHOLDS = [
    # (key, value, evidence, source) — apply to every year unless overridden.
    ("VILLAGE_EXIT_MAX_RATE", "0.02", "SRC", "厅字〔2016〕16号：贫困发生率降至2%以下"),
    ("VILLAGE_EXIT_MAX_RATE_WEST", "0.03", "SRC", "厅字〔2016〕16号：西部地区降至3%以下"),
    ("COUNTY_EXIT_MAX_RATE", "0.02", "SRC", "厅字〔2016〕16号：贫困发生率降至2%以下"),
    ("COUNTY_EXIT_MAX_RATE_WEST", "0.03", "SRC", "厅字〔2016〕16号：西部地区降至3%以下"),
    ("MAX_WRONG_EXIT_RATE", "0.02", "SRC", "国开办发〔2017〕56号：错退率高于2%的不得退出"),
    ("MAX_OMISSION_RATE", "0.02", "SRC", "国开办发〔2017〕56号：漏评率高于2%的不得退出"),
    ("MIN_PUBLIC_APPROVAL", "0.90", "SRC", "国开办发〔2017〕56号：群众认可度低于90%的不得退出"),
    ("HOUSEHOLD_NOTICE_DAYS", "7", "SRC", "实践中村内公示7天（docs/domain.md §5.10）"),
    ("MONITORING_NOTICE_DAYS", "5", "SRC", "防返贫监测村内公示不少于5天（docs/domain.md §12.6）"),
    ("FUND_PROJECT_NOTICE_DAYS", "10", "SRC", "资金项目公告公示原则上不少于10天（docs/domain.md §10.5）"),
    ("COUNTY_EXIT_NOTICE_WORKDAYS", "5", "SRC", "甘肃2020年贫困县退出公示5个工作日（示例）"),
    ("MONITORING_INCOME_MULTIPLIER", "1.5", "SRC", "2020年防返贫监测：人均可支配收入低于扶贫标准1.5倍左右"),
    ("MAX_OTHER_CAUSES", "2", "SRC", "其他致贫原因最多2项（docs/domain.md §4.4）"),
    ("PROJECT_MGMT_FEE_MAX", "0.01", "MEM", "财农〔2017〕8号：项目管理费不超过1%"),
    ("PLAN_OVERRUN_REAPPROVAL", "0.10", "SRC", "超计划10%以上需重新审批（报账制，docs/domain.md §11.4）"),
    ("MAX_AMOUNT", "1000000000", "PROPOSAL", "单笔资金、预算、补助不超过10亿元：超出即视为录入错误"),
    ("MONITORING_DECISION_MAX_DAYS", "15", "MEM", "从发现风险到识别认定原则上不超过15天（docs/domain.md §12.6）"),
    ("MONITORING_STABLE_MONTHS", "6", "SRC", "风险消除：收入稳定超过监测范围原则上半年以上（docs/domain.md §12.7）"),
    ("HELPER_LIMIT_PROVINCE", "5", "PROPOSAL", "省直干部结对一般不超过5户，各省自定（docs/domain.md §9.2）"),
    ("HELPER_LIMIT_CITY", "5", "PROPOSAL", "市直干部结对一般不超过5户，各省自定（docs/domain.md §9.2）"),
    ("HELPER_LIMIT_COUNTY", "5", "PROPOSAL", "县直干部结对一般不超过5户，各省自定（docs/domain.md §9.2）"),
    ("HELPER_LIMIT_TOWNSHIP", "10", "PROPOSAL", "乡镇干部结对一般不超过10户，各省自定（docs/domain.md §9.2）"),
    ("HELPER_LIMIT_VILLAGE", "10", "PROPOSAL", "村干部结对一般不超过10户，各省自定（docs/domain.md §9.2）"),
    ("VISIT_INTERVAL_DAYS", "30", "PROPOSAL", "帮扶责任人每月至少入户走访一次，各省自定（docs/domain.md §9.6）"),
    ("DEFAULT_ETHNICITY", "1", "PROPOSAL", "新建户默认民族：汉族（01）；民族自治县可按县设置（docs/domain.md §4）"),
]

TEXT_PARAMETERS = [
    # (key, text, evidence, source) — national rows; a county may add its own.
    ("SUPERVISION_PHONE", "12317", "SRC", "扶贫监督举报电话12317；公告公示须载明监督电话（docs/domain.md §10.5）"),
]


def default_parameter_rows(model) -> list:
    """Unsaved `model` rows (the real or a migration's historical PolicyParameter)."""
    yearly = [
        model(
            key="POVERTY_LINE",
            year=year,
            region=None,
            value=Decimal(value),
            evidence=evidence,
            is_verified=evidence != "MEM?",
            source=source,
        )
        for year, value, evidence, source in YEARLY_POVERTY_LINES
    ]
    every_year = [
        model(
            key=key,
            year=None,
            region=None,
            value=Decimal(value),
            evidence=evidence,
            is_verified=evidence != "MEM?",
            source=source,
        )
        for key, value, evidence, source in THRESHOLDS
    ]
    # Migrations before 0011 pass a historical model without the text field.
    has_text = any(field.name == "text" for field in model._meta.get_fields())
    texts = [
        model(
            key=key,
            year=None,
            region=None,
            value=Decimal(0),
            text=text,
            evidence=evidence,
            is_verified=evidence != "MEM?",
            source=source,
        )
        for key, text, evidence, source in TEXT_PARAMETERS
        if has_text
    ]
    return yearly + every_year + texts


def ensure_default_parameters(model=None) -> None:
    """Insert the defaults that are missing; existing rows (perhaps corrected) are kept."""
    if model is None:
        # Imported here: migration 0002 imports this module and passes its historical model.
        from .models import PolicyParameter as model
    model.objects.bulk_create(default_parameter_rows(model), ignore_conflicts=True)
