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

class CampaignStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_STATUS_UNSPECIFIED: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_FUNDING: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_ACTIVE: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_EXHAUSTED: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_ENDED: _ClassVar[CampaignStatus]

class SplitMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPLIT_MODE_UNSPECIFIED: _ClassVar[SplitMode]
    SPLIT_MODE_FIXED: _ClassVar[SplitMode]
    SPLIT_MODE_RANDOM: _ClassVar[SplitMode]

class DiscountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCOUNT_KIND_UNSPECIFIED: _ClassVar[DiscountKind]
    DISCOUNT_KIND_AMOUNT_OFF: _ClassVar[DiscountKind]
    DISCOUNT_KIND_PERCENT_OFF: _ClassVar[DiscountKind]

class TargetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARGET_KIND_UNSPECIFIED: _ClassVar[TargetKind]
    TARGET_KIND_EVERYONE: _ClassVar[TargetKind]
    TARGET_KIND_MALL: _ClassVar[TargetKind]
    TARGET_KIND_MERCHANTS: _ClassVar[TargetKind]
    TARGET_KIND_MCC: _ClassVar[TargetKind]

class CouponStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_STATUS_UNSPECIFIED: _ClassVar[CouponStatus]
    COUPON_STATUS_ISSUED: _ClassVar[CouponStatus]
    COUPON_STATUS_RESERVED: _ClassVar[CouponStatus]
    COUPON_STATUS_REDEEMED: _ClassVar[CouponStatus]
    COUPON_STATUS_EXPIRED: _ClassVar[CouponStatus]

class ReservationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_STATUS_UNSPECIFIED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_RESERVED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_CONFIRMED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_RELEASED: _ClassVar[ReservationStatus]

class GrabStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRAB_STATUS_UNSPECIFIED: _ClassVar[GrabStatus]
    GRAB_STATUS_GRANTED: _ClassVar[GrabStatus]
    GRAB_STATUS_EXHAUSTED: _ClassVar[GrabStatus]
    GRAB_STATUS_LIMIT_REACHED: _ClassVar[GrabStatus]
    GRAB_STATUS_NOT_STARTED: _ClassVar[GrabStatus]
    GRAB_STATUS_ENDED: _ClassVar[GrabStatus]
CAMPAIGN_STATUS_UNSPECIFIED: CampaignStatus
CAMPAIGN_STATUS_FUNDING: CampaignStatus
CAMPAIGN_STATUS_ACTIVE: CampaignStatus
CAMPAIGN_STATUS_EXHAUSTED: CampaignStatus
CAMPAIGN_STATUS_ENDED: CampaignStatus
SPLIT_MODE_UNSPECIFIED: SplitMode
SPLIT_MODE_FIXED: SplitMode
SPLIT_MODE_RANDOM: SplitMode
DISCOUNT_KIND_UNSPECIFIED: DiscountKind
DISCOUNT_KIND_AMOUNT_OFF: DiscountKind
DISCOUNT_KIND_PERCENT_OFF: DiscountKind
TARGET_KIND_UNSPECIFIED: TargetKind
TARGET_KIND_EVERYONE: TargetKind
TARGET_KIND_MALL: TargetKind
TARGET_KIND_MERCHANTS: TargetKind
TARGET_KIND_MCC: TargetKind
COUPON_STATUS_UNSPECIFIED: CouponStatus
COUPON_STATUS_ISSUED: CouponStatus
COUPON_STATUS_RESERVED: CouponStatus
COUPON_STATUS_REDEEMED: CouponStatus
COUPON_STATUS_EXPIRED: CouponStatus
RESERVATION_STATUS_UNSPECIFIED: ReservationStatus
RESERVATION_STATUS_RESERVED: ReservationStatus
RESERVATION_STATUS_CONFIRMED: ReservationStatus
RESERVATION_STATUS_RELEASED: ReservationStatus
GRAB_STATUS_UNSPECIFIED: GrabStatus
GRAB_STATUS_GRANTED: GrabStatus
GRAB_STATUS_EXHAUSTED: GrabStatus
GRAB_STATUS_LIMIT_REACHED: GrabStatus
GRAB_STATUS_NOT_STARTED: GrabStatus
GRAB_STATUS_ENDED: GrabStatus

class Targeting(_message.Message):
    __slots__ = ("kind", "mall_id", "merchant_ids", "mccs")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_IDS_FIELD_NUMBER: _ClassVar[int]
    MCCS_FIELD_NUMBER: _ClassVar[int]
    kind: TargetKind
    mall_id: str
    merchant_ids: _containers.RepeatedScalarFieldContainer[str]
    mccs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kind: _Optional[_Union[TargetKind, str]] = ..., mall_id: _Optional[str] = ..., merchant_ids: _Optional[_Iterable[str]] = ..., mccs: _Optional[_Iterable[str]] = ...) -> None: ...

