"""Forms of the web panel. They only parse input: every rule about DNS or address space is the services' to check."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Account
from ipam.models import Pool
from panel.selectors import SORTS as RECORD_SORTS
from panel.selectors import ZONE_SORTS
from zones.push.selectors import SyncState

ACCOUNT_NAME = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # Account.name is a SlugField(max_length=64)
COMMON_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS", "PTR", "SSHFP", "TLSA", "DS", "ANAME"]


class PanelForm(forms.Form):
    """Labels without Django's trailing colon: the pages set labels above their fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _model_choices(form: forms.BaseForm, name: str, queryset: Any) -> forms.ModelChoiceField[Any]:
    """Point the form's model choice field `name` at `queryset` (each form instance has its own copy of the field)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):  # Django types form.fields as plain fields
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    field.queryset = queryset
    return field


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class OtpTokenForm(PanelForm):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return "".join(str(self.cleaned_data["token"]).split())


class AccountPicker(forms.TextInput):
    """A text input for an account name that asks staff_account_pick for the accounts matching what is typed
    (HTMX; panel.js fills the input with the one picked). Without JavaScript it is a plain input for the full name."""

    template_name = "panel/widgets/account_picker.html"

    def __init__(self) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "Type an account name"})


class AccountNameField(forms.Field):
    """An account chosen by its name (unique), among `queryset`: for staff, who act for any of thousands of accounts
    that no page can list. One query, by the name's unique index."""

    widget = AccountPicker

    def __init__(self, *, queryset: QuerySet[Account], **kwargs: Any) -> None:
        kwargs.setdefault("label", "Account")
        super().__init__(**kwargs)
        self.queryset = queryset

    def prepare_value(self, value: Any) -> Any:
        return value.name if isinstance(value, Account) else value

    def to_python(self, value: Any) -> Account | None:
        name = str(value or "").strip()
        if not name:
            return None
        # Only a slug can be an account's name; anything else (a NUL, which PostgreSQL refuses) needs no query.
        found = self.queryset.filter(name=name).first() if ACCOUNT_NAME.fullmatch(name) else None
        if found is None:
            raise forms.ValidationError(f"No account is named “{name}”.", code="invalid_choice")
        return found


