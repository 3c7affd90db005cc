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
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, CF_PROMPTS};
use crate::error::{Error, Result};
use crate::keys::KeyBuilder;
use crate::log::{now_millis, Expected, NewBatch};
use crate::model::PromptTemplate;

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

/// Stripes of template names, each with its own two epochs (`Engine::prompt_epochs`).
pub(crate) const NAME_STRIPES: usize = 256;

/// What a commit changes of a template, and so which cached reads of it it invalidates: a
/// new version (the newest version) or a moved label (what that label names). A version
/// number always names the same template once it exists; its reads are tagged as those of
/// the newest, which is only ever conservative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplateChange {
    /// `prompt.added`.
    Version = 0,
    /// `prompt.labeled`.
    Label = 1,
}

/// Epochs in `Engine::prompt_epochs`: one per stripe and [`TemplateChange`].
pub(crate) const EPOCH_SLOTS: usize = NAME_STRIPES * 2;

/// The epoch slot of template `name` for `change`.
pub(crate) fn epoch_slot(name: &str, change: TemplateChange) -> usize {
    name_stripe(name) * 2 + change as usize
}

/// The stripe of template `name` (a stable hash of the name, modulo [`NAME_STRIPES`]).
pub(crate) fn name_stripe(name: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    name.hash(&mut h);
    (h.finish() % NAME_STRIPES as u64) as usize
}

/// The template a committed log entry changes and how (a new version or a moved label),
/// if any.
pub(crate) fn changed_template(entry: &crate::log::LogEntry) -> Option<(&str, TemplateChange)> {
    let name = entry.stream.strip_prefix("prompt/")?;
    match entry.kind.as_str() {
        PROMPT_ADDED => Some((name, TemplateChange::Version)),
        PROMPT_LABELED => Some((name, TemplateChange::Label)),
        _ => None,
    }
}

/// A template's newest version as the writer last left it, with the version its stream
/// had then (`WriterState::prompt_heads`). Adding a version expects exactly that stream
/// version, so a stale head can only make the commit conflict, never reuse a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PromptHead {
    /// The stream `prompt/<name>`'s version after the commit that left this head.
    pub stream_version: u64,
    /// The template's newest version.
    pub version: u32,
}

/// Most templates [`remember_heads`] keeps before it starts over.
const PROMPT_HEAD_CACHE: usize = 1 << 16;

/// The leading fields of a `prompt.added` payload (a postcard [`PromptTemplate`]).
#[derive(Deserialize)]
struct HeadFields<'a> {
    #[serde(borrow)]
    name: &'a str,
    version: u32,
}

/// Record the heads the committed context entries leave: a new version sets its template's
/// head; a label moves only the stream's version.
pub(crate) fn remember_heads(
    heads: &mut rustc_hash::FxHashMap<String, PromptHead>,
    entries: &[crate::log::LogEntry],
) {
    for entry in entries {
        let Some(name) = entry.stream.strip_prefix("prompt/") else {
            continue;
        };
        match entry.kind.as_str() {
            PROMPT_ADDED => match postcard::from_bytes::<HeadFields<'_>>(&entry.payload) {
                Ok(h) if h.name == name => {
                    if heads.len() >= PROMPT_HEAD_CACHE && !heads.contains_key(name) {
                        heads.clear();
                    }
                    heads.insert(
                        name.to_string(),
                        PromptHead {
                            stream_version: entry.version,
                            version: h.version,
                        },
                    );
                }
                _ => {
                    heads.remove(name);
                }
            },
            PROMPT_LABELED => {
                if let Some(h) = heads.get_mut(name) {
                    h.stream_version = entry.version;
                }
            }
            _ => {
                heads.remove(name);
            }
        }
    }
}

/// Templates recently read through [`crate::Mnemo::prompt`], by name and selector (`latest`,
/// or the label or version asked for), each tagged with the epochs read just before it: the
/// views epoch (`Engine::views_epoch`, moved when a rebuild switches generations) and the
/// epoch of its name's stripe for what the read depends on (`Engine::prompt_epochs`: for a
/// label, moved after every commit that moves a label of a template of that stripe; for the
/// newest version or a version number, after every commit that adds a version to one; both
/// before the commit is acknowledged). An entry is used only while both still have those
/// values, so it can never return what a completed write replaced; writes to other
/// templates' stripes, sessions, host events and projections leave it valid, and so does
/// moving a label for a read of the newest version, so a hot template stays cached while
/// the rest of the store is written. It saves
/// the point reads and the decoding of hot templates. Bounded in bytes
/// ([`PromptCache::BYTES`]).
pub(crate) struct PromptCache(
    quick_cache::sync::Cache<CacheKey, (Epochs, Arc<PromptTemplate>), PromptWeighter>,
);

/// (views epoch, the name's stripe epoch) a cached template was read at.
type Epochs = (u64, u64);

/// Weighs cached templates by their size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PromptWeighter;

/// (name, whether the newest version was asked for, else the selector).
type CacheKey = (String, bool, String);

impl quick_cache::Weighter<CacheKey, (Epochs, Arc<PromptTemplate>)> for PromptWeighter {
    fn weight(&self, key: &CacheKey, value: &(Epochs, Arc<PromptTemplate>)) -> u64 {
        let t = &value.1;
        let vars: usize = t.variables.iter().map(|v| v.len() + 24).sum();
        (key.0.len() + key.2.len() + t.name.len() + t.body.len() + vars + 160) as u64
    }
}

