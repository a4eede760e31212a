"""The embedded demo: local record-pool servers and a crate stand-in.

Three demo pools implement pool-api.md completely (``crateq.demo.app``) over deterministic
catalogs (``crateq.demo.catalog``) and real, generated media (``crateq.demo.audio``):

==============  =======================================  ===============================
pool            character                                media ids
==============  =======================================  ===============================
urban-beats     hip-hop, R&B, Latin/World audio          100001…
club-edits      house, techno, EDM audio                 200001…
vj-vault        music videos (MP4), 480p–4K qualities    300001…
==============  =======================================  ===============================

Every pool takes the API key ``demo-key`` (``crateq.demo.auth.DEMO_API_KEY``) and the
accounts in ``crateq.demo.auth.DEMO_ACCOUNTS`` (username = password): ``demo`` (active),
``dj2`` (current, a second user), ``expired`` (may search, downloads answer 403, login
``msg`` asks to renew), ``suspended`` and ``denied`` (likewise), ``vip`` (expired but
``crateq: true``).

Run them with ``crateq demo serve`` or in-process with ``crateq.demo.cluster.DemoCluster``;
misbehaviour is switched on per pool through ``crateq.demo.faults.PoolFaults``.
"""

from __future__ import annotations

import importlib.util

#: What the ``demo`` extra installs that the servers cannot start without (httptools, the
#: extra's fourth package, is optional: uvicorn falls back to h11).
EXTRA_MODULES = ("starlette", "uvicorn", "lameenc")
INSTALL_COMMAND = "pip install 'crateq[demo]'"


def missing_extra() -> str | None:
    """Why the demo servers cannot start here (the demo extra is not installed), or None.

    Finds the modules without importing them, so it is cheap enough to ask before every start.
    """
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the demo servers need the demo extra ({', '.join(missing)} not installed); "
        f"install it with: {INSTALL_COMMAND} (or run scripts/demo, which installs it)"
    )


def require_extra() -> None:
    """Exit with status 1 and :func:`missing_extra`'s message on stderr when it has one."""
    problem = missing_extra()
    if problem is not None:
        raise SystemExit(f"error: {problem}")
