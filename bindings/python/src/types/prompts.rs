//! Prompt templates, version selectors, workflows and their rendered steps.

use std::collections::BTreeMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyMapping, PyString};

use super::{q, ql, qo};

/// A version of a prompt template.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct PromptTemplate(pub mnemo::PromptTemplate);

#[pymethods]
impl PromptTemplate {
    /// Template name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Version number, from 1.
    #[getter]
    fn version(&self) -> u32 {
        self.0.version
    }
    /// The template text with `{{variable}}` placeholders.
    #[getter]
    fn body(&self) -> &str {
        &self.0.body
    }
    /// Variables the body uses, in order of first appearance.
    #[getter]
    fn variables(&self) -> Vec<&str> {
        self.0.variables.iter().map(String::as_str).collect()
    }
    /// When this version was added (ms since the epoch).
    #[getter]
    fn created_at(&self) -> i64 {
        self.0.created_at
    }
    fn __repr__(&self) -> String {
        format!(
            "PromptTemplate(name={}, version={}, variables={})",
            q(&self.0.name),
            self.0.version,
            ql(&self.0.variables)
        )
    }
}

/// A prompt version given as a number or a label (`"production"`, `"latest"`).
pub(crate) enum Selector {
    Version(u32),
    Label(String),
}

/// A string first: a derived extraction tried the number first and built (and dropped) a
/// `TypeError` for every label, ~1.2 µs a call. An int out of `u32`'s range is an
/// `OverflowError`, as for every other version argument.
impl<'a, 'py> FromPyObject<'a, 'py> for Selector {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = ob.cast::<PyString>() {
            return Ok(Selector::Label(s.to_str()?.to_owned()));
        }
        if ob.cast::<PyInt>().is_ok() {
            return ob.extract::<u32>().map(Selector::Version);
        }
        Err(PyTypeError::new_err(format!(
            "a prompt selector must be a label (str) or a version number (int), not {}",
            ob.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        )))
    }
}

impl Selector {
    pub(crate) fn into_string(self) -> String {
        match self {
            Selector::Version(v) => v.to_string(),
            Selector::Label(l) => l,
        }
    }
}

/// One step of a workflow: a prompt template to render, with fixed values.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct WorkflowStep(pub mnemo::WorkflowStep);

#[pymethods]
impl WorkflowStep {
    /// A step named `name` rendering template `prompt` at `prompt_ref` (a label or version
    /// number; `None` = latest) with `values`.
    #[new]
    #[pyo3(signature = (name, prompt, prompt_ref = None, values = None))]
    fn new(
        name: String,
        prompt: String,
        prompt_ref: Option<Selector>,
        values: Option<BTreeMap<String, String>>,
    ) -> Self {
        WorkflowStep(mnemo::WorkflowStep {
            name,
            prompt,
            prompt_ref: prompt_ref.map(Selector::into_string),
            values: values.unwrap_or_default(),
        })
    }
    /// Step name, unique within the workflow.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// The prompt template this step renders.
    #[getter]
    fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// A label or version number of that prompt; `None` means `latest`.
    #[getter]
    fn prompt_ref(&self) -> Option<&str> {
        self.0.prompt_ref.as_deref()
    }
    /// Values bound for this step.
    #[getter]
    fn values(&self) -> &BTreeMap<String, String> {
        &self.0.values
    }
    fn __repr__(&self) -> String {
        format!(
            "WorkflowStep(name={}, prompt={}, prompt_ref={})",
            q(&self.0.name),
            q(&self.0.prompt),
            qo(self.0.prompt_ref.as_deref())
        )
    }
}

/// A workflow step as given to `Mnemo.add_workflow`: a `WorkflowStep` or a mapping with
/// the same keys.
pub(crate) struct StepArg(pub mnemo::WorkflowStep);

impl<'a, 'py> FromPyObject<'a, 'py> for StepArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(step) = ob.cast::<WorkflowStep>() {
            return Ok(StepArg(step.get().0.clone()));
        }
        let map = ob.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(format!(
                "a workflow step must be a WorkflowStep or a mapping, not {}",
                ob.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        // A missing or None optional key means "not given".
        let get = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
            if !map.contains(key)? {
                return Ok(None);
            }
            let v = map.get_item(key)?;
            Ok((!v.is_none()).then_some(v))
        };
        let required = |key: &str| -> PyResult<String> {
            get(key)?
                .ok_or_else(|| {
                    PyTypeError::new_err(format!("a workflow step mapping needs a {key:?} key"))
                })?
                .extract()
        };
        let name = required("name")?;
        let prompt = required("prompt")?;
        let prompt_ref = get("prompt_ref")?
            .map(|v| v.extract::<Selector>())
            .transpose()?
            .map(Selector::into_string);
        let values = get("values")?
            .map(|v| v.extract::<BTreeMap<String, String>>())
            .transpose()?
            .unwrap_or_default();
        Ok(StepArg(mnemo::WorkflowStep {
            name,
            prompt,
            prompt_ref,
            values,
        }))
    }
}

/// A version of a workflow.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Workflow(pub mnemo::Workflow);

#[pymethods]
impl Workflow {
    /// Workflow name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Version number, from 1.
    #[getter]
    fn version(&self) -> u32 {
        self.0.version
    }
    /// Ordered steps.
    #[getter]
    fn steps(&self) -> Vec<WorkflowStep> {
        self.0.steps.iter().cloned().map(WorkflowStep).collect()
    }
    /// When this version was added (ms since the epoch).
    #[getter]
    fn created_at(&self) -> i64 {
        self.0.created_at
    }
    fn __repr__(&self) -> String {
        format!(
            "Workflow(name={}, version={}, steps={})",
            q(&self.0.name),
            self.0.version,
            self.0.steps.len()
        )
    }
}

/// One rendered step of a workflow.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct RenderedStep(pub mnemo::workflows::RenderedStep);

#[pymethods]
impl RenderedStep {
    /// Step name.
    #[getter]
    fn step(&self) -> &str {
        &self.0.step
    }
    /// Template name.
    #[getter]
    fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// Version of the template used.
    #[getter]
    fn prompt_version(&self) -> u32 {
        self.0.prompt_version
    }
    /// The rendered text.
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }
    fn __repr__(&self) -> String {
        format!(
            "RenderedStep(step={}, prompt={}, prompt_version={})",
            q(&self.0.step),
            q(&self.0.prompt),
            self.0.prompt_version
        )
    }
}
