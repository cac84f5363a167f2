"""Unit tests for HubSpot CRM search (simulators/hubspot/search.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.hubspot.search import (
    DEFAULT_SEARCHABLE,
    OPERATORS,
    SearchError,
    SearchRequest,
    evaluate,
    evaluate_on_index,
    matches,
    parse_request,
    property_type,
    range_on_sort,
    sorted_index,
)

TYPES = {
    "firstname": "string",
    "lastname": "string",
    "email": "string",
    "phone": "phone_number",
    "company": "string",
    "amount": "number",
    "closedate": "date",
    "createdate": "datetime",
    "lifecyclestage": "enumeration",
    "colors": "enumeration",
    "hs_is_active": "bool",
}


def f(prop: str, op: str, value: object = None, **extra) -> dict:
    flt = {"propertyName": prop, "operator": op}
    if value is not None:
        flt["value"] = value
    flt.update(extra)
    return flt


def m(props: dict, *filters: dict, assoc: dict | None = None) -> bool:
    return matches(props, assoc or {}, list(filters), TYPES)


def refused(body: object, **kwargs) -> SearchError:
    with pytest.raises(SearchError) as info:
        parse_request(body, **kwargs)
    return info.value


# ----------------------------------------------------------------------------------------------------------------
# parse_request: accepted shapes
# ----------------------------------------------------------------------------------------------------------------


def test_empty_body_gives_defaults():
    req = parse_request({})
    assert req == SearchRequest(filter_groups=(), sort=None, query=None, properties=None, limit=10, after=0)


def test_full_doc_example_is_parsed_and_normalised():
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Alice"},
                         {"propertyName": "lastname", "operator": "NEQ", "value": "Smith"}]},
            {"filters": [{"propertyName": "email", "operator": "NOT_HAS_PROPERTY"}]},
        ],
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "query": "x",
        "properties": ["email"],
        "limit": 20,
        "after": "20",
    }
    req = parse_request(body)
    assert req.filter_groups == (
        ({"propertyName": "firstname", "operator": "EQ", "value": "Alice"},
         {"propertyName": "lastname", "operator": "NEQ", "value": "Smith"}),
        ({"propertyName": "email", "operator": "NOT_HAS_PROPERTY"},),
    )
    assert req.sort == ("createdate", True)
    assert (req.query, req.properties, req.limit, req.after) == ("x", ("email",), 20, 20)


def test_non_string_values_become_strings():
    req = parse_request({"filterGroups": [{"filters": [
        f("amount", "BETWEEN", 10, highValue=20.5),
        f("hs_is_active", "EQ", True),
        f("amount", "IN", values=[1, "2", 3.0]),
    ]}]})
    between, boolean, in_filter = req.filter_groups[0]
    assert (between["value"], between["highValue"]) == ("10", "20.5")
    assert boolean["value"] == "true"
    assert in_filter["values"] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("sorts", "expected"),
    [
        (["createdate"], ("createdate", False)),
        (["-createdate"], ("createdate", True)),
        ([{"propertyName": "amount", "direction": "ASCENDING"}], ("amount", False)),
        ([{"propertyName": "amount"}], ("amount", False)),
        ([json.dumps({"propertyName": "amount", "direction": "DESCENDING"})], ("amount", True)),
        ([], None),
    ],
)
def test_sort_forms(sorts, expected):
    assert parse_request({"sorts": sorts}).sort == expected


def test_every_operator_in_the_enum_is_accepted():
    for op in OPERATORS:
        flt = f("amount", op, "1", highValue="2", values=["1"])
        req = parse_request({"filterGroups": [{"filters": [flt]}]})
        assert req.filter_groups[0][0]["operator"] == op
    assert len(OPERATORS) == 13


def test_limits_at_the_boundary_are_accepted():
    groups = [{"filters": [f("email", "HAS_PROPERTY")] * 6}] * 3  # 3 groups x 6 = 18 filters
    req = parse_request({"filterGroups": groups, "limit": 200, "after": "9800"})
    assert sum(len(g) for g in req.filter_groups) == 18
    assert (req.limit, req.after) == (200, 9800)
    assert len(parse_request({"filterGroups": [{"filters": []}] * 5}).filter_groups) == 5
    assert parse_request({"limit": 10, "after": 9990}).after == 9990


def test_unknown_keys_ignored_and_empty_properties_mean_defaults():
    req = parse_request({"foo": 1, "properties": [], "query": "   "})
    assert req.properties is None
    assert req.query is None


def test_top_level_filters_become_a_group():
    req = parse_request({"filters": [f("associations.contact", "EQ", "123")]})
    assert req.filter_groups == (({"propertyName": "associations.contact", "operator": "EQ", "value": "123"},),)


def test_limit_and_after_as_strings_and_null():
    req = parse_request({"limit": "25", "after": None})
    assert (req.limit, req.after) == (25, 0)


# ----------------------------------------------------------------------------------------------------------------
# parse_request: refusals
# ----------------------------------------------------------------------------------------------------------------


def test_refuses_six_filter_groups():
    err = refused({"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")]}] * 6})
    assert "Too many filter groups: 6" in err.message and "maximum is 5" in err.message
    assert err.errors[0]["code"] == "TOO_MANY_FILTER_GROUPS"
    assert err.errors[0]["context"] == {"filterGroups": ["6"]}


def test_refuses_seven_filters_in_a_group():
    err = refused({"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")]},
                                    {"filters": [f("email", "HAS_PROPERTY")] * 7}]})
    assert "filter group 1: 7 given" in err.message and "6 per group" in err.message
    assert err.errors[0]["code"] == "TOO_MANY_FILTERS_IN_GROUP"


def test_refuses_nineteen_filters_in_total():
    groups = [{"filters": [f("email", "HAS_PROPERTY")] * 6}] * 3 + [{"filters": [f("email", "HAS_PROPERTY")]}]
    err = refused({"filterGroups": groups})
    assert "19 given across all filter groups" in err.message and "maximum is 18" in err.message
    assert err.errors[0]["code"] == "TOO_MANY_FILTERS"


def test_top_level_filters_count_toward_the_group_limit():
    err = refused({"filterGroups": [{"filters": []}] * 5, "filters": [f("email", "HAS_PROPERTY")]})
    assert err.errors[0]["code"] == "TOO_MANY_FILTER_GROUPS"


@pytest.mark.parametrize("limit", [201, 0, -1, "500"])
def test_refuses_limit_out_of_range(limit):
    err = refused({"limit": limit})
    assert "limit must be between 1 and 200" in err.message
    assert err.errors[0]["code"] == "INVALID_LIMIT"


def test_refuses_non_integer_limit():
    err = refused({"limit": "ten"})
    assert err.errors[0]["code"] == "INVALID_LIMIT" and '"ten"' in err.message


def test_refuses_paging_past_ten_thousand():
    err = refused({"after": "9991", "limit": 10})
    assert "10,000" in err.message and "after (9991) + limit (10)" in err.message
    assert err.errors[0]["code"] == "RESULT_WINDOW_EXCEEDED"
    assert refused({"after": 10_000}).errors[0]["code"] == "RESULT_WINDOW_EXCEEDED"


@pytest.mark.parametrize("after", [-1, "-5", "abc", 1.5])
def test_refuses_bad_after(after):
    err = refused({"after": after})
    assert err.errors[0]["code"] == "INVALID_AFTER"
    assert "after" in err.message


def test_refuses_two_sorts():
    err = refused({"sorts": ["createdate", "-amount"]})
    assert err.message == "Only one sort is supported per search request, got 2."
    assert err.errors[0]["code"] == "TOO_MANY_SORTS"


def test_refuses_bad_sort_direction():
    err = refused({"sorts": [{"propertyName": "amount", "direction": "UP"}]})
    assert "ASCENDING, DESCENDING" in err.message


@pytest.mark.parametrize("op", ["LIKE", "eq", "", None, 3])
def test_refuses_bad_operator(op):
    err = refused({"filterGroups": [{"filters": [{"propertyName": "email", "operator": op, "value": "x"}]}]})
    if op in ("", None):
        assert "required attributes are not set [operator]" in err.message
        assert err.errors[0]["code"] == "MISSING_FILTER_ATTRIBUTES"
    else:
        assert err.errors[0]["code"] == "INVALID_OPERATOR"
        assert f"operator {json.dumps(op)} on property \"email\"" in err.message
        assert "NOT_CONTAINS_TOKEN" in err.message


def test_refuses_between_without_high_value():
    err = refused({"filterGroups": [{"filters": [f("amount", "BETWEEN", "1")]}]})
    assert "operator BETWEEN requires a highValue" in err.message and '"amount"' in err.message
    assert err.errors[0]["code"] == "MISSING_HIGH_VALUE"


@pytest.mark.parametrize("values", [None, []])
def test_refuses_in_without_values(values):
    flt = f("email", "IN", "a@b.c") if values is None else f("email", "NOT_IN", values=values)
    err = refused({"filterGroups": [{"filters": [flt]}]})
    assert "requires a non-empty values list" in err.message
    assert err.errors[0]["code"] == "MISSING_VALUES"


def test_refuses_eq_without_value():
    err = refused({"filterGroups": [{"filters": [f("email", "EQ")]}]})
    assert "operator EQ requires a value" in err.message


def test_refuses_missing_property_name():
    err = refused({"filterGroups": [{"filters": [{"operator": "EQ", "value": "x"}]}]})
    assert "[propertyName]" in err.message


def test_refuses_body_too_long():
    err = refused({"query": "a" * 2990})  # {"query":"..."} = 3,002 characters compact
    assert "3,002 characters" in err.message and "maximum is 3,000" in err.message
    assert err.errors[0]["code"] == "REQUEST_BODY_TOO_LONG"
    assert parse_request({"query": "a" * 2988}).query == "a" * 2988  # exactly 3,000


def test_raw_length_overrides_measurement():
    assert refused({"limit": 5}, raw_length=3001).errors[0]["code"] == "REQUEST_BODY_TOO_LONG"
    assert parse_request({"limit": 5}, raw_length=3000).limit == 5


@pytest.mark.parametrize(("body", "kind"), [([], "array"), ("{}", "string"), (None, "null"), (5, "number")])
def test_refuses_body_not_an_object(body, kind):
    err = refused(body)
    assert err.message == f"Invalid input JSON: the search request body must be a JSON object, got {kind}."
    assert err.errors == [{"message": err.message, "code": "INVALID_REQUEST_BODY"}]


def test_refuses_malformed_parts():
    assert refused({"filterGroups": {"filters": []}}).errors[0]["code"] == "INVALID_FILTER_GROUP"
    assert refused({"filterGroups": [[]]}).errors[0]["code"] == "INVALID_FILTER_GROUP"
    assert refused({"filterGroups": [{"filters": ["x"]}]}).errors[0]["code"] == "INVALID_FILTER"
    assert refused({"query": 5}).errors[0]["code"] == "INVALID_QUERY"
    assert refused({"properties": "email"}).errors[0]["code"] == "INVALID_PROPERTIES"
    assert refused({"filterGroups": [{"filters": [f("a", "EQ", {"x": 1})]}]}).errors[0]["code"] == (
        "INVALID_FILTER_VALUE")


def test_search_error_shape():
    err = SearchError("There was a problem with the request.")
    assert err.message == "There was a problem with the request."
    assert err.errors == [{"message": "There was a problem with the request."}]
    assert err.category == "VALIDATION_ERROR"
    assert str(err) == err.message


# ----------------------------------------------------------------------------------------------------------------
# matches: operators
# ----------------------------------------------------------------------------------------------------------------


def test_eq_and_neq_on_strings_are_case_insensitive():
    rec = {"firstname": "Alice"}
    assert m(rec, f("firstname", "EQ", "alice")) is True
    assert m(rec, f("firstname", "EQ", "ALICE")) is True
    assert m(rec, f("firstname", "EQ", "Alicia")) is False
    assert m(rec, f("firstname", "NEQ", "aLiCe")) is False
    assert m(rec, f("firstname", "NEQ", "Bob")) is True


def test_enumeration_is_case_sensitive():
    rec = {"lifecyclestage": "lead"}
    assert m(rec, f("lifecyclestage", "EQ", "lead")) is True
    assert m(rec, f("lifecyclestage", "EQ", "Lead")) is False
    assert m(rec, f("lifecyclestage", "NEQ", "Lead")) is True
    assert m(rec, f("lifecyclestage", "IN", values=["LEAD", "customer"])) is False
    assert m(rec, f("lifecyclestage", "IN", values=["lead", "customer"])) is True


def test_enumeration_multiple_checkboxes_match_any_member():
    rec = {"colors": "red;Blue"}
    assert m(rec, f("colors", "EQ", "Blue")) is True
    assert m(rec, f("colors", "EQ", "blue")) is False
    assert m(rec, f("colors", "IN", values=["green", "red"])) is True
    assert m(rec, f("colors", "NOT_IN", values=["red"])) is False


def test_number_comparisons_are_numeric():
    rec = {"amount": "9"}
    assert m(rec, f("amount", "LT", "10")) is True  # textually "9" > "10"
    assert m(rec, f("amount", "GT", "10")) is False
    assert m(rec, f("amount", "LTE", "9.00")) is True
    assert m(rec, f("amount", "GTE", "9")) is True
    assert m(rec, f("amount", "GT", "8.5")) is True
    assert m(rec, f("amount", "EQ", "9.0")) is True
    assert m(rec, f("amount", "NEQ", "09")) is False


def test_between_is_inclusive_on_both_ends():
    flt = f("amount", "BETWEEN", "10", highValue="20")
    assert [m({"amount": v}, flt) for v in ("9.99", "10", "15", "20", "20.01")] == [False, True, True, True, False]


def test_date_values_compare_as_instants_across_formats():
    rec_ms = {"closedate": "1704067200000"}  # 2024-01-01T00:00:00Z
    rec_iso = {"closedate": "2024-01-01T00:00:00.000Z"}
    for rec in (rec_ms, rec_iso):
        assert m(rec, f("closedate", "EQ", "2024-01-01")) is True
        assert m(rec, f("closedate", "EQ", "1704067200000")) is True
        assert m(rec, f("closedate", "GT", "2023-12-31T23:59:59Z")) is True
        assert m(rec, f("closedate", "LT", "1704067200001")) is True
        assert m(rec, f("closedate", "LT", "2024-01-01T01:00:00+01:00")) is False  # same instant
        assert m(rec, f("closedate", "BETWEEN", "2023-12-01", highValue="1704067200000")) is True


def test_datetime_compares_with_milliseconds():
    rec = {"createdate": "2024-01-17T19:55:04.281Z"}
    assert m(rec, f("createdate", "GTE", "1705521304281")) is True
    assert m(rec, f("createdate", "GT", "1705521304281")) is False


def test_bool_values():
    assert m({"hs_is_active": "true"}, f("hs_is_active", "EQ", "TRUE")) is True
    assert m({"hs_is_active": "false"}, f("hs_is_active", "EQ", "true")) is False
    assert m({"hs_is_active": "false"}, f("hs_is_active", "NEQ", "true")) is True


def test_unparsable_typed_value_falls_back_to_text():
    assert m({"amount": "n/a"}, f("amount", "EQ", "N/A")) is True
    assert m({"amount": "12"}, f("amount", "EQ", "twelve")) is False


def test_in_on_strings_needs_lowercase_values():
    rec = {"email": "Alice@Example.com"}
    assert m(rec, f("email", "IN", values=["alice@example.com", "bob@example.com"])) is True
    assert m(rec, f("email", "IN", values=["Alice@Example.com"])) is False  # uppercase values never match
    assert m(rec, f("email", "NOT_IN", values=["alice@example.com"])) is False
    assert m(rec, f("email", "NOT_IN", values=["Alice@Example.com"])) is True


def test_in_on_numbers_is_numeric():
    assert m({"amount": "100.0"}, f("amount", "IN", values=["5", "100"])) is True
    assert m({"amount": "100.0"}, f("amount", "NOT_IN", values=["5", "100"])) is False


def test_has_property_and_not_has_property():
    for value, has in (("x", True), ("", False), (None, False)):
        rec = {"email": value}
        assert m(rec, f("email", "HAS_PROPERTY")) is has
        assert m(rec, f("email", "NOT_HAS_PROPERTY")) is (not has)
    assert m({}, f("email", "HAS_PROPERTY")) is False
    assert m({}, f("email", "NOT_HAS_PROPERTY")) is True


@pytest.mark.parametrize("rec", [{}, {"amount": None}, {"amount": ""}])
def test_missing_property_never_matches_positive_operators(rec):
    for flt in (f("amount", "EQ", "1"), f("amount", "LT", "1"), f("amount", "LTE", "1"), f("amount", "GT", "1"),
                f("amount", "GTE", "1"), f("amount", "BETWEEN", "0", highValue="9"),
                f("amount", "IN", values=["1"]), f("amount", "CONTAINS_TOKEN", "*")):
        assert m(rec, flt) is False, flt
    for flt in (f("amount", "NEQ", "1"), f("amount", "NOT_IN", values=["1"]),
                f("amount", "NOT_CONTAINS_TOKEN", "1")):
        assert m(rec, flt) is True, flt


def test_contains_token_wildcards_on_email():
    rec = {"email": "Jane.Doe@HubSpot.com"}
    assert m(rec, f("email", "CONTAINS_TOKEN", "*@hubspot.com")) is True
    assert m(rec, f("email", "CONTAINS_TOKEN", "jane*")) is True
    assert m(rec, f("email", "CONTAINS_TOKEN", "*hubspot*")) is True
    assert m(rec, f("email", "CONTAINS_TOKEN", "*@example.com")) is False
    assert m(rec, f("email", "CONTAINS_TOKEN", "hubspot.com")) is False  # the email is a single token
    assert m(rec, f("email", "CONTAINS_TOKEN", "jane.doe@hubspot.com")) is True
    assert m(rec, f("email", "NOT_CONTAINS_TOKEN", "*@hubspot.com")) is False
    assert m(rec, f("email", "NOT_CONTAINS_TOKEN", "*@example.com")) is True


def test_contains_token_on_words():
    rec = {"company": "Acme, Inc. (North-West)"}
    assert m(rec, f("company", "CONTAINS_TOKEN", "ACME")) is True
    assert m(rec, f("company", "CONTAINS_TOKEN", "inc")) is True  # trailing "." trimmed
    assert m(rec, f("company", "CONTAINS_TOKEN", "north-west")) is True
    assert m(rec, f("company", "CONTAINS_TOKEN", "north")) is False  # "-" does not split
    assert m(rec, f("company", "CONTAINS_TOKEN", "acm")) is False  # whole tokens only
    assert m(rec, f("company", "CONTAINS_TOKEN", "acm*")) is True
    assert m(rec, f("company", "CONTAINS_TOKEN", "inc acme")) is True  # every value token, any order
    assert m(rec, f("company", "CONTAINS_TOKEN", "inc widgets")) is False


def test_group_is_an_and_and_empty_group_matches():
    rec = {"firstname": "Alice", "lastname": "Smith"}
    assert m(rec, f("firstname", "EQ", "alice"), f("lastname", "EQ", "smith")) is True
    assert m(rec, f("firstname", "EQ", "alice"), f("lastname", "EQ", "jones")) is False
    assert m(rec) is True


def test_association_pseudo_properties_singular_plural_and_ids():
    assoc = {"contacts": {"101", "102"}, "companies": {"7"}}
    rec: dict = {}
    assert m(rec, f("associations.contact", "EQ", "101"), assoc=assoc) is True
    assert m(rec, f("associations.contacts", "EQ", "102"), assoc=assoc) is True
    assert m(rec, f("associations.company", "EQ", "7"), assoc=assoc) is True
    assert m(rec, f("associations.0-2", "EQ", "7"), assoc=assoc) is True
    assert m(rec, f("associations.contact", "EQ", "999"), assoc=assoc) is False
    assert m(rec, f("associations.contact", "NEQ", "101"), assoc=assoc) is False
    assert m(rec, f("associations.deal", "NEQ", "1"), assoc=assoc) is True
    assert m(rec, f("associations.contact", "IN", values=["5", "102"]), assoc=assoc) is True
    assert m(rec, f("associations.contact", "NOT_IN", values=["5", "102"]), assoc=assoc) is False
    assert m(rec, f("associations.company", "HAS_PROPERTY"), assoc=assoc) is True
    assert m(rec, f("associations.deal", "HAS_PROPERTY"), assoc=assoc) is False
    assert m(rec, f("associations.deal", "NOT_HAS_PROPERTY"), assoc=assoc) is True
    assert m(rec, f("associations.line_item", "EQ", "3"), assoc={"line_items": {"3"}}) is True


# ----------------------------------------------------------------------------------------------------------------
# evaluate
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Rec:
    id: int
    props: dict
    assoc: dict = field(default_factory=dict)


RECORDS = [
    Rec(1, {"firstname": "Alice", "lastname": "Smith", "email": "alice@acme.com", "amount": "9",
            "phone": "+1 (555) 010-0001"}, {"companies": {"50"}}),
    Rec(2, {"firstname": "Bob", "lastname": "Jones", "email": "bob@globex.com", "amount": "100"}),
    Rec(3, {"firstname": "carol", "lastname": "Smithers", "email": None, "amount": "25"}, {"companies": {"50"}}),
    Rec(4, {"firstname": "Dave", "lastname": "Brown", "email": "dave@acme.com"}),
    Rec(5, {"firstname": "Eve", "lastname": "Smith", "email": "eve@initech.com", "amount": "25"}),
]
SEARCHABLE = DEFAULT_SEARCHABLE["contacts"]


def run(body: dict, records: list[Rec] | None = None) -> tuple[int, list[int]]:
    total, page = evaluate(
        RECORDS if records is None else records,
        parse_request(body),
        lambda r: r.props,
        lambda r: r.assoc,
        TYPES,
        SEARCHABLE,
        lambda r: r.id,
    )
    return total, [r.id for r in page]


def test_no_filters_returns_all_in_creation_order():
    assert run({}) == (5, [1, 2, 3, 4, 5])
    assert run({}, list(reversed(RECORDS))) == (5, [1, 2, 3, 4, 5])


def test_groups_are_ored():
    body = {"filterGroups": [
        {"filters": [f("lastname", "EQ", "smith"), f("amount", "GT", "10")]},  # Eve
        {"filters": [f("email", "NOT_HAS_PROPERTY")]},  # Carol
    ]}
    assert run(body) == (2, [3, 5])


def test_association_filter_in_evaluate():
    assert run({"filterGroups": [{"filters": [f("associations.company", "EQ", "50")]}]}) == (2, [1, 3])


def test_query_matches_terms_across_searchable_properties():
    assert run({"query": "smith"}) == (3, [1, 3, 5])  # substring: "Smithers" too
    assert run({"query": "ACME"}) == (2, [1, 4])  # email
    assert run({"query": "alice smith"}) == (1, [1])  # terms may hit different properties
    assert run({"query": "alice jones"}) == (0, [])
    assert run({"query": "*@globex.com"}) == (1, [2])  # "*" ignored
    assert run({"query": "555-010-0001"}) == (1, [1])  # phone digits
    assert run({"query": "25"}) == (0, [])  # amount (Carol, Eve) is not searchable


def test_query_combined_with_filters():
    body = {"query": "acme", "filterGroups": [{"filters": [f("amount", "HAS_PROPERTY")]}]}
    assert run(body) == (1, [1])


def test_sort_ascending_numeric_with_missing_last_and_ties_in_creation_order():
    assert run({"sorts": ["amount"]}) == (5, [1, 3, 5, 2, 4])


def test_sort_descending_keeps_missing_last_and_ties_in_creation_order():
    assert run({"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]}) == (5, [2, 3, 5, 1, 4])


def test_sort_strings_case_insensitive_and_descending():
    assert run({"sorts": ["firstname"]})[1] == [1, 2, 3, 4, 5]  # "carol" sorts between Bob and Dave
    assert run({"sorts": ["-email"]})[1] == [5, 4, 2, 1, 3]  # Carol has no email: last


def test_sort_dates_across_formats():
    recs = [Rec(1, {"createdate": "2024-03-01T00:00:00Z"}), Rec(2, {"createdate": "1704067200000"}),
            Rec(3, {"createdate": "2024-02-01"})]
    assert run({"sorts": ["createdate"]}, recs)[1] == [2, 3, 1]
    assert run({"sorts": ["-createdate"]}, recs)[1] == [1, 3, 2]


def test_paging_with_after_and_limit_and_total():
    assert run({"limit": 2}) == (5, [1, 2])
    assert run({"limit": 2, "after": "2"}) == (5, [3, 4])
    assert run({"limit": 2, "after": 4}) == (5, [5])
    assert run({"limit": 2, "after": 6}) == (5, [])
    body = {"limit": 1, "after": 1, "sorts": ["-amount"], "filterGroups": [{"filters": [f("amount", "GTE", "25")]}]}
    assert run(body) == (3, [3])


def test_default_limit_is_ten():
    many = [Rec(i, {}) for i in range(1, 26)]
    total, page = run({}, many)
    assert total == 25 and page == list(range(1, 11))


def test_default_searchable_table():
    assert set(DEFAULT_SEARCHABLE) >= {"contacts", "companies", "deals", "products", "line_items", "quotes",
                                       "invoices", "commerce_payments"}
    assert DEFAULT_SEARCHABLE["contacts"] == ("firstname", "lastname", "email", "phone", "hs_additional_emails",
                                              "fax", "mobilephone", "company", "hs_marketable_until_renewal")
    assert set(DEFAULT_SEARCHABLE["companies"]) == {"name", "domain", "website", "phone"}
    assert DEFAULT_SEARCHABLE["deals"] == ("dealname", "pipeline", "dealstage", "description", "dealtype")
    assert set(DEFAULT_SEARCHABLE["products"]) == {"name", "description", "hs_sku", "price"}
    assert "hs_title" in DEFAULT_SEARCHABLE["quotes"]
    assert DEFAULT_SEARCHABLE["invoices"] == ("hs_number", "hs_title")
    assert DEFAULT_SEARCHABLE["commerce_payments"] == ("hs_reference_number",)


# -- the sorted index of "changed since" searches (records.py answers them from it) -------------------------

STAMPS = st.one_of(st.none(), st.integers(0, 40).map(lambda n: str(1_700_000_000_000 + n * 500)),
                   st.sampled_from(["2023-11-14", "2023-11-14T22:13:20Z", "2023-11-14T22:13:20.250+00:00", "soon",
                                    "SOON", "1700000005000.5", " 1700000001000 ", ""]))


@settings(max_examples=300, deadline=None)
@given(stamps=st.lists(STAMPS, max_size=25), bound=STAMPS.filter(lambda s: s is not None),
       operator=st.sampled_from(["GT", "GTE"]), prop=st.sampled_from(["createdate", "closedate", "amount"]),
       after=st.integers(0, 30), limit=st.integers(1, 30))
def test_a_changed_since_search_reads_the_same_off_the_sorted_index_as_over_every_record(
        stamps: list, bound: str, operator: str, prop: str, after: int, limit: int) -> None:
    records = [Rec(i + 1, {} if stamp is None else {prop: stamp}) for i, stamp in enumerate(stamps)]
    request = parse_request({"filterGroups": [{"filters": [f(prop, operator, bound)]}],
                             "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                             "after": after, "limit": limit})
    if range_on_sort(request, TYPES) is None:  # a bound that does not parse as the type: the full evaluation
        return
    total, page = evaluate(records, request, lambda r: r.props, lambda r: r.assoc, TYPES, SEARCHABLE, lambda r: r.id)
    index = sorted_index(reversed(records), prop, property_type(prop, TYPES), lambda r: r.props, lambda r: r.id,
                         lambda r: r.id)
    assert evaluate_on_index(index, request, TYPES) == (total, [r.id for r in page])


def test_only_a_single_gt_or_gte_on_the_ascending_sort_property_uses_the_index():
    def req(filters: list, direction: str = "ASCENDING", **extra) -> SearchRequest:
        return parse_request({"filterGroups": [{"filters": filters}],
                              "sorts": [{"propertyName": "createdate", "direction": direction}], **extra})

    assert range_on_sort(req([f("createdate", "GTE", "1700000000000")]), TYPES) == "createdate"
    assert range_on_sort(req([f("createdate", "GT", "2023-11-14")]), TYPES) == "createdate"
    assert range_on_sort(req([f("createdate", "LT", "1700000000000")]), TYPES) is None
    assert range_on_sort(req([f("createdate", "GTE", "1")], "DESCENDING"), TYPES) is None
    assert range_on_sort(req([f("createdate", "GTE", "1"), f("email", "HAS_PROPERTY")]), TYPES) is None
    assert range_on_sort(req([f("createdate", "GTE", "1")], query="x"), TYPES) is None
    assert range_on_sort(req([f("firstname", "GTE", "a")]), TYPES) is None
    assert range_on_sort(req([f("createdate", "GTE", "soon")]), TYPES) is None
