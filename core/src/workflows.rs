//! Workflows: named, versioned, ordered steps, each rendering a prompt template.
//!
//! Each workflow is a stream `workflow/<name>` (`workflow.added` events); the projection
//! lives in the `prompts` column family under `("w", name, version)`.

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, CF_PROMPTS};
use crate::error::{Error, Result};
use crate::keys::KeyBuilder;
use crate::log::{now_millis, Expected, NewBatch};
use crate::model::{Workflow, WorkflowStep};

/// Event type: a new workflow version.
pub const WORKFLOW_ADDED: &str = "workflow.added";

pub(crate) fn version_key(name: &str, version: u32) -> Vec<u8> {
    KeyBuilder::new().str("w").str(name).u32(version).finish()
}

/// One rendered step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedStep {
    /// Step name.
    pub step: String,
    /// Template name and the version used.
    pub prompt: String,
    /// Version of the template used.
    pub prompt_version: u32,
    /// The rendered text.
    pub text: String,
}

impl Engine {
    /// All versions of a workflow, oldest first.
    pub(crate) fn workflow_versions(&self, name: &str) -> Result<Vec<Workflow>> {
        let g = self.db()?;
        let prefix = KeyBuilder::new().str("w").str(name).finish();
        let mut out = Vec::new();
        for item in g.db().prefix_iterator_cf(g.cf(CF_PROMPTS), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            out.push(postcard::from_bytes(&v).map_err(|e| Error::corrupted("workflow", e))?);
        }
        Ok(out)
    }

    /// Add a new version of workflow `name`. Every step must name an existing template
    /// (and label or version, when given); step names must be unique and non-empty.
    pub(crate) fn add_workflow(&self, name: &str, steps: Vec<WorkflowStep>) -> Result<Workflow> {
        if name.is_empty() || name.len() > 128 {
            return Err(Error::InvalidInput(
                "workflow name must be 1-128 bytes".into(),
            ));
        }
        if steps.is_empty() {
            return Err(Error::InvalidInput(
                "a workflow needs at least one step".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for s in &steps {
            if s.name.is_empty() || !seen.insert(s.name.as_str()) {
                return Err(Error::InvalidInput(format!(
                    "step names must be unique and non-empty: {:?}",
                    s.name
                )));
            }
            self.prompt(&s.prompt, s.prompt_ref.as_deref())?;
        }
        let stream = format!("workflow/{name}");
        loop {
            let current = self.stream_version(&stream)?;
            let version = self
                .workflow_versions(name)?
                .last()
                .map_or(0, |w| w.version)
                + 1;
            let workflow = Workflow {
                name: name.to_string(),
                version,
                steps: steps.clone(),
                created_at: now_millis(),
            };
            let payload =
                postcard::to_stdvec(&workflow).map_err(|e| Error::Storage(e.to_string()))?;
            let event = NewBatch::internal(
                stream.clone(),
                current.map_or(Expected::NoStream, Expected::Exact),
                WORKFLOW_ADDED,
                payload,
            );
            // The version row is written by `context_views` in the same batch.
            let result = self.commit(vec![event], |_, _, _| Ok(()));
            match result {
                Ok(_) => return Ok(workflow),
                Err(Error::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Workflow `name` at `version` (`None` = newest).
    pub(crate) fn workflow(&self, name: &str, version: Option<u32>) -> Result<Workflow> {
        let not_found = || Error::NotFound {
            kind: "workflow",
            key: match version {
                Some(v) => format!("{name}@{v}"),
                None => name.to_string(),
            },
        };
        match version {
            None => self.workflow_versions(name)?.pop().ok_or_else(not_found),
            Some(v) => {
                let g = self.db()?;
                let bytes = g
                    .db()
                    .get_pinned_cf(g.cf(CF_PROMPTS), version_key(name, v))?
                    .ok_or_else(not_found)?;
                postcard::from_bytes(&bytes).map_err(|e| Error::corrupted("workflow", e))
            }
        }
    }

    /// Render every step of a workflow, in order, with the step's values overlaid by `values`.
    pub(crate) fn render_workflow(
        &self,
        name: &str,
        version: Option<u32>,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<Vec<RenderedStep>> {
        let wf = self.workflow(name, version)?;
        wf.steps
            .iter()
            .map(|s| {
                let template = self.prompt(&s.prompt, s.prompt_ref.as_deref())?;
                let mut all = s.values.clone();
                all.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
                Ok(RenderedStep {
                    step: s.name.clone(),
                    prompt: template.name.clone(),
                    prompt_version: template.version,
                    text: crate::prompts::render_template(&template.body, &all)?,
                })
            })
            .collect()
    }
}
