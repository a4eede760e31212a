"""Stand-in bodies for the label dossier (``/label/{key}`` and ``/dossier/label/{slug}``).

Known labels come with Bandcamp co-ownership neighbours ("travels") and DJ-set momentum;
one known label has no DJ plays crate can see (``dj_momentum`` is an honest gap), and any
other key is a label crate does not know: 200 with ``identity: null``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crateq.demo.crate_data import (
    CONTRACT_VERSION,
    GAP_LABEL,
    LABEL_NAMES,
    DemoCrateData,
    cluster_id_for,
    slugify,
)
from crateq.demo.crate_payloads import GAP

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject


def label_dossier(data: DemoCrateData, key: str) -> JSONObject:
    """A label dossier; an unknown label is ``identity: null`` with 200 (never 404)."""
    name = data.label(key)
    body: JSONObject = {
        "contract_version": CONTRACT_VERSION,
        "grain": "label",
        "slug": slugify(name or key),
        "display": name or key,
        "id": None,
        "cluster_id": None,
        "resolved_via": None,
        "identity": None,
        "binds": None,
        "presence": None,
        "over_merge": None,
        "behavioral": {"state": "honest_gap"},
        "travels": {"state": "honest_gap", "related": []},
        "dj_momentum": dict(GAP),
        "provenance": [],
        "generated_at": data.generated_at,
    }
    if name is None:
        return body
    index = LABEL_NAMES.index(name)
    roster = data.roster(name)
    discogs_id = 10_000 + index * 37 if index % 3 else None
    cid = cluster_id_for(f"label:{name}")
    body.update(
        id=discogs_id,
        cluster_id=cid,
        resolved_via="discogs" if discogs_id else "cluster",
        identity={
            "discogsLabelId": discogs_id,
            "name": name,
            "parentLabel": None,
            "profile": None,
            "urls": [],
        },
        binds={
            "discogs_label_id": discogs_id,
            "label_mbid": None,
            "bandcamp_url": f"https://{slugify(name).replace('-', '')}.bandcamp.com",
        },
        presence={
            "has_discogs": discogs_id is not None,
            "has_bandcamp": True,
            "has_seen_momentum": name != GAP_LABEL,
            "has_editorial": False,
        },
        behavioral={"state": "present", "signals": {"rosterSize": len(roster)}},
    )
    related = [LABEL_NAMES[(index + step) % len(LABEL_NAMES)] for step in (1, 4, 7)]
    body["travels"] = {
        "state": "present",
        "related": [
            {
                "clusterId": cluster_id_for(f"label:{other}"),
                "labelName": other,
                "npmi": round(0.6 - 0.1 * i, 2),
                "support": 40 - 10 * i,
                "_links": {"label": f"/api/v2/label/{cluster_id_for(f'label:{other}')}"},
            }
            for i, other in enumerate(related)
        ],
    }
    if name != GAP_LABEL:
        plays = 50 + index * 113
        recent = plays * (1 + index % 4) // 5
        body["dj_momentum"] = {
            "state": "present",
            "signals": {
                "playCount": plays,
                "distinctDjs": 5 + index * 3,
                "distinctArtists": max(1, len(roster)),
                "distinctTracklists": 10 + index * 7,
                "firstPlayedAt": data.date_ago(2000 + index),
                "lastPlayedAt": data.date_ago(index),
                "playsLast365d": recent,
                "velocity": round(recent / plays, 3),
            },
        }
    return body
