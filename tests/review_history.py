"""A git repository with a realistic history of the example project, for the ``diff`` tests.

``make_history(dest)`` copies examples/ into ``dest/repo`` and commits, tag by tag:

- ``v1``: the example project as it is;
- then: cart_abandoners widened (window 7 -> 14 days, FR added), a new audience
  ``loyal_fr`` (new file), lapsed_high_value narrowed (lifetime value 500 -> 1000,
  min size 500 -> 1000, no more tiktok_ads), big_spenders renamed to vip_spenders
  (new file name, same meaning), market fr without the trait loyalty_tier,
  holiday_shoppers removed, munich_early_adopters reformatted, newsletter_winback
  moved from the newsletter to tiktok_ads (consent changed with it);
- ``v2``: the last commit; the working tree then has one uncommitted edit
  (engaged_browsers: 48 -> 72 hours in its exclude).

``snapshots`` holds a plain copy of the project at v1, v2 and the working tree, for
oracles that load them without git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class History:
    repo: Path
    snapshots: dict[str, Path]


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _snapshot(repo: Path, dest: Path) -> Path:
    shutil.copytree(repo, dest, ignore=shutil.ignore_patterns(".git", "*.duckdb"))
    return dest


def make_history(dest: Path) -> History:
    repo = dest / "repo"
    # the history predates the holdout example (winback_holdout.aud, whose audiences read
    # newsletter_winback): docs/review.md shows this history's output as it was written
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns("*.duckdb", "winback_holdout.aud"))
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "the example project")
    _git(repo, "tag", "v1")
    snaps = {"v1": _snapshot(repo, dest / "snap_v1")}
    aud = repo / "audiences"

    _edit(aud / "cart_abandoners.aud", 'include performed add_to_cart in last 7 days and country in ["DE", "AT", "CH"]',
          'include performed add_to_cart in last 14 days and country in ["DE", "AT", "CH", "FR"]')
    (aud / "loyal_fr.aud").write_text(
        'audience loyal_fr {\n  owner "crm-team@example.com"\n  description "Gold and platinum members."\n\n'
        '  include loyalty_tier in ["gold", "platinum"] and age >= 18\n\n'
        '  require consent email_marketing\n\n  activate newsletter\n}\n', encoding="utf-8")
    _commit(repo, "widen cart abandoners; loyal_fr")

    _edit(aud / "lapsed_high_value.aud", "lifetime_value >= 500", "lifetime_value >= 1000")
    _edit(aud / "lapsed_high_value.aud", "min size 500", "min size 1000")
    _edit(aud / "lapsed_high_value.aud", "  activate tiktok_ads\n", "")
    _commit(repo, "narrow lapsed high value")

    text = (aud / "big_spenders.aud").read_text(encoding="utf-8")
    (aud / "big_spenders.aud").unlink()
    (aud / "vip_spenders.aud").write_text(text.replace("audience big_spenders", "audience vip_spenders"),
                                          encoding="utf-8")
    _commit(repo, "rename big_spenders")

    _edit(repo / "markets" / "fr.yaml", "    loyalty_tier:   {column: niveau_fidelite, type: string}\n", "")
    _commit(repo, "fr: no loyalty tier")

    (aud / "holiday_shoppers.aud").unlink()
    _edit(aud / "munich_early_adopters.aud", '  exclude signup_date after 2026-10-01 or performed purchase in last 12 hours',
          '  # late sign-ups and fresh buyers are left out\n  exclude\n    signup_date after 2026-10-01\n'
          '    or performed purchase in last 12 hours')
    _edit(aud / "newsletter_winback.aud", "  require consent email_marketing\n\n  activate newsletter\n",
          "  require consent ads_personalization\n\n  activate tiktok_ads\n")
    _commit(repo, "drop holiday shoppers; winback goes to tiktok")
    _git(repo, "tag", "v2")
    snaps["v2"] = _snapshot(repo, dest / "snap_v2")

    _edit(aud / "engaged_browsers.aud", "in last 48 hours", "in last 72 hours")
    snaps["work"] = _snapshot(repo, dest / "snap_work")
    return History(repo, snaps)
