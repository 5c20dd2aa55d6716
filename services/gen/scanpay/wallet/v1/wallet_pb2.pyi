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

class AccountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_KIND_UNSPECIFIED: _ClassVar[AccountKind]
    ACCOUNT_KIND_CONSUMER_WALLET: _ClassVar[AccountKind]
    ACCOUNT_KIND_MERCHANT_RECEIVABLE: _ClassVar[AccountKind]
    ACCOUNT_KIND_MERCHANT_PAYABLE: _ClassVar[AccountKind]
    ACCOUNT_KIND_PROMOTIONS_BUDGET: _ClassVar[AccountKind]
    ACCOUNT_KIND_FEE_REVENUE: _ClassVar[AccountKind]
    ACCOUNT_KIND_MALL_COMMISSION_PAYABLE: _ClassVar[AccountKind]
    ACCOUNT_KIND_BANK_CLEARING: _ClassVar[AccountKind]
    ACCOUNT_KIND_PLATFORM_MARKETING: _ClassVar[AccountKind]

class TransferType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_TYPE_UNSPECIFIED: _ClassVar[TransferType]
    TRANSFER_TYPE_SINGLE_PHASE: _ClassVar[TransferType]
    TRANSFER_TYPE_PENDING: _ClassVar[TransferType]
    TRANSFER_TYPE_POST_PENDING: _ClassVar[TransferType]
    TRANSFER_TYPE_VOID_PENDING: _ClassVar[TransferType]

class TransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_STATE_UNSPECIFIED: _ClassVar[TransferState]
    TRANSFER_STATE_POSTED: _ClassVar[TransferState]
    TRANSFER_STATE_PENDING: _ClassVar[TransferState]
    TRANSFER_STATE_VOIDED: _ClassVar[TransferState]
    TRANSFER_STATE_EXPIRED: _ClassVar[TransferState]

class EntryDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_DIRECTION_UNSPECIFIED: _ClassVar[EntryDirection]
    ENTRY_DIRECTION_DEBIT: _ClassVar[EntryDirection]
    ENTRY_DIRECTION_CREDIT: _ClassVar[EntryDirection]

class CardBrand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_BRAND_UNSPECIFIED: _ClassVar[CardBrand]
    CARD_BRAND_VISA: _ClassVar[CardBrand]
    CARD_BRAND_MASTERCARD: _ClassVar[CardBrand]
    CARD_BRAND_UNIONPAY: _ClassVar[CardBrand]

class TopUpState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOP_UP_STATE_UNSPECIFIED: _ClassVar[TopUpState]
    TOP_UP_STATE_PENDING: _ClassVar[TopUpState]
    TOP_UP_STATE_SUCCEEDED: _ClassVar[TopUpState]
    TOP_UP_STATE_FAILED: _ClassVar[TopUpState]
ACCOUNT_KIND_UNSPECIFIED: AccountKind
ACCOUNT_KIND_CONSUMER_WALLET: AccountKind
ACCOUNT_KIND_MERCHANT_RECEIVABLE: AccountKind
ACCOUNT_KIND_MERCHANT_PAYABLE: AccountKind
ACCOUNT_KIND_PROMOTIONS_BUDGET: AccountKind
ACCOUNT_KIND_FEE_REVENUE: AccountKind
ACCOUNT_KIND_MALL_COMMISSION_PAYABLE: AccountKind
ACCOUNT_KIND_BANK_CLEARING: AccountKind
ACCOUNT_KIND_PLATFORM_MARKETING: AccountKind
TRANSFER_TYPE_UNSPECIFIED: TransferType
TRANSFER_TYPE_SINGLE_PHASE: TransferType
TRANSFER_TYPE_PENDING: TransferType
TRANSFER_TYPE_POST_PENDING: TransferType
TRANSFER_TYPE_VOID_PENDING: TransferType
TRANSFER_STATE_UNSPECIFIED: TransferState
TRANSFER_STATE_POSTED: TransferState
TRANSFER_STATE_PENDING: TransferState
TRANSFER_STATE_VOIDED: TransferState
TRANSFER_STATE_EXPIRED: TransferState
ENTRY_DIRECTION_UNSPECIFIED: EntryDirection
ENTRY_DIRECTION_DEBIT: EntryDirection
ENTRY_DIRECTION_CREDIT: EntryDirection
CARD_BRAND_UNSPECIFIED: CardBrand
CARD_BRAND_VISA: CardBrand
CARD_BRAND_MASTERCARD: CardBrand
CARD_BRAND_UNIONPAY: CardBrand
TOP_UP_STATE_UNSPECIFIED: TopUpState
TOP_UP_STATE_PENDING: TopUpState
TOP_UP_STATE_SUCCEEDED: TopUpState
TOP_UP_STATE_FAILED: TopUpState

