//! Trained zstd dictionaries: sampling values as they are written, training once enough of
//! a kind has accumulated, and persisting dictionaries so old values stay readable.
//!
//! Dictionaries live in the `meta` column family under `dict/<id>` (id u32 big-endian),
//! value = kind byte followed by the dictionary bytes. Ids only grow; a value's frame names
//! the id it was compressed with, so a newer dictionary never breaks an older value.

use std::collections::{HashMap, HashSet};

use rocksdb::DB;

use crate::codec::{Codec, ContentKind, Dictionary};
use crate::engine::{Engine, CF_BLOBS, CF_LOG, CF_META};
use crate::error::{Error, Result};

const DICT_PREFIX: &[u8] = b"dict/";
/// Largest sample kept per value.
const MAX_SAMPLE_LEN: usize = 64 << 10;
/// Sample bytes read back from the store per kind when retraining.
const RETRAIN_SAMPLE_BYTES: usize = 4 << 20;
/// Largest dictionary trained.
const MAX_DICT_LEN: usize = 112 << 10;

fn dict_key(id: u32) -> Vec<u8> {
    let mut k = DICT_PREFIX.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Load every persisted dictionary into the codec.
pub(crate) fn load(db: &DB, codec: &Codec, level: i32) -> Result<()> {
    let cf = db
        .cf_handle(CF_META)
        .ok_or_else(|| Error::corrupted("store", "meta column family missing"))?;
    for item in db.prefix_iterator_cf(cf, DICT_PREFIX) {
        let (k, v) = item?;
        if !k.starts_with(DICT_PREFIX) {
            break;
        }
        let id_bytes: [u8; 4] = k[DICT_PREFIX.len()..]
            .try_into()
            .map_err(|_| Error::corrupted("dictionary key", "bad length"))?;
        let id = u32::from_be_bytes(id_bytes);
        let (&kind, bytes) = v
            .split_first()
            .ok_or_else(|| Error::corrupted("dictionary", "empty"))?;
        let kind = ContentKind::from_u8(kind)
            .ok_or_else(|| Error::corrupted("dictionary", format!("unknown kind {kind}")))?;
        codec.add_dictionary(Dictionary::new(id, kind, bytes.to_vec(), level));
    }
    Ok(())
}

/// Collects samples per content kind until a first dictionary can be trained.
#[derive(Debug, Default)]
pub(crate) struct Sampler {
    threshold: usize,
    pending: HashMap<ContentKind, (Vec<Vec<u8>>, usize)>,
    /// Kinds whose samples were handed out and are being trained on: no more samples are
    /// gathered for them meanwhile, so a training that lags behind fast writers is not
    /// started again for every further threshold's worth of values.
    training: HashSet<ContentKind>,
}

impl Sampler {
    pub fn new(threshold: usize) -> Self {
        Sampler {
            threshold,
            pending: HashMap::new(),
            training: HashSet::new(),
        }
    }

    /// Record a sample; returns the samples to train on once the kind has enough.
    fn offer(&mut self, kind: ContentKind, value: &[u8]) -> Option<Vec<Vec<u8>>> {
        if self.threshold == 0 || value.len() < 32 || self.training.contains(&kind) {
            return None;
        }
        let (samples, total) = self.pending.entry(kind).or_default();
        let sample = &value[..value.len().min(MAX_SAMPLE_LEN)];
        *total += sample.len();
        samples.push(sample.to_vec());
        // Records are small and alike: a dictionary pays off after far fewer bytes.
        let threshold = match kind {
            ContentKind::Record => self.threshold / 8,
            _ => self.threshold,
        };
        if *total >= threshold {
            let (samples, _) = self.pending.remove(&kind).unwrap_or_default();
            self.training.insert(kind);
            Some(samples)
        } else {
            None
        }
    }

    /// A training of `kind` ended: sampling resumes for it if it still has no dictionary
    /// (a failed training, for too little variety, is tried again on new samples).
    fn trained(&mut self, kind: ContentKind) {
        self.training.remove(&kind);
    }
}

impl Engine {
    /// Encode a value, feeding the dictionary sampler first; trains and persists a
    /// dictionary for `kind` the first time enough samples exist.
    pub(crate) fn encode_sampled(&self, kind: ContentKind, raw: &[u8]) -> Result<Vec<u8>> {
        self.sample(kind, raw);
        self.codec.encode(kind, raw)
    }

    /// [`Engine::encode_sampled`] at zstd `level` instead of the codec's.
    pub(crate) fn encode_sampled_at(
        &self,
        kind: ContentKind,
        raw: &[u8],
        level: i32,
    ) -> Result<Vec<u8>> {
        self.sample(kind, raw);
        self.codec.encode_at(kind, raw, level)
    }

    /// Offer `raw` to the dictionary sampler while `kind` has no dictionary; once enough
    /// samples exist, a dictionary is trained and persisted in the background.
    fn sample(&self, kind: ContentKind, raw: &[u8]) {
        if self.codec.newest_dictionary(kind).is_none() {
            let ready = self
                .sampler
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .offer(kind, raw);
            if let Some(samples) = ready {
                // Train on a background thread: writers keep compressing without a
                // dictionary meanwhile. A failed training (too little variety) is not an
                // error: values are still compressed, just without a dictionary.
                if let Some(engine) = self.me.upgrade() {
                    engine.training.begin();
                    crate::background::spawn("mnemo-dictionary", move || {
                        // Inline on a writer's thread (no thread could be started), waiting
                        // for a bulk import to end could block that import's own worker.
                        if crate::background::on_own_thread() {
                            engine.training.wait_undeferred();
                        }
                        let _ = engine.install_dictionary(kind, &samples);
                        engine
                            .sampler
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .trained(kind);
                        engine.training.end();
                    });
                }
            }
        }
    }

    /// Train a dictionary on `samples`, persist it, and make it the newest of `kind`.
    /// Returns its id.
    pub(crate) fn install_dictionary(&self, kind: ContentKind, samples: &[Vec<u8>]) -> Result<u32> {
        let total: usize = samples.iter().map(Vec::len).sum();
        let size = (total / 16).clamp(1 << 10, MAX_DICT_LEN);
        let bytes = Dictionary::train(samples, size)?;
        let _guard = self.dict_lock.lock().unwrap_or_else(|e| e.into_inner());
        let id = self.codec.max_dictionary_id() + 1;
        let mut value = vec![kind as u8];
        value.extend_from_slice(&bytes);
        let g = self.db()?;
        let mut w = rocksdb::WriteOptions::default();
        w.set_sync(true);
        g.db().put_cf_opt(g.cf(CF_META), dict_key(id), value, &w)?;
        self.codec
            .add_dictionary(Dictionary::new(id, kind, bytes, self.codec.level()));
        Ok(id)
    }
}

impl Engine {
    /// Train new dictionaries from values already stored (transcript chunks from `blobs`, the
    /// newest log entries) and make them the newest of their kinds. Values written before
    /// keep the dictionary their frame names. Returns `(kind, new id)` for each kind with
    /// enough data to train on.
    pub(crate) fn retrain_dictionaries(&self) -> Result<Vec<(ContentKind, u32)>> {
        let mut trained = Vec::new();
        for (kind, cf, mode) in [
            (
                ContentKind::Transcript,
                CF_BLOBS,
                rocksdb::IteratorMode::Start,
            ),
            (ContentKind::Record, CF_LOG, rocksdb::IteratorMode::End),
        ] {
            let samples = {
                let g = self.db()?;
                let mut samples = Vec::new();
                let mut total = 0;
                for item in g.db().iterator_cf(g.cf(cf), mode) {
                    let (k, v) = item?;
                    let mut sample = |raw: &[u8]| {
                        let s = raw[..raw.len().min(MAX_SAMPLE_LEN)].to_vec();
                        total += s.len();
                        samples.push(s);
                    };
                    if cf == CF_LOG {
                        // A block of log entries: each entry is a sample.
                        let block = crate::log::block::LogBlock::parse(&k, &v)?;
                        for entry in block.entries() {
                            let (_, stored) = entry?;
                            crate::log::with_entry_body(&self.codec, stored, |raw| {
                                sample(raw);
                                Ok(())
                            })?;
                        }
                    } else {
                        sample(&self.codec.decode(&v)?);
                    }
                    if total >= RETRAIN_SAMPLE_BYTES {
                        break;
                    }
                }
                samples
            };
            if samples.len() < 8 {
                continue;
            }
            if let Ok(id) = self.install_dictionary(kind, &samples) {
                trained.push((kind, id));
            }
        }
        Ok(trained)
    }
}

/// Counts dictionary trainings running in the background, so `flush` can wait for them, and
/// bulk imports in progress, which a training waits for: it would take a share of the cores
/// the import's workers use, and the values it improves are recompressed with its
/// dictionary behind the import anyway (`compaction`). Whoever waits for the trainings
/// ([`Training::wait_idle`]: a flush, a compaction, the close) lets a deferred one go on at
/// once, so no wait depends on an import ending (the close, say, or a flush from an
/// import's own progress callback).
#[derive(Debug, Default)]
pub(crate) struct Training {
    state: std::sync::Mutex<TrainingState>,
    changed: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct TrainingState {
    running: usize,
    deferrals: usize,
    /// Threads in [`Training::wait_idle`]: while any waits, a deferred training goes on.
    waiters: usize,
}

impl Training {
    fn lock(&self) -> std::sync::MutexGuard<'_, TrainingState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn begin(&self) {
        self.lock().running += 1;
    }

    fn end(&self) {
        let mut s = self.lock();
        s.running = s.running.saturating_sub(1);
        self.changed.notify_all();
    }

    /// Block until no training is running (a deferred one goes on at once).
    pub fn wait_idle(&self) {
        let mut s = self.lock();
        s.waiters += 1;
        self.changed.notify_all();
        while s.running > 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.waiters -= 1;
    }

    /// Trainings that begin while the returned guard lives wait for it to drop (a bulk
    /// import holds one).
    pub fn defer(&self) -> Deferral<'_> {
        self.lock().deferrals += 1;
        Deferral(self)
    }

    /// Block while a [`Training::defer`] guard lives and nobody waits for the trainings.
    fn wait_undeferred(&self) {
        let mut s = self.lock();
        while s.deferrals > 0 && s.waiters == 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Keeps trainings waiting while alive (see [`Training::defer`]).
pub(crate) struct Deferral<'a>(&'a Training);

impl Drop for Deferral<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.deferrals = s.deferrals.saturating_sub(1);
        self.0.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_being_trained_gathers_no_more_samples() {
        let mut sampler = Sampler::new(1000);
        let value = vec![7u8; 100];
        let handed: Vec<_> = (0..50)
            .filter_map(|_| sampler.offer(ContentKind::Transcript, &value))
            .collect();
        assert_eq!(handed.len(), 1, "five thresholds' worth start one training");
        assert_eq!(handed[0].len(), 10, "the samples up to the threshold");
        // Another kind is sampled on its own (records train after an eighth as much).
        assert!(sampler.offer(ContentKind::Record, &value).is_none());
        assert!(sampler.offer(ContentKind::Record, &value).is_some());
        // Once the training ends (say it failed), sampling resumes from nothing.
        sampler.trained(ContentKind::Transcript);
        let again = (0..10)
            .filter_map(|_| sampler.offer(ContentKind::Transcript, &value))
            .count();
        assert_eq!(again, 1, "sampling resumes after a training ends");
    }

    #[test]
    fn a_deferral_keeps_trainings_waiting_until_it_drops() {
        let training = std::sync::Arc::new(Training::default());
        let deferral = training.defer();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let training = training.clone();
            std::thread::spawn(move || {
                training.wait_undeferred();
                tx.send(()).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(100))
                .is_err(),
            "a training must wait while a bulk import defers it"
        );
        drop(deferral);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the training goes on once the deferral drops");
        waiter.join().unwrap();
        // No deferral: nothing waits.
        training.wait_undeferred();
    }

    #[test]
    fn waiting_for_the_trainings_lets_a_deferred_one_go_on() {
        let training = std::sync::Arc::new(Training::default());
        let _deferral = training.defer();
        training.begin();
        let trainer = {
            let training = training.clone();
            std::thread::spawn(move || {
                training.wait_undeferred();
                training.end();
            })
        };
        // With the deferral still held, a flush or a close must not wait for the import.
        training.wait_idle();
        trainer.join().unwrap();
    }
}
