"""National code tables of the 建档立卡 form. Stored values are the codes; labels are Chinese.

Each class cites its section of docs/domain.md (§4).
"""

from django.db import models


# 户状态 (docs/domain.md §5.1); changes only through an AdjustmentRecord.
class HouseholdStatus(models.TextChoices):
    # 拟识别: registered for an identification application, not yet 县审定 (docs/domain.md §5.1).
    CANDIDATE = "CANDIDATE", "拟识别"
    POOR = "POOR", "未脱贫"
    EXITED = "EXITED", "已脱贫"
    REMOVED = "REMOVED", "清退"
    CANCELLED = "CANCELLED", "自然销户"
    # 一般农户: never poor, registered so it can be monitored (边缘易致贫户, docs/domain.md §12.2);
    # no poverty attributes and no identification year, and it counts as poor nowhere.
    ORDINARY = "ORDINARY", "一般农户"


# 识别标准 (docs/domain.md §4.2).
class IdentificationStandard(models.TextChoices):
    NATIONAL = "1", "国家标准"
    PROVINCIAL = "2", "省定标准"
    MUNICIPAL = "3", "市定标准"


# 贫困户属性 (docs/domain.md §4.3).
class HouseholdAttribute(models.TextChoices):
    GENERAL = "1", "一般贫困户"
    DIBAO = "2", "低保贫困户"
    TEKUN = "3", "特困供养贫困户"


# 致贫原因, national codes 1–13 and 99 (docs/domain.md §4.4).
class PovertyCause(models.TextChoices):
    ILLNESS = "1", "因病"
    DISABILITY = "2", "因残"
    EDUCATION = "3", "因学"
    DISASTER = "4", "因灾"
    LACK_LAND = "5", "缺土地"
    LACK_WATER = "6", "缺水"
    LACK_SKILLS = "7", "缺技术"
    LACK_LABOR = "8", "缺劳力"
    LACK_CAPITAL = "9", "缺资金"
    POOR_TRANSPORT = "10", "交通条件落后"
    LACK_MOTIVATION = "11", "自身发展动力不足"
    MARRIAGE = "12", "因婚"
    FUNERAL = "13", "因丧"
    OTHER = "99", "其他"


# 监测对象类别, post-2020 (docs/domain.md §12.2).
class MonitoringCategory(models.TextChoices):
    UNSTABLE_EXITED = "1", "脱贫不稳定户"
    MARGINAL = "2", "边缘易致贫户"
    SUDDEN_HARDSHIP = "3", "突发严重困难户"


# 与户主关系 (docs/domain.md §4.5, national codes "01"–"20", "99").
class Relation(models.TextChoices):
    HEAD = "01", "户主"
    SPOUSE = "02", "配偶"
    SON = "03", "之子"
    DAUGHTER = "04", "之女"
    DAUGHTER_IN_LAW = "05", "之儿媳"
    SON_IN_LAW = "06", "之女婿"
    GRANDSON = "07", "之孙子"
    GRANDDAUGHTER = "08", "之孙女"
    DAUGHTERS_SON = "09", "之外孙子"
    DAUGHTERS_DAUGHTER = "10", "之外孙女"
    FATHER = "11", "之父"
    MOTHER = "12", "之母"
    WIFES_FATHER = "13", "之岳父"
    WIFES_MOTHER = "14", "之岳母"
    HUSBANDS_FATHER = "15", "之公公"
    HUSBANDS_MOTHER = "16", "之婆婆"
    GRANDFATHER = "17", "之祖父"
    GRANDMOTHER = "18", "之祖母"
    MATERNAL_GRANDFATHER = "19", "之外祖父"
    MATERNAL_GRANDMOTHER = "20", "之外祖母"
    OTHER = "99", "其他"


# 性别, GB/T 2261.1 (docs/domain.md §4.6); derived from the ID number, never typed.
class Gender(models.TextChoices):
    MALE = "1", "男"
    FEMALE = "2", "女"