/// The (newest?, selector) half of a [`CacheKey`] for `selector`.
fn cache_selector(selector: Option<&str>) -> (bool, &str) {
    match selector {
        None | Some(LATEST) => (true, ""),
        Some(s) => (false, s),
    }
}

/// A borrowed [`CacheKey`] (hashes as the owned tuple does).
#[derive(Hash)]
struct KeyRef<'a>(&'a str, bool, &'a str);

impl quick_cache::Equivalent<CacheKey> for KeyRef<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

impl PromptCache {
    /// Bytes of templates kept: 8 MiB.
    pub const BYTES: u64 = 8 << 20;

    pub fn new() -> Self {
        PromptCache(quick_cache::sync::Cache::with_weighter(
            4096,
            Self::BYTES,
            PromptWeighter,
        ))
    }
}

impl std::fmt::Debug for PromptCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptCache")
            .field("len", &self.0.len())
            .finish()
    }
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

    /// The head the writer remembers for template `name`, when no commit holds the writer
    /// (see [`PromptHead`]).
    fn remembered_head(&self, name: &str) -> Option<PromptHead> {
        let writer = self.writer.try_lock().ok()?;
        writer.prompt_heads.get(name).copied()
    }

    /// Point `label` of template `name` at `version`.
    pub(crate) fn label_prompt(&self, name: &str, label: &str, version: u32) -> Result<()> {
        check_name("label", label)?;
        if label == LATEST {
            return Err(Error::InvalidInput(
                "'latest' always names the newest version and cannot be moved".into(),
            ));
        }
        if self.prompt_at(name, version)?.is_none() {
            return Err(Error::NotFound {
                kind: "prompt",
                key: format!("{name}@{version}"),
            });
        }
        let payload = postcard::to_stdvec(&LabelEvent {
            label: label.to_string(),
            version,
        })
        .map_err(|e| Error::Storage(e.to_string()))?;
        let event = NewBatch::internal(stream(name), Expected::Any, PROMPT_LABELED, payload);
        // The label row is written by `context_views` in the same batch.
        self.commit(vec![event], |_, _, _| Ok(()))?;
        Ok(())
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

    /// [`Engine::prompt`] through `cache` (see [`PromptCache`]).
    pub(crate) fn prompt_cached(
        &self,
        name: &str,
        selector: Option<&str>,
        cache: &PromptCache,
    ) -> Result<PromptTemplate> {
        // (A closed store answers nothing, whatever is cached.)
        drop(self.db()?);
        let epochs = match self.prompt_from_cache(name, selector, cache) {
            Ok(t) => return Ok(t),
            Err(epochs) => epochs,
        };
        let t = self.prompt(name, selector)?;
        let (latest, sel) = cache_selector(selector);
        cache.0.insert(
            (name.to_string(), latest, sel.to_string()),
            (epochs, Arc::new(t.clone())),
        );
        Ok(t)
    }

    /// The template `cache` holds for (`name`, `selector`) if still valid; else the epochs
    /// to tag a fresh read with, read before it (a view change after this makes the entry
    /// unusable).
    fn prompt_from_cache(
        &self,
        name: &str,
        selector: Option<&str>,
        cache: &PromptCache,
    ) -> std::result::Result<PromptTemplate, Epochs> {
        use std::sync::atomic::Ordering::SeqCst;
        let (latest, sel) = cache_selector(selector);
        let depends_on = if latest || sel.parse::<u32>().is_ok() {
            TemplateChange::Version
        } else {
            TemplateChange::Label
        };
        let epochs = (
            self.views_epoch.load(SeqCst),
            self.prompt_epochs[epoch_slot(name, depends_on)].load(SeqCst),
        );
        // A stale entry costs a reference count, not a copy of the template.
        match cache.0.get(&KeyRef(name, latest, sel)) {
            Some((at, t)) if at == epochs => Ok(PromptTemplate::clone(&t)),
            _ => Err(epochs),
        }
    }

    /// [`Engine::prompt_cached`] when `cache` can answer without reading the store; `None`
    /// when it cannot, or when the store is closed.
    pub(crate) fn prompt_if_cached(
        &self,
        name: &str,
        selector: Option<&str>,
        cache: &PromptCache,
    ) -> Option<PromptTemplate> {
        drop(self.db().ok()?);
        self.prompt_from_cache(name, selector, cache).ok()
    }

    /// [`Engine::add_prompt`], leaving the new version in `cache` as its template's newest
    /// (a host that adds a version and then renders it reads nothing). The entry is tagged
    /// with the epochs right after the commit, and only when this commit alone moved its
    /// stripe's version epoch since the call began, so no other new version in the stripe
    /// can hide behind it.
    pub(crate) fn add_prompt_cached(
        &self,
        name: &str,
        body: &str,
        cache: &PromptCache,
    ) -> Result<PromptTemplate> {
        use std::sync::atomic::Ordering::SeqCst;
        let stripe = &self.prompt_epochs[epoch_slot(name, TemplateChange::Version)];
        let before = (self.views_epoch.load(SeqCst), stripe.load(SeqCst));
        let t = self.add_prompt(name, body)?;
        let after = (self.views_epoch.load(SeqCst), stripe.load(SeqCst));
        if after.0 == before.0 && after.1 == before.1.wrapping_add(1) {
            cache.0.insert(
                (name.to_string(), true, String::new()),
                (after, Arc::new(t.clone())),
            );
        }
        Ok(t)
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
