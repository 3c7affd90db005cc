//! Prompt templates: named, versioned texts with `{{variable}}` placeholders, labels such as
//! `production`, and rendering with values.
//!
//! Each template name is a stream `prompt/<name>` in the log (`prompt.added`,
//! `prompt.labeled` events); the `prompts` column family holds the projection: versions
//! under `("p", name, version)`, labels under `("l", name, label)`, and a copy of the
//! newest version under `("h", name)` (the head), so that reading the newest version is one
//! point read. Versions are assigned with optimistic concurrency on the stream version;
//! the writer remembers the head of each template it wrote recently ([`PromptHead`]), so
//! adding a version reads nothing, and the version added is left in the read cache.
//!
//! Stores written before heads existed have none for their templates until the next
//! version is added; reading the newest version of such a template falls back to a reverse
//! seek over its versions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, CF_PROMPTS};
use crate::error::{Error, Result};
use crate::keys::KeyBuilder;
use crate::log::{now_millis, Expected, NewBatch};
use crate::model::PromptTemplate;

mod cache;
pub(crate) use cache::{PromptCache, PromptHead, EPOCH_SLOTS};

/// Event type: a new template version.
pub const PROMPT_ADDED: &str = "prompt.added";
/// Event type: a label moved to a version.
pub const PROMPT_LABELED: &str = "prompt.labeled";
/// The implicit label naming the newest version.
pub const LATEST: &str = "latest";
/// Largest template body accepted: 1 MiB.
pub const MAX_TEMPLATE_LEN: usize = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LabelEvent {
    label: String,
    version: u32,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{what} name must be 1-128 letters, digits, '_', '-', '.' or '/': {name:?}"
        )))
    }
}

