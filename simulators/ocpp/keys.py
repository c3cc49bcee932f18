"""The charger's OCPP 1.6 configuration keys (GetConfiguration / ChangeConfiguration).

The core-profile keys a real charger exposes, with the values the simulator actually uses
(MeterValueSampleInterval drives the meter loop, TransactionMessageAttempts/RetryInterval the
outbox, AuthorizeRemoteTxRequests remote starts, HeartbeatInterval the heartbeats).
"""

from __future__ import annotations

from simulators.ocpp.config import ChargerSpec, SimConfig

_NUMERIC = {
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "TransactionMessageAttempts",
    "TransactionMessageRetryInterval",
    "ConnectionTimeOut",
    "WebSocketPingInterval",
    "ClockAlignedDataInterval",
    "ResetRetries",
}
_BOOLEAN = {
    "AuthorizeRemoteTxRequests",
    "LocalAuthorizeOffline",
    "LocalPreAuthorize",
    "StopTransactionOnEVSideDisconnect",
    "StopTransactionOnInvalidId",
    "UnlockConnectorOnEVSideDisconnect",
}


def fmt(value: float) -> str:
    """A number as a charger would print it (``60``, not ``60.0``)."""
    return str(int(value)) if float(value).is_integer() else str(value)


class ConfigurationKeys:
    """Key → (value, read-only)."""

    def __init__(self, spec: ChargerSpec, config: SimConfig) -> None:
        c = config
        self._keys: dict[str, tuple[str, bool]] = {
            "AuthorizeRemoteTxRequests": ("false", False),
            "ChargeProfileMaxStackLevel": ("10", True),
            "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
            "ChargingScheduleMaxPeriods": ("24", True),
            "ClockAlignedDataInterval": ("0", False),
            "ConnectionTimeOut": ("60", False),
            "GetConfigurationMaxKeys": ("50", True),
            "HeartbeatInterval": (fmt(c.heartbeat_interval_s or 300.0), False),
            "LocalAuthorizeOffline": ("true", False),
            "LocalPreAuthorize": ("false", False),
            "MaxChargingProfilesInstalled": ("10", True),
            "MeterValuesAlignedData": ("Energy.Active.Import.Register", False),
            "MeterValuesSampledData": (
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,SoC",
                False,
            ),
            "MeterValueSampleInterval": (fmt(c.meter_interval_s), False),
            "NumberOfConnectors": (str(spec.connectors), True),
            "ResetRetries": ("1", False),
            "StopTransactionOnEVSideDisconnect": ("true", False),
            "StopTransactionOnInvalidId": ("true", False),
            "StopTxnSampledData": ("Energy.Active.Import.Register", False),
            "SupportedFeatureProfiles": ("Core,RemoteTrigger,SmartCharging", True),
            "TransactionMessageAttempts": (str(c.transaction_message_attempts), False),
            "TransactionMessageRetryInterval": (
                fmt(c.transaction_message_retry_interval_s),
                False,
            ),
            "UnlockConnectorOnEVSideDisconnect": ("true", False),
            "WebSocketPingInterval": (fmt(c.ping_interval_s or 0), False),
        }

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def names(self) -> list[str]:
        return sorted(self._keys)

    def value(self, key: str) -> str | None:
        entry = self._keys.get(key)
        return entry[0] if entry is not None else None

    def readonly(self, key: str) -> bool:
        return self._keys[key][1]

    def set(self, key: str, value: str) -> None:
        """Set a value from inside the charger (e.g. the heartbeat interval the CSMS gave)."""
        self._keys[key] = (value, self._keys.get(key, (value, False))[1])

    def change(self, key: str, value: str) -> str:
        """ChangeConfiguration: Accepted, Rejected (read-only or bad value) or NotSupported."""
        entry = self._keys.get(key)
        if entry is None:
            return "NotSupported"
        if entry[1]:
            return "Rejected"
        if key in _NUMERIC:
            try:
                if float(value) < 0:
                    return "Rejected"
            except ValueError:
                return "Rejected"
        if key in _BOOLEAN and value.lower() not in ("true", "false"):
            return "Rejected"
        self._keys[key] = (value, False)
        return "Accepted"


__all__ = ["ConfigurationKeys", "fmt"]
