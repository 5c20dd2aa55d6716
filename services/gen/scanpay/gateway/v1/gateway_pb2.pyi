import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from ...gateway.v1 import events_pb2 as _events_pb2
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
TRADE_STATUS_UNSPECIFIED: TradeStatus
TRADE_STATUS_WAIT_BUYER_PAY: TradeStatus
TRADE_STATUS_TRADE_SUCCESS: TradeStatus
TRADE_STATUS_TRADE_CLOSED: TradeStatus
TRADE_STATUS_TRADE_FINISHED: TradeStatus

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
