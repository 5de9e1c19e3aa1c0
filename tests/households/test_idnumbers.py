"""ID number validation: the cached address-code check answers exactly as python-stdnum does."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from households.idnumbers import _validate, normalize_id_number
from tests.factories import make_id_number


def outcome(function, number):
    try:
        return function(number)
    except stdnum_errors.ValidationError as error:
        return type(error)


def stdnum_birth_date(number):
    """python-stdnum's verdict, and for a valid number the birth date it reads (what _validate returns)."""
    return ric.get_birth_date(ric.validate(number))


ADDRESS_CODES = ["110105", "622926", "622927", "999999", "620000", "110100"]


@settings(max_examples=400, deadline=None)
@given(
    address=st.sampled_from(ADDRESS_CODES),
    birth=st.dates(date(1000, 1, 1), date(2999, 12, 31)),
    serial=st.integers(0, 999),
    last=st.sampled_from("0123456789XA"),
)
def test_the_cached_check_matches_stdnum(address, birth, serial, last):
    number = f"{address}{birth:%Y%m%d}{serial:03d}{last}"
    assert outcome(_validate, number) == outcome(stdnum_birth_date, number)
    first17 = number[:17]
    valid = first17 + ric.calc_check_digit(first17 + "0")
    assert outcome(_validate, valid) == outcome(stdnum_birth_date, valid)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("62292619550101001", "身份证号码应为18位（15位旧号码会自动升位）。"),
        ("62292A195501010012", "身份证号码前17位应为数字，末位为数字或X。"),
        ("999999195501010010", "身份证号码中的出生日期或地址码无效。"),
    ],
)
def test_refusals_say_why(number, message):
    from django.core.exceptions import ValidationError

    if number.startswith("999999"):
        number = number[:17] + ric.calc_check_digit(number[:17] + "0")
    with pytest.raises(ValidationError) as refused:
        normalize_id_number(number)
    assert refused.value.messages == [message]


def test_a_valid_number_is_normalised():
    number = make_id_number()
    assert normalize_id_number(f" {number.lower()} ") == number


def test_spaces_full_width_digits_and_a_full_width_x_are_read_as_typed():
    first17 = next(
        candidate
        for serial in range(100, 1000)
        if ric.calc_check_digit((candidate := f"11010519491231{serial}") + "0") == "X"
    )
    number = first17 + "X"
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert normalize_id_number(full_width[:6] + " " + full_width[6:14] + "\u3000" + full_width[14:]) == number
    assert normalize_id_number(number.lower()) == number
