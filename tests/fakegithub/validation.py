"""GitHub's checks on what clients write, answered as 422 "Validation Failed" with `errors`.

Limits, from GitHub's REST reference: a comment body holds at most 65,536 characters; a check
run's output summary and text at most 65,535 each, with a title and summary whenever an output is
given; at most 50 annotations per request, each with path, lines, level and message; at most
3 actions; a commit status description at most 140 characters.
"""

from __future__ import annotations

from typing import Any

from .replies import custom_error, invalid_field, missing_field

Errors = list[dict[str, Any]]

COMMENT_BODY_MAX = 65536
CHECK_TEXT_MAX = 65535
ANNOTATIONS_PER_REQUEST = 50
ANNOTATION_DETAILS_MAX = 64 * 1024
ANNOTATION_TITLE_MAX = 255
ACTIONS_MAX = 3
STATUS_DESCRIPTION_MAX = 140
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CHECK_CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "timed_out",
)
ANNOTATION_LEVELS = ("notice", "warning", "failure")
STATUS_STATES = ("error", "failure", "pending", "success")


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_line(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def comment_errors(body: dict[str, Any]) -> Errors:
    text = body.get("body")
    if not _is_text(text) or not text:
        return [missing_field("IssueComment", "body")]
    if len(text) > COMMENT_BODY_MAX:
        return [
            custom_error(
                "IssueComment",
                "body",
                f"body is too long (maximum is {COMMENT_BODY_MAX} characters)",
            )
        ]
    return []


def _annotation_errors(index: int, annotation: Any) -> Errors:
    where = f"output.annotations[{index}]"
    if not isinstance(annotation, dict):
        return [invalid_field("CheckRun", where)]
    errors = [
        missing_field("CheckRun", f"{where}.{name}")
        for name in ("path", "start_line", "end_line", "annotation_level", "message")
        if name not in annotation
    ]
    if errors:
        return errors
    if not _is_text(annotation["path"]) or not annotation["path"]:
        errors.append(invalid_field("CheckRun", f"{where}.path"))
    if not _is_line(annotation["start_line"]) or not _is_line(annotation["end_line"]):
        errors.append(invalid_field("CheckRun", f"{where}.start_line"))
    elif annotation["end_line"] < annotation["start_line"]:
        errors.append(
            custom_error(
                "CheckRun",
                f"{where}.end_line",
                "end_line must be greater than or equal to start_line",
            )
        )
    elif ("start_column" in annotation or "end_column" in annotation) and (
        annotation["start_line"] != annotation["end_line"]
    ):
        errors.append(
            custom_error(
                "CheckRun",
                f"{where}.start_column",
                "start_column and end_column are only allowed on a single line",
            )
        )
    if annotation["annotation_level"] not in ANNOTATION_LEVELS:
        errors.append(
            invalid_field("CheckRun", f"{where}.annotation_level", annotation["annotation_level"])
        )
    if (
        not _is_text(annotation["message"])
        or len(annotation["message"].encode()) > ANNOTATION_DETAILS_MAX
    ):
        errors.append(invalid_field("CheckRun", f"{where}.message"))
    if len(str(annotation.get("title") or "")) > ANNOTATION_TITLE_MAX:
        errors.append(
            custom_error(
                "CheckRun", f"{where}.title", "title is too long (maximum is 255 characters)"
            )
        )
    if len(str(annotation.get("raw_details") or "").encode()) > ANNOTATION_DETAILS_MAX:
        errors.append(custom_error("CheckRun", f"{where}.raw_details", "raw_details is too long"))
    return errors


def _output_errors(output: Any, *, creating: bool) -> Errors:
    if not isinstance(output, dict):
        return [invalid_field("CheckRun", "output")]
    required = ("title", "summary") if creating else ("summary",)
    errors = [
        missing_field("CheckRun", f"output.{name}")
        for name in required
        if not _is_text(output.get(name))
    ]
    for name in ("summary", "text"):
        value = output.get(name)
        if isinstance(value, str) and len(value) > CHECK_TEXT_MAX:
            errors.append(
                custom_error(
                    "CheckRun",
                    f"output.{name}",
                    f"{name} is too long (maximum is {CHECK_TEXT_MAX} characters)",
                )
            )
    annotations = output.get("annotations", [])
    if not isinstance(annotations, list):
        return [*errors, invalid_field("CheckRun", "output.annotations")]
    if len(annotations) > ANNOTATIONS_PER_REQUEST:
        errors.append(
            custom_error(
                "CheckRun",
                "output.annotations",
                f"Only {ANNOTATIONS_PER_REQUEST} annotations are allowed per request",
            )
        )
    for index, annotation in enumerate(annotations[:ANNOTATIONS_PER_REQUEST]):
        errors += _annotation_errors(index, annotation)
    return errors


def check_run_errors(body: dict[str, Any], *, creating: bool) -> Errors:
    errors: Errors = []
    if creating:
        errors += [
            missing_field("CheckRun", name)
            for name in ("name", "head_sha")
            if not _is_text(body.get(name)) or not body.get(name)
        ]
    elif "name" in body and (not _is_text(body["name"]) or not body["name"]):
        errors.append(invalid_field("CheckRun", "name"))
    status, conclusion = body.get("status"), body.get("conclusion")
    if status is not None and status not in CHECK_STATUSES:
        errors.append(invalid_field("CheckRun", "status", status))
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        errors.append(invalid_field("CheckRun", "conclusion", conclusion))
    if conclusion is None and (status == "completed" or body.get("completed_at") is not None):
        errors.append(missing_field("CheckRun", "conclusion"))
    if "output" in body:
        errors += _output_errors(body["output"], creating=creating)
    actions = body.get("actions", [])
    if not isinstance(actions, list) or len(actions) > ACTIONS_MAX:
        errors.append(
            custom_error("CheckRun", "actions", f"at most {ACTIONS_MAX} actions are allowed")
        )
    for name in ("details_url", "external_id", "started_at", "completed_at"):
        if body.get(name) is not None and not _is_text(body[name]):
            errors.append(invalid_field("CheckRun", name))
    return errors


def status_errors(body: dict[str, Any]) -> Errors:
    errors: Errors = []
    state = body.get("state")
    if state is None:
        errors.append(missing_field("Status", "state"))
    elif state not in STATUS_STATES:
        errors.append(invalid_field("Status", "state", state))
    description = body.get("description")
    if description is not None and (
        not _is_text(description) or len(description) > STATUS_DESCRIPTION_MAX
    ):
        errors.append(
            custom_error(
                "Status",
                "description",
                f"description is too long (maximum is {STATUS_DESCRIPTION_MAX} characters)",
            )
        )
    for name in ("target_url", "context"):
        if body.get(name) is not None and not _is_text(body[name]):
            errors.append(invalid_field("Status", name))
    return errors
