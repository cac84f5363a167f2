"""Unit tests for the QBO query language (simulators/quickbooks/query.py)."""

from __future__ import annotations

import pytest

from simulators.quickbooks.query import (
    QUERYABLE_FIELDS,
    Condition,
    Query,
    QueryError,
    matches,
    parse,
    sort_records,
    validate,
)

ENTITIES = ["Customer", "Vendor", "Item", "Invoice", "Account", "Purchase", "Payment", "Class"]

KNOWN = {
    "Customer": {
        "Id", "SyncToken", "MetaData", "DisplayName", "GivenName", "FamilyName", "CompanyName",
        "PrimaryEmailAddr", "Balance", "Active", "Notes", "Title", "BillAddr",
    },
    "Item": {"Id", "MetaData", "Name", "Sku", "Type", "Active", "UnitPrice", "Description"},
    "Invoice": {
        "Id", "MetaData", "DocNumber", "TxnDate", "CustomerRef", "TotalAmt", "Balance",
        "PrivateNote", "Line",
    },
    "Purchase": {"Id", "MetaData", "TxnDate", "PrivateNote", "TotalAmt", "PaymentType"},
}


def q(statement: str) -> Query:
    return parse(statement, ENTITIES)


def qv(statement: str) -> Query:
    return validate(q(statement), QUERYABLE_FIELDS, KNOWN)