class Campaign(_message.Message):
    __slots__ = ("id", "name", "status", "budget", "count", "split", "min_amount", "max_amount", "seed", "starts_at", "ends_at", "per_consumer_limit", "targeting", "discount_kind", "percent_off", "min_spend", "validity_days", "budget_account_id", "issued_count", "issued_amount", "redeemed_amount", "returned_amount", "refunded_discount", "created_at", "ended_at", "end_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    MIN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    PER_CONSUMER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TARGETING_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_KIND_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RETURNED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    status: CampaignStatus
    budget: _common_pb2.Money
    count: int
    split: SplitMode
    min_amount: _common_pb2.Money
    max_amount: _common_pb2.Money
    seed: int
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    per_consumer_limit: int
    targeting: Targeting
    discount_kind: DiscountKind
    percent_off: int
    min_spend: _common_pb2.Money
    validity_days: int
    budget_account_id: str
    issued_count: int
    issued_amount: _common_pb2.Money
    redeemed_amount: _common_pb2.Money
    returned_amount: _common_pb2.Money
    refunded_discount: _common_pb2.Money
    created_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    end_reason: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[CampaignStatus, str]] = ..., budget: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., count: _Optional[int] = ..., split: _Optional[_Union[SplitMode, str]] = ..., min_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., max_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., seed: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., per_consumer_limit: _Optional[int] = ..., targeting: _Optional[_Union[Targeting, _Mapping]] = ..., discount_kind: _Optional[_Union[DiscountKind, str]] = ..., percent_off: _Optional[int] = ..., min_spend: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., validity_days: _Optional[int] = ..., budget_account_id: _Optional[str] = ..., issued_count: _Optional[int] = ..., issued_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., redeemed_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., returned_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refunded_discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_reason: _Optional[str] = ...) -> None: ...

