"""The workflow registry: each workflow described once, and asked by everything else."""

from __future__ import annotations

import pytest

from automation import registry
from automation.config_schema import json_schema
from automation.template_export import EXPORT_NAMES
from automation.templates import KINDS
from tests.factories import shipped


def test_every_template_belongs_to_exactly_one_workflow() -> None:
    owners = [w.name for w in registry.BUSINESS for _ in w.kinds]
    assert sorted(k.template for w in registry.BUSINESS for k in w.kinds) == sorted(KINDS)
    assert len(owners) == len(KINDS)


def test_the_config_and_the_template_picker_name_the_registrys_templates() -> None:
    schema = json_schema("salesbot")
    assert tuple(schema["$defs"]["WorkflowConfig"]["properties"]["template"]["enum"]) == KINDS
    assert {k.template: k.export_name for k in registry.KINDS} == EXPORT_NAMES


def test_the_dashboard_is_not_swept_and_every_business_workflow_is() -> None:
    assert {"handover", "onboarding", "give-back", "opportunity", "group-consult"} == registry.SWEPT
    assert registry.workflow("dashboard") is registry.DASHBOARD
    assert registry.workflow("nope") is None


def test_every_kind_has_its_settings_section() -> None:
    config, _ = shipped()
    for kind in registry.KINDS:
        assert kind.settings(config).template == kind.template


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ((), "ldr"),
        (("Lightweight Deal Review",), "ldr"),
        (("Opportunity Consult",), "consult"),
        # an LDR that grew keeps its old label until relabelled: the consult label wins
        (("Lightweight Deal Review", "Opportunity Consult"), "consult"),
    ],
)
def test_an_opportunity_is_a_consult_once_it_carries_the_consult_labels(
    labels: tuple[str, ...], expected: str
) -> None:
    config, _ = shipped()
    consult = config.workflows.consult.labels
    ldr = config.workflows.ldr.labels
    mapped = tuple(
        label for name in labels for label in (consult if name == "Opportunity Consult" else ldr)
    )
    found = registry.kind_of(config, "opportunity", mapped)
    assert found is not None and found.template == expected
    settings = registry.settings_of(config, "opportunity", mapped)
    assert settings == registry.kind(expected).settings(config)


def test_a_workflow_of_one_kind_is_that_kind_whatever_its_labels() -> None:
    config, _ = shipped()
    found = registry.kind_of(config, "give-back", config.workflows.consult.labels)
    assert found is not None and found.template == "give-back"
    assert registry.kind_of(config, "dashboard", ()) is None