def parse_error(statement: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        q(statement)
    assert info.value.code == "4000"
    assert info.value.message == "Error parsing query"
    return info.value


def validation_error(statement: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        qv(statement)
    assert info.value.code == "4001"
    assert info.value.message == "Invalid query"
    return info.value


def where(statement_tail: str, entity: str = "Customer") -> tuple[Condition, ...]:
    return q(f"SELECT * FROM {entity} WHERE {statement_tail}").conditions


def filt(records: list[dict], statement: str) -> list[str]:
    query = qv(statement)
    return [r["Id"] for r in records if matches(r, query.conditions)]


# ---------------------------------------------------------------------------------------------
# Statements python-quickbooks actually sends
# ---------------------------------------------------------------------------------------------
def test_pq_all_statement_defaults():
    query = q("SELECT * FROM Customer MAXRESULTS 100")
    assert query == Query(
        entity="Customer", count=False, fields=None, conditions=(), order_by=(),
        start_position=1, max_results=100, mentions_active=False,
    )


def test_pq_where_statement_with_orderby_paging():
    query = q("SELECT * FROM Customer WHERE Active = True ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 10")
    assert query.conditions == (Condition("Active", "=", True),)
    assert query.order_by == (("DisplayName", False),)
    assert (query.start_position, query.max_results) == (1, 10)
    assert query.mentions_active is True


def test_pq_trailing_space_and_double_space():
    assert q("SELECT * FROM Customer ").entity == "Customer"
    assert q("SELECT * FROM Customer  ORDERBY Id STARTPOSITION 3").order_by == (("Id", False),)


def test_pq_item_projection_with_star():
    query = q("SELECT *, Sku FROM Item")
    assert query.fields == ("*", "Sku")
    assert query.count is False


def test_explicit_projection_list():
    assert q("select Id, Name, MetaData.LastUpdatedTime from Class").fields == (
        "Id", "Name", "MetaData.LastUpdatedTime",
    )


def test_count_lower_and_upper_case():
    assert q("select count(*) from Invoice").count is True
    query = q("SELECT COUNT(*) FROM Invoice WHERE Balance > '0'")
    assert query.count is True and query.fields is None
    assert query.conditions == (Condition("Balance", ">", "0"),)


def test_pq_choose_in_clause_lowercase_in():
    assert where("Id in ('1', '2')", "Invoice") == (Condition("Id", "IN", ("1", "2")),)


def test_pq_quoted_id():
    assert where("Id = '5'") == (Condition("Id", "=", "5"),)


# ---------------------------------------------------------------------------------------------
# Parsing details
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["=", "!=", "<", ">", "<=", ">="])
def test_every_comparison_operator(op):
    assert where(f"Balance {op} 10") == (Condition("Balance", op, 10),)


def test_operators_without_spaces():
    assert where("Balance>=10.5 AND Id!='3'") == (
        Condition("Balance", ">=", 10.5), Condition("Id", "!=", "3"),
    )


def test_like_and_in_values():
    assert where("DisplayName LIKE 'Am%'") == (Condition("DisplayName", "LIKE", "Am%"),)
    assert where("Active IN (true, false)") == (Condition("Active", "IN", (True, False)),)
    assert where("Balance in (1, 2.5, '3')") == (Condition("Balance", "IN", (1, 2.5, "3")),)


def test_booleans_any_case_and_negative_numbers():
    assert where("Active = TRUE AND Job = false AND Balance > -5") == (
        Condition("Active", "=", True), Condition("Job", "=", False), Condition("Balance", ">", -5),
    )


def test_escaped_apostrophe_and_backslash():
    assert where(r"DisplayName = 'Jane O\'Neil'")[0].value == "Jane O'Neil"
    assert where(r"Notes = 'a\\b'")[0].value == "a\\b"


def test_keywords_entity_and_whitespace_case_insensitive():
    query = q(
        "sElEcT *\n  FrOm   customer\twhere displayname = 'x'\r\n"
        "order by Id desc  startposition 2 maxresults 5"
    )
    assert query.entity == "Customer"
    assert query.conditions == (Condition("displayname", "=", "x"),)
    assert query.order_by == (("Id", True),)
    assert (query.start_position, query.max_results) == (2, 5)


def test_both_order_by_spellings_and_multiple_keys():
    expected = (("DisplayName", False), ("Balance", True), ("Id", False))
    assert q("SELECT * FROM Customer ORDER BY DisplayName ASC, Balance DESC, Id").order_by == expected
    assert q("SELECT * FROM Customer ORDERBY DisplayName ASC, Balance DESC, Id").order_by == expected


def test_paging_defaults_clamp_and_either_order():
    assert q("SELECT * FROM Customer").start_position == 1
    assert q("SELECT * FROM Customer").max_results == 100
    assert q("SELECT * FROM Customer MAXRESULTS 5000").max_results == 1000
    query = q("SELECT * FROM Customer MAXRESULTS 7 STARTPOSITION 21")
    assert (query.start_position, query.max_results) == (21, 7)


def test_mentions_active_only_for_active():
    assert q("SELECT * FROM Customer WHERE active IN (true, false)").mentions_active is True
    assert q("SELECT * FROM Customer WHERE DisplayName = 'Active'").mentions_active is False
    assert q("SELECT * FROM Customer ORDER BY Active").mentions_active is False


# ---------------------------------------------------------------------------------------------
# Parse errors: 4000 with the JavaCC "Encountered ..." detail
# ---------------------------------------------------------------------------------------------
def test_or_is_a_parse_error_at_the_or_token():
    err = parse_error("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'")
    assert err.detail == 'QueryParserError: Encountered " "OR" "OR "" at line 1, column 39.'


def test_lowercase_keyword_image_is_echoed_as_written():
    err = parse_error("select * from Customer where Id = '1' or Id = '2'")
    assert err.detail == 'QueryParserError: Encountered " "OR" "or "" at line 1, column 39.'


def test_group_by_and_join_are_parse_errors():
    assert parse_error("SELECT * FROM Customer GROUP BY Id").detail == (
        'QueryParserError: Encountered " "GROUP" "GROUP "" at line 1, column 24.'
    )
    assert parse_error("SELECT * FROM Invoice JOIN Customer").detail == (
        'QueryParserError: Encountered " "JOIN" "JOIN "" at line 1, column 23.'
    )


def test_trailing_semicolon_rejected():
    assert parse_error("SELECT * FROM Customer;").detail == (
        'QueryParserError: Encountered " ";" "; "" at line 1, column 23.'
    )


def test_identifier_where_keyword_expected_matches_verbatim_shape():
    # Same shape as the sandbox text 'Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.'
    err = parse_error("SELECT * FROM Invoice ORDER TxnDate")
    assert err.detail == 'QueryParserError: Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.'


def test_doubled_apostrophe_escape_fails_at_second_string():
    # Real QBO logged 'Encountered " <STRING> "'s...' at line 1, column 48' for Peet''s.
    err = parse_error("SELECT * FROM Vendor WHERE DisplayName = 'Peet''s'")
    assert err.detail == "QueryParserError: Encountered \" <STRING> \"'s' \"\" at line 1, column 48."


def test_unexpected_end_of_statement():
    eof_14 = 'QueryParserError: Encountered "<EOF>" at line 1, column 14.'
    assert parse_error("SELECT * FROM").detail == eof_14
    assert parse_error("").detail == 'QueryParserError: Encountered "<EOF>" at line 1, column 1.'


def test_error_position_counts_lines():
    err = parse_error("SELECT *\nFROM Customer\nWHERE Id = '1' OR Id = '2'")
    assert err.detail == 'QueryParserError: Encountered " "OR" "OR "" at line 3, column 16.'


@pytest.mark.parametrize(
    ("statement", "token"),
    [
        ("SELECT * FROM Customer MAXRESULTS 0", '" <INTEGER> "0 ""'),
        ("SELECT * FROM Customer MAXRESULTS -3", '" <INTEGER> "-3 ""'),
        ("SELECT * FROM Customer MAXRESULTS 2.5", '" <DECIMAL> "2.5 ""'),
        ("SELECT * FROM Customer MAXRESULTS '10'", "\" <STRING> \"'10' \"\""),
        ("SELECT * FROM Customer STARTPOSITION 0", '" <INTEGER> "0 ""'),
        ("SELECT * FROM Customer MAXRESULTS ten", '" <IDENTIFIER> "ten ""'),
    ],
)
def test_bad_paging_values(statement, token):
    column = statement.rindex(" ") + 2
    expected = f"QueryParserError: Encountered {token} at line 1, column {column}."
    assert parse_error(statement).detail == expected


def test_repeated_paging_clause_rejected():
    err = parse_error("SELECT * FROM Customer MAXRESULTS 5 MAXRESULTS 6")
    assert err.detail == 'QueryParserError: Encountered " "MAXRESULTS" "MAXRESULTS "" at line 1, column 37.'


@pytest.mark.parametrize(
    ("statement", "detail_tail"),
    [
        ("SELECT * FROM Customer WHERE Balance <> 5", '" ">" "> "" at line 1, column 39.'),
        ("SELECT * FROM Customer WHERE DisplayName LIKE 5", '" <INTEGER> "5 "" at line 1, column 47.'),
        ("SELECT * FROM Customer WHERE Id IN ()", '" ")" ") "" at line 1, column 37.'),
        ("SELECT * FROM Customer WHERE Active = yes", '" <IDENTIFIER> "yes "" at line 1, column 39.'),
        ("SELECT * FROM Customer WHERE Id NOT IN ('1')", '" "NOT" "NOT "" at line 1, column 33.'),
        ("SELECT Id, * FROM Customer", '" "*" "* "" at line 1, column 12.'),
        ("SELECT * FROM Customer WHERE", '"<EOF>" at line 1, column 29.'),
        ("DELETE FROM Customer", '" <IDENTIFIER> "DELETE "" at line 1, column 1.'),
    ],
)
def test_other_parse_errors(statement, detail_tail):
    assert parse_error(statement).detail == f"QueryParserError: Encountered {detail_tail}"


def test_lexical_errors_are_4000():
    assert parse_error("SELECT * FROM Customer WHERE DisplayName = 'abc").detail == (
        "QueryParserError: Lexical error at line 1, column 48.  Encountered: <EOF> after : \"'abc\""
    )
    assert parse_error("SELECT * FROM Customer WHERE Id # 1").detail == (
        'QueryParserError: Lexical error at line 1, column 33.  Encountered: "#" (35), after : ""'
    )


def test_unknown_entity_is_4001_invalid_context_declaration():
    with pytest.raises(QueryError) as info:
        q("SELECT * FROM Check")
    assert (info.value.code, info.value.message) == ("4001", "Invalid query")
    assert info.value.detail == "QueryValidationError: invalid context declaration: Check"
    assert str(info.value) == info.value.detail


def test_syntax_error_wins_over_unknown_entity():
    assert parse_error("SELECT * FROM Nope WHERE").code == "4000"


# ---------------------------------------------------------------------------------------------
# Validation (4001)
# ---------------------------------------------------------------------------------------------
def test_unknown_property_message():
    err = validation_error("SELECT * FROM Purchase WHERE NoSuchField = '1'")
    assert err.detail == "QueryValidationError: Property NoSuchField not found for Entity Purchase"


def test_unknown_property_in_order_by_and_projection():
    assert validation_error("SELECT * FROM Customer ORDER BY Bogus").detail == (
        "QueryValidationError: Property Bogus not found for Entity Customer"
    )
    assert validation_error("SELECT Id, Nope.Sub FROM Customer").detail == (
        "QueryValidationError: Property Nope.Sub not found for Entity Customer"
    )


def test_not_queryable_property_message():
    err = validation_error("SELECT * FROM Purchase WHERE PrivateNote = 'x'")
    assert err.detail == "QueryValidationError: property 'PrivateNote' is not queryable"
    err = validation_error("SELECT * FROM Customer ORDERBY notes")
    assert err.detail == "QueryValidationError: property 'Notes' is not queryable"


def test_not_queryable_dotted_path():
    err = validation_error("SELECT * FROM Customer WHERE MetaData.Foo = '1'")
    assert err.detail == "QueryValidationError: property 'MetaData.Foo' is not queryable"


def test_projection_may_name_non_queryable_fields():
    assert qv("SELECT Id, notes FROM Customer").fields == ("Id", "Notes")


def test_validate_canonicalises_field_names():
    query = qv(
        "select * from customer where displayname = 'a' and metadata.lastupdatedtime > '2024-01-01' "
        "and ACTIVE = true orderby primaryemailaddr desc"
    )
    assert [c.field for c in query.conditions] == ["DisplayName", "MetaData.LastUpdatedTime", "Active"]
    assert query.order_by == (("PrimaryEmailAddr", True),)
    assert query.mentions_active is True
    assert qv("SELECT *, sku FROM item").fields == ("*", "Sku")


def test_validate_unknown_entity_maps_are_lenient():
    query = q("SELECT * FROM Account WHERE Whatever = '1'")
    assert validate(query, QUERYABLE_FIELDS, KNOWN) == query
    # Entity known but without a queryable list: every known field may be filtered.
    query = parse("SELECT * FROM Widget WHERE colour = 'red'", ["Widget"])
    assert validate(query, {}, {"Widget": {"Colour"}}).conditions == (Condition("Colour", "=", "red"),)


def test_queryable_fields_cover_required_entities():
    required = [
        "Customer", "Vendor", "Employee", "Item", "Account", "Invoice", "Payment", "CreditMemo",
        "SalesReceipt", "Estimate", "TaxCode", "TaxRate", "Term", "PaymentMethod", "CompanyInfo",
        "Preferences", "CompanyCurrency", "ExchangeRate",
    ]
    for entity in required:
        assert {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"} <= QUERYABLE_FIELDS[entity], entity
    for entity in ["Customer", "Vendor", "Employee", "Item", "Account", "Term", "PaymentMethod", "TaxCode"]:
        assert "Active" in QUERYABLE_FIELDS[entity], entity
    for entity in ["Invoice", "CreditMemo", "SalesReceipt", "Estimate"]:
        assert {"TxnDate", "DocNumber", "CustomerRef", "TotalAmt", "Balance"} <= QUERYABLE_FIELDS[entity]
    assert {"TxnDate", "CustomerRef", "TotalAmt"} <= QUERYABLE_FIELDS["Payment"]
    assert {"DisplayName", "GivenName", "FamilyName", "CompanyName", "PrimaryEmailAddr", "Balance"} <= (
        QUERYABLE_FIELDS["Customer"]
    )
    assert {"Name", "Sku", "Type"} <= QUERYABLE_FIELDS["Item"]
    assert "PrivateNote" not in QUERYABLE_FIELDS["Purchase"]


# ---------------------------------------------------------------------------------------------
# matches(): evaluation semantics
# ---------------------------------------------------------------------------------------------
CUSTOMERS = [
    {"Id": "1", "DisplayName": "Amy's Bird Sanctuary", "Balance": 239.0, "Active": True,
     "PrimaryEmailAddr": {"Address": "Birds@Intuit.com"},
     "MetaData": {"CreateTime": "2024-01-30T16:48:43-08:00", "LastUpdatedTime": "2024-01-31T09:00:00-08:00"}},
    {"Id": "2", "DisplayName": "Bill's Windsurf Shop", "Balance": 85, "Active": True,
     "MetaData": {"CreateTime": "2024-02-01T00:00:00-08:00", "LastUpdatedTime": "2024-02-01T00:00:00-08:00"}},
    {"Id": "10", "DisplayName": "Cool Cars", "Balance": "0", "Active": False, "GivenName": "Grace",
     "PrimaryEmailAddr": {"Address": "cool_cars@intuit.com"},
     "MetaData": {"CreateTime": "2024-01-31T23:30:00-08:00", "LastUpdatedTime": "2024-03-01T10:00:00Z"}},
]


def test_equality_is_case_insensitive_for_strings():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE DisplayName = 'cool cars'") == ["10"]
    accounts = [{"Id": "35", "Name": "Checking"}, {"Id": "36", "Name": "Savings"}]
    assert [a["Id"] for a in accounts if matches(a, where("Name = 'checking'", "Account"))] == ["35"]


def test_not_equal_includes_records_missing_the_field():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE GivenName != 'grace'") == ["1", "2"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE GivenName = 'Grace'") == ["10"]


@pytest.mark.parametrize(
    ("op", "expected"), [("=", []), ("<", []), ("<=", []), (">", ["10"]), (">=", ["10"])]
)
def test_missing_field_never_matches_other_operators(op, expected):
    # Only record 10 has a GivenName ("Grace" > "A"); 1 and 2 must never match.
    assert filt(CUSTOMERS, f"SELECT * FROM Customer WHERE GivenName {op} 'A'") == expected


def test_missing_field_never_matches_like_or_in():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE GivenName LIKE '%'") == ["10"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE GivenName IN ('Grace', 'x')") == ["10"]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("Id > '5'", ["10"]),
        ("Id < '5'", ["1", "2"]),
        ("Id >= '2'", ["2", "10"]),
        ("Id <= 2", ["1", "2"]),
        ("Id = 10", ["10"]),
        ("Id != '1'", ["2", "10"]),
        ("Balance > '100'", ["1"]),
        ("Balance < 85.5", ["2", "10"]),
        ("Balance = '85.00'", ["2"]),
        ("Balance >= 0", ["1", "2", "10"]),
    ],
)
def test_numbers_compare_numerically_even_as_strings(clause, expected):
    assert filt(CUSTOMERS, f"SELECT * FROM Customer WHERE {clause}") == expected


