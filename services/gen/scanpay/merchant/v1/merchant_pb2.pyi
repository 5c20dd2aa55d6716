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

class PartnerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTNER_STATUS_UNSPECIFIED: _ClassVar[PartnerStatus]
    PARTNER_STATUS_ACTIVE: _ClassVar[PartnerStatus]
    PARTNER_STATUS_SUSPENDED: _ClassVar[PartnerStatus]

class MerchantStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MERCHANT_STATUS_UNSPECIFIED: _ClassVar[MerchantStatus]
    MERCHANT_STATUS_PENDING: _ClassVar[MerchantStatus]
    MERCHANT_STATUS_ACTIVE: _ClassVar[MerchantStatus]
    MERCHANT_STATUS_SUSPENDED: _ClassVar[MerchantStatus]
    MERCHANT_STATUS_CLOSED: _ClassVar[MerchantStatus]

class StoreStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORE_STATUS_UNSPECIFIED: _ClassVar[StoreStatus]
    STORE_STATUS_ACTIVE: _ClassVar[StoreStatus]
    STORE_STATUS_INACTIVE: _ClassVar[StoreStatus]

class Weekday(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEEKDAY_UNSPECIFIED: _ClassVar[Weekday]
    WEEKDAY_MONDAY: _ClassVar[Weekday]
    WEEKDAY_TUESDAY: _ClassVar[Weekday]
    WEEKDAY_WEDNESDAY: _ClassVar[Weekday]
    WEEKDAY_THURSDAY: _ClassVar[Weekday]
    WEEKDAY_FRIDAY: _ClassVar[Weekday]
    WEEKDAY_SATURDAY: _ClassVar[Weekday]
    WEEKDAY_SUNDAY: _ClassVar[Weekday]

class OwnerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OWNER_KIND_UNSPECIFIED: _ClassVar[OwnerKind]
    OWNER_KIND_MERCHANT: _ClassVar[OwnerKind]
    OWNER_KIND_PARTNER: _ClassVar[OwnerKind]

class CredentialStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_STATUS_UNSPECIFIED: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_ACTIVE: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_EXPIRED: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_REVOKED: _ClassVar[CredentialStatus]

class VerifyFailure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFY_FAILURE_UNSPECIFIED: _ClassVar[VerifyFailure]
    VERIFY_FAILURE_UNKNOWN_KEY: _ClassVar[VerifyFailure]
    VERIFY_FAILURE_REVOKED: _ClassVar[VerifyFailure]
    VERIFY_FAILURE_EXPIRED: _ClassVar[VerifyFailure]
    VERIFY_FAILURE_BAD_SIGNATURE: _ClassVar[VerifyFailure]
    VERIFY_FAILURE_OWNER_INACTIVE: _ClassVar[VerifyFailure]
PARTNER_STATUS_UNSPECIFIED: PartnerStatus
PARTNER_STATUS_ACTIVE: PartnerStatus
PARTNER_STATUS_SUSPENDED: PartnerStatus
MERCHANT_STATUS_UNSPECIFIED: MerchantStatus
MERCHANT_STATUS_PENDING: MerchantStatus
MERCHANT_STATUS_ACTIVE: MerchantStatus
MERCHANT_STATUS_SUSPENDED: MerchantStatus
MERCHANT_STATUS_CLOSED: MerchantStatus
STORE_STATUS_UNSPECIFIED: StoreStatus
STORE_STATUS_ACTIVE: StoreStatus
STORE_STATUS_INACTIVE: StoreStatus
WEEKDAY_UNSPECIFIED: Weekday
WEEKDAY_MONDAY: Weekday
WEEKDAY_TUESDAY: Weekday
WEEKDAY_WEDNESDAY: Weekday
WEEKDAY_THURSDAY: Weekday
WEEKDAY_FRIDAY: Weekday
WEEKDAY_SATURDAY: Weekday
WEEKDAY_SUNDAY: Weekday
OWNER_KIND_UNSPECIFIED: OwnerKind
OWNER_KIND_MERCHANT: OwnerKind
OWNER_KIND_PARTNER: OwnerKind
CREDENTIAL_STATUS_UNSPECIFIED: CredentialStatus
CREDENTIAL_STATUS_ACTIVE: CredentialStatus
CREDENTIAL_STATUS_EXPIRED: CredentialStatus
CREDENTIAL_STATUS_REVOKED: CredentialStatus
VERIFY_FAILURE_UNSPECIFIED: VerifyFailure
VERIFY_FAILURE_UNKNOWN_KEY: VerifyFailure
VERIFY_FAILURE_REVOKED: VerifyFailure
VERIFY_FAILURE_EXPIRED: VerifyFailure
VERIFY_FAILURE_BAD_SIGNATURE: VerifyFailure
VERIFY_FAILURE_OWNER_INACTIVE: VerifyFailure

class Mall(_message.Message):
    __slots__ = ("mall_id", "name", "operator_name", "city", "commission_bps", "create_time", "update_time")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_BPS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    name: str
    operator_name: str
    city: str
    commission_bps: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, mall_id: _Optional[str] = ..., name: _Optional[str] = ..., operator_name: _Optional[str] = ..., city: _Optional[str] = ..., commission_bps: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateMallRequest(_message.Message):
    __slots__ = ("name", "operator_name", "city", "commission_bps")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_BPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    operator_name: str
    city: str
    commission_bps: int
    def __init__(self, name: _Optional[str] = ..., operator_name: _Optional[str] = ..., city: _Optional[str] = ..., commission_bps: _Optional[int] = ...) -> None: ...

class UpdateMallRequest(_message.Message):
    __slots__ = ("mall_id", "name", "operator_name", "city", "commission_bps")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_BPS_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    name: str
    operator_name: str
    city: str
    commission_bps: int
    def __init__(self, mall_id: _Optional[str] = ..., name: _Optional[str] = ..., operator_name: _Optional[str] = ..., city: _Optional[str] = ..., commission_bps: _Optional[int] = ...) -> None: ...

class GetMallRequest(_message.Message):
    __slots__ = ("mall_id",)
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    def __init__(self, mall_id: _Optional[str] = ...) -> None: ...

class ListMallsRequest(_message.Message):
    __slots__ = ("page", "city")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    city: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., city: _Optional[str] = ...) -> None: ...