# 民族, GB 3304 (docs/domain.md §4.7).
class Ethnicity(models.TextChoices):
    HAN = "01", "汉族"
    MONGOL = "02", "蒙古族"
    HUI = "03", "回族"
    TIBETAN = "04", "藏族"
    UYGHUR = "05", "维吾尔族"
    MIAO = "06", "苗族"
    YI = "07", "彝族"
    ZHUANG = "08", "壮族"
    BUYEI = "09", "布依族"
    KOREAN = "10", "朝鲜族"
    MANCHU = "11", "满族"
    DONG = "12", "侗族"
    YAO = "13", "瑶族"
    BAI = "14", "白族"
    TUJIA = "15", "土家族"
    HANI = "16", "哈尼族"
    KAZAKH = "17", "哈萨克族"
    DAI = "18", "傣族"
    LI = "19", "黎族"
    LISU = "20", "傈僳族"
    VA = "21", "佤族"
    SHE = "22", "畲族"
    GAOSHAN = "23", "高山族"
    LAHU = "24", "拉祜族"
    SUI = "25", "水族"
    DONGXIANG = "26", "东乡族"
    NAXI = "27", "纳西族"
    JINGPO = "28", "景颇族"
    KYRGYZ = "29", "柯尔克孜族"
    TU = "30", "土族"
    DAUR = "31", "达斡尔族"
    MULAO = "32", "仫佬族"
    QIANG = "33", "羌族"
    BLANG = "34", "布朗族"
    SALAR = "35", "撒拉族"
    MAONAN = "36", "毛南族"
    GELAO = "37", "仡佬族"
    XIBE = "38", "锡伯族"
    ACHANG = "39", "阿昌族"
    PUMI = "40", "普米族"
    TAJIK = "41", "塔吉克族"
    NU = "42", "怒族"
    UZBEK = "43", "乌孜别克族"
    RUSSIAN = "44", "俄罗斯族"
    EVENK = "45", "鄂温克族"
    DEANG = "46", "德昂族"
    BONAN = "47", "保安族"
    YUGUR = "48", "裕固族"
    GIN = "49", "京族"
    TATAR = "50", "塔塔尔族"
    DERUNG = "51", "独龙族"
    OROQEN = "52", "鄂伦春族"
    HEZHEN = "53", "赫哲族"
    MONBA = "54", "门巴族"
    LHOBA = "55", "珞巴族"
    JINO = "56", "基诺族"
    OTHER = "99", "其他"


# 文化程度, 2014–2020 codes (docs/domain.md §4.8).
class Education(models.TextChoices):
    ILLITERATE = "01", "文盲或半文盲"
    PRIMARY = "02", "小学"
    JUNIOR = "03", "初中"
    SENIOR = "04", "高中"
    COLLEGE_PLUS = "05", "大专及以上"
    PRESCHOOL_CHILD = "06", "学龄前儿童"


# 在校生状况, 2014–2020 codes (docs/domain.md §4.9).
class SchoolStatus(models.TextChoices):
    NOT_IN_SCHOOL = "01", "非在校生"
    PRESCHOOL = "02", "学前教育"
    PRIMARY = "03", "小学"
    GRADE_7 = "04", "七年级"
    GRADE_8 = "05", "八年级"
    GRADE_9 = "06", "九年级"
    HIGH_1 = "07", "高中一年级"
    HIGH_2 = "08", "高中二年级"
    HIGH_3 = "09", "高中三年级"
    VOCATIONAL_1 = "10", "中职一年级"
    VOCATIONAL_2 = "11", "中职二年级"
    VOCATIONAL_3 = "12", "中职三年级"
    HIGHER_VOCATIONAL_1 = "13", "高职一年级"
    HIGHER_VOCATIONAL_2 = "14", "高职二年级"
    HIGHER_VOCATIONAL_3 = "15", "高职三年级"
    COLLEGE_PLUS = "16", "大专及以上"


# 健康状况, multi-select (docs/domain.md §4.10).
class Health(models.TextChoices):
    HEALTHY = "01", "健康"
    CHRONIC = "02", "长期慢性病"
    SERIOUS = "03", "患有大病"
    DISABLED = "04", "残疾"


# 劳动技能 (docs/domain.md §4.11); "05" is the 2021+ value, its code unverified.
class LaborSkill(models.TextChoices):
    ORDINARY = "01", "普通劳动力"
    SKILLED = "02", "技能劳动力"
    LOST = "03", "丧失劳动力"
    NONE = "04", "无劳动力"
    WEAK = "05", "弱劳动力或半劳动力"


