"""``channels.testing.WebsocketCommunicator`` without daphne.

``channels.testing`` imports its live-server test case, which needs daphne; Calmdesk is served by
uvicorn and does not install daphne. Only the communicator is used here, so a placeholder
stands in for daphne while the package imports, and is removed right after.
"""

from __future__ import annotations

import sys
import types

_stubbed = "daphne.testing" not in sys.modules
try:
    import daphne.testing  # noqa: F401
except ImportError:
    _daphne = types.ModuleType("daphne")
    _testing = types.ModuleType("daphne.testing")
    _testing.DaphneProcess = object
    sys.modules["daphne"] = _daphne
    sys.modules["daphne.testing"] = _testing
else:
    _stubbed = False

from channels.testing import WebsocketCommunicator  # noqa: E402

if _stubbed:
    sys.modules.pop("daphne.testing", None)
    sys.modules.pop("daphne", None)

__all__ = ["WebsocketCommunicator"]