class ListMallsResponse(_message.Message):
    __slots__ = ("malls", "page")
    MALLS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    malls: _containers.RepeatedCompositeFieldContainer[Mall]
    page: _common_pb2.PageResponse
    def __init__(self, malls: _Optional[_Iterable[_Union[Mall, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class Partner(_message.Message):
    __slots__ = ("partner_id", "name", "webhook_url", "status", "create_time", "update_time")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    name: str
    webhook_url: str
    status: PartnerStatus
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, partner_id: _Optional[str] = ..., name: _Optional[str] = ..., webhook_url: _Optional[str] = ..., status: _Optional[_Union[PartnerStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePartnerRequest(_message.Message):
    __slots__ = ("name", "webhook_url")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    name: str
    webhook_url: str
    def __init__(self, name: _Optional[str] = ..., webhook_url: _Optional[str] = ...) -> None: ...

class UpdatePartnerRequest(_message.Message):
    __slots__ = ("partner_id", "name", "webhook_url", "status")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    name: str
    webhook_url: str
    status: PartnerStatus
    def __init__(self, partner_id: _Optional[str] = ..., name: _Optional[str] = ..., webhook_url: _Optional[str] = ..., status: _Optional[_Union[PartnerStatus, str]] = ...) -> None: ...

class GetPartnerRequest(_message.Message):
    __slots__ = ("partner_id",)
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    def __init__(self, partner_id: _Optional[str] = ...) -> None: ...

class ListPartnersRequest(_message.Message):
    __slots__ = ("page", "status")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    status: PartnerStatus
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., status: _Optional[_Union[PartnerStatus, str]] = ...) -> None: ...

class ListPartnersResponse(_message.Message):
    __slots__ = ("partners", "page")
    PARTNERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    partners: _containers.RepeatedCompositeFieldContainer[Partner]
    page: _common_pb2.PageResponse
    def __init__(self, partners: _Optional[_Iterable[_Union[Partner, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class BankAccount(_message.Message):
    __slots__ = ("account_token", "account_last4", "account_name", "bank_name")
    ACCOUNT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_LAST4_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NAME_FIELD_NUMBER: _ClassVar[int]
    BANK_NAME_FIELD_NUMBER: _ClassVar[int]
    account_token: str
    account_last4: str
    account_name: str
    bank_name: str
    def __init__(self, account_token: _Optional[str] = ..., account_last4: _Optional[str] = ..., account_name: _Optional[str] = ..., bank_name: _Optional[str] = ...) -> None: ...

class BankAccountInput(_message.Message):
    __slots__ = ("account_number", "account_name", "bank_name")
    ACCOUNT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NAME_FIELD_NUMBER: _ClassVar[int]
    BANK_NAME_FIELD_NUMBER: _ClassVar[int]
    account_number: str
    account_name: str
    bank_name: str
    def __init__(self, account_number: _Optional[str] = ..., account_name: _Optional[str] = ..., bank_name: _Optional[str] = ...) -> None: ...

class Merchant(_message.Message):
    __slots__ = ("merchant_id", "legal_name", "display_name", "licence_id", "mcc", "fee_rate_bps", "status", "status_reason", "partner_id", "settlement_account", "create_time", "update_time")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LICENCE_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    legal_name: str
    display_name: str
    licence_id: str
    mcc: str
    fee_rate_bps: int
    status: MerchantStatus
    status_reason: str
    partner_id: str
    settlement_account: BankAccount
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, merchant_id: _Optional[str] = ..., legal_name: _Optional[str] = ..., display_name: _Optional[str] = ..., licence_id: _Optional[str] = ..., mcc: _Optional[str] = ..., fee_rate_bps: _Optional[int] = ..., status: _Optional[_Union[MerchantStatus, str]] = ..., status_reason: _Optional[str] = ..., partner_id: _Optional[str] = ..., settlement_account: _Optional[_Union[BankAccount, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateMerchantRequest(_message.Message):
    __slots__ = ("legal_name", "display_name", "licence_id", "mcc", "fee_rate_bps", "partner_id", "settlement_account")
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LICENCE_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    legal_name: str
    display_name: str
    licence_id: str
    mcc: str
    fee_rate_bps: int
    partner_id: str
    settlement_account: BankAccountInput
    def __init__(self, legal_name: _Optional[str] = ..., display_name: _Optional[str] = ..., licence_id: _Optional[str] = ..., mcc: _Optional[str] = ..., fee_rate_bps: _Optional[int] = ..., partner_id: _Optional[str] = ..., settlement_account: _Optional[_Union[BankAccountInput, _Mapping]] = ...) -> None: ...

class UpdateMerchantRequest(_message.Message):
    __slots__ = ("merchant_id", "legal_name", "display_name", "mcc", "fee_rate_bps", "settlement_account")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    legal_name: str
    display_name: str
    mcc: str
    fee_rate_bps: int
    settlement_account: BankAccountInput
    def __init__(self, merchant_id: _Optional[str] = ..., legal_name: _Optional[str] = ..., display_name: _Optional[str] = ..., mcc: _Optional[str] = ..., fee_rate_bps: _Optional[int] = ..., settlement_account: _Optional[_Union[BankAccountInput, _Mapping]] = ...) -> None: ...

class ChangeMerchantStatusRequest(_message.Message):
    __slots__ = ("merchant_id", "to_status", "reason")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    to_status: MerchantStatus
    reason: str
    def __init__(self, merchant_id: _Optional[str] = ..., to_status: _Optional[_Union[MerchantStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class GetMerchantRequest(_message.Message):
    __slots__ = ("merchant_id",)
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    def __init__(self, merchant_id: _Optional[str] = ...) -> None: ...

class ListMerchantsRequest(_message.Message):
    __slots__ = ("page", "status", "mcc", "partner_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    status: MerchantStatus
    mcc: str
    partner_id: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., status: _Optional[_Union[MerchantStatus, str]] = ..., mcc: _Optional[str] = ..., partner_id: _Optional[str] = ...) -> None: ...

class ListMerchantsResponse(_message.Message):
    __slots__ = ("merchants", "page")
    MERCHANTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    merchants: _containers.RepeatedCompositeFieldContainer[Merchant]
    page: _common_pb2.PageResponse
    def __init__(self, merchants: _Optional[_Iterable[_Union[Merchant, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GetRatesRequest(_message.Message):
    __slots__ = ("merchant_ids", "mall_ids")
    MERCHANT_IDS_FIELD_NUMBER: _ClassVar[int]
    MALL_IDS_FIELD_NUMBER: _ClassVar[int]
    merchant_ids: _containers.RepeatedScalarFieldContainer[str]
    mall_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, merchant_ids: _Optional[_Iterable[str]] = ..., mall_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MerchantRate(_message.Message):
    __slots__ = ("merchant_id", "mcc", "fee_rate_bps", "status", "partner_id")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    mcc: str
    fee_rate_bps: int
    status: MerchantStatus
    partner_id: str
    def __init__(self, merchant_id: _Optional[str] = ..., mcc: _Optional[str] = ..., fee_rate_bps: _Optional[int] = ..., status: _Optional[_Union[MerchantStatus, str]] = ..., partner_id: _Optional[str] = ...) -> None: ...

class MallRate(_message.Message):
    __slots__ = ("mall_id", "commission_bps")
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_BPS_FIELD_NUMBER: _ClassVar[int]
    mall_id: str
    commission_bps: int
    def __init__(self, mall_id: _Optional[str] = ..., commission_bps: _Optional[int] = ...) -> None: ...

class GetRatesResponse(_message.Message):
    __slots__ = ("merchant_rates", "mall_rates", "missing_merchant_ids", "missing_mall_ids")
    MERCHANT_RATES_FIELD_NUMBER: _ClassVar[int]
    MALL_RATES_FIELD_NUMBER: _ClassVar[int]
    MISSING_MERCHANT_IDS_FIELD_NUMBER: _ClassVar[int]
    MISSING_MALL_IDS_FIELD_NUMBER: _ClassVar[int]
    merchant_rates: _containers.RepeatedCompositeFieldContainer[MerchantRate]
    mall_rates: _containers.RepeatedCompositeFieldContainer[MallRate]
    missing_merchant_ids: _containers.RepeatedScalarFieldContainer[str]
    missing_mall_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, merchant_rates: _Optional[_Iterable[_Union[MerchantRate, _Mapping]]] = ..., mall_rates: _Optional[_Iterable[_Union[MallRate, _Mapping]]] = ..., missing_merchant_ids: _Optional[_Iterable[str]] = ..., missing_mall_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class OpeningPeriod(_message.Message):
    __slots__ = ("day", "open_minute", "close_minute")
    DAY_FIELD_NUMBER: _ClassVar[int]
    OPEN_MINUTE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_MINUTE_FIELD_NUMBER: _ClassVar[int]
    day: Weekday
    open_minute: int
    close_minute: int
    def __init__(self, day: _Optional[_Union[Weekday, str]] = ..., open_minute: _Optional[int] = ..., close_minute: _Optional[int] = ...) -> None: ...

class OpeningHours(_message.Message):
    __slots__ = ("periods",)
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    periods: _containers.RepeatedCompositeFieldContainer[OpeningPeriod]
    def __init__(self, periods: _Optional[_Iterable[_Union[OpeningPeriod, _Mapping]]] = ...) -> None: ...

class Store(_message.Message):
    __slots__ = ("store_id", "merchant_id", "mall_id", "name", "address", "city", "lat", "lng", "opening_hours", "status", "create_time", "update_time")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    LAT_FIELD_NUMBER: _ClassVar[int]
    LNG_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    merchant_id: str
    mall_id: str
    name: str
    address: str
    city: str
    lat: float
    lng: float
    opening_hours: OpeningHours
    status: StoreStatus
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, store_id: _Optional[str] = ..., merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., city: _Optional[str] = ..., lat: _Optional[float] = ..., lng: _Optional[float] = ..., opening_hours: _Optional[_Union[OpeningHours, _Mapping]] = ..., status: _Optional[_Union[StoreStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateStoreRequest(_message.Message):
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
    opening_hours: OpeningHours
    def __init__(self, merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., city: _Optional[str] = ..., lat: _Optional[float] = ..., lng: _Optional[float] = ..., opening_hours: _Optional[_Union[OpeningHours, _Mapping]] = ...) -> None: ...

class UpdateStoreRequest(_message.Message):
    __slots__ = ("store_id", "name", "address", "city", "lat", "lng", "opening_hours", "status", "mall_id")
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    LAT_FIELD_NUMBER: _ClassVar[int]
    LNG_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    name: str
    address: str
    city: str
    lat: float
    lng: float
    opening_hours: OpeningHours
    status: StoreStatus
    mall_id: str
    def __init__(self, store_id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., city: _Optional[str] = ..., lat: _Optional[float] = ..., lng: _Optional[float] = ..., opening_hours: _Optional[_Union[OpeningHours, _Mapping]] = ..., status: _Optional[_Union[StoreStatus, str]] = ..., mall_id: _Optional[str] = ...) -> None: ...

class GetStoreRequest(_message.Message):
    __slots__ = ("store_id",)
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    store_id: str
    def __init__(self, store_id: _Optional[str] = ...) -> None: ...

class BatchGetStoresRequest(_message.Message):
    __slots__ = ("store_ids",)
    STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    store_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, store_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetStoresResponse(_message.Message):
    __slots__ = ("stores", "missing_store_ids")
    STORES_FIELD_NUMBER: _ClassVar[int]
    MISSING_STORE_IDS_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[Store]
    missing_store_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, stores: _Optional[_Iterable[_Union[Store, _Mapping]]] = ..., missing_store_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListStoresRequest(_message.Message):
    __slots__ = ("page", "merchant_id", "mall_id", "city", "mcc", "status", "partner_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MALL_ID_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    merchant_id: str
    mall_id: str
    city: str
    mcc: str
    status: StoreStatus
    partner_id: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., merchant_id: _Optional[str] = ..., mall_id: _Optional[str] = ..., city: _Optional[str] = ..., mcc: _Optional[str] = ..., status: _Optional[_Union[StoreStatus, str]] = ..., partner_id: _Optional[str] = ...) -> None: ...

class ListStoresResponse(_message.Message):
    __slots__ = ("stores", "page")
    STORES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[Store]
    page: _common_pb2.PageResponse
    def __init__(self, stores: _Optional[_Iterable[_Union[Store, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class SearchNearbyRequest(_message.Message):
    __slots__ = ("lat", "lng", "radius_m", "mcc", "limit", "at")
    LAT_FIELD_NUMBER: _ClassVar[int]
    LNG_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    lat: float
    lng: float
    radius_m: int
    mcc: str
    limit: int
    at: _timestamp_pb2.Timestamp
    def __init__(self, lat: _Optional[float] = ..., lng: _Optional[float] = ..., radius_m: _Optional[int] = ..., mcc: _Optional[str] = ..., limit: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NearbyStore(_message.Message):
    __slots__ = ("store", "distance_m", "merchant_display_name", "mcc")
    STORE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    store: Store
    distance_m: float
    merchant_display_name: str
    mcc: str
    def __init__(self, store: _Optional[_Union[Store, _Mapping]] = ..., distance_m: _Optional[float] = ..., merchant_display_name: _Optional[str] = ..., mcc: _Optional[str] = ...) -> None: ...

class SearchNearbyResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[NearbyStore]
    def __init__(self, results: _Optional[_Iterable[_Union[NearbyStore, _Mapping]]] = ...) -> None: ...

class Credential(_message.Message):
    __slots__ = ("key_id", "owner_kind", "owner_id", "status", "create_time", "expire_time", "revoke_time", "revoke_reason", "fingerprint", "rotated_from_key_id", "replaced_by_key_id", "owner_status")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ROTATED_FROM_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_STATUS_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    owner_kind: OwnerKind
    owner_id: str
    status: CredentialStatus
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    fingerprint: str
    rotated_from_key_id: str
    replaced_by_key_id: str
    owner_status: str
    def __init__(self, key_id: _Optional[str] = ..., owner_kind: _Optional[_Union[OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., status: _Optional[_Union[CredentialStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., fingerprint: _Optional[str] = ..., rotated_from_key_id: _Optional[str] = ..., replaced_by_key_id: _Optional[str] = ..., owner_status: _Optional[str] = ...) -> None: ...

class CreateCredentialRequest(_message.Message):
    __slots__ = ("owner_kind", "owner_id", "expire_time")
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    owner_kind: OwnerKind
    owner_id: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, owner_kind: _Optional[_Union[OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCredentialResponse(_message.Message):
    __slots__ = ("credential", "secret")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    credential: Credential
    secret: str
    def __init__(self, credential: _Optional[_Union[Credential, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class RotateCredentialRequest(_message.Message):
    __slots__ = ("key_id", "overlap_seconds")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    overlap_seconds: int
    def __init__(self, key_id: _Optional[str] = ..., overlap_seconds: _Optional[int] = ...) -> None: ...

class RotateCredentialResponse(_message.Message):
    __slots__ = ("credential", "secret", "previous")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    credential: Credential
    secret: str
    previous: Credential
    def __init__(self, credential: _Optional[_Union[Credential, _Mapping]] = ..., secret: _Optional[str] = ..., previous: _Optional[_Union[Credential, _Mapping]] = ...) -> None: ...

class RevokeCredentialRequest(_message.Message):
    __slots__ = ("key_id", "reason")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    reason: str
    def __init__(self, key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListCredentialsRequest(_message.Message):
    __slots__ = ("owner_kind", "owner_id", "include_inactive")
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    owner_kind: OwnerKind
    owner_id: str
    include_inactive: bool
    def __init__(self, owner_kind: _Optional[_Union[OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., include_inactive: _Optional[bool] = ...) -> None: ...

class ListCredentialsResponse(_message.Message):
    __slots__ = ("credentials",)
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    credentials: _containers.RepeatedCompositeFieldContainer[Credential]
    def __init__(self, credentials: _Optional[_Iterable[_Union[Credential, _Mapping]]] = ...) -> None: ...

class LookupCredentialRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class VerifySignatureRequest(_message.Message):
    __slots__ = ("key_id", "signing_string", "signature")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_STRING_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    signing_string: bytes
    signature: str
    def __init__(self, key_id: _Optional[str] = ..., signing_string: _Optional[bytes] = ..., signature: _Optional[str] = ...) -> None: ...

class VerifySignatureResponse(_message.Message):
    __slots__ = ("valid", "failure", "credential", "cache_ttl_seconds")
    VALID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    CACHE_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    failure: VerifyFailure
    credential: Credential
    cache_ttl_seconds: int
    def __init__(self, valid: _Optional[bool] = ..., failure: _Optional[_Union[VerifyFailure, str]] = ..., credential: _Optional[_Union[Credential, _Mapping]] = ..., cache_ttl_seconds: _Optional[int] = ...) -> None: ...
