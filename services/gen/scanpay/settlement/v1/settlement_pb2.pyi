import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_STATUS_UNSPECIFIED: _ClassVar[BatchStatus]
    BATCH_STATUS_COMPUTED: _ClassVar[BatchStatus]
    BATCH_STATUS_POSTED: _ClassVar[BatchStatus]

class DiscrepancyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCREPANCY_KIND_UNSPECIFIED: _ClassVar[DiscrepancyKind]
    DISCREPANCY_KIND_MISSING_IN_GATEWAY: _ClassVar[DiscrepancyKind]
    DISCREPANCY_KIND_MISSING_IN_LEDGER: _ClassVar[DiscrepancyKind]
    DISCREPANCY_KIND_MISSING_IN_CLEARING: _ClassVar[DiscrepancyKind]
    DISCREPANCY_KIND_AMOUNT_MISMATCH: _ClassVar[DiscrepancyKind]
    DISCREPANCY_KIND_DUPLICATE_CLEARING: _ClassVar[DiscrepancyKind]

class DiscrepancyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCREPANCY_STATUS_UNSPECIFIED: _ClassVar[DiscrepancyStatus]
    DISCREPANCY_STATUS_OPEN: _ClassVar[DiscrepancyStatus]
    DISCREPANCY_STATUS_RESOLVED: _ClassVar[DiscrepancyStatus]

class PayoutStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYOUT_STATUS_UNSPECIFIED: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_PENDING: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_SENT: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_PAID: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_FAILED: _ClassVar[PayoutStatus]
BATCH_STATUS_UNSPECIFIED: BatchStatus
BATCH_STATUS_COMPUTED: BatchStatus
BATCH_STATUS_POSTED: BatchStatus
DISCREPANCY_KIND_UNSPECIFIED: DiscrepancyKind
DISCREPANCY_KIND_MISSING_IN_GATEWAY: DiscrepancyKind
DISCREPANCY_KIND_MISSING_IN_LEDGER: DiscrepancyKind
DISCREPANCY_KIND_MISSING_IN_CLEARING: DiscrepancyKind
DISCREPANCY_KIND_AMOUNT_MISMATCH: DiscrepancyKind
DISCREPANCY_KIND_DUPLICATE_CLEARING: DiscrepancyKind
DISCREPANCY_STATUS_UNSPECIFIED: DiscrepancyStatus
DISCREPANCY_STATUS_OPEN: DiscrepancyStatus
DISCREPANCY_STATUS_RESOLVED: DiscrepancyStatus
PAYOUT_STATUS_UNSPECIFIED: PayoutStatus
PAYOUT_STATUS_PENDING: PayoutStatus
PAYOUT_STATUS_SENT: PayoutStatus
PAYOUT_STATUS_PAID: PayoutStatus
PAYOUT_STATUS_FAILED: PayoutStatus