def test_string_ordering_is_case_insensitive():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE DisplayName < 'BILL'") == ["1"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE DisplayName >= 'bill'") == ["2", "10"]


def test_booleans_compare_as_booleans():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE Active = false") == ["10"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE Active = True") == ["1", "2"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE Active = 'true'") == ["1", "2"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE Active IN (true, false)") == ["1", "2", "10"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE Active != true") == ["10"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("'amy%'", ["1"]),  # prefix, case-insensitive
        ("'%shop'", ["2"]),  # suffix
        ("'%S W%'", ["2"]),  # infix
        ("'%'", ["1", "2", "10"]),
        ("'Cool Cars'", ["10"]),  # no wildcard = whole-value match
        ("'Cool'", []),
        (r"'%\'s %'", ["1", "2"]),  # escaped apostrophe inside a pattern
    ],
)
def test_like_patterns(pattern, expected):
    assert filt(CUSTOMERS, f"SELECT * FROM Customer WHERE DisplayName LIKE {pattern}") == expected


def test_like_treats_regex_and_underscore_literally():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE 'cool_%'") == ["10"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE 'cool.%'") == []
    records = [{"Id": "1", "DisplayName": "a_b"}, {"Id": "2", "DisplayName": "axb"}]
    assert [r["Id"] for r in records if matches(r, where("DisplayName LIKE 'a_b'"))] == ["1"]


