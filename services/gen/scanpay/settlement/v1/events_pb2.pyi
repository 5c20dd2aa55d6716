from ...common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchPosted(_message.Message):
    __slots__ = ("batch_id", "merchant_id", "business_date", "gross", "fees", "mall_commission", "net", "payout", "carry_out", "late_count")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    GROSS_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    MALL_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    NET_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_FIELD_NUMBER: _ClassVar[int]
    CARRY_OUT_FIELD_NUMBER: _ClassVar[int]
    LATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    merchant_id: str
    business_date: str
    gross: _common_pb2.Money
    fees: _common_pb2.Money
    mall_commission: _common_pb2.Money
    net: _common_pb2.Money
    payout: _common_pb2.Money
    carry_out: _common_pb2.Money
    late_count: int
    def __init__(self, batch_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., business_date: _Optional[str] = ..., gross: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fees: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., mall_commission: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., net: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payout: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., carry_out: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., late_count: _Optional[int] = ...) -> None: ...

class PayoutSent(_message.Message):
    __slots__ = ("payout_id", "batch_id", "merchant_id", "amount", "bank_code", "file_name", "attempt")
    PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BANK_CODE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    payout_id: str
    batch_id: str
    merchant_id: str
    amount: _common_pb2.Money
    bank_code: str
    file_name: str
    attempt: int
    def __init__(self, payout_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., bank_code: _Optional[str] = ..., file_name: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class PayoutFailed(_message.Message):
    __slots__ = ("payout_id", "batch_id", "merchant_id", "amount", "reason", "requeued_payout_id")
    PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEUED_PAYOUT_ID_FIELD_NUMBER: _ClassVar[int]
    payout_id: str
    batch_id: str
    merchant_id: str
    amount: _common_pb2.Money
    reason: str
    requeued_payout_id: str
    def __init__(self, payout_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ..., requeued_payout_id: _Optional[str] = ...) -> None: ...

class DiscrepancyFound(_message.Message):
    __slots__ = ("discrepancy_id", "business_date", "subject_kind", "subject_id", "trade_id", "merchant_id", "kind", "reason")
    DISCREPANCY_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    discrepancy_id: str
    business_date: str
    subject_kind: str
    subject_id: str
    trade_id: str
    merchant_id: str
    kind: str
    reason: str
    def __init__(self, discrepancy_id: _Optional[str] = ..., business_date: _Optional[str] = ..., subject_kind: _Optional[str] = ..., subject_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., kind: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
