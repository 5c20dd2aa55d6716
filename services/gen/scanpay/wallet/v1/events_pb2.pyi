import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from ...wallet.v1 import wallet_pb2 as _wallet_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferPosted(_message.Message):
    __slots__ = ("transfer", "posted_at")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    transfer: _wallet_pb2.Transfer
    posted_at: _timestamp_pb2.Timestamp
    def __init__(self, transfer: _Optional[_Union[_wallet_pb2.Transfer, _Mapping]] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransferVoided(_message.Message):
    __slots__ = ("pending_id", "void_transfer_id", "batch_id", "debit_account_id", "credit_account_id", "amount", "reference", "expired", "voided_at")
    PENDING_ID_FIELD_NUMBER: _ClassVar[int]
    VOID_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DEBIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    VOIDED_AT_FIELD_NUMBER: _ClassVar[int]
    pending_id: str
    void_transfer_id: str
    batch_id: str
    debit_account_id: str
    credit_account_id: str
    amount: _common_pb2.Money
    reference: str
    expired: bool
    voided_at: _timestamp_pb2.Timestamp
    def __init__(self, pending_id: _Optional[str] = ..., void_transfer_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., debit_account_id: _Optional[str] = ..., credit_account_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reference: _Optional[str] = ..., expired: _Optional[bool] = ..., voided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TopUpFinished(_message.Message):
    __slots__ = ("top_up",)
    TOP_UP_FIELD_NUMBER: _ClassVar[int]
    top_up: _wallet_pb2.CardTopUp
    def __init__(self, top_up: _Optional[_Union[_wallet_pb2.CardTopUp, _Mapping]] = ...) -> None: ...

class AccountFrozen(_message.Message):
    __slots__ = ("account_id", "kind", "owner_id", "reason", "frozen_at")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FROZEN_AT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    kind: _wallet_pb2.AccountKind
    owner_id: str
    reason: str
    frozen_at: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., kind: _Optional[_Union[_wallet_pb2.AccountKind, str]] = ..., owner_id: _Optional[str] = ..., reason: _Optional[str] = ..., frozen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