class Account(_message.Message):
    __slots__ = ("id", "kind", "owner_id", "currency", "allow_negative", "frozen", "frozen_reason", "slots", "balance", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FIELD_NUMBER: _ClassVar[int]
    FROZEN_REASON_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: AccountKind
    owner_id: str
    currency: str
    allow_negative: bool
    frozen: bool
    frozen_reason: str
    slots: int
    balance: Balance
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[AccountKind, str]] = ..., owner_id: _Optional[str] = ..., currency: _Optional[str] = ..., allow_negative: _Optional[bool] = ..., frozen: _Optional[bool] = ..., frozen_reason: _Optional[str] = ..., slots: _Optional[int] = ..., balance: _Optional[_Union[Balance, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("account_id", "posted", "pending", "pending_credits", "available")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    POSTED_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    PENDING_CREDITS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    posted: _common_pb2.Money
    pending: _common_pb2.Money
    pending_credits: _common_pb2.Money
    available: _common_pb2.Money
    def __init__(self, account_id: _Optional[str] = ..., posted: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., pending: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., pending_credits: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., available: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OpenAccountRequest(_message.Message):
    __slots__ = ("kind", "owner_id", "currency")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    kind: AccountKind
    owner_id: str
    currency: str
    def __init__(self, kind: _Optional[_Union[AccountKind, str]] = ..., owner_id: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class FindAccountRequest(_message.Message):
    __slots__ = ("kind", "owner_id", "currency")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    kind: AccountKind
    owner_id: str
    currency: str
    def __init__(self, kind: _Optional[_Union[AccountKind, str]] = ..., owner_id: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class FreezeAccountRequest(_message.Message):
    __slots__ = ("account_id", "reason")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    reason: str
    def __init__(self, account_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UnfreezeAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class TransferInput(_message.Message):
    __slots__ = ("id", "debit_account_id", "credit_account_id", "amount", "code", "reference", "metadata", "pending", "timeout_seconds")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    DEBIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    debit_account_id: str
    credit_account_id: str
    amount: _common_pb2.Money
    code: int
    reference: str
    metadata: _containers.ScalarMap[str, str]
    pending: bool
    timeout_seconds: int
    def __init__(self, id: _Optional[str] = ..., debit_account_id: _Optional[str] = ..., credit_account_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., code: _Optional[int] = ..., reference: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., pending: _Optional[bool] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("id", "batch_id", "type", "debit_account_id", "credit_account_id", "amount", "code", "reference", "metadata", "state", "timeout_seconds", "pending_id", "posted_amount", "created_at", "expires_at", "finished_by")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEBIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PENDING_ID_FIELD_NUMBER: _ClassVar[int]
    POSTED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    batch_id: str
    type: TransferType
    debit_account_id: str
    credit_account_id: str
    amount: _common_pb2.Money
    code: int
    reference: str
    metadata: _containers.ScalarMap[str, str]
    state: TransferState
    timeout_seconds: int
    pending_id: str
    posted_amount: _common_pb2.Money
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    finished_by: str
    def __init__(self, id: _Optional[str] = ..., batch_id: _Optional[str] = ..., type: _Optional[_Union[TransferType, str]] = ..., debit_account_id: _Optional[str] = ..., credit_account_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., code: _Optional[int] = ..., reference: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., state: _Optional[_Union[TransferState, str]] = ..., timeout_seconds: _Optional[int] = ..., pending_id: _Optional[str] = ..., posted_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_by: _Optional[str] = ...) -> None: ...

class CreateTransfersRequest(_message.Message):
    __slots__ = ("batch_id", "transfers")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    transfers: _containers.RepeatedCompositeFieldContainer[TransferInput]
    def __init__(self, batch_id: _Optional[str] = ..., transfers: _Optional[_Iterable[_Union[TransferInput, _Mapping]]] = ...) -> None: ...

class CreateTransfersResponse(_message.Message):
    __slots__ = ("batch_id", "transfers", "replayed")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    replayed: bool
    def __init__(self, batch_id: _Optional[str] = ..., transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class CreateTransferBatchesRequest(_message.Message):
    __slots__ = ("batches",)
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[CreateTransfersRequest]
    def __init__(self, batches: _Optional[_Iterable[_Union[CreateTransfersRequest, _Mapping]]] = ...) -> None: ...

class BatchError(_message.Message):
    __slots__ = ("code", "message", "detail")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    detail: _common_pb2.ErrorDetail
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., detail: _Optional[_Union[_common_pb2.ErrorDetail, _Mapping]] = ...) -> None: ...

class BatchOutcome(_message.Message):
    __slots__ = ("batch_id", "applied", "error")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    applied: CreateTransfersResponse
    error: BatchError
    def __init__(self, batch_id: _Optional[str] = ..., applied: _Optional[_Union[CreateTransfersResponse, _Mapping]] = ..., error: _Optional[_Union[BatchError, _Mapping]] = ...) -> None: ...

class CreateTransferBatchesResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[BatchOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[BatchOutcome, _Mapping]]] = ...) -> None: ...

class PostPendingRequest(_message.Message):
    __slots__ = ("transfer_id", "pending_id", "amount")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    pending_id: str
    amount: _common_pb2.Money
    def __init__(self, transfer_id: _Optional[str] = ..., pending_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class VoidPendingRequest(_message.Message):
    __slots__ = ("transfer_id", "pending_id")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    pending_id: str
    def __init__(self, transfer_id: _Optional[str] = ..., pending_id: _Optional[str] = ...) -> None: ...

class GetTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class Entry(_message.Message):
    __slots__ = ("transfer_id", "batch_id", "direction", "amount", "counterparty_account_id", "type", "state", "code", "reference", "created_at")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    batch_id: str
    direction: EntryDirection
    amount: _common_pb2.Money
    counterparty_account_id: str
    type: TransferType
    state: TransferState
    code: int
    reference: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, transfer_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., direction: _Optional[_Union[EntryDirection, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., counterparty_account_id: _Optional[str] = ..., type: _Optional[_Union[TransferType, str]] = ..., state: _Optional[_Union[TransferState, str]] = ..., code: _Optional[int] = ..., reference: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListEntriesRequest(_message.Message):
    __slots__ = ("account_id", "to", "page")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    to: _timestamp_pb2.Timestamp
    page: _common_pb2.PageRequest
    def __init__(self, account_id: _Optional[str] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., **kwargs) -> None: ...

class ListEntriesResponse(_message.Message):
    __slots__ = ("entries", "page")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Entry]
    page: _common_pb2.PageResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[Entry, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ExportLedgerRequest(_message.Message):
    __slots__ = ("to", "page")
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    to: _timestamp_pb2.Timestamp
    page: _common_pb2.PageRequest
    def __init__(self, to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., **kwargs) -> None: ...

class ExportLedgerResponse(_message.Message):
    __slots__ = ("transfers", "page")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    page: _common_pb2.PageResponse
    def __init__(self, transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class Card(_message.Message):
    __slots__ = ("id", "account_id", "last4", "brand", "holder_name", "expiry", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    LAST4_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    HOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: str
    last4: str
    brand: CardBrand
    holder_name: str
    expiry: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[str] = ..., last4: _Optional[str] = ..., brand: _Optional[_Union[CardBrand, str]] = ..., holder_name: _Optional[str] = ..., expiry: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BindCardRequest(_message.Message):
    __slots__ = ("account_id", "card_number", "expiry", "holder_name")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    HOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    card_number: str
    expiry: str
    holder_name: str
    def __init__(self, account_id: _Optional[str] = ..., card_number: _Optional[str] = ..., expiry: _Optional[str] = ..., holder_name: _Optional[str] = ...) -> None: ...

class ListCardsRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class ListCardsResponse(_message.Message):
    __slots__ = ("cards",)
    CARDS_FIELD_NUMBER: _ClassVar[int]
    cards: _containers.RepeatedCompositeFieldContainer[Card]
    def __init__(self, cards: _Optional[_Iterable[_Union[Card, _Mapping]]] = ...) -> None: ...

class TopUpRequest(_message.Message):
    __slots__ = ("request_id", "card_id", "account_id", "amount")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    card_id: str
    account_id: str
    amount: _common_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., card_id: _Optional[str] = ..., account_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class CardTopUp(_message.Message):
    __slots__ = ("request_id", "card_id", "account_id", "requested", "charged", "state", "failure_reason", "transfer_id", "created_at", "updated_at")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    CHARGED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    card_id: str
    account_id: str
    requested: _common_pb2.Money
    charged: _common_pb2.Money
    state: TopUpState
    failure_reason: str
    transfer_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., card_id: _Optional[str] = ..., account_id: _Optional[str] = ..., requested: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., charged: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., state: _Optional[_Union[TopUpState, str]] = ..., failure_reason: _Optional[str] = ..., transfer_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetTopUpRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...