# 务工状况 (docs/domain.md §4.12; codes 1–4 unverified, 99 其他 from the source).
class WorkLocation(models.TextChoices):
    IN_TOWNSHIP = "1", "乡（镇）内务工"
    IN_COUNTY = "2", "乡（镇）外县内务工"
    IN_PROVINCE = "3", "县外省内务工"
    OUT_PROVINCE = "4", "省外务工"
    OTHER = "99", "其他"


# 动态调整类别 (docs/domain.md §4.16): household changes and member changes.
class AdjustmentKind(models.TextChoices):
    NEW = "NEW", "新识别"
    EXITED = "EXITED", "脱贫"
    RETURNED = "RETURNED", "返贫"
    REMOVED = "REMOVED", "清退"
    CANCELLED = "CANCELLED", "自然销户"
    MEMBER_INCREASE = "MEMBER_INCREASE", "成员自然增加"
    MEMBER_DECREASE = "MEMBER_DECREASE", "成员自然减少"


# Sub-reasons of member changes (docs/domain.md §4.16, §5.9; the decrease list is [MEM?]).
class MemberChangeReason(models.TextChoices):
    NEWBORN = "NEWBORN", "新生儿"
    MARRIED_IN = "MARRIED_IN", "婚入"
    MOVED_IN = "MOVED_IN", "户籍迁入"
    DEATH = "DEATH", "死亡"
    MARRIED_OUT = "MARRIED_OUT", "婚出"
    MOVED_OUT = "MOVED_OUT", "户籍迁出"
    SPLIT = "SPLIT", "分户"
    IMPRISONED = "IMPRISONED", "判刑收监"
    ENLISTED = "ENLISTED", "参军"
    OTHER = "OTHER", "其他"


INCREASE_REASONS = {MemberChangeReason.NEWBORN, MemberChangeReason.MARRIED_IN, MemberChangeReason.MOVED_IN}


# 帮扶措施类别: 五个一批 and the national measure categories (issue 3; docs/domain.md §4.13).
class AidCategory(models.TextChoices):
    INDUSTRY = "01", "产业帮扶"
    EMPLOYMENT = "02", "就业帮扶"
    RELOCATION = "03", "易地扶贫搬迁"
    EDUCATION = "04", "教育帮扶"
    HEALTH = "05", "健康帮扶"
    SOCIAL_SECURITY = "06", "兜底保障"
    HOUSING = "07", "危房改造"
    FINANCE = "08", "金融帮扶（小额信贷）"
    ECOLOGY = "09", "生态帮扶（护林员）"
    PUBLIC_POST = "10", "公益岗位"
    OTHER = "99", "其他"


# 帮扶责任人隶属关系 (docs/domain.md §4.14).
class HelperLevel(models.TextChoices):
    PROVINCE = "1", "省直"
    CITY = "2", "市直"
    COUNTY = "3", "县直"
    TOWNSHIP = "4", "乡镇"
    VILLAGE = "5", "村级"


# 入户路类型 (docs/domain.md §4.15; labels from the source, numeric codes unverified).
class EntryRoadType(models.TextChoices):
    DIRT = "1", "泥土路"
    GRAVEL = "2", "砂石路"
    CEMENT = "3", "水泥路"
    ASPHALT = "4", "沥青路"


# 危房级别: A/B safe, C/D dangerous (docs/domain.md §4.15, 住建 appraisal).
class HouseSafetyGrade(models.TextChoices):
    A = "A", "A级（安全）"
    B = "B", "B级（基本安全）"
    C = "C", "C级（局部危房）"
    D = "D", "D级（整栋危房）"


DANGEROUS_GRADES = {HouseSafetyGrade.C, HouseSafetyGrade.D}


# 主要燃料类型 (docs/domain.md §4.15; codes unverified).
class FuelType(models.TextChoices):
    FIREWOOD = "1", "柴草"
    DUNG = "2", "干畜粪"
    COAL = "3", "煤炭"
    CLEAN = "4", "清洁能源"
    OTHER = "99", "其他"