def test_email_compares_on_address():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE PrimaryEmailAddr = 'birds@intuit.com'") == ["1"]
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE '%@intuit.com'") == ["1", "10"]


INVOICES = [
    {"Id": "130", "DocNumber": "1037", "TxnDate": "2024-01-30", "TotalAmt": 100.0, "Balance": 100.0,
     "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"}},
    {"Id": "131", "DocNumber": "1038", "TxnDate": "2024-01-31", "TotalAmt": 362.07, "Balance": 0,
     "CustomerRef": {"value": "10", "name": "Cool Cars"}},
    {"Id": "132", "DocNumber": "INV-7", "TxnDate": "2024-02-15", "TotalAmt": 55.5, "Balance": 55.5,
     "CustomerRef": {"value": "2", "name": "Bill's Windsurf Shop"}},
]


def test_reference_fields_compare_on_value():
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE CustomerRef = '10'") == ["131"]
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE CustomerRef IN ('1', '2')") == ["130", "132"]
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE CustomerRef = 'Cool Cars'") == []
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE CustomerRef > '1'") == ["131", "132"]


def test_id_in_list_and_doc_number():
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE Id in ('130', '132')") == ["130", "132"]
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE DocNumber = 'inv-7'") == ["132"]


def test_amounts_and_multiple_conditions():
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE TotalAmt > '300.00'") == ["131"]
    assert filt(INVOICES, "SELECT * FROM Invoice WHERE Balance > '0' AND TxnDate < '2024-02-01'") == ["130"]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("TxnDate = '2024-01-31'", ["131"]),
        ("TxnDate >= '2024-01-31'", ["131", "132"]),
        ("TxnDate < '2024-01-31'", ["130"]),
        ("TxnDate > '2024-01-31'", ["132"]),
        ("TxnDate <= '2024-02-15'", ["130", "131", "132"]),
        ("TxnDate != '2024-01-30'", ["131", "132"]),
        ("TxnDate IN ('2024-01-30', '2024-02-15')", ["130", "132"]),
        # A datetime against a date-only field: the date starts at midnight in the literal's offset.
        ("TxnDate > '2024-01-30T12:00:00-08:00'", ["131", "132"]),
    ],
)
def test_date_comparisons(clause, expected):
    assert filt(INVOICES, f"SELECT * FROM Invoice WHERE {clause}") == expected


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # Same instant written in another offset.
        ("MetaData.CreateTime = '2024-02-01T08:00:00Z'", ["2"]),
        ("MetaData.CreateTime = '2024-02-01T08:00:00.000+00:00'", ["2"]),
        # 2024-01-31T23:30-08:00 is 2024-02-01T07:30Z: chronological, not textual.
        ("MetaData.CreateTime > '2024-02-01T07:00:00Z'", ["2", "10"]),
        ("MetaData.CreateTime < '2024-02-01T07:00:00Z'", ["1"]),
        # Date-only literal vs datetime field: midnight in the record's own offset.
        ("MetaData.CreateTime >= '2024-01-31'", ["2", "10"]),
        ("MetaData.CreateTime < '2024-01-31'", ["1"]),
        ("MetaData.LastUpdatedTime > '2024-02-15'", ["10"]),
        ("MetaData.LastUpdatedTime >= '2015-07-24T10:33:39-07:00'", ["1", "2", "10"]),
    ],
)
def test_datetime_comparisons(clause, expected):
    assert filt(CUSTOMERS, f"SELECT * FROM Customer WHERE {clause}") == expected


