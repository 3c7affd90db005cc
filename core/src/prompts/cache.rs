//! The prompt cache and what keeps it and version numbering read-free: recently read
//! templates tagged with epochs (per stripe of names, one for new versions and one for moved
//! labels) that commits move before they are acknowledged, and the head of each template the
//! writer wrote recently (`WriterState::prompt_heads`), so adding a version reads nothing.

use std::sync::Arc;

use serde::Deserialize;

use super::{LATEST, PROMPT_ADDED, PROMPT_LABELED};
use crate::engine::Engine;
use crate::error::Result;
use crate::model::PromptTemplate;

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

/// Most templates `WriterState::prompt_heads` keeps before it starts over.
const PROMPT_HEAD_CACHE: usize = 1 << 16;

/// The leading fields of a `prompt.added` payload (a postcard [`PromptTemplate`]).
#[derive(Deserialize)]
struct HeadFields<'a> {
    #[serde(borrow)]
    name: &'a str,
    version: u32,
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
    /// What a commit's context entries do to templates, once its rows are visible and
    /// before it is acknowledged (under the writer mutex): move the epoch of each change, so
    /// what was cached before it is no longer served ([`PromptCache`]), and record the
    /// heads it leaves in `heads` ([`PromptHead`]): a new version sets its template's head,
    /// a label moves only the stream's version.
    pub(crate) fn note_template_changes(
        &self,
        heads: &mut rustc_hash::FxHashMap<String, PromptHead>,
        entries: &[crate::log::LogEntry],
    ) {
        let moved = |name: &str, change| {
            self.prompt_epochs[epoch_slot(name, change)]
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        for entry in entries {
            let Some(name) = entry.stream.strip_prefix("prompt/") else {
                continue;
            };
            match entry.kind.as_str() {
                PROMPT_ADDED => {
                    moved(name, TemplateChange::Version);
                    match postcard::from_bytes::<HeadFields<'_>>(&entry.payload) {
                        Ok(h) if h.name == name => {
                            if heads.len() >= PROMPT_HEAD_CACHE && !heads.contains_key(name) {
                                heads.clear();
                            }
                            let head = PromptHead {
                                stream_version: entry.version,
                                version: h.version,
                            };
                            heads.insert(name.to_string(), head);
                        }
                        _ => {
                            heads.remove(name);
                        }
                    }
                }
                PROMPT_LABELED => {
                    moved(name, TemplateChange::Label);
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

    /// (views epoch, the epoch of `name`'s stripe for `change`): what a cached read of the
    /// template is tagged with, read before the read.
    fn template_epochs(&self, name: &str, change: TemplateChange) -> Epochs {
        use std::sync::atomic::Ordering::SeqCst;
        (
            self.views_epoch.load(SeqCst),
            self.prompt_epochs[epoch_slot(name, change)].load(SeqCst),
        )
    }

    /// The head the writer remembers for template `name`, when no commit holds the writer
    /// (see [`PromptHead`]).
    pub(super) fn remembered_head(&self, name: &str) -> Option<PromptHead> {
        let writer = self.writer.try_lock().ok()?;
        writer.prompt_heads.get(name).copied()
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
        let (latest, sel) = cache_selector(selector);
        let depends_on = if latest || sel.parse::<u32>().is_ok() {
            TemplateChange::Version
        } else {
            TemplateChange::Label
        };
        let epochs = self.template_epochs(name, depends_on);
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
        let before = self.template_epochs(name, TemplateChange::Version);
        let t = self.add_prompt(name, body)?;
        self.leave_written(cache, (name, None), TemplateChange::Version, before, &t);
        Ok(t)
    }

    /// [`Engine::label_prompt`], leaving the template the label now names in `cache` for
    /// reads by that label (a host that promotes a version and then renders it by label
    /// reads nothing). Tagged and guarded as in [`Engine::add_prompt_cached`], with the
    /// stripe's label epoch: kept only when this commit alone moved it during the call. A
    /// label spelled as a number is not cached: a read by that text names a version.
    pub(crate) fn label_prompt_cached(
        &self,
        name: &str,
        label: &str,
        version: u32,
        cache: &PromptCache,
    ) -> Result<()> {
        let before = self.template_epochs(name, TemplateChange::Label);
        let t = self.label_prompt(name, label, version)?;
        // (`label_prompt` refused `latest`.)
        if label.parse::<u32>().is_err() {
            self.leave_written(
                cache,
                (name, Some(label)),
                TemplateChange::Label,
                before,
                &t,
            );
        }
        Ok(())
    }

    /// After a commit that wrote `t` as what (`name`, `selector`) reads: leave it in
    /// `cache`, tagged with the epochs right after the commit, only when the commit alone
    /// moved the stripe's `change` epoch since `before` (read before the write began) and no
    /// rebuild switched views, so that no other write can hide behind the entry.
    fn leave_written(
        &self,
        cache: &PromptCache,
        (name, selector): (&str, Option<&str>),
        change: TemplateChange,
        before: Epochs,
        t: &PromptTemplate,
    ) {
        let after = self.template_epochs(name, change);
        if after.0 == before.0 && after.1 == before.1.wrapping_add(1) {
            let (latest, sel) = cache_selector(selector);
            cache.0.insert(
                (name.to_string(), latest, sel.to_string()),
                (after, Arc::new(t.clone())),
            );
        }
    }
}
