//! `mnemo prompt ...` and `mnemo workflow ...`: versioned prompt templates and workflows.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use mnemo::{Error, Mnemo, WorkflowStep};
use serde_json::json;

use crate::commands::{parse_var, print_json, CmdResult};
use crate::output::{clip, time};

/// `mnemo prompt ...`.
#[derive(Subcommand, Debug)]
pub enum PromptCmd {
    /// Add a new version of a template (body from --body, --file, or stdin).
    Add {
        /// Template name.
        name: String,
        /// Template text; `{{var}}` marks a variable.
        #[arg(long, conflicts_with = "file")]
        body: Option<String>,
        /// Read the template text from a file.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Show a template (newest, or at a version number or label).
    Show {
        /// Template name.
        name: String,
        /// Version number or label (default: latest).
        #[arg(long)]
        at: Option<String>,
    },
    /// List a template's versions and labels.
    Versions {
        /// Template name.
        name: String,
    },
    /// List template names.
    List,
    /// Render a template with values (`--var key=value`, repeatable).
    Render {
        /// Template name.
        name: String,
        /// Version number or label (default: latest).
        #[arg(long)]
        at: Option<String>,
        /// A variable value, `key=value`.
        #[arg(long = "var", value_parser = parse_var)]
        vars: Vec<(String, String)>,
    },
    /// Point a label (e.g. production) at a version.
    Label {
        /// Template name.
        name: String,
        /// Label.
        label: String,
        /// Version number.
        version: u32,
    },
}

/// `mnemo workflow ...`.
#[derive(Subcommand, Debug)]
pub enum WorkflowCmd {
    /// Add a new version of a workflow from steps `name=prompt[@version|label]`, in order.
    Add {
        /// Workflow name.
        name: String,
        /// A step, `step-name=prompt-name[@version-or-label]` (repeatable, in order).
        #[arg(long = "step", required = true)]
        steps: Vec<String>,
    },
    /// Show a workflow (newest, or --version).
    Show {
        /// Workflow name.
        name: String,
        /// Version number.
        #[arg(long)]
        version: Option<u32>,
    },
    /// Render every step of a workflow with values.
    Render {
        /// Workflow name.
        name: String,
        /// Version number.
        #[arg(long)]
        version: Option<u32>,
        /// A variable value, `key=value`.
        #[arg(long = "var", value_parser = parse_var)]
        vars: Vec<(String, String)>,
    },
}

pub fn prompt(store: &Mnemo, cmd: PromptCmd, json: bool) -> CmdResult {
    match cmd {
        PromptCmd::Add { name, body, file } => {
            let body = match (body, file) {
                (Some(b), _) => b,
                (None, Some(path)) => {
                    std::fs::read_to_string(&path).map_err(|source| Error::Io { path, source })?
                }
                (None, None) => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|source| Error::Io {
                            path: "<stdin>".into(),
                            source,
                        })?;
                    s
                }
            };
            let t = store.add_prompt(&name, &body)?;
            if json {
                print_json(&t)?;
            } else {
                println!(
                    "{} version {} (variables: {})",
                    t.name,
                    t.version,
                    t.variables.join(", ")
                );
            }
        }
        PromptCmd::Show { name, at } => {
            let t = store.prompt(&name, at.as_deref())?;
            if json {
                print_json(&t)?;
            } else {
                println!(
                    "{} version {} ({})",
                    t.name,
                    t.version,
                    time(Some(t.created_at))
                );
                println!("{}", t.body);
            }
        }
        PromptCmd::Versions { name } => {
            let versions = store.prompt_versions(&name)?;
            if versions.is_empty() {
                return Err(Error::NotFound {
                    kind: "prompt",
                    key: name,
                });
            }
            let labels = store.prompt_labels(&name)?;
            if json {
                print_json(&json!({"versions": versions, "labels": labels}))?;
            } else {
                for v in &versions {
                    let l: Vec<&str> = labels
                        .iter()
                        .filter(|(_, n)| **n == v.version)
                        .map(|(l, _)| l.as_str())
                        .collect();
                    println!(
                        "v{:<4} {}  [{}]  {}",
                        v.version,
                        time(Some(v.created_at)),
                        l.join(", "),
                        clip(&v.body, 60)
                    );
                }
            }
        }
        PromptCmd::List => {
            let names = store.prompt_names()?;
            if json {
                print_json(&names)?;
            } else {
                for n in names {
                    println!("{n}");
                }
            }
        }
        PromptCmd::Render { name, at, vars } => {
            let values: BTreeMap<String, String> = vars.into_iter().collect();
            let text = store.render_prompt(&name, at.as_deref(), &values)?;
            if json {
                print_json(&json!({"text": text}))?;
            } else {
                println!("{text}");
            }
        }
        PromptCmd::Label {
            name,
            label,
            version,
        } => {
            store.label_prompt(&name, &label, version)?;
            if json {
                print_json(&json!({"name": name, "label": label, "version": version}))?;
            } else {
                println!("{name}@{label} -> version {version}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_step(s: &str) -> Result<WorkflowStep, Error> {
    let (name, target) = s
        .split_once('=')
        .ok_or_else(|| Error::InvalidInput(format!("step must be name=prompt[@ref]: {s:?}")))?;
    let (prompt, prompt_ref) = match target.split_once('@') {
        Some((p, r)) => (p, Some(r.to_string())),
        None => (target, None),
    };
    Ok(WorkflowStep {
        name: name.to_string(),
        prompt: prompt.to_string(),
        prompt_ref,
        values: BTreeMap::new(),
    })
}

pub fn workflow(store: &Mnemo, cmd: WorkflowCmd, json: bool) -> CmdResult {
    match cmd {
        WorkflowCmd::Add { name, steps } => {
            let steps = steps
                .iter()
                .map(|s| parse_step(s))
                .collect::<Result<Vec<_>, _>>()?;
            let w = store.add_workflow(&name, steps)?;
            if json {
                print_json(&w)?;
            } else {
                println!("{} version {} ({} steps)", w.name, w.version, w.steps.len());
            }
        }
        WorkflowCmd::Show { name, version } => {
            let w = store.workflow(&name, version)?;
            if json {
                print_json(&w)?;
            } else {
                println!(
                    "{} version {} ({})",
                    w.name,
                    w.version,
                    time(Some(w.created_at))
                );
                for (i, s) in w.steps.iter().enumerate() {
                    println!(
                        "  {}. {} -> {}@{}",
                        i + 1,
                        s.name,
                        s.prompt,
                        s.prompt_ref.as_deref().unwrap_or("latest")
                    );
                }
            }
        }
        WorkflowCmd::Render {
            name,
            version,
            vars,
        } => {
            let values: BTreeMap<String, String> = vars.into_iter().collect();
            let steps = store.render_workflow(&name, version, &values)?;
            if json {
                print_json(&steps)?;
            } else {
                for s in steps {
                    println!(
                        "## {} ({} v{})\n{}\n",
                        s.step, s.prompt, s.prompt_version, s.text
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
