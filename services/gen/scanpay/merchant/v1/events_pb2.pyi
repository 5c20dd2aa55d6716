import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...merchant.v1 import merchant_pb2 as _merchant_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MerchantCreated(_message.Message):
    __slots__ = ("merchant",)
    MERCHANT_FIELD_NUMBER: _ClassVar[int]
    merchant: _merchant_pb2.Merchant
    def __init__(self, merchant: _Optional[_Union[_merchant_pb2.Merchant, _Mapping]] = ...) -> None: ...

class MerchantUpdated(_message.Message):
    __slots__ = ("merchant",)
    MERCHANT_FIELD_NUMBER: _ClassVar[int]
    merchant: _merchant_pb2.Merchant
    def __init__(self, merchant: _Optional[_Union[_merchant_pb2.Merchant, _Mapping]] = ...) -> None: ...

class MerchantStatusChanged(_message.Message):
    __slots__ = ("merchant_id", "from_status", "to_status", "reason", "actor", "change_time", "merchant")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    from_status: _merchant_pb2.MerchantStatus
    to_status: _merchant_pb2.MerchantStatus
    reason: str
    actor: str
    change_time: _timestamp_pb2.Timestamp
    merchant: _merchant_pb2.Merchant
    def __init__(self, merchant_id: _Optional[str] = ..., from_status: _Optional[_Union[_merchant_pb2.MerchantStatus, str]] = ..., to_status: _Optional[_Union[_merchant_pb2.MerchantStatus, str]] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., merchant: _Optional[_Union[_merchant_pb2.Merchant, _Mapping]] = ...) -> None: ...

class StoreCreated(_message.Message):
    __slots__ = ("store",)
    STORE_FIELD_NUMBER: _ClassVar[int]
    store: _merchant_pb2.Store
    def __init__(self, store: _Optional[_Union[_merchant_pb2.Store, _Mapping]] = ...) -> None: ...

class StoreUpdated(_message.Message):
    __slots__ = ("store",)
    STORE_FIELD_NUMBER: _ClassVar[int]
    store: _merchant_pb2.Store
    def __init__(self, store: _Optional[_Union[_merchant_pb2.Store, _Mapping]] = ...) -> None: ...

class CredentialRevoked(_message.Message):
    __slots__ = ("key_id", "owner_kind", "owner_id", "reason", "revoke_time")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    owner_kind: _merchant_pb2.OwnerKind
    owner_id: str
    reason: str
    revoke_time: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., owner_kind: _Optional[_Union[_merchant_pb2.OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., reason: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
