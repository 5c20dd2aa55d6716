import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from ...gateway.v1 import events_pb2 as _events_pb2
from ...merchant.v1 import merchant_pb2 as _merchant_pb2
from ...promotions.v1 import promotions_pb2 as _promotions_pb2
from ...settlement.v1 import settlement_pb2 as _settlement_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TradeStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_STATUS_UNSPECIFIED: _ClassVar[TradeStatus]
    TRADE_STATUS_WAIT_BUYER_PAY: _ClassVar[TradeStatus]
    TRADE_STATUS_TRADE_SUCCESS: _ClassVar[TradeStatus]
    TRADE_STATUS_TRADE_CLOSED: _ClassVar[TradeStatus]
    TRADE_STATUS_TRADE_FINISHED: _ClassVar[TradeStatus]

class ActivationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVATION_STATUS_UNSPECIFIED: _ClassVar[ActivationStatus]
    ACTIVATION_STATUS_PENDING: _ClassVar[ActivationStatus]
    ACTIVATION_STATUS_APPROVED: _ClassVar[ActivationStatus]
    ACTIVATION_STATUS_REJECTED: _ClassVar[ActivationStatus]
TRADE_STATUS_UNSPECIFIED: TradeStatus
TRADE_STATUS_WAIT_BUYER_PAY: TradeStatus
TRADE_STATUS_TRADE_SUCCESS: TradeStatus
TRADE_STATUS_TRADE_CLOSED: TradeStatus
TRADE_STATUS_TRADE_FINISHED: TradeStatus
ACTIVATION_STATUS_UNSPECIFIED: ActivationStatus
ACTIVATION_STATUS_PENDING: ActivationStatus
ACTIVATION_STATUS_APPROVED: ActivationStatus
ACTIVATION_STATUS_REJECTED: ActivationStatus