class MallCommission(_message.Message):
    __slots__ = ("mall_id", "amount")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    amount: _common_pb2.Money
    def __init__(self, mall_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("batch_id", "merchant_id", "business_date", "status", "trade_count", "refund_count", "late_count", "gross", "refunds", "discounts", "fees", "mall_commission", "net", "carry_in", "payout", "carry_out", "malls", "rounding_remainder_e4", "computed_at", "posted_at")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    GROSS_FIELD_NUMBER: _ClassVar[int]
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTS_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    MALL_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    NET_FIELD_NUMBER: _ClassVar[int]
    CARRY_IN_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_FIELD_NUMBER: _ClassVar[int]
    CARRY_OUT_FIELD_NUMBER: _ClassVar[int]
    MALLS_FIELD_NUMBER: _ClassVar[int]
    ROUNDING_REMAINDER_E4_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    merchant_id: str
    business_date: str
    status: BatchStatus
    trade_count: int
    refund_count: int
    late_count: int
    gross: _common_pb2.Money
    refunds: _common_pb2.Money
    discounts: _common_pb2.Money
    fees: _common_pb2.Money
    mall_commission: _common_pb2.Money
    net: _common_pb2.Money
    carry_in: _common_pb2.Money
    payout: _common_pb2.Money
    carry_out: _common_pb2.Money
    malls: _containers.RepeatedCompositeFieldContainer[MallCommission]
    rounding_remainder_e4: int
    computed_at: _timestamp_pb2.Timestamp
    posted_at: _timestamp_pb2.Timestamp
    def __init__(self, batch_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., business_date: _Optional[str] = ..., status: _Optional[_Union[BatchStatus, str]] = ..., trade_count: _Optional[int] = ..., refund_count: _Optional[int] = ..., late_count: _Optional[int] = ..., gross: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refunds: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discounts: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fees: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., mall_commission: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., net: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., carry_in: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payout: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., carry_out: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., malls: _Optional[_Iterable[_Union[MallCommission, _Mapping]]] = ..., rounding_remainder_e4: _Optional[int] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunSettlementRequest(_message.Message):
    __slots__ = ("business_date",)
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    def __init__(self, business_date: _Optional[str] = ...) -> None: ...

class RunSettlementResponse(_message.Message):
    __slots__ = ("business_date", "already_settled", "batch_count", "posted_count", "entry_count", "late_count", "gross", "fees", "mall_commission", "payout", "payout_count", "payout_files")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    ALREADY_SETTLED_FIELD_NUMBER: _ClassVar[int]
    BATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    POSTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    GROSS_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    MALL_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_FILES_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    already_settled: bool
    batch_count: int
    posted_count: int
    entry_count: int
    late_count: int
    gross: _common_pb2.Money
    fees: _common_pb2.Money
    mall_commission: _common_pb2.Money
    payout: _common_pb2.Money
    payout_count: int
    payout_files: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, business_date: _Optional[str] = ..., already_settled: _Optional[bool] = ..., batch_count: _Optional[int] = ..., posted_count: _Optional[int] = ..., entry_count: _Optional[int] = ..., late_count: _Optional[int] = ..., gross: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fees: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., mall_commission: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payout: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payout_count: _Optional[int] = ..., payout_files: _Optional[_Iterable[str]] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class ListBatchesRequest(_message.Message):
    __slots__ = ("merchant_id", "from_date", "to_date", "page")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    from_date: str
    to_date: str
    page: _common_pb2.PageRequest
    def __init__(self, merchant_id: _Optional[str] = ..., from_date: _Optional[str] = ..., to_date: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListBatchesResponse(_message.Message):
    __slots__ = ("batches", "page")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[Batch]
    page: _common_pb2.PageResponse
    def __init__(self, batches: _Optional[_Iterable[_Union[Batch, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("merchant_id", "business_date")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    business_date: str
    def __init__(self, merchant_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class GetMallStatementRequest(_message.Message):
    __slots__ = ("mall_id", "business_date")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    business_date: str
    def __init__(self, mall_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("owner_id", "business_date", "file_name", "content_type", "csv", "line_count", "gross", "net")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CSV_FIELD_NUMBER: _ClassVar[int]
    LINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    GROSS_FIELD_NUMBER: _ClassVar[int]
    NET_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    business_date: str
    file_name: str
    content_type: str
    csv: bytes
    line_count: int
    gross: _common_pb2.Money
    net: _common_pb2.Money
    def __init__(self, owner_id: _Optional[str] = ..., business_date: _Optional[str] = ..., file_name: _Optional[str] = ..., content_type: _Optional[str] = ..., csv: _Optional[bytes] = ..., line_count: _Optional[int] = ..., gross: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., net: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ("business_date",)
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    def __init__(self, business_date: _Optional[str] = ...) -> None: ...

class Discrepancy(_message.Message):
    __slots__ = ("discrepancy_id", "business_date", "subject_kind", "subject_id", "trade_id", "merchant_id", "kind", "reason", "gateway_amount", "ledger_amount", "clearing_amount", "status", "resolution", "resolved_by", "found_at", "resolved_at")
    DISCREPANCY_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLEARING_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    FOUND_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    discrepancy_id: str
    business_date: str
    subject_kind: str
    subject_id: str
    trade_id: str
    merchant_id: str
    kind: DiscrepancyKind
    reason: str
    gateway_amount: _common_pb2.Money
    ledger_amount: _common_pb2.Money
    clearing_amount: _common_pb2.Money
    status: DiscrepancyStatus
    resolution: str
    resolved_by: str
    found_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, discrepancy_id: _Optional[str] = ..., business_date: _Optional[str] = ..., subject_kind: _Optional[str] = ..., subject_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., kind: _Optional[_Union[DiscrepancyKind, str]] = ..., reason: _Optional[str] = ..., gateway_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., ledger_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., clearing_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., status: _Optional[_Union[DiscrepancyStatus, str]] = ..., resolution: _Optional[str] = ..., resolved_by: _Optional[str] = ..., found_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReconciliationReport(_message.Message):
    __slots__ = ("business_date", "gateway_count", "ledger_count", "clearing_count", "matched", "missing_in_gateway", "missing_in_ledger", "missing_in_clearing", "amount_mismatches", "duplicates", "discrepancies", "new_discrepancies")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_COUNT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLEARING_COUNT_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    MISSING_IN_GATEWAY_FIELD_NUMBER: _ClassVar[int]
    MISSING_IN_LEDGER_FIELD_NUMBER: _ClassVar[int]
    MISSING_IN_CLEARING_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MISMATCHES_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    DISCREPANCIES_FIELD_NUMBER: _ClassVar[int]
    NEW_DISCREPANCIES_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    gateway_count: int
    ledger_count: int
    clearing_count: int
    matched: int
    missing_in_gateway: int
    missing_in_ledger: int
    missing_in_clearing: int
    amount_mismatches: int
    duplicates: int
    discrepancies: _containers.RepeatedCompositeFieldContainer[Discrepancy]
    new_discrepancies: int
    def __init__(self, business_date: _Optional[str] = ..., gateway_count: _Optional[int] = ..., ledger_count: _Optional[int] = ..., clearing_count: _Optional[int] = ..., matched: _Optional[int] = ..., missing_in_gateway: _Optional[int] = ..., missing_in_ledger: _Optional[int] = ..., missing_in_clearing: _Optional[int] = ..., amount_mismatches: _Optional[int] = ..., duplicates: _Optional[int] = ..., discrepancies: _Optional[_Iterable[_Union[Discrepancy, _Mapping]]] = ..., new_discrepancies: _Optional[int] = ...) -> None: ...

class ListDiscrepanciesRequest(_message.Message):
    __slots__ = ("business_date", "status", "page")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    status: DiscrepancyStatus
    page: _common_pb2.PageRequest
    def __init__(self, business_date: _Optional[str] = ..., status: _Optional[_Union[DiscrepancyStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListDiscrepanciesResponse(_message.Message):
    __slots__ = ("discrepancies", "page")
    DISCREPANCIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    discrepancies: _containers.RepeatedCompositeFieldContainer[Discrepancy]
    page: _common_pb2.PageResponse
    def __init__(self, discrepancies: _Optional[_Iterable[_Union[Discrepancy, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ResolveDiscrepancyRequest(_message.Message):
    __slots__ = ("discrepancy_id", "resolution")
    DISCREPANCY_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    discrepancy_id: str
    resolution: str
    def __init__(self, discrepancy_id: _Optional[str] = ..., resolution: _Optional[str] = ...) -> None: ...

class Payout(_message.Message):
    __slots__ = ("payout_id", "batch_id", "merchant_id", "business_date", "amount", "bank_code", "status", "attempt", "file_name", "failure_reason", "requeued_payout_id", "created_at", "updated_at")
    PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BANK_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEUED_PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    payout_id: str
    batch_id: str
    merchant_id: str
    business_date: str
    amount: _common_pb2.Money
    bank_code: str
    status: PayoutStatus
    attempt: int
    file_name: str
    failure_reason: str
    requeued_payout_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, payout_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., business_date: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., bank_code: _Optional[str] = ..., status: _Optional[_Union[PayoutStatus, str]] = ..., attempt: _Optional[int] = ..., file_name: _Optional[str] = ..., failure_reason: _Optional[str] = ..., requeued_payout_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MarkPayoutRequest(_message.Message):
    __slots__ = ("payout_id", "status", "reason")
    PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    payout_id: str
    status: PayoutStatus
    reason: str
    def __init__(self, payout_id: _Optional[str] = ..., status: _Optional[_Union[PayoutStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class MarkPayoutResponse(_message.Message):
    __slots__ = ("payout", "requeued")
    PAYOUT_FIELD_NUMBER: _ClassVar[int]
    REQUEUED_FIELD_NUMBER: _ClassVar[int]
    payout: Payout
    requeued: Payout
    def __init__(self, payout: _Optional[_Union[Payout, _Mapping]] = ..., requeued: _Optional[_Union[Payout, _Mapping]] = ...) -> None: ...

class ListPayoutsRequest(_message.Message):
    __slots__ = ("business_date", "status", "merchant_id", "page")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    status: PayoutStatus
    merchant_id: str
    page: _common_pb2.PageRequest
    def __init__(self, business_date: _Optional[str] = ..., status: _Optional[_Union[PayoutStatus, str]] = ..., merchant_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListPayoutsResponse(_message.Message):
    __slots__ = ("payouts", "page")
    PAYOUTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    payouts: _containers.RepeatedCompositeFieldContainer[Payout]
    page: _common_pb2.PageResponse
    def __init__(self, payouts: _Optional[_Iterable[_Union[Payout, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...