class AccountChoiceForm(PanelForm):
    """A form acting for one of the person's accounts: a choice among their accounts, hidden when they have only one;
    with `every_account` (staff), an account picked by name, as no list of every account fits a page.

    An `accounts` queryset the view has evaluated already costs no query here (count() and first() read its cache);
    rendering a select of several accounts costs one."""

    account = forms.ModelChoiceField(queryset=Account.objects.none(), empty_label=None)

    def __init__(self, *args: Any, accounts: QuerySet[Account], every_account: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if every_account:
            self.fields["account"] = AccountNameField(queryset=accounts)
            return
        field = _model_choices(self, "account", accounts)
        if accounts.count() == 1:
            field.widget = forms.HiddenInput()
            field.initial = accounts.first()


class ZoneCreateForm(AccountChoiceForm):
    name = forms.CharField(
        label="Zone name", max_length=253, widget=forms.TextInput(attrs={"placeholder": "example.com"})
    )


class RecordAddForm(PanelForm):
    name = forms.CharField(label="Name", max_length=253, initial="@", help_text="Relative to the zone; @ for the apex.")
    type = forms.CharField(
        label="Type", max_length=10, initial="A", widget=forms.TextInput(attrs={"list": "record-types", "size": 6})
    )
    ttl = forms.IntegerField(label="TTL", required=False, min_value=0, widget=forms.NumberInput(attrs={"size": 6}))
    content = forms.CharField(label="Data", max_length=4000, widget=forms.TextInput(attrs={"placeholder": "192.0.2.1"}))


class RRsetEditForm(PanelForm):
    ttl = forms.IntegerField(label="TTL", required=False, min_value=0)
    records = forms.CharField(
        label="Records, one per line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def contents(self) -> tuple[str, ...]:
        return tuple(_lines(self.cleaned_data["records"]))


class ImportForm(PanelForm):
    text = forms.CharField(
        label="Master file",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        help_text="RFC 1035 format. $ORIGIN and $TTL are understood; the SOA and the apex NS records stay ours.",
    )
    file = forms.FileField(label="or upload a file", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput(), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("the file is not UTF-8 text") from None
        if not data.get("text", "").strip():
            raise forms.ValidationError("paste a master file or choose one to upload")
        return data


class ApiPasswordForm(PanelForm):
    password = forms.CharField(
        label="New password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to generate a strong one.",
    )


class DynDNSHostForm(PanelForm):
    host = forms.CharField(label="Host", max_length=253, help_text="Relative to the zone, e.g. home; @ for the apex.")


class ApiKeyForm(AccountChoiceForm):
    label = forms.CharField(label="Label", max_length=200, required=False, help_text="What or who uses it.")
    zones = forms.CharField(label="Zones", required=False, help_text="One per line or comma-separated; empty: all.")
    hosts = forms.CharField(
        label="Hosts",
        required=False,
        help_text="Patterns; * matches any characters, dots included. For ACME: _acme-challenge, _acme-challenge.* "
        "(the bare domain's challenge and every name's below). Empty: all.",
    )
    record_types = forms.CharField(label="Record types", required=False, help_text="e.g. TXT; empty: all.")
    networks = forms.CharField(label="Client networks", required=False, help_text="CIDRs; empty: from anywhere.")
    read_only = forms.BooleanField(label="Read only", required=False)
    expires = forms.DateField(
        label="Expires", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: never."
    )

    def list_of(self, name: str) -> tuple[str, ...]:
        text = self.cleaned_data.get(name) or ""
        return tuple(item.strip() for item in text.replace(",", "\n").splitlines() if item.strip())

    def clean_expires(self) -> Any:
        day = self.cleaned_data.get("expires")
        if day is None:
            return None
        if day <= timezone.now().date():
            raise forms.ValidationError("choose a day in the future")
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class SpaceRequestForm(AccountChoiceForm):
    family = forms.TypedChoiceField(label="Family", choices=[(6, "IPv6"), (4, "IPv4")], coerce=int)
    length = forms.IntegerField(label="Prefix length", min_value=1, max_value=128, initial=48)
    purpose = forms.CharField(label="What is it for?", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PtrForm(PanelForm):
    address = forms.CharField(label="Address", max_length=45)
    hostname = forms.CharField(
        label="Host name", max_length=253, required=False, help_text="Empty removes the PTR record."
    )


class DelegationForm(PanelForm):
    nameservers = forms.CharField(
        label="Your nameservers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line; empty removes the delegation.",
    )

    def names(self) -> list[str]:
        return _lines(self.cleaned_data["nameservers"])


class AllocateForm(PanelForm):
    pool: forms.ModelChoiceField[Pool] = forms.ModelChoiceField(queryset=Pool.objects.none(), empty_label=None)
    account = AccountNameField(queryset=Account.objects.all())
    length = forms.IntegerField(
        label="Length /N", required=False, min_value=1, max_value=128, help_text="Empty: the pool's default."
    )
    description = forms.CharField(label="Description", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choices(self, "pool", Pool.objects.all())


class ApproveForm(PanelForm):
    pool: forms.ModelChoiceField[Pool] = forms.ModelChoiceField(queryset=Pool.objects.none(), empty_label=None)

    def __init__(self, *args: Any, family: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choices(self, "pool", Pool.objects.filter(family=family))


class DeclineForm(PanelForm):
    reason = forms.CharField(label="Reason for the customer", max_length=500)


class SearchForm(PanelForm):
    q = forms.CharField(label="Prefix or address", max_length=64, widget=forms.TextInput(attrs={"type": "search"}))


class StrictQueryForm(PanelForm):
    """A page's query string: a parameter the page does not know is an error (a mistyped filter must not show
    everything), as is a value its choices do not name."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise forms.ValidationError(f"Unknown parameter: {', '.join(unknown)}.", code="unknown_parameter")
        return data


ZONE_STATE_CHOICES = [("", "All states"), *((slugify(state.value), state.value) for state in SyncState)]
ZONE_SORT_CHOICES = [(key, key) for key in ZONE_SORTS]


class ZoneListForm(StrictQueryForm):
    """The dashboard's search, state filter, order and page (the page number falls back as every pager's does)."""

    q = forms.CharField(label="Find a zone", required=False, max_length=253)
    state = forms.ChoiceField(label="State", required=False, choices=ZONE_STATE_CHOICES)
    sort = forms.ChoiceField(required=False, choices=ZONE_SORT_CHOICES)
    page = forms.CharField(required=False)

    def state_chosen(self) -> SyncState | None:
        chosen = self.cleaned_data.get("state")
        return next((state for state in SyncState if slugify(state.value) == chosen), None) if chosen else None


class AccountListForm(StrictQueryForm):
    """The staff account list's search and page."""

    q = forms.CharField(label="Account name", required=False, max_length=200)
    page = forms.CharField(required=False)


class RecordListForm(StrictQueryForm):
    """The zone editor's search (a name or data substring), type filter, order and page."""

    q = forms.CharField(label="Find a record", required=False, max_length=255, strip=False)
    type = forms.CharField(required=False, max_length=20)
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in RECORD_SORTS])
    page = forms.CharField(required=False)


class PageForm(StrictQueryForm):
    """A page that takes nothing but its page number (which falls back as every pager's does)."""

    page = forms.CharField(required=False)


class AccountPickForm(StrictQueryForm):
    """What was typed in an account picker (the field is `account` in every form that has one)."""

    account = forms.CharField(required=False, max_length=200)
