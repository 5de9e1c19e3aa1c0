"""What the 采集表 import's fast paths must not change: COPY writes what bulk_create writes
(core/bulk.py), a batch's tokens are the Fernet tokens the field writes and reads (core/encryption.py),
a batch's cleaning refuses what full_clean refuses (core/cleaning.py), and the text check's fast path
refuses what the character rule refuses (core/text.py)."""

import time
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FileDescriptor
from django.db.models.signals import post_init
from django.forms.models import model_to_dict

from core.bulk import _assigned_as_is, build, copy_insert
from core.cleaning import BatchCleaner
from core.encryption import encrypt_many, encrypt_values
from core.text import BIDI_CONTROLS, LINE_BREAKS, ZERO_WIDTH, text_problem
from households.codes import HouseholdStatus
from households.models import Household, Member

from ..factories import make_id_number, region

pytestmark = pytest.mark.django_db


def rows(village, suffix: str) -> tuple[list[Household], list[Member]]:
    """Two households whose fields hold every kind of value: text, None, codes, arrays, dates,
    decimals, booleans, an encrypted phone; and their members."""
    households = [
        Household(
            village=village,
            household_no=f"{village.code}{suffix}1",
            head_name="马成",
            phone="13800001234",
            group_name="一组",
            attribute="1",
            main_cause="7",
            other_causes=["1", "3"],
            identified_year=2016,
            member_count=2,
            arable_land_mu=Decimal("3.50"),
            housing_area_m2=Decimal("80.5"),
            status=HouseholdStatus.CANDIDATE,  # a TextChoices member: a str of its own type
        ),
        Household(
            village=village,
            household_no=f"{village.code}{suffix}2",
            head_name="何英",
            phone=None,
            attribute="2",
            main_cause="1",
            identified_year=2015,
            member_count=1,
        ),
    ]
    members = []
    for household, numbers in zip(households, ([date(1970, 1, 1), date(2001, 5, 6)], [date(1980, 3, 3)]), strict=True):
        for position, birth in enumerate(numbers):
            member = Member(
                household=household,
                name=f"成员{position}",
                relation="01" if position == 0 else "10",
                health=["02", "03"] if position else [],
                work_months=position * 3,
            )
            member.set_id_number(make_id_number(birth=birth))
            members.append(member)
    return households, members


def stored(model, pks) -> list[dict]:
    """Every field as read back, without what differs by construction (keys, numbers, hashes)."""
    different = {"id", "household", "household_no", "id_number", "id_number_hash", "id_number_masked", "created_at"}
    return [
        {name: value for name, value in model_to_dict(row).items() if name not in different}
        for row in model.objects.filter(pk__in=pks).order_by("pk")
    ]


def test_copy_writes_what_bulk_create_writes():
    village = region("622926101201", "甲村")
    households, members = rows(village, "81")
    Household.objects.bulk_create(households)
    for member in members:
        member.household = member.household  # the saved household's key
    Member.objects.bulk_create(members)
    copied_households, copied_members = rows(village, "82")
    copy_insert(copied_households)
    for member in copied_members:
        member.household = member.household
    copy_insert(copied_members)

    assert stored(Household, [h.pk for h in copied_households]) == stored(Household, [h.pk for h in households])
    assert stored(Member, [m.pk for m in copied_members]) == stored(Member, [m.pk for m in members])
    first = Household.objects.get(pk=copied_households[0].pk)
    assert first.phone == "13800001234" and first.other_causes == ["1", "3"]  # decrypts; an array
    assert (first.arable_land_mu, first.housing_area_m2, first.status) == (Decimal("3.5"), Decimal("80.5"), "CANDIDATE")
    assert Member.objects.get(pk=copied_members[1].pk).birth_date == date(2001, 5, 6)
    assert all(member.id_number for member in Member.objects.filter(pk__in=[m.pk for m in copied_members]))
    # auto_now and auto_now_add: the batch's time, in the row and on the instance, as pre_save sets it
    for instance in (*copied_households, *copied_members):
        row = type(instance).objects.get(pk=instance.pk)
        assert instance.created_at is not None and row.created_at == instance.created_at
        assert row.updated_at == instance.updated_at


