import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ...common.v1 import common_pb2 as _common_pb2
from ...promotions.v1 import promotions_pb2 as _promotions_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CouponIssued(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _promotions_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_promotions_pb2.Coupon, _Mapping]] = ...) -> None: ...

class CouponReserved(_message.Message):
    __slots__ = ("coupon", "reservation")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    coupon: _promotions_pb2.Coupon
    reservation: _promotions_pb2.Reservation
    def __init__(self, coupon: _Optional[_Union[_promotions_pb2.Coupon, _Mapping]] = ..., reservation: _Optional[_Union[_promotions_pb2.Reservation, _Mapping]] = ...) -> None: ...

class CouponRedeemed(_message.Message):
    __slots__ = ("coupon", "reservation")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    coupon: _promotions_pb2.Coupon
    reservation: _promotions_pb2.Reservation
    def __init__(self, coupon: _Optional[_Union[_promotions_pb2.Coupon, _Mapping]] = ..., reservation: _Optional[_Union[_promotions_pb2.Reservation, _Mapping]] = ...) -> None: ...

class CouponReleased(_message.Message):
    __slots__ = ("coupon", "reservation")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    coupon: _promotions_pb2.Coupon
    reservation: _promotions_pb2.Reservation
    def __init__(self, coupon: _Optional[_Union[_promotions_pb2.Coupon, _Mapping]] = ..., reservation: _Optional[_Union[_promotions_pb2.Reservation, _Mapping]] = ...) -> None: ...

class CouponExpired(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _promotions_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_promotions_pb2.Coupon, _Mapping]] = ...) -> None: ...

class CampaignExhausted(_message.Message):
    __slots__ = ("campaign_id", "issued_count", "issued_amount", "exhausted_at")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXHAUSTED_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    issued_count: int
    issued_amount: _common_pb2.Money
    exhausted_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., issued_count: _Optional[int] = ..., issued_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., exhausted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CampaignEnded(_message.Message):
    __slots__ = ("campaign_id", "reason", "returned_amount", "ended_at")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETURNED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    reason: str
    returned_amount: _common_pb2.Money
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., reason: _Optional[str] = ..., returned_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
