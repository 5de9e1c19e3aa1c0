"""The form renderer draws the plain widgets in Python (core/widget_rendering.py): the markup must be
Django's own, character for character, on a form of every kind and on the pages clerks use."""

import re
from datetime import date
from decimal import Decimal
from functools import cached_property

import pytest
from django import forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core.forms import BootstrapMixin
from core.widget_rendering import DJANGO_FORM_TEMPLATES, PlainWidgetRenderer
from households.forms import EthnicityField
from tests.conftest import login
from tests.factories import household_with_members

FAST = "core.widget_rendering.PlainWidgetRenderer"
DJANGO = "django.forms.renderers.DjangoTemplates"


class EveryWidget(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=20, widget=forms.TextInput(attrs={"placeholder": '"户主" <姓名>'}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    count = forms.IntegerField(min_value=0, max_value=99999)
    amount = forms.DecimalField(max_digits=10, decimal_places=2)
    born = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    version = forms.IntegerField(widget=forms.HiddenInput)
    consent = forms.BooleanField(required=False)
    disabled_box = forms.CharField(disabled=True, required=False, widget=forms.TextInput(attrs={"readonly": True}))
    off_attribute = forms.CharField(required=False, widget=forms.TextInput(attrs={"autofocus": False}))
    status = forms.ChoiceField(choices=[("", "—"), ("1", "未脱贫"), ("2", "已脱贫 & <巩固>")])
    year = forms.TypedChoiceField(choices=[(2019, 2019), (12345, 12345)], coerce=int)
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("县内", [("a", "务工"), ("b", "种植")]), ("县外", [("c", gettext_lazy("Yes"))])]
    )
    causes = forms.MultipleChoiceField(choices=[("1", "因病"), ("7", "缺技术"), ("8", "缺资金")], required=False)
    boxes = forms.MultipleChoiceField(
        choices=[("01", "健康"), ("02", "长期慢性病")], required=False, widget=forms.CheckboxSelectMultiple
    )
    radio = forms.ChoiceField(choices=[("1", "是"), ("0", "否")], widget=forms.RadioSelect, required=False)
    scan = forms.FileField(required=False)
    ethnicity = EthnicityField()


BOUND = {
    "name": '马<成> & "明"',
    "note": "家中<两人>务工\n第二行",
    "count": "12",
    "amount": "1234.50",
    "born": "1980-05-17",
    "email": "not an email",
    "secret": "p&ss",
    "version": "3",
    "consent": "on",
    "status": "2",
    "year": "12345",
    "grouped": "c",
    "causes": ["1", "8"],
    "boxes": ["02"],
    "radio": "0",
    "ethnicity": "东乡族",
}
INITIAL = {
    "name": mark_safe("<b>已转义</b>"),  # a value marked safe stays unescaped, as in Django
    "count": 1234567,
    "amount": Decimal("1234567.80"),
    "born": date(1980, 5, 17),
    "version": 0,
    "status": "1",
    "year": 2019,
    "causes": ["7"],
    "ethnicity": "26",
}


def widgets_drawn(renderer, **form_arguments) -> dict[str, str]:
    form = EveryWidget(renderer=renderer, **form_arguments)
    form.is_bound and form.is_valid()  # errors mark widgets is-invalid, as a refused post does
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize(
    "form_arguments",
    [{}, {"data": BOUND}, {"data": {}}, {"initial": INITIAL}, {"auto_id": False, "prefix": "m-0"}],
    ids=["empty", "bound", "bound-empty", "initial", "no-id-prefixed"],
)
def test_every_widget_is_drawn_as_djangos_templates_draw_it(form_arguments):
    drawn = widgets_drawn(PlainWidgetRenderer(), **form_arguments)
    expected = widgets_drawn(DjangoTemplates(), **form_arguments)
    assert drawn.keys() == expected.keys()
    for name, html in expected.items():
        assert drawn[name] == html, name


def test_the_python_drawing_is_used_for_plain_widgets_and_escapes_input(monkeypatch):
    def no_template(self, template_name, context, request=None):
        raise AssertionError(f"{template_name} went through Django's templates")

    # The equality tests above would pass if every widget fell back to Django's templates.
    monkeypatch.setattr(BaseRenderer, "render", no_template)
    form = EveryWidget(data=BOUND, renderer=PlainWidgetRenderer())
    for name in ("note", "count", "amount", "born", "secret", "version", "consent", "year", "grouped", "causes"):
        assert str(form[name])
    html = str(form["name"])
    assert 'value="马&lt;成&gt; &amp; &quot;明&quot;"' in html
    assert '<option value="2" selected>已脱贫 &amp; &lt;巩固&gt;</option>' in str(form["status"])


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_numbers_keep_djangos_formatting_with_thousand_separators():
    arguments = {"initial": INITIAL}
    assert widgets_drawn(PlainWidgetRenderer(), **arguments) == widgets_drawn(DjangoTemplates(), **arguments)


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+|("csrfToken": ")[^"]+|(X-CSRFToken":\s*")[^"]+')


def page(client, url: str, renderer: str) -> str:
    with override_settings(FORM_RENDERER=renderer):
        response = client.get(url)
    assert response.status_code == 200
    return CSRF.sub(lambda match: (match.group(1) or match.group(2) or match.group(3)) + "…", response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["households:list", "households:create", "households:detail", "households:edit"])
def test_the_clerks_pages_are_the_same_with_either_renderer(client, clerk, village, name):
    household = household_with_members(village)
    login(client, clerk)
    url = reverse(name, args=[household.pk]) if name in ("households:detail", "households:edit") else reverse(name)
    assert page(client, url, FAST) == page(client, url, DJANGO)


def test_an_app_overriding_a_widget_template_gets_its_template(tmp_path):
    """An installed app's django/forms/widgets/attrs.html wins over Django's: then nothing is drawn in Python."""
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "attrs.html").write_text('{% for name, value in widget.attrs.items %} data-{{ name }}="x"{% endfor %}')

    class Overridden(PlainWidgetRenderer):
        @cached_property
        def engine(self):
            # Django's own engine for forms, with a directory before its own as an app's would be.
            options = {"APP_DIRS": True, "DIRS": [tmp_path, DJANGO_FORM_TEMPLATES], "NAME": "overridden", "OPTIONS": {}}
            return self.backend(options)

    renderer = Overridden()
    assert not renderer.templates_are_djangos
    assert 'data-class="x"' in str(EveryWidget(renderer=renderer)["status"])
    assert PlainWidgetRenderer().templates_are_djangos