class Coupon(_message.Message):
    __slots__ = ("id", "campaign_id", "consumer_id", "status", "value", "discount_kind", "percent_off", "min_spend", "targeting", "issued_at", "expires_at", "trade_id", "discount", "budget_account_id", "campaign_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_KIND_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    TARGETING_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    campaign_id: str
    consumer_id: str
    status: CouponStatus
    value: _common_pb2.Money
    discount_kind: DiscountKind
    percent_off: int
    min_spend: _common_pb2.Money
    targeting: Targeting
    issued_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    trade_id: str
    discount: _common_pb2.Money
    budget_account_id: str
    campaign_name: str
    def __init__(self, id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., consumer_id: _Optional[str] = ..., status: _Optional[_Union[CouponStatus, str]] = ..., value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_kind: _Optional[_Union[DiscountKind, str]] = ..., percent_off: _Optional[int] = ..., min_spend: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., targeting: _Optional[_Union[Targeting, _Mapping]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trade_id: _Optional[str] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., budget_account_id: _Optional[str] = ..., campaign_name: _Optional[str] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("trade_id", "coupon_id", "campaign_id", "status", "amount", "discount", "budget_account_id", "expires_at", "release_reason", "consumer_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_REASON_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    coupon_id: str
    campaign_id: str
    status: ReservationStatus
    amount: _common_pb2.Money
    discount: _common_pb2.Money
    budget_account_id: str
    expires_at: _timestamp_pb2.Timestamp
    release_reason: str
    consumer_id: str
    def __init__(self, trade_id: _Optional[str] = ..., coupon_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., status: _Optional[_Union[ReservationStatus, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., budget_account_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_reason: _Optional[str] = ..., consumer_id: _Optional[str] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("request_id", "name", "budget", "count", "split", "min_amount", "max_amount", "seed", "starts_at", "ends_at", "per_consumer_limit", "targeting", "discount_kind", "percent_off", "min_spend", "validity_days")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    MIN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    PER_CONSUMER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TARGETING_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_KIND_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_DAYS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    budget: _common_pb2.Money
    count: int
    split: SplitMode
    min_amount: _common_pb2.Money
    max_amount: _common_pb2.Money
    seed: int
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    per_consumer_limit: int
    targeting: Targeting
    discount_kind: DiscountKind
    percent_off: int
    min_spend: _common_pb2.Money
    validity_days: int
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., budget: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., count: _Optional[int] = ..., split: _Optional[_Union[SplitMode, str]] = ..., min_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., max_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., seed: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., per_consumer_limit: _Optional[int] = ..., targeting: _Optional[_Union[Targeting, _Mapping]] = ..., discount_kind: _Optional[_Union[DiscountKind, str]] = ..., percent_off: _Optional[int] = ..., min_spend: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., validity_days: _Optional[int] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class EndCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    reason: str
    def __init__(self, campaign_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EndCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class ListActiveCampaignsRequest(_message.Message):
    __slots__ = ("mall_id", "merchant_id", "mcc", "page")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    merchant_id: str
    mcc: str
    page: _common_pb2.PageRequest
    def __init__(self, mall_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., mcc: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListActiveCampaignsResponse(_message.Message):
    __slots__ = ("campaigns", "page")
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    page: _common_pb2.PageResponse
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GrabRedEnvelopeRequest(_message.Message):
    __slots__ = ("campaign_id", "consumer_id", "request_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    consumer_id: str
    request_id: str
    def __init__(self, campaign_id: _Optional[str] = ..., consumer_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GrabRedEnvelopeResponse(_message.Message):
    __slots__ = ("status", "coupon", "message")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status: GrabStatus
    coupon: Coupon
    message: str
    def __init__(self, status: _Optional[_Union[GrabStatus, str]] = ..., coupon: _Optional[_Union[Coupon, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class GetCouponRequest(_message.Message):
    __slots__ = ("coupon_id",)
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_id: str
    def __init__(self, coupon_id: _Optional[str] = ...) -> None: ...

class GetCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: Coupon
    def __init__(self, coupon: _Optional[_Union[Coupon, _Mapping]] = ...) -> None: ...

class ListCouponsRequest(_message.Message):
    __slots__ = ("consumer_id", "statuses", "page")
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    consumer_id: str
    statuses: _containers.RepeatedScalarFieldContainer[CouponStatus]
    page: _common_pb2.PageRequest
    def __init__(self, consumer_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[CouponStatus, str]]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListCouponsResponse(_message.Message):
    __slots__ = ("coupons", "page")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[Coupon]
    page: _common_pb2.PageResponse
    def __init__(self, coupons: _Optional[_Iterable[_Union[Coupon, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class QuoteBestCouponRequest(_message.Message):
    __slots__ = ("consumer_id", "store_id", "merchant_id", "mall_id", "mcc", "amount")
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    consumer_id: str
    store_id: str
    merchant_id: str
    mall_id: str
    mcc: str
    amount: _common_pb2.Money
    def __init__(self, consumer_id: _Optional[str] = ..., store_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., mcc: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class QuoteBestCouponResponse(_message.Message):
    __slots__ = ("found", "coupon", "discount", "pay_amount", "budget_account_id")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    PAY_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    found: bool
    coupon: Coupon
    discount: _common_pb2.Money
    pay_amount: _common_pb2.Money
    budget_account_id: str
    def __init__(self, found: _Optional[bool] = ..., coupon: _Optional[_Union[Coupon, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., pay_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., budget_account_id: _Optional[str] = ...) -> None: ...

class ReserveCouponRequest(_message.Message):
    __slots__ = ("coupon_id", "trade_id", "amount", "consumer_id", "store_id", "merchant_id", "mall_id", "mcc", "hold_seconds")
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    HOLD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    coupon_id: str
    trade_id: str
    amount: _common_pb2.Money
    consumer_id: str
    store_id: str
    merchant_id: str
    mall_id: str
    mcc: str
    hold_seconds: int
    def __init__(self, coupon_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., consumer_id: _Optional[str] = ..., store_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., mcc: _Optional[str] = ..., hold_seconds: _Optional[int] = ...) -> None: ...

class ReserveCouponResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ConfirmCouponRequest(_message.Message):
    __slots__ = ("trade_id", "coupon_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    coupon_id: str
    def __init__(self, trade_id: _Optional[str] = ..., coupon_id: _Optional[str] = ...) -> None: ...

class ConfirmCouponResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ReleaseCouponRequest(_message.Message):
    __slots__ = ("trade_id", "reason")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    reason: str
    def __init__(self, trade_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReleaseCouponResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ReturnDiscountRequest(_message.Message):
    __slots__ = ("refund_id", "trade_id", "amount")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    trade_id: str
    amount: _common_pb2.Money
    def __init__(self, refund_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ReturnDiscountResponse(_message.Message):
    __slots__ = ("discount_returned", "budget_account_id", "campaign_id", "coupon_id", "total_discount_returned")
    DISCOUNT_RETURNED_FIELD_NUMBER: _ClassVar[int]
    BUDGET_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DISCOUNT_RETURNED_FIELD_NUMBER: _ClassVar[int]
    discount_returned: _common_pb2.Money
    budget_account_id: str
    campaign_id: str
    coupon_id: str
    total_discount_returned: _common_pb2.Money
    def __init__(self, discount_returned: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., budget_account_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., coupon_id: _Optional[str] = ..., total_discount_returned: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...