/// Split a template into text and `{{ variable }}` pieces. An unclosed `{{` or a bad
/// variable name is an [`Error::InvalidInput`].
fn parse_template(body: &str) -> Result<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| Error::InvalidInput("template has an unclosed '{{'".into()))?;
        let name = after[..close].trim();
        if !valid_name(name) {
            return Err(Error::InvalidInput(format!(
                "template variable name is not valid: {name:?}"
            )));
        }
        pieces.push(Piece::Var(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The variables a template uses, in order of first appearance.
pub fn template_variables(body: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in parse_template(body)? {
        if let Piece::Var(v) = p {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    Ok(out)
}

/// Render a template body with values; a variable without a value is
/// [`Error::MissingVariable`]. Values are inserted as they are (no escaping).
pub fn render_template(body: &str, values: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(body.len());
    for p in parse_template(body)? {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(v) => out.push_str(values.get(v).ok_or_else(|| Error::MissingVariable {
                name: v.to_string(),
            })?),
        }
    }
    Ok(out)
}

pub(crate) fn version_key(name: &str, version: u32) -> Vec<u8> {
    KeyBuilder::new().str("p").str(name).u32(version).finish()
}

/// The head row of template `name`: a copy of its newest version.
pub(crate) fn head_key(name: &str) -> Vec<u8> {
    KeyBuilder::new().str("h").str(name).finish()
}

fn decode_template(bytes: &[u8]) -> Result<PromptTemplate> {
    postcard::from_bytes(bytes).map_err(|e| Error::corrupted("prompt", e))
}

pub(crate) fn label_key(name: &str, label: &str) -> Vec<u8> {
    KeyBuilder::new().str("l").str(name).str(label).finish()
}

fn stream(name: &str) -> String {
    format!("prompt/{name}")
}

impl Engine {
    fn prompt_at(&self, name: &str, version: u32) -> Result<Option<PromptTemplate>> {
        let g = self.db()?;
        let value = g
            .db()
            .get_pinned_cf(g.cf(CF_PROMPTS), version_key(name, version))?;
        value.map(|v| decode_template(&v)).transpose()
    }

    /// The newest version of a template: its head row (one point read), or for a template
    /// last written before heads existed, a reverse seek to its newest version.
    fn latest_prompt(&self, name: &str) -> Result<Option<PromptTemplate>> {
        let head = {
            let g = self.db()?;
            let v = g.db().get_pinned_cf(g.cf(CF_PROMPTS), head_key(name))?;
            v.map(|v| decode_template(&v)).transpose()?
        };
        match head {
            Some(t) => Ok(Some(t)),
            None => match self.seek_latest_prompt_version(name)? {
                Some(v) => self.prompt_at(name, v),
                None => Ok(None),
            },
        }
    }

    /// The newest version number of a template (see [`Engine::latest_prompt`]).
    fn latest_prompt_version(&self, name: &str) -> Result<Option<u32>> {
        let head = {
            let g = self.db()?;
            let v = g.db().get_pinned_cf(g.cf(CF_PROMPTS), head_key(name))?;
            v.map(|v| decode_template(&v)).transpose()?
        };
        match head {
            Some(t) => Ok(Some(t.version)),
            None => self.seek_latest_prompt_version(name),
        }
    }

    /// The newest version number of a template by its version rows: one reverse seek.
    fn seek_latest_prompt_version(&self, name: &str) -> Result<Option<u32>> {
        let g = self.db()?;
        let prefix = KeyBuilder::new().str("p").str(name).finish();
        let Some(end) = crate::keys::prefix_end(&prefix) else {
            return Ok(None);
        };
        let mut it = g.db().iterator_cf(
            g.cf(CF_PROMPTS),
            rocksdb::IteratorMode::From(&end, rocksdb::Direction::Reverse),
        );
        match it.next() {
            Some(item) => {
                let (k, _) = item?;
                if !k.starts_with(&prefix) {
                    return Ok(None);
                }
                let mut r = crate::keys::KeyReader::new(&k[prefix.len()..]);
                Ok(Some(r.u32()?))
            }
            None => Ok(None),
        }
    }

    /// All versions of a template, oldest first.
    pub(crate) fn prompt_versions(&self, name: &str) -> Result<Vec<PromptTemplate>> {
        let g = self.db()?;
        let prefix = KeyBuilder::new().str("p").str(name).finish();
        let mut out = Vec::new();
        for item in g.db().prefix_iterator_cf(g.cf(CF_PROMPTS), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            out.push(decode_template(&v)?);
        }
        Ok(out)
    }

    /// Add a new version of template `name`; returns it.
    pub(crate) fn add_prompt(&self, name: &str, body: &str) -> Result<PromptTemplate> {
        check_name("prompt", name)?;
        if body.len() > MAX_TEMPLATE_LEN {
            return Err(Error::TooLarge {
                what: "prompt template",
                size: body.len() as u64,
                limit: MAX_TEMPLATE_LEN as u64,
            });
        }
        let variables = template_variables(body)?;
        // The writer's head of this template if it has one (no read); after a conflict, or
        // without one, the stream's version and the head row as stored.
        let mut remembered = self.remembered_head(name);
        loop {
            let (stream_version, latest) = match remembered.take() {
                Some(h) => (Some(h.stream_version), Some(h.version)),
                None => (
                    self.stream_version(&stream(name))?,
                    self.latest_prompt_version(name)?,
                ),
            };
            let version = latest.unwrap_or(0) + 1;
            let template = PromptTemplate {
                name: name.to_string(),
                version,
                body: body.to_string(),
                variables: variables.clone(),
                created_at: now_millis(),
            };
            let payload =
                postcard::to_stdvec(&template).map_err(|e| Error::Storage(e.to_string()))?;
            let event = NewBatch::internal(
                stream(name),
                stream_version.map_or(Expected::NoStream, Expected::Exact),
                PROMPT_ADDED,
                payload,
            );
            // The version and head rows are written by `context_views` in the same batch.
            let result = self.commit(vec![event], |_, _, _| Ok(()));
            match result {
                Ok(_) => return Ok(template),
                Err(Error::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Point `label` of template `name` at `version`; returns the template it now names.
    pub(crate) fn label_prompt(
        &self,
        name: &str,
        label: &str,
        version: u32,
    ) -> Result<PromptTemplate> {
        check_name("label", label)?;
        if label == LATEST {
            return Err(Error::InvalidInput(
                "'latest' always names the newest version and cannot be moved".into(),
            ));
        }
        // Versions are never rewritten: what this read finds is what the label names.
        let Some(template) = self.prompt_at(name, version)? else {
            return Err(Error::NotFound {
                kind: "prompt",
                key: format!("{name}@{version}"),
            });
        };
        let payload = postcard::to_stdvec(&LabelEvent {
            label: label.to_string(),
            version,
        })
        .map_err(|e| Error::Storage(e.to_string()))?;
        let event = NewBatch::internal(stream(name), Expected::Any, PROMPT_LABELED, payload);
        // The label row is written by `context_views` in the same batch.
        self.commit(vec![event], |_, _, _| Ok(()))?;
        Ok(template)
    }

    /// Labels of template `name` and the versions they point at (`latest` included).
    pub(crate) fn prompt_labels(&self, name: &str) -> Result<BTreeMap<String, u32>> {
        let mut out = BTreeMap::new();
        if let Some(last) = self.latest_prompt_version(name)? {
            out.insert(LATEST.to_string(), last);
        }
        let g = self.db()?;
        let prefix = KeyBuilder::new().str("l").str(name).finish();
        for item in g.db().prefix_iterator_cf(g.cf(CF_PROMPTS), &prefix) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            let mut r = crate::keys::KeyReader::new(&k);
            r.str()?;
            r.str()?;
            let label = r.str()?;
            let v: [u8; 4] = v
                .as_ref()
                .try_into()
                .map_err(|_| Error::corrupted("label", "not 4 bytes"))?;
            out.insert(label, u32::from_be_bytes(v));
        }
        Ok(out)
    }

    /// Template `name` at `selector`: a version number, a label, or `None` for latest.
    pub(crate) fn prompt(&self, name: &str, selector: Option<&str>) -> Result<PromptTemplate> {
        let not_found = |key: String| Error::NotFound {
            kind: "prompt",
            key,
        };
        let version = match selector {
            None | Some(LATEST) => {
                return self
                    .latest_prompt(name)?
                    .ok_or_else(|| not_found(name.to_string()))
            }
            Some(s) => match s.parse::<u32>() {
                Ok(v) => v,
                Err(_) => {
                    let g = self.db()?;
                    let v = g
                        .db()
                        .get_pinned_cf(g.cf(CF_PROMPTS), label_key(name, s))?
                        .ok_or_else(|| Error::NotFound {
                            kind: "label",
                            key: format!("{name}@{s}"),
                        })?;
                    let v: [u8; 4] = v
                        .as_ref()
                        .try_into()
                        .map_err(|_| Error::corrupted("label", "not 4 bytes"))?;
                    u32::from_be_bytes(v)
                }
            },
        };
        self.prompt_at(name, version)?
            .ok_or_else(|| not_found(format!("{name}@{version}")))
    }

    /// Names of all templates, sorted.
    pub(crate) fn prompt_names(&self) -> Result<Vec<String>> {
        let g = self.db()?;
        let prefix = KeyBuilder::new().str("p").finish();
        let mut out: Vec<String> = Vec::new();
        for item in g.db().prefix_iterator_cf(g.cf(CF_PROMPTS), &prefix) {
            let (k, _) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            let mut r = crate::keys::KeyReader::new(&k);
            r.str()?;
            let name = r.str()?;
            if out.last() != Some(&name) {
                out.push(name);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_in_order_without_duplicates() {
        let v = template_variables("Hi {{ name }}, fix {{file}} for {{name}}").unwrap();
        assert_eq!(v, ["name", "file"]);
    }

    #[test]
    fn render_and_missing_variable() {
        let mut values = BTreeMap::new();
        values.insert("name".to_string(), "Ada".to_string());
        assert_eq!(render_template("Hi {{name}}!", &values).unwrap(), "Hi Ada!");
        match render_template("{{name}} {{file}}", &values) {
            Err(Error::MissingVariable { name }) => assert_eq!(name, "file"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_templates_are_typed_errors() {
        assert!(matches!(
            template_variables("oops {{x"),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            template_variables("{{ a b }}"),
            Err(Error::InvalidInput(_))
        ));
        assert!(template_variables("no vars } { here").unwrap().is_empty());
    }

    fn engine(dir: &tempfile::TempDir) -> std::sync::Arc<Engine> {
        let options = crate::Options {
            sync_writes: false,
            ..Default::default()
        };
        Engine::open(&dir.path().join("store"), options).unwrap()
    }

    #[test]
    fn head_row_holds_the_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(&dir);
        assert!(matches!(
            e.prompt("review", None),
            Err(Error::NotFound { .. })
        ));
        for n in 1..=3u32 {
            e.add_prompt("review", &format!("v{n} {{{{file}}}}"))
                .unwrap();
            let latest = e.prompt("review", None).unwrap();
            assert_eq!(
                (latest.version, latest.body.as_str()),
                (n, &*format!("v{n} {{{{file}}}}"))
            );
            assert_eq!(e.prompt("review", Some(LATEST)).unwrap(), latest);
            assert_eq!(e.prompt("review", Some(&n.to_string())).unwrap(), latest);
        }
        // The head is a copy of the newest version row, byte for byte.
        let g = e.db().unwrap();
        let head = g.db().get_cf(g.cf(CF_PROMPTS), head_key("review")).unwrap();
        let v3 = g
            .db()
            .get_cf(g.cf(CF_PROMPTS), version_key("review", 3))
            .unwrap();
        assert!(head.is_some());
        assert_eq!(head, v3);
        drop(g);
        // Heads are not template names, and labels still list `latest`.
        assert_eq!(e.prompt_names().unwrap(), ["review"]);
        assert_eq!(e.prompt_labels("review").unwrap()[LATEST], 3);
        assert_eq!(e.prompt_versions("review").unwrap().len(), 3);
    }

    #[test]
    fn templates_without_a_head_row_fall_back_to_their_version_rows() {
        // A store written before head rows existed: remove the heads.
        let dir = tempfile::tempdir().unwrap();
        let e = engine(&dir);
        e.add_prompt("a", "one").unwrap();
        e.add_prompt("a", "two").unwrap();
        e.add_prompt("b", "only").unwrap();
        {
            let g = e.db().unwrap();
            for name in ["a", "b"] {
                g.db().delete_cf(g.cf(CF_PROMPTS), head_key(name)).unwrap();
            }
        }
        assert_eq!(e.prompt("a", None).unwrap().body, "two");
        assert_eq!(e.prompt("b", None).unwrap().version, 1);
        assert_eq!(e.prompt_labels("a").unwrap()[LATEST], 2);
        assert!(matches!(e.prompt("c", None), Err(Error::NotFound { .. })));
        // The next version numbers follow the version rows and write the head again.
        let v3 = e.add_prompt("a", "three").unwrap();
        assert_eq!(v3.version, 3);
        assert_eq!(e.prompt("a", None).unwrap(), v3);
        e.close();
    }
}