def test_a_batch_writes_fernet_tokens_the_field_reads_back():
    field = Member._meta.get_field("id_number")
    # Every length from empty to three blocks and more, CJK (three bytes a character), one block
    # exactly (a whole block of padding), repeated values, and what the field writes as NULL.
    values = ["x" * length for length in range(50)] + ["马成", "62292619800101001X" * 3, "0123456789abcdef"]
    values += ["62292619800101001X", "62292619800101001X", None, 13800001234]
    before = int(time.time())
    tokens = encrypt_values(field, values)

    assert tokens[0] is None and tokens[-2] is None  # "" and None, as get_prep_value gives them
    for value, token in zip(values, tokens, strict=True):
        if value not in ("", None):
            assert field.f.decrypt(token.encode()).decode() == str(value)
            assert before <= field.f.extract_timestamp(token.encode()) <= int(time.time())
    assert tokens[-4] != tokens[-3]  # a random IV for each value, as Fernet draws one
    assert len(set(tokens[1:50])) == 49
    # The same tokens as Fernet's own: the same version, layout and length, under the field's first key.
    fernet = Fernet(field.keys[0])
    for value in ("a", "x" * 16, "马成", "62292619800101001X"):
        (ours,) = encrypt_many(field.keys[0], [value.encode()])
        theirs = fernet.encrypt(value.encode())
        assert fernet.decrypt(ours) == value.encode() and len(ours) == len(theirs) and ours[:2] == theirs[:2]
    assert encrypt_many(field.keys[0], []) == []
    with pytest.raises(ValueError, match="32"):
        encrypt_many(b"c2hvcnQ=", [b"x"])


def test_a_tampered_token_of_a_batch_is_refused():
    field = Member._meta.get_field("id_number")
    token = bytearray(encrypt_many(field.keys[0], [b"62292619800101001X"])[0])
    token[40] = ord("A") if token[40] != ord("A") else ord("B")
    with pytest.raises(InvalidToken):
        field.f.decrypt(bytes(token))


def test_build_gives_the_instance_the_keywords_give():
    village = region("622926101201", "甲村")
    values = {"household_no": f"{village.code}0001", "head_name": "马成", "other_causes": ["1"], "arable_land_mu": 2}

    def fields(instance) -> dict:
        return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}

    household = build(Household, values, {"village": village})
    assert fields(household) == fields(Household(village=village, **values))
    assert household.village is village and household.village_id == village.code and household._state.adding
    member_values = {"name": "马成", "relation": "01"}
    first, second = (build(Member, member_values, {"household": household}) for _ in range(2))
    assert fields(first) == fields(Member(household=household, **member_values))
    assert first.household is household and first.household_id is None  # unsaved: its key comes with the insert
    assert first.health == [] and first.health is not second.health  # a callable default, called for each
    assert vars(first).keys() == vars(Member(household=household, **member_values)).keys()
    with pytest.raises(TypeError, match="nmae"):
        build(Member, {"nmae": "马成"})
    with pytest.raises(TypeError, match="village"):
        build(Member, member_values, {"village": village})


def test_build_goes_through_init_when_init_is_listened_to_or_a_field_intercepts_its_value():
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(listener, sender=Member)
    try:
        member = build(Member, {"name": "马成", "relation": "01"})
    finally:
        post_init.disconnect(listener, sender=Member)
    assert heard == [member] and member.name == "马成"
    # A file field's descriptor takes the value itself (no model here has one); a foreign key's
    # stores the key as given.
    scan = models.FileField()
    scan.set_attributes_from_name("scan")
    with_file = type("WithFile", (), {"scan": FileDescriptor(scan)})
    assert not _assigned_as_is(with_file, scan)
    assert _assigned_as_is(Member, Member._meta.get_field("household"))
    assert _assigned_as_is(Member, Member._meta.get_field("name"))


def test_any_finds_what_in_finds_with_one_parameter():
    village = region("622926101201", "甲村")
    households, _ = rows(village, "83")
    Household.objects.bulk_create(households)
    numbers = [household.household_no for household in households] + ["622926101201999"]
    found = Household.objects.filter(household_no__any=numbers)
    assert sorted(found.values_list("pk", flat=True)) == sorted(h.pk for h in households)
    assert str(found.query).count("ANY(") == 1
    assert not Household.objects.filter(household_no__any=[]).exists()


def errors_of(clean, instance) -> dict:
    try:
        clean(instance)
    except ValidationError as error:
        return error.message_dict
    return {}