def test_naive_datetime_literal_uses_record_offset():
    assert filt(CUSTOMERS, "SELECT * FROM Customer WHERE MetaData.CreateTime >= '2024-01-31T23:30:00'") == [
        "2", "10",
    ]


def test_matches_accepts_lists_and_empty_conditions():
    assert matches({"Id": "1"}, []) is True
    assert matches({"Id": "1", "Name": "x"}, [Condition("Id", "IN", ["1"]), Condition("Name", "=", "X")])


def test_matches_case_insensitive_record_keys_and_none_values():
    assert matches({"displayname": "Zed"}, [Condition("DisplayName", "=", "zed")]) is True
    assert matches({"DisplayName": None}, [Condition("DisplayName", "=", "zed")]) is False
    assert matches({"DisplayName": None}, [Condition("DisplayName", "!=", "zed")]) is True


# ---------------------------------------------------------------------------------------------
# sort_records()
# ---------------------------------------------------------------------------------------------
def ids(records: list[dict]) -> list[str]:
    return [r["Id"] for r in records]


def test_sort_numeric_ids_numerically():
    assert ids(sort_records(CUSTOMERS[::-1], (("Id", False),))) == ["1", "2", "10"]
    assert ids(sort_records(CUSTOMERS, (("Id", True),))) == ["10", "2", "1"]


