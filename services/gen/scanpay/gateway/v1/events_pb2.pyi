import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PaymentWay(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_WAY_UNSPECIFIED: _ClassVar[PaymentWay]
    PAYMENT_WAY_STORE_QR: _ClassVar[PaymentWay]
    PAYMENT_WAY_ORDER_QR: _ClassVar[PaymentWay]
    PAYMENT_WAY_PAYMENT_CODE: _ClassVar[PaymentWay]
PAYMENT_WAY_UNSPECIFIED: PaymentWay
PAYMENT_WAY_STORE_QR: PaymentWay
PAYMENT_WAY_ORDER_QR: PaymentWay
PAYMENT_WAY_PAYMENT_CODE: PaymentWay

class TradeSucceeded(_message.Message):
    __slots__ = ("trade_id", "merchant_id", "store_id", "mall_id", "consumer_id", "amount", "paid", "discount", "campaign_id", "coupon_id", "wallet_batch_id", "way", "succeeded_at", "partner_id", "out_trade_no")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    WALLET_BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    WAY_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_AT_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRADE_NO_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    merchant_id: str
    store_id: str
    mall_id: str
    consumer_id: str
    amount: _common_pb2.Money
    paid: _common_pb2.Money
    discount: _common_pb2.Money
    campaign_id: str
    coupon_id: str
    wallet_batch_id: str
    way: PaymentWay
    succeeded_at: _timestamp_pb2.Timestamp
    partner_id: str
    out_trade_no: str
    def __init__(self, trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., consumer_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., campaign_id: _Optional[str] = ..., coupon_id: _Optional[str] = ..., wallet_batch_id: _Optional[str] = ..., way: _Optional[_Union[PaymentWay, str]] = ..., succeeded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., partner_id: _Optional[str] = ..., out_trade_no: _Optional[str] = ...) -> None: ...

class TradeClosed(_message.Message):
    __slots__ = ("trade_id", "merchant_id", "store_id", "reason", "refunded", "closed_at", "mall_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    merchant_id: str
    store_id: str
    reason: str
    refunded: bool
    closed_at: _timestamp_pb2.Timestamp
    mall_id: str
    def __init__(self, trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., reason: _Optional[str] = ..., refunded: _Optional[bool] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mall_id: _Optional[str] = ...) -> None: ...

class RefundSucceeded(_message.Message):
    __slots__ = ("refund_id", "trade_id", "merchant_id", "store_id", "mall_id", "amount", "paid_part", "discount_part", "succeeded_at", "out_refund_no")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_PART_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_PART_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_AT_FIELD_NUMBER: _ClassVar[int]
    OUT_REFUND_NO_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    trade_id: str
    merchant_id: str
    store_id: str
    mall_id: str
    amount: _common_pb2.Money
    paid_part: _common_pb2.Money
    discount_part: _common_pb2.Money
    succeeded_at: _timestamp_pb2.Timestamp
    out_refund_no: str
    def __init__(self, refund_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., store_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_part: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_part: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., succeeded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., out_refund_no: _Optional[str] = ...) -> None: ...
