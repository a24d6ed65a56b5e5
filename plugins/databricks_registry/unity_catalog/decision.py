"""The Unity Catalog decision step: `RecordValidationOperator` (after the test notebook) and
`PromoteToChampionOperator` (after approval). Both read the version, ask `decision_plan` what to write, write it
(every write is idempotent: set-tag, update description, PUT alias) and return a JSON-able summary.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from databricks_registry.links import RUN_PAGE_URL_KEY, DatabricksRunPageLink, ModelVersionLink
from databricks_registry.unity_catalog.approval import (
    DEFAULT_APPROVED_VALUE,
    DEFAULT_APPROVER_TAG,
    DEFAULT_REJECTED_VALUE,
    ApprovalRule,
)
from databricks_registry.unity_catalog.decision_plan import (
    APPROVAL_TAG,
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    CHECK_TAG_PREFIX,
    REPLACED_AT_TAG,
    REPLACED_BY_TAG,
    VALIDATION_STATUS_TAG,
    Decision,
    Kind,
    Names,
    NotValidated,
    VersionState,
    approval_from_argument,
    approval_from_tag,
    marker_of,
    plan_promotion,
    plan_validation,
)
from databricks_registry.unity_catalog.entities import normalize_full_name, normalize_tag_key
from databricks_registry.unity_catalog.operators import (
    UnityCatalogOperator,
    alias_holder,
    version_number,
    version_state,
)


def run_label(context: Any) -> str:
    """Which DAG run and task recorded a decision (the trail names it)."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    mapped = f"[{map_index}]" if isinstance(map_index, int) and map_index >= 0 else ""
    return f"Airflow DAG {ti.dag_id} run {ti.run_id} task {ti.task_id}{mapped}"


def result_object(test_result: Any) -> dict[str, Any]:
    """The test result as a dict (a template may render it as JSON text). Anything else is a wiring mistake, not a
    test outcome: fail without recording FAILED, which would be final for the version."""
    if isinstance(test_result, str):
        with contextlib.suppress(ValueError):
            test_result = json.loads(test_result)
    if not isinstance(test_result, dict) or not test_result:
        raise AirflowFailException(
            f"test_result must be the test notebook's result object {{passed, checks, ...}}, got {test_result!r:.200}; "
            "nothing recorded"
        )
    return test_result