def test_sort_strings_case_insensitively():
    records = [{"Id": "1", "Name": "beta"}, {"Id": "2", "Name": "Alpha"}, {"Id": "3", "Name": "Gamma"}]
    assert ids(sort_records(records, (("Name", False),))) == ["2", "1", "3"]


def test_sort_multiple_keys_mixed_directions_and_stable():
    records = [
        {"Id": "1", "Active": True, "Balance": 5},
        {"Id": "2", "Active": False, "Balance": 9},
        {"Id": "3", "Active": True, "Balance": 7},
        {"Id": "4", "Active": True, "Balance": 7},
    ]
    assert ids(sort_records(records, (("Active", True), ("Balance", True)))) == ["3", "4", "1", "2"]
    assert ids(sort_records(records, [("Balance", False)])) == ["1", "3", "4", "2"]


def test_sort_datetimes_chronologically_and_refs_by_value():
    by_created = sort_records(CUSTOMERS, (("MetaData.CreateTime", False),))
    assert ids(by_created) == ["1", "10", "2"]
    assert ids(sort_records(INVOICES, (("CustomerRef", True),))) == ["131", "132", "130"]
    assert ids(sort_records(INVOICES, (("TxnDate", True),))) == ["132", "131", "130"]


def test_sort_missing_values_first_ascending_last_descending():
    records = [{"Id": "1", "Name": "b"}, {"Id": "2"}, {"Id": "3", "Name": "a"}]
    assert ids(sort_records(records, (("Name", False),))) == ["2", "3", "1"]
    assert ids(sort_records(records, (("Name", True),))) == ["1", "3", "2"]


def test_sort_returns_new_list_and_empty_order_keeps_input():
    records = list(CUSTOMERS)
    result = sort_records(records, ())
    assert result == records and result is not records


def test_full_round_trip_parse_validate_filter_sort_page():
    query = qv(
        "SELECT * FROM Customer WHERE Balance >= '0' AND Active IN (true, false) "
        "ORDER BY DisplayName DESC STARTPOSITION 2 MAXRESULTS 1"
    )
    rows = sort_records([r for r in CUSTOMERS if matches(r, query.conditions)], query.order_by)
    page = rows[query.start_position - 1: query.start_position - 1 + query.max_results]
    assert ids(page) == ["2"]
    assert query.mentions_active is True
