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
