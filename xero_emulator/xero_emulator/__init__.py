"""A stateful Xero emulator on loopback, spoken to by the unmodified xero-python SDK.

    from xero_emulator import EmulatorServer
    srv = EmulatorServer(port=0, virtual_clock=True).start()
    ... AccountingApi(api_client, base_url=srv.api_url) ...
    srv.control.reset()
    srv.stop()

From the command line (repository root): `python3 -m xero_emulator --port 8765`.
See README.md in this folder for the rules enforced and the control API.
"""

from .control import EmulatorControl, EmulatorControlError
from .server import EmulatorServer
from .state import (
    DEFAULT_BANK_ACCOUNT_ID,
    DEFAULT_BASE_CURRENCY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_NAME,
    DEFAULT_TENANT_ID,
)

__all__ = [
    "DEFAULT_BANK_ACCOUNT_ID",
    "DEFAULT_BASE_CURRENCY",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_ORG_NAME",
    "DEFAULT_TENANT_ID",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorServer",
]