class _DecisionOperator(UnityCatalogOperator):
    """Names (the project's contract by default), the write loop and the summary both decision operators share."""

    operator_extra_links = (ModelVersionLink(), DatabricksRunPageLink())

    def __init__(
        self,
        *,
        model_name: str,
        version: str | int,
        validation_status_tag: str = VALIDATION_STATUS_TAG,
        check_tag_prefix: str = CHECK_TAG_PREFIX,
        approval_tag: str = APPROVAL_TAG,
        challenger_alias: str = CHALLENGER_ALIAS,
        champion_alias: str = CHAMPION_ALIAS,
        replaced_at_tag: str = REPLACED_AT_TAG,
        replaced_by_tag: str = REPLACED_BY_TAG,
        test_run_page_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name, self.version, self.test_run_page_url = model_name, version, test_run_page_url
        for key in (validation_status_tag, check_tag_prefix, approval_tag, replaced_at_tag, replaced_by_tag):
            normalize_tag_key(key)  # a key Unity Catalog would refuse fails at parse time, not after the tests ran
        self.names = Names(
            validation_status_tag,
            check_tag_prefix,
            approval_tag,
            challenger_alias,
            champion_alias,
            replaced_at_tag,
            replaced_by_tag,
        )

    def _push_links(self, context: Any, name: str, version: str) -> str:
        """The version's Catalog Explorer page and, when given, the test run's page (the two extra links)."""
        if self.test_run_page_url:
            context["ti"].xcom_push(key=RUN_PAGE_URL_KEY, value=self.test_run_page_url)
        return self.push_version_link(context, name, version)

    def _carry_out(self, name: str, decision: Decision) -> None:
        for write in decision.writes:
            if write.kind is Kind.TAG:
                self.uc_hook.set_version_tag(name, write.version, write.key, write.value)
            elif write.kind is Kind.DESCRIPTION:
                self.uc_hook.update_version_description(name, write.version, write.value)
            else:
                self.uc_hook.set_alias(name, write.key, write.version)

    def _summary(self, name: str, version: str, decision: Decision, url: str) -> dict[str, Any]:
        by_kind = {kind: [w.summary() for w in decision.writes if w.kind is kind] for kind in Kind}
        return {
            "verdict": decision.verdict.value,
            "model_name": name,
            "version": version,
            "reason": decision.reason,
            "aliases_moved": by_kind[Kind.ALIAS],
            "tags_set": by_kind[Kind.TAG],
            "description_updated": bool(by_kind[Kind.DESCRIPTION]),
            "description_truncated": decision.truncated,
            "catalog_explorer_url": url,
            **decision.extra,
        }


class RecordValidationOperator(_DecisionOperator):
    """Record a candidate's test result on its UC model version (run it after the test notebook).

    Passed (`passed` true and every check passed; the workspace flow's rules): tags `check_<name>` = PASSED/FAILED,
    the report in the version's description (section "### Airflow validation", cut to a sane length with a note
    and the test run link), alias `challenger` on the version (never moved back from a newer version), then tag
    `validation_status=PASSED`. Failed: the same tags and description with `validation_status=FAILED`, aliases
    untouched. A version whose status is already PASSED or FAILED is not re-decided (nothing changes).

    :param model_name: `catalog.schema.model` (templated).
    :param version: the version tested (templated).
    :param test_result: the test notebook's validated exit value `{passed, checks:[{name, passed, measured,
        threshold, detail}], metrics, champion_version, report_markdown, failed_checks, mode?}` (templated; JSON
        text is parsed). Anything that is not such an object fails the task and records nothing.
    :param mode: "enforce" / "dry_run"; default: the result's `mode`, else "enforce". With "dry_run", a
        consistent `passed: true` result with failed checks is recorded PASSED (those checks tagged FAILED, the
        description says they were not enforced); `PromoteToChampionOperator` then promotes it only on a
        person's approval, as the workspace flow does.
    :param test_run_page_url: the test run's Databricks page (linked in the description and as an extra link).
    Tag keys and aliases: `validation_status_tag`, `check_tag_prefix`, `challenger_alias` (defaults as in the
    project contract).

    Returns `{verdict: passed|failed|already_decided, model_name, version, reason, validation_status,
    failed_checks, aliases_moved: [{alias, version}], tags_set: [{version, key, value}], description_updated,
    description_truncated, catalog_explorer_url}` (`failed_checks` absent for already_decided).
    """

    template_fields: Sequence[str] = ("model_name", "version", "test_result", "mode", "test_run_page_url")

    def __init__(self, *, test_result: Any, mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test_result, self.mode = test_result, mode

    def execute(self, context: Any) -> dict[str, Any]:
        name, version = normalize_full_name(self.model_name), version_number(self.version)
        test_result = result_object(self.test_result)
        url = self._push_links(context, name, version)
        state = version_state(self.uc_hook, name, version)
        holder = alias_holder(self.uc_hook, name, self.names.challenger)
        decision = plan_validation(
            state,
            holder.version if holder else None,
            test_result,
            mode=self.mode or None,
            test_run_url=self.test_run_page_url or None,
            run_label=run_label(context),
            names=self.names,
        )
        self._carry_out(name, decision)
        self.log.info(
            "UC validation of %s version %s: %s (%s).", name, version, decision.verdict.value, decision.reason
        )
        return self._summary(name, version, decision, url)


class PromoteToChampionOperator(_DecisionOperator):
    """Carry out the approval decision for a validated UC model version (run it after the review step).

    Refuses (AirflowFailException, nothing changed) unless the version's `validation_status` is PASSED.
    Approved: tag `approval=Approved`, the marker tag `airflow_promotion`, a "### Airflow approval" section in the
    description, alias `champion` moves to the version, then the previous champion gets `champion_replaced_at`
    (UTC ISO time) and `champion_replaced_by` (this version). Rejected: tag `approval=Rejected` and the reason in the
    description; no alias moves. Re-runs and retries: already champion → nothing but finishing the previous
    champion's tags; a newer version already champion → nothing (the alias never moves back); an `approval` tag
    that disagrees with this run's approval → nothing (one decision per version).

    :param model_name: `catalog.schema.model` (templated).
    :param version: the version to promote (templated).
    :param approval: the review step's answer (`{approved, approver, ...}`, a bool or "approve"/"reject"); None
        means no human approval was required (templated).
    :param approval_from_tag: read the decision from the version's `approval` tag (set by a person in Databricks;
        wait for it with the approval-tag sensor) instead of `approval`.
    :param approved_value, rejected_value: the approval tag's two decisions (any case), as the approval-tag sensor
        takes them; also what this operator writes to the tag.
    :param approver_tag_key: the tag naming who decided (read with `approval_from_tag`; None: never read).
    :param test_run_page_url: the candidate's test run page (the "Databricks Run" extra link).
    Tag keys and aliases: `validation_status_tag`, `approval_tag`, `champion_alias`, `replaced_at_tag`,
    `replaced_by_tag`.

    Returns `{verdict: promoted|rejected|already_champion|superseded|conflict, model_name, version, reason,
    approved_by, previous_champion, aliases_moved, tags_set, description_updated, description_truncated,
    catalog_explorer_url}`.
    """

    template_fields: Sequence[str] = ("model_name", "version", "approval", "test_run_page_url")

    def __init__(
        self,
        *,
        approval: Any = None,
        approval_from_tag: bool = False,
        approved_value: str = DEFAULT_APPROVED_VALUE,
        rejected_value: str = DEFAULT_REJECTED_VALUE,
        approver_tag_key: str | None = DEFAULT_APPROVER_TAG,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(approval_from_tag, bool):
            raise ValueError("approval_from_tag must be True or False")
        self.approval, self.approval_from_tag = approval, approval_from_tag
        # The approval-tag sensor's rule, so the values it waits for are the ones read (and written) here.
        self.approval_rule = ApprovalRule(self.names.approval_tag, approved_value, rejected_value, approver_tag_key)
        self.names = replace(self.names, approved_value=approved_value, rejected_value=rejected_value)

    def execute(self, context: Any) -> dict[str, Any]:
        name, version = normalize_full_name(self.model_name), version_number(self.version)
        url = self._push_links(context, name, version)
        state = version_state(self.uc_hook, name, version)
        holder = alias_holder(self.uc_hook, name, self.names.champion)
        if holder is not None and holder.version == version and self.names.champion not in state.aliases:
            state = replace(state, aliases=(*state.aliases, self.names.champion))  # the alias read is the truth
        champion = self._champion(name, state, holder)
        try:
            approval = (
                approval_from_tag(state.tags, self.approval_rule)
                if self.approval_from_tag
                else approval_from_argument(self.approval)
            )
            decision = plan_promotion(
                state,
                champion,
                approval,
                now=datetime.now(UTC).isoformat(timespec="seconds"),
                run_label=run_label(context),
                names=self.names,
            )
        except (NotValidated, ValueError) as e:
            raise AirflowFailException(f"Not promoting {name} version {version}: {e}") from None
        self._carry_out(name, decision)
        self.log.info("UC promotion of %s version %s: %s (%s).", name, version, decision.verdict.value, decision.reason)
        return self._summary(name, version, decision, url)

    def _champion(self, name: str, state: VersionState, holder: VersionState | None) -> VersionState | None:
        """The version `champion` points at; if that is `state` itself, the previous champion its marker names (a
        retry after the move finishes that version's trail)."""
        if holder is None or holder.version != state.version:
            return holder
        marker = marker_of(state)
        if marker is None or marker.previous is None:
            return None
        return version_state(self.uc_hook, name, marker.previous)