class Trade(_message.Message):
    __slots__ = ("trade_id", "merchant_id", "store_id", "mall_id", "consumer_id", "partner_id", "out_trade_no", "subject", "status", "way", "amount", "paid", "discount", "refunded", "coupon_id", "campaign_id", "close_reason", "created_at", "paid_at", "closed_at", "expires_at", "qr_payload", "wallet_batch_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRADE_NO_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WAY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    QR_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    WALLET_BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    merchant_id: str
    store_id: str
    mall_id: str
    consumer_id: str
    partner_id: str
    out_trade_no: str
    subject: str
    status: TradeStatus
    way: _events_pb2.PaymentWay
    amount: _common_pb2.Money
    paid: _common_pb2.Money
    discount: _common_pb2.Money
    refunded: _common_pb2.Money
    coupon_id: str
    campaign_id: str
    close_reason: str
    created_at: _timestamp_pb2.Timestamp
    paid_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    qr_payload: str
    wallet_batch_id: str
    def __init__(self, trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., consumer_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., out_trade_no: _Optional[str] = ..., subject: _Optional[str] = ..., status: _Optional[_Union[TradeStatus, str]] = ..., way: _Optional[_Union[_events_pb2.PaymentWay, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., coupon_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., close_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., qr_payload: _Optional[str] = ..., wallet_batch_id: _Optional[str] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("refund_id", "trade_id", "out_refund_no", "amount", "paid_part", "discount_part", "reason", "succeeded_at", "merchant_id", "store_id", "mall_id")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_REFUND_NO_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_PART_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_PART_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_AT_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    trade_id: str
    out_refund_no: str
    amount: _common_pb2.Money
    paid_part: _common_pb2.Money
    discount_part: _common_pb2.Money
    reason: str
    succeeded_at: _timestamp_pb2.Timestamp
    merchant_id: str
    store_id: str
    mall_id: str
    def __init__(self, refund_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., out_refund_no: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_part: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_part: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ..., succeeded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., mall_id: _Optional[str] = ...) -> None: ...

class PrecreateRequest(_message.Message):
    __slots__ = ("merchant_id", "store_id", "out_trade_no", "amount", "subject", "timeout_seconds", "notify_url")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRADE_NO_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_URL_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    store_id: str
    out_trade_no: str
    amount: _common_pb2.Money
    subject: str
    timeout_seconds: int
    notify_url: str
    def __init__(self, merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., out_trade_no: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., subject: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., notify_url: _Optional[str] = ...) -> None: ...

class PrecreateResponse(_message.Message):
    __slots__ = ("trade", "qr_payload")
    TRADE_FIELD_NUMBER: _ClassVar[int]
    QR_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    trade: Trade
    qr_payload: str
    def __init__(self, trade: _Optional[_Union[Trade, _Mapping]] = ..., qr_payload: _Optional[str] = ...) -> None: ...

class PayByCodeRequest(_message.Message):
    __slots__ = ("merchant_id", "store_id", "out_trade_no", "amount", "subject", "payment_code", "notify_url")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRADE_NO_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_URL_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    store_id: str
    out_trade_no: str
    amount: _common_pb2.Money
    subject: str
    payment_code: str
    notify_url: str
    def __init__(self, merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., out_trade_no: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., subject: _Optional[str] = ..., payment_code: _Optional[str] = ..., notify_url: _Optional[str] = ...) -> None: ...

class TradeRef(_message.Message):
    __slots__ = ("merchant_id", "trade_id", "out_trade_no")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRADE_NO_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    trade_id: str
    out_trade_no: str
    def __init__(self, merchant_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., out_trade_no: _Optional[str] = ...) -> None: ...

class TradeResponse(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: Trade
    def __init__(self, trade: _Optional[_Union[Trade, _Mapping]] = ...) -> None: ...

class RefundRequest(_message.Message):
    __slots__ = ("trade", "out_refund_no", "amount", "reason")
    TRADE_FIELD_NUMBER: _ClassVar[int]
    OUT_REFUND_NO_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    trade: TradeRef
    out_refund_no: str
    amount: _common_pb2.Money
    reason: str
    def __init__(self, trade: _Optional[_Union[TradeRef, _Mapping]] = ..., out_refund_no: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RefundResponse(_message.Message):
    __slots__ = ("refund", "trade")
    REFUND_FIELD_NUMBER: _ClassVar[int]
    TRADE_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    trade: Trade
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ..., trade: _Optional[_Union[Trade, _Mapping]] = ...) -> None: ...

class ListTradesRequest(_message.Message):
    __slots__ = ("merchant_id", "status", "page")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    status: TradeStatus
    page: _common_pb2.PageRequest
    def __init__(self, merchant_id: _Optional[str] = ..., status: _Optional[_Union[TradeStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListTradesResponse(_message.Message):
    __slots__ = ("trades", "page")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    page: _common_pb2.PageResponse
    def __init__(self, trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("notification_id", "merchant_id", "partner_id", "url", "event_type", "trade_id", "status", "attempts", "next_attempt_at", "delivered_at", "last_status_code", "last_error")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    merchant_id: str
    partner_id: str
    url: str
    event_type: str
    trade_id: str
    status: str
    attempts: int
    next_attempt_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    last_status_code: int
    last_error: str
    def __init__(self, notification_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., url: _Optional[str] = ..., event_type: _Optional[str] = ..., trade_id: _Optional[str] = ..., status: _Optional[str] = ..., attempts: _Optional[int] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_status_code: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("merchant_id", "trade_id", "page")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    trade_id: str
    page: _common_pb2.PageRequest
    def __init__(self, merchant_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "page")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    page: _common_pb2.PageResponse
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ResendNotificationRequest(_message.Message):
    __slots__ = ("merchant_id", "notification_id")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    notification_id: str
    def __init__(self, merchant_id: _Optional[str] = ..., notification_id: _Optional[str] = ...) -> None: ...

class ListTradesForDayRequest(_message.Message):
    __slots__ = ("business_date", "page")
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    business_date: str
    page: _common_pb2.PageRequest
    def __init__(self, business_date: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class TradeRecord(_message.Message):
    __slots__ = ("trade_id", "merchant_id", "store_id", "mall_id", "amount", "paid", "discount", "status", "refunded", "paid_at", "wallet_batch_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    WALLET_BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    merchant_id: str
    store_id: str
    mall_id: str
    amount: _common_pb2.Money
    paid: _common_pb2.Money
    discount: _common_pb2.Money
    status: TradeStatus
    refunded: _common_pb2.Money
    paid_at: _timestamp_pb2.Timestamp
    wallet_batch_id: str
    def __init__(self, trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., status: _Optional[_Union[TradeStatus, str]] = ..., refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., wallet_batch_id: _Optional[str] = ...) -> None: ...

class ListTradesForDayResponse(_message.Message):
    __slots__ = ("trades", "page")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[TradeRecord]
    page: _common_pb2.PageResponse
    def __init__(self, trades: _Optional[_Iterable[_Union[TradeRecord, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ListRefundsForDayResponse(_message.Message):
    __slots__ = ("refunds", "page")
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    page: _common_pb2.PageResponse
    def __init__(self, refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class OnboardMerchantRequest(_message.Message):
    __slots__ = ("legal_name", "display_name", "licence_id", "mcc", "settlement_account")
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LICENCE_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    legal_name: str
    display_name: str
    licence_id: str
    mcc: str
    settlement_account: _merchant_pb2.BankAccountInput
    def __init__(self, legal_name: _Optional[str] = ..., display_name: _Optional[str] = ..., licence_id: _Optional[str] = ..., mcc: _Optional[str] = ..., settlement_account: _Optional[_Union[_merchant_pb2.BankAccountInput, _Mapping]] = ...) -> None: ...

class AddStoreRequest(_message.Message):
    __slots__ = ("merchant_id", "mall_id", "name", "address", "city", "lat", "lng", "opening_hours")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    LAT_FIELD_NUMBER: _ClassVar[int]
    LNG_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    mall_id: str
    name: str
    address: str
    city: str
    lat: float
    lng: float
    opening_hours: _merchant_pb2.OpeningHours
    def __init__(self, merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., city: _Optional[str] = ..., lat: _Optional[float] = ..., lng: _Optional[float] = ..., opening_hours: _Optional[_Union[_merchant_pb2.OpeningHours, _Mapping]] = ...) -> None: ...

class ActivationRequest(_message.Message):
    __slots__ = ("request_id", "merchant_id", "partner_id", "note", "status", "requested_at", "decided_at", "decided_by", "decision_reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    merchant_id: str
    partner_id: str
    note: str
    status: ActivationStatus
    requested_at: _timestamp_pb2.Timestamp
    decided_at: _timestamp_pb2.Timestamp
    decided_by: str
    decision_reason: str
    def __init__(self, request_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., note: _Optional[str] = ..., status: _Optional[_Union[ActivationStatus, str]] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decided_by: _Optional[str] = ..., decision_reason: _Optional[str] = ...) -> None: ...

class RequestActivationRequest(_message.Message):
    __slots__ = ("merchant_id", "note")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    note: str
    def __init__(self, merchant_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class MerchantRef(_message.Message):
    __slots__ = ("merchant_id",)
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    def __init__(self, merchant_id: _Optional[str] = ...) -> None: ...

class StoreRef(_message.Message):
    __slots__ = ("store_id",)
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    def __init__(self, store_id: _Optional[str] = ...) -> None: ...

class ListPartnerMerchantsRequest(_message.Message):
    __slots__ = ("status", "page")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    status: _merchant_pb2.MerchantStatus
    page: _common_pb2.PageRequest
    def __init__(self, status: _Optional[_Union[_merchant_pb2.MerchantStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListPartnerMerchantsResponse(_message.Message):
    __slots__ = ("merchants", "page")
    MERCHANTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchants: _containers.RepeatedCompositeFieldContainer[_merchant_pb2.Merchant]
    page: _common_pb2.PageResponse
    def __init__(self, merchants: _Optional[_Iterable[_Union[_merchant_pb2.Merchant, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ListMerchantStoresRequest(_message.Message):
    __slots__ = ("merchant_id", "page")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    page: _common_pb2.PageRequest
    def __init__(self, merchant_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListMerchantStoresResponse(_message.Message):
    __slots__ = ("stores", "page")
    STORES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[_merchant_pb2.Store]
    page: _common_pb2.PageResponse
    def __init__(self, stores: _Optional[_Iterable[_Union[_merchant_pb2.Store, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class IssuePosKeyRequest(_message.Message):
    __slots__ = ("merchant_id", "expire_time")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, merchant_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PosKeyResponse(_message.Message):
    __slots__ = ("credential", "secret")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    credential: _merchant_pb2.Credential
    secret: str
    def __init__(self, credential: _Optional[_Union[_merchant_pb2.Credential, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class RotatePosKeyRequest(_message.Message):
    __slots__ = ("merchant_id", "key_id", "overlap_seconds")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    key_id: str
    overlap_seconds: int
    def __init__(self, merchant_id: _Optional[str] = ..., key_id: _Optional[str] = ..., overlap_seconds: _Optional[int] = ...) -> None: ...

class RotatePosKeyResponse(_message.Message):
    __slots__ = ("credential", "secret", "previous")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    credential: _merchant_pb2.Credential
    secret: str
    previous: _merchant_pb2.Credential
    def __init__(self, credential: _Optional[_Union[_merchant_pb2.Credential, _Mapping]] = ..., secret: _Optional[str] = ..., previous: _Optional[_Union[_merchant_pb2.Credential, _Mapping]] = ...) -> None: ...

class RevokePosKeyRequest(_message.Message):
    __slots__ = ("merchant_id", "key_id", "reason")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    key_id: str
    reason: str
    def __init__(self, merchant_id: _Optional[str] = ..., key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListPosKeysRequest(_message.Message):
    __slots__ = ("merchant_id", "include_inactive")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    include_inactive: bool
    def __init__(self, merchant_id: _Optional[str] = ..., include_inactive: _Optional[bool] = ...) -> None: ...

class ListPosKeysResponse(_message.Message):
    __slots__ = ("credentials",)
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    credentials: _containers.RepeatedCompositeFieldContainer[_merchant_pb2.Credential]
    def __init__(self, credentials: _Optional[_Iterable[_Union[_merchant_pb2.Credential, _Mapping]]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("merchant_id", "business_date")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DATE_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    business_date: str
    def __init__(self, merchant_id: _Optional[str] = ..., business_date: _Optional[str] = ...) -> None: ...

class ListSettlementBatchesRequest(_message.Message):
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

class CreatePartnerKeyRequest(_message.Message):
    __slots__ = ("partner_id", "expire_time")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, partner_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MerchantDecisionRequest(_message.Message):
    __slots__ = ("merchant_id", "reason")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    reason: str
    def __init__(self, merchant_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListActivationRequestsRequest(_message.Message):
    __slots__ = ("status", "page")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    status: ActivationStatus
    page: _common_pb2.PageRequest
    def __init__(self, status: _Optional[_Union[ActivationStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListActivationRequestsResponse(_message.Message):
    __slots__ = ("requests", "page")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ActivationRequest]
    page: _common_pb2.PageResponse
    def __init__(self, requests: _Optional[_Iterable[_Union[ActivationRequest, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class EndCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    reason: str
    def __init__(self, campaign_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TradeLookup(_message.Message):
    __slots__ = ("trade", "refunds")
    TRADE_FIELD_NUMBER: _ClassVar[int]
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    trade: Trade
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    def __init__(self, trade: _Optional[_Union[Trade, _Mapping]] = ..., refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("seq", "audit_id", "actor", "action", "target_kind", "target_id", "reason", "before_json", "after_json", "request_id", "occurred_at")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BEFORE_JSON_FIELD_NUMBER: _ClassVar[int]
    AFTER_JSON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    audit_id: str
    actor: str
    action: str
    target_kind: str
    target_id: str
    reason: str
    before_json: str
    after_json: str
    request_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, seq: _Optional[int] = ..., audit_id: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target_kind: _Optional[str] = ..., target_id: _Optional[str] = ..., reason: _Optional[str] = ..., before_json: _Optional[str] = ..., after_json: _Optional[str] = ..., request_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditLogRequest(_message.Message):
    __slots__ = ("target_id", "action", "page")
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    target_id: str
    action: str
    page: _common_pb2.PageRequest
    def __init__(self, target_id: _Optional[str] = ..., action: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListAuditLogResponse(_message.Message):
    __slots__ = ("entries", "page")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    page: _common_pb2.PageResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...