def test_a_batch_refuses_what_full_clean_refuses_however_often_a_value_repeats():
    village = region("622926101201", "甲村")
    cleaner = BatchCleaner()
    exclude = ["household", "id_number_hash"]
    household = Household(village=village, household_no=f"{village.code}0001")
    cases = [
        ({"name": "马成", "relation": "01"}, set()),
        ({"name": "马成", "relation": "01"}, set()),  # the same valid values again
        ({"name": "马成", "relation": "zz"}, {"relation"}),  # not a choice
        ({"name": "马成", "relation": "zz"}, {"relation"}),  # and again: still refused
        ({"name": "", "relation": "01"}, {"name"}),  # required
        ({"name": "长" * 60, "relation": "01"}, {"name"}),  # longer than max_length
        ({"name": "长" * 50, "relation": "01"}, set()),  # exactly max_length
        ({"name": "马\x00成", "relation": "01"}, set()),  # full_clean lets NUL by (the text check refuses it)
        ({"name": "马成", "relation": "01", "work_months": 13}, {"work_months"}),  # out of range
        ({"name": "马成", "relation": "01", "work_months": 13}, {"work_months"}),
        ({"name": "马成", "relation": "01", "health": ["02", "zz"]}, {"health"}),
        ({"name": "马成", "relation": "01", "work_months": 12}, set()),
    ]
    for values, refused in cases:
        member = Member(household=household, **values)
        member.set_id_number(make_id_number(birth=date(1970, 1, 1)))
        twin = Member(household=household, **values)
        twin.set_id_number(member.id_number)
        expected = errors_of(
            lambda m: m.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False), twin
        )
        assert set(expected) == refused, values
        assert errors_of(lambda m: cleaner.full_clean(m, exclude=exclude), member) == expected, values


def test_a_cleaned_value_is_set_back_as_full_clean_sets_it():
    village = region("622926101201", "甲村")
    cleaner = BatchCleaner()
    for _ in range(2):
        household = Household(village=village, household_no=f"{village.code}0001", head_name="马成")
        household.attribute, household.main_cause, household.identified_year = "1", "7", "2016"
        cleaner.full_clean(household, exclude=["village"])
        assert household.identified_year == 2016  # "2016" cleaned to the integer, as full_clean does


def test_a_remembered_value_gives_each_instance_what_full_clean_gives_it():
    """Remembered by type and value: an integer area as its Decimal on every household, 3.5 and
    3.50 apart (the second has a decimal place too many), a list never shared."""
    village = region("622926101201", "甲村")
    cleaner = BatchCleaner()

    def household(**values):
        built = Household(village=village, household_no=f"{village.code}0001", head_name="马成", **values)
        built.attribute, built.main_cause, built.identified_year = "1", "7", 2016
        return built

    for _ in range(2):
        first = household(arable_land_mu=3, other_causes=["9"])
        cleaner.full_clean(first, exclude=["village"])
        assert first.arable_land_mu == Decimal(3) and type(first.arable_land_mu) is Decimal
    second = household(arable_land_mu=3, other_causes=["9"])
    cleaner.full_clean(second, exclude=["village"])
    assert type(second.arable_land_mu) is Decimal and second.other_causes == ["9"]
    second.other_causes.append("3")
    third = household(arable_land_mu=3, other_causes=["9"])
    cleaner.full_clean(third, exclude=["village"])
    assert third.other_causes == ["9"]
    for area, refused in ((Decimal("3.5"), False), (Decimal("3.500"), True), (Decimal("3.5"), False)):
        built, twin = household(arable_land_mu=area), household(arable_land_mu=area)
        expected = errors_of(
            lambda h: h.full_clean(exclude=["village"], validate_unique=False, validate_constraints=False), twin
        )
        assert ("arable_land_mu" in expected) is refused, area
        assert errors_of(lambda h: cleaner.full_clean(h, exclude=["village"]), built) == expected, area


def reference_refuses(char: str, *, multiline: bool) -> bool:
    """The character rule of core/text.py, one character at a time."""
    if multiline and char in "\n\r\t":
        return False
    if char in LINE_BREAKS or char == "\t" or unicodedata.category(char) in ("Cc", "Cs"):
        return True
    return char in BIDI_CONTROLS or (not multiline and char in ZERO_WIDTH)


@pytest.mark.parametrize("multiline", [False, True])
def test_the_fast_text_check_refuses_exactly_what_the_character_rule_refuses(multiline):
    for code in range(0x30000):
        char = chr(code)
        refused = text_problem(f"马{char}成", multiline=multiline) is not None
        assert refused == reference_refuses(char, multiline=multiline), f"U+{code:04X}"
    assert text_problem("\u200b\u3000", multiline=True) == "不能只包含空格或不可见字符。"
    assert text_problem("马成") is None and text_problem(Decimal("1").to_eng_string()) is None
