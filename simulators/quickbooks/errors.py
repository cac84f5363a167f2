"""QBO's error bodies: the ``Fault`` envelope with numeric codes, and the auth failures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ErrorItem:
    code: str
    message: str
    detail: str
    element: str = ""

    def body(self) -> dict:
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}


class QBOError(Exception):
    """A refusal in QBO's words: HTTP status, Fault type and one or more coded errors."""

    def __init__(self, code: str, message: str, detail: str, element: str = "", status: int = 400,
                 fault_type: str = "ValidationFault", more: tuple[ErrorItem, ...] = ()) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.errors = (ErrorItem(code, message, detail, element), *more)
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict:
        return {"Error": [e.body() for e in self.errors], "type": self.fault_type}


# -- the errors the simulator raises, each in QBO's own words (sources in the API notes) ----------

def business(text: str, element: str = "") -> QBOError:
    return QBOError("6000", "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {text}", element)


def required(field: str) -> QBOError:
    return QBOError("2020", "Required param missing, need to supply the required value for the API",
                    f"Required parameter {field} is missing in the request.", field)


def unsupported_property(detail: str) -> QBOError:
    return QBOError("2010", "Request has invalid or unsupported property",
                    f"Property Name:{detail} specified is unsupported or invalid")


def unknown_field(field: str, entity: str) -> QBOError:
    return unsupported_property(
        f'Unrecognized field "{field}" (class com.intuit.schema.finance.v3.{entity}), not marked as ignorable'
    )


def malformed_body() -> QBOError:
    return unsupported_property("failed to parse json object; a property")


def invalid_type(field: str, value: object) -> QBOError:
    return unsupported_property(f"Can not construct instance of {field} from value {value!r}")


def string_length(field: str, maximum: int, supplied: int) -> QBOError:
    return QBOError("2050", "String length is either shorter or longer than supported by specification",
                    f"String length specified does not match the supported length. Min:0 Max:{maximum} "
                    f"supported. Supplied length:{supplied}", field)


def number_out_of_range(field: str, value: object, digits: int) -> QBOError:
    """A number with more digits before the decimal point than QBO keeps ("Max 15 digits in 10.5 format" in
    Intuit's field descriptions); code 2080 is in QBO's number range (2080-2110), the wording is the simulator's
    (docs/decisions.md)."""
    return QBOError("2080", "Invalid Number",
                    f"Invalid Number : {field} supports at most {digits} digits before the decimal point. "
                    f"Supplied value:{value}", field)


def invalid_chars(field: str) -> QBOError:
    return QBOError("2040", "Invalid String",
                    f"String contains invalid characters ':' , '\\t' or '\\n' in {field}", field)


def object_not_found(entity: str, entity_id: object) -> QBOError:
    return QBOError("610", "Object Not Found",
                    "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
                    "with accounts, customers, items, vendors or employees.", entity)


def deleted_txn() -> QBOError:
    return QBOError("610", "Object Not Found", "Object Not Found : Another user has deleted this transaction.")


def invalid_reference(field: str, value: object) -> QBOError:
    return QBOError("2500", "Invalid Reference Id",
                    "Invalid Reference Id : Something you're trying to use has been made inactive. Check the "
                    "fields with accounts.", field)


def invalid_id(entity_id: object) -> QBOError:
    return QBOError("2030", "Invalid ID", f"Id should be a valid number. Supplied value:{entity_id}", "Id")


def stale(entity: str) -> QBOError:
    return QBOError("5010", "Stale Object Error",
                    "Stale Object Error : You and API API were working on this at the same time. API API finished "
                    f"before you did, so your work was not saved. Entity={entity}")


def duplicate_name(clash_id: object) -> QBOError:
    return QBOError("6240", "Duplicate Name Exists Error", f"The name supplied already exists. : Id={clash_id}")


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: object) -> QBOError:
    return QBOError("6140", "Duplicate Document Number Error",
                    "Duplicate Document Number Error : You must specify a different number. This number has "
                    f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with "
                    f"TxnId={txn_id}")


def period_closed() -> QBOError:
    return QBOError("6210", "Account Period Closed, Cannot Update Through Services API",
                    "The account period has closed and the account books cannot be updated through through the "
                    "QBO Services API. Please use the QBO website to make these changes.")


def unsupported_operation(operation: str) -> QBOError:
    return QBOError("500", "Unsupported Operation", f"Operation {operation} is not supported.", "Operation")


def not_simulated(what: str) -> QBOError:
    """What QBO has and this simulator does not: said plainly rather than as a silent 404."""
    return QBOError("500", "Unsupported Operation", f"Operation {what} is not simulated by hsqbo yet.", what)


def invalid_enum(field: str, value: object) -> QBOError:
    return QBOError("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", field)


def batch_too_big(count: int, limit: int) -> QBOError:
    return QBOError("1040", "An application error has occurred while processing your request",
                    f"Batch request size exceeded: {count} items; at most {limit} are allowed per batch.")


def throttled() -> QBOError:
    return QBOError("3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                    "The request limit was reached.", status=429, fault_type="SERVICE")


def system_failure(status: int = 500) -> QBOError:
    return QBOError("10000", "An application error has occurred while processing your request",
                    "System Failure Error: An unexpected error occurred while accessing or saving your data. "
                    "Please wait a few minutes and try again. If the problem persists, contact customer support.",
                    status=status, fault_type="SystemFault")


def unknown_resource(name: str) -> QBOError:
    return QBOError("2000", "Invalid Object Name", f"Invalid object name: {name}", status=400)


def auth_failure_body(detail: str | None, code: str = "3200", status: int = 401,
                      kind: str = "AuthenticationFailed", fault_type: str = "AUTHENTICATION") -> dict:
    """The lower-case JSON body QBO sends for a missing, expired or malformed token."""
    code_padded = code.zfill(6)
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{
                "message": f"message={kind}; errorCode={code_padded}; statusCode={status}",
                "detail": detail,
                "code": code,
                "element": None,
            }],
            "type": fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": None,
        "status": None,
        "cdcresponse": [],
    }


REALM_MISMATCH_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
    '<Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message>'
    "<Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail>"
    "</Error></Fault></IntuitResponse>"
)
