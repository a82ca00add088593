"""The gate's one sticky comment on a pull request: found by marker and author, updated in place.

Ours means: a line of the body is the gate's hidden marker AND the author is the token's identity.
A comment anyone else wrote is never edited or deleted, whatever it contains. The one comment the
gate ever deletes is its own duplicate from a race, created by this very run (below).
A marker of an earlier version (`legacy`, e.g. one without the check name) makes a comment ours
too; the next update writes the current marker into it, so the comment is taken over, not left.

Two runs may both find no comment and both create one. So after creating, a run lists again and
keeps only the oldest of ours (the lowest id: every run agrees which one that is):
- the run whose comment is the oldest keeps it, and leaves the younger duplicates alone: each
  belongs to a run that is settling its own;
- a run whose comment is not the oldest first makes sure the oldest holds the newest report (it
  writes its own report there, unless the oldest holds a newer run's, which is never overwritten),
  then deletes the comment it created itself a moment ago. If writing the oldest fails, nothing is
  deleted: two comments are better than none holding the newest report.
Either way the PR ends with one comment of ours, holding the newest report. Deleting is limited
to that duplicate: our author, our marker, and created by this run (its id came back from our own
create). Older duplicates of ours that a run found when it started (left by a run that crashed
mid-race) are not its to delete: the update turns those into a one-line pointer to the comment
kept (unless they hold a newer report), which drops the marker, so they are no longer ours.

Ours is decided by the login `bot_login()` gives (GET /user, else `github-actions[bot]`, else the
Action's `bot-login`). A GitHub App's token writes as `<slug>[bot]`, which no request tells in
advance: when a comment this run creates comes back with another author, that author is `learned`
and used for every later listing of the run (the re-list after creating included), and the
Action tells the user to set `bot-login`.

`find` (the Action reads the previous run's state from our comment to render the new one) and the
`upsert` right after it share one listing: the upsert reuses it when it is at most
`LISTING_FRESH_FOR` seconds old, which keeps a second run within its six requests. A comment
another run writes between the listing and our update is the one window no REST call can close
(GitHub has no conditional update of comments); it is as wide as the rendering in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from github.Issue import Issue
from github.IssueComment import IssueComment

from apiq_gate.github.client import Api
from apiq_gate.github.errors import GitHubError
from apiq_gate.github.values import COMMENT_BODY_LIMIT, CommentRef, cut

TRUNCATION_NOTE = (
    "\n\n> ✂️ Cut by apiq-gate to fit GitHub's limit of 65,536 characters; the full report is in the job summary.\n"
)
POINTER = "↪️ Superseded: apiq-gate's report for this pull request is in [this comment]({url})."
READ, WRITE = "pull-requests: read", "pull-requests: write"
LISTING_FRESH_FOR = 30.0  # seconds a `find` listing may stand in for the `upsert` listing


@dataclass(frozen=True, kw_only=True, slots=True)
class _Listing:
    pr: int
    markers: tuple[str, ...]
    ours: tuple[CommentRef, ...]
    at: float


def _ref(comment: IssueComment) -> CommentRef:
    return CommentRef(
        id=comment.id,
        url=comment.html_url,
        body=comment.body or "",
        author=comment.user.login if comment.user is not None else "",
    )


def has_marker(body: str, marker: str | tuple[str, ...]) -> bool:
    """The marker (or one of them) on a line of its own, as the gate writes it (not merely quoted
    in a sentence)."""
    markers = (marker,) if isinstance(marker, str) else marker
    return any(line.strip() in markers for line in body.splitlines())


def _same_text(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")


class Comments:
    def __init__(self, api: Api, login: Callable[[], str], clock: Callable[[], float]) -> None:
        self._api = api
        self._login = login
        self._clock = clock
        self._listing: _Listing | None = None  # the last `find`, for the `upsert` after it
        self.learned: str | None = None  # the author GitHub wrote our comment as, if not login()

    def _who(self) -> str:
        return self.learned or self._login()

    def _issue(self, pr: int) -> Issue:
        return self._api.repo.get_issue(pr)  # lazy: no request

    def _fetch_ours(self, pr: int, markers: tuple[str, ...], login: str) -> list[CommentRef]:
        """Every page of the PR's comments, keeping ours, oldest first (one request per 100)."""
        found = (_ref(c) for c in self._issue(pr).get_comments())
        ours = [c for c in found if c.author.lower() == login.lower() and has_marker(c.body, markers)]
        return sorted(ours, key=lambda c: c.id)

    def list_ours(self, pr: int, markers: tuple[str, ...]) -> list[CommentRef]:
        login = self._who()
        return self._api.call(
            f"list the comments of pull request #{pr}",
            lambda: self._fetch_ours(pr, markers, login),
            permission=READ,
        )

    def find(self, pr: int, markers: tuple[str, ...]) -> CommentRef | None:
        ours = self.list_ours(pr, markers)
        self._listing = _Listing(pr=pr, markers=markers, ours=tuple(ours), at=self._clock())
        return ours[0] if ours else None

    def _fresh_listing(self, pr: int, markers: tuple[str, ...]) -> list[CommentRef] | None:
        listing, self._listing = self._listing, None  # used once at most
        if listing is None or (listing.pr, listing.markers) != (pr, markers):
            return None
        return list(listing.ours) if self._clock() - listing.at <= LISTING_FRESH_FOR else None

    def upsert(
        self, pr: int, body: str, markers: tuple[str, ...], may_replace: Callable[[str], bool]
    ) -> CommentRef | None:
        """`markers`: the current marker (the one `body` carries) first, then legacy ones."""
        body = cut(body, COMMENT_BODY_LIMIT, TRUNCATION_NOTE)
        ours = self._fresh_listing(pr, markers)
        if ours is None:
            ours = self.list_ours(pr, markers)
        if ours:
            keeper = ours[0]
            if not may_replace(keeper.body):
                return None  # the comment holds a newer run's report
            kept = self._edit(pr, keeper, body)
            self._retire(pr, [c for c in ours[1:] if may_replace(c.body)], kept)
            return kept
        mine = self._create(pr, body, markers)
        if mine.author and mine.author.lower() != self._who().lower():
            self.learned = mine.author  # a GitHub App's token: list as the author GitHub wrote
        ours = self.list_ours(pr, markers)
        keeper = ours[0] if ours else mine
        if keeper.id == mine.id:
            return mine  # younger duplicates are their own runs' to delete
        # Another run's comment is older: ours lost the race. The oldest gets the newest report
        # first (an error here leaves ours in place), then the duplicate this run made goes.
        winner = self._edit(pr, keeper, body) if may_replace(keeper.body) else None
        self._delete_own_duplicate(pr, mine)
        return winner

    def _create(self, pr: int, body: str, markers: tuple[str, ...]) -> CommentRef:
        login = self._who()

        def created_before() -> CommentRef | None:
            # A create that failed with a 502 or a timeout may have happened all the same.
            return next(
                (c for c in self._fetch_ours(pr, markers, login) if _same_text(c.body, body)),
                None,
            )

        return self._api.call(
            f"create the comment on pull request #{pr}",
            lambda: _ref(self._issue(pr).create_comment(body)),
            permission=WRITE,
            recover=created_before,
        )

    def _edit(self, pr: int, comment: CommentRef, body: str) -> CommentRef:
        if _same_text(comment.body, body):
            return comment
        handle = self._issue(pr).get_comment(comment.id)  # lazy: no request

        def edit() -> CommentRef:
            handle.edit(body)  # PATCH is safe to repeat
            return _ref(handle)

        return self._api.call(f"update comment {comment.url}", edit, permission=WRITE)

    def _delete_own_duplicate(self, pr: int, mine: CommentRef) -> None:
        """Delete the comment this run created; only ever called with the result of `_create`."""
        handle = self._issue(pr).get_comment(mine.id)  # lazy: no request
        try:
            self._api.call(f"delete apiq-gate's duplicate comment {mine.url}", handle.delete, permission=WRITE)
        except GitHubError as error:
            if error.status != 404:  # 404: already gone (a retry after a 502 that did delete)
                raise

    def _retire(self, pr: int, extras: list[CommentRef], keeper: CommentRef) -> None:
        """Duplicates found at the start (a crashed run's): a pointer to the kept comment."""
        for extra in extras:
            try:
                self._edit(pr, extra, POINTER.format(url=keeper.url))
            except GitHubError as error:
                if error.status != 404:  # 404: its own run deleted it meanwhile, as it should
                    raise
