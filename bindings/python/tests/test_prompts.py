"""Prompt templates (versions, labels, rendering) and workflows."""

from __future__ import annotations

import pytest

import mnemo


def test_prompt_versions_and_selectors(store: mnemo.Mnemo) -> None:
    v1 = store.add_prompt("review", "Review {{file}} for {{concern}}")
    assert isinstance(v1, mnemo.PromptTemplate)
    assert (v1.name, v1.version, v1.variables) == ("review", 1, ["file", "concern"])
    assert v1.body == "Review {{file}} for {{concern}}"
    assert v1.created_at > 1_600_000_000_000  # ms since the epoch
    v2 = store.add_prompt("review", "Review {{file}} carefully")
    assert v2.version == 2 and v2.variables == ["file"]
    assert store.prompt("review") == v2
    assert store.prompt("review", "latest") == v2
    assert store.prompt("review", 1) == v1
    assert store.prompt("review", "1") == v1
    assert store.prompt(name="review", selector=2) == v2
    assert store.prompt_versions("review") == [v1, v2]
    store.add_prompt("plan", "Plan {{feature}}")
    assert sorted(store.prompt_names()) == ["plan", "review"]
    assert v1 != v2 and repr(v1).startswith("PromptTemplate(name='review', version=1")


def test_labels(store: mnemo.Mnemo) -> None:
    store.add_prompt("review", "one {{x}}")
    store.add_prompt("review", "two {{x}}")
    assert store.prompt_labels("review") == {"latest": 2}
    store.label_prompt("review", "production", 1)
    assert store.prompt_labels("review") == {"latest": 2, "production": 1}
    assert store.prompt("review", "production").body == "one {{x}}"
    store.label_prompt("review", "production", 2)
    assert store.prompt("review", "production").version == 2
    with pytest.raises(mnemo.NotFoundError):
        store.label_prompt("review", "staging", 9)
    with pytest.raises(mnemo.InvalidInputError) as info:
        store.label_prompt("review", "latest", 1)
    assert info.value.code == "invalid_input"
    with pytest.raises(mnemo.NotFoundError) as nf:
        store.prompt("review", "staging")
    assert nf.value.code == "not_found" and nf.value.kind == "label"


def test_render(store: mnemo.Mnemo) -> None:
    store.add_prompt("review", "Review {{file}} for {{concern}}")
    assert (
        store.render_prompt("review", {"file": "db.rs", "concern": "races"})
        == "Review db.rs for races"
    )
    store.add_prompt("review", "Check {{file}}")
    store.label_prompt("review", "production", 1)
    assert store.render_prompt("review", {"file": "a.rs"}) == "Check a.rs"
    assert (
        store.render_prompt("review", {"file": "a", "concern": "b"}, selector="production")
        == "Review a for b"
    )
    with pytest.raises(mnemo.MissingVariableError) as info:
        store.render_prompt("review", {"file": "db.rs"}, selector=1)
    err = info.value
    assert err.code == "missing_variable" and err.name == "concern"
    assert isinstance(err, mnemo.MnemoError)
    with pytest.raises(mnemo.MissingVariableError):
        store.render_prompt("review")


def test_prompt_errors(store: mnemo.Mnemo) -> None:
    with pytest.raises(mnemo.NotFoundError) as info:
        store.prompt("nope")
    assert info.value.kind == "prompt"
    with pytest.raises(mnemo.InvalidInputError):
        store.add_prompt("", "body")
    with pytest.raises(mnemo.NotFoundError):
        store.prompt_versions("nope") or store.prompt("nope")


def test_workflows(store: mnemo.Mnemo) -> None:
    store.add_prompt("plan", "Plan {{feature}}")
    store.add_prompt("test", "Write tests for {{feature}} in {{lang}}")
    store.label_prompt("plan", "production", 1)
    step = mnemo.WorkflowStep("plan", "plan", "production", {"feature": "login"})
    assert (step.name, step.prompt, step.prompt_ref, step.values) == (
        "plan",
        "plan",
        "production",
        {"feature": "login"},
    )
    assert mnemo.WorkflowStep("t", "test", 1).prompt_ref == "1"
    wf = store.add_workflow(
        "feature",
        [step, {"name": "tests", "prompt": "test", "values": {"lang": "rust"}}],
    )
    assert isinstance(wf, mnemo.Workflow)
    assert (wf.name, wf.version) == ("feature", 1)
    assert [s.name for s in wf.steps] == ["plan", "tests"]
    assert wf.steps[0] == step
    assert wf.steps[1].prompt_ref is None and wf.steps[1].values == {"lang": "rust"}
    assert store.workflow("feature") == wf
    rendered = store.render_workflow("feature", {"feature": "search"})
    assert [(r.step, r.prompt, r.prompt_version, r.text) for r in rendered] == [
        ("plan", "plan", 1, "Plan search"),
        ("tests", "test", 1, "Write tests for search in rust"),
    ]
    wf2 = store.add_workflow("feature", [mnemo.WorkflowStep("only", "plan")])
    assert wf2.version == 2
    assert store.workflow("feature", 1) == wf
    assert store.workflow("feature", version=2) == wf2
    assert store.workflow_versions("feature") == [wf, wf2]
    assert store.render_workflow("feature", {"feature": "x"}, version=1)[0].text == "Plan x"
    with pytest.raises(mnemo.MissingVariableError):
        store.render_workflow("feature")
    with pytest.raises(mnemo.NotFoundError):
        store.workflow("nope")
    with pytest.raises(mnemo.InvalidInputError):
        store.add_workflow("empty", [])
    with pytest.raises(mnemo.NotFoundError):
        store.add_workflow("bad", [{"name": "s", "prompt": "missing"}])
