"""The demo servers as a settings source for ``crateq gui --demo``.

The GUI never imports the demo: this starts the demo pools and the crate stand-in and hands
their URLs, keys and in-process passwords to the composition root as a ``SettingsSeed`` —
the same path a real pool's settings take.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crateq.services import SettingsSeed

DEMO_USER = DEMO_PASSWORD = "demo"


def start_gui_demo() -> SettingsSeed:
    """Start the demo pools and the crate stand-in (in a temporary home unless
    ``$CRATEQ_HOME`` is set) and say how to reach them: each pool signed in as demo/demo
    with the password held in-process, crate's URL and key. The seed's ``stop`` stops the
    servers; its ``cleanup`` removes the temporary home."""
    import tempfile

    from crateq.demo import require_extra

    require_extra()  # without the demo extra: its install command on stderr, exit 1
    from crateq.demo.cluster import DemoCluster, default_extra_apps
    from crateq.demo.crate_app import DEMO_API_KEY
    from crateq.services import PoolSeed, SettingsSeed

    temp_home = None
    if not os.environ.get("CRATEQ_HOME"):
        temp_home = tempfile.TemporaryDirectory(prefix="crateq-demo-home-")
        os.environ["CRATEQ_HOME"] = temp_home.name
    cluster = DemoCluster(extra_apps=default_extra_apps()).start()
    pools = [
        PoolSeed(name, handle.url, handle.api_key, DEMO_USER, DEMO_PASSWORD)
        for name, handle in cluster.pools.items()
    ]
    crate = cluster.extras.get("crate")
    return SettingsSeed(
        pools,
        crate_url=crate.url if crate is not None else None,
        crate_key=DEMO_API_KEY if crate is not None else None,
        stop=cluster.stop,
        cleanup=temp_home.cleanup if temp_home is not None else None,
    )
