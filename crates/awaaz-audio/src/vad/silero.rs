//! Silero VAD v5 through ONNX Runtime: shared weights, per-call state.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ort::session::Session;
use ort::value::Tensor;

use super::VoiceActivityDetector;
use crate::AudioError;

/// Samples per Silero frame at 16 kHz (32 ms).
pub const SILERO_FRAME_LEN: usize = 512;
/// Samples of the previous frame the model sees before each new frame.
pub const SILERO_CONTEXT_LEN: usize = 64;
/// Size of the recurrent state tensor `[2, 1, 128]`.
const STATE_LEN: usize = 2 * 128;

/// The Silero VAD weights, loaded once and shared by every call.
///
/// Cheap to clone. Runs are serialised by a mutex because `ort` sessions
/// need `&mut` to run; one run takes well under a millisecond, far below the
/// 32 ms a frame lasts, so ten calls contend little.
#[derive(Clone)]
pub struct SileroModel {
    session: Arc<Mutex<Session>>,
    path: PathBuf,
}

impl std::fmt::Debug for SileroModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroModel")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SileroModel {
    /// Loads the model at `model_path` with ONNX Runtime from `ort_dylib`.
    ///
    /// ONNX Runtime is loaded once per process; later calls reuse the first library.
    ///
    /// # Errors
    /// [`AudioError::ModelNotFound`] for a missing file, [`AudioError::RuntimeLoad`]
    /// when the library cannot be loaded, [`AudioError::ModelLoad`] when the
    /// model does not load or lacks Silero's inputs and outputs.
    pub fn load(model_path: &Path, ort_dylib: &Path) -> Result<Self, AudioError> {
        for path in [model_path, ort_dylib] {
            if !path.is_file() {
                return Err(AudioError::ModelNotFound {
                    path: path.to_path_buf(),
                });
            }
        }
        let environment = crate::onnx::environment(Some(ort_dylib))?;
        let load_err = |e: ort::Error| AudioError::ModelLoad {
            path: model_path.to_path_buf(),
            reason: "onnx runtime rejected the model".into(),
            source: Some(Box::new(e)),
        };
        // One intra-op thread: the model is tiny, and threads would fight the
        // calls' own work on a 2-core box.
        let session = Session::builder(&environment)
            .map_err(load_err)?
            .with_intra_threads(1)
            .map_err(|e| load_err(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| load_err(e.into()))?
            .commit_from_file(model_path)
            .map_err(load_err)?;
        let inputs: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
        let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        let expected_in = ["input", "state", "sr"];
        let expected_out = ["output", "stateN"];
        if !expected_in.iter().all(|n| inputs.contains(n))
            || !expected_out.iter().all(|n| outputs.contains(n))
        {
            return Err(AudioError::ModelLoad {
                path: model_path.to_path_buf(),
                reason: format!("not a silero v5 model: inputs {inputs:?}, outputs {outputs:?}"),
                source: None,
            });
        }
        Ok(Self {
            session: Arc::new(Mutex::new(session)),
            path: model_path.to_path_buf(),
        })
    }

    /// Loads `<models_dir>/silero-vad/silero_vad.onnx`, with ONNX Runtime from
    /// `$AWAAZ_ORT_DYLIB` or else `<models_dir>/onnxruntime/libonnxruntime.so`.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_models_dir(models_dir: &Path) -> Result<Self, AudioError> {
        let dylib = std::env::var_os("AWAAZ_ORT_DYLIB")
            .map(PathBuf::from)
            .unwrap_or_else(|| models_dir.join("onnxruntime").join("libonnxruntime.so"));
        Self::load(
            &models_dir.join("silero-vad").join("silero_vad.onnx"),
            &dylib,
        )
    }

    /// [`from_models_dir`](Self::from_models_dir) with `$AWAAZ_MODELS_DIR` (default `./models`).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_env() -> Result<Self, AudioError> {
        Self::from_models_dir(&crate::models_dir())
    }

    /// The model file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh per-call detector sharing these weights.
    pub fn new_vad(&self) -> SileroVad {
        SileroVad::new(self.clone())
    }

    /// Runs one step: `input` is context + frame; returns (probability, next state).
    fn infer(&self, input: Vec<f32>, state: Vec<f32>) -> Result<(f32, Vec<f32>), ort::Error> {
        let input = Tensor::from_array(([1usize, SILERO_CONTEXT_LEN + SILERO_FRAME_LEN], input))?;
        let state = Tensor::from_array(([2usize, 1, 128], state))?;
        let sr = Tensor::from_array(((), vec![i64::from(crate::SAMPLE_RATE_HZ)]))?;
        // A poisoned lock only means another call panicked mid-run; the session itself is stateless.
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session.run(ort::inputs!["input" => input, "state" => state, "sr" => sr])?;
        let (_, probability) = outputs["output"].try_extract_tensor::<f32>()?;
        let (_, next_state) = outputs["stateN"].try_extract_tensor::<f32>()?;
        Ok((
            probability.first().copied().unwrap_or(0.0),
            next_state.to_vec(),
        ))
    }
}

/// Per-call Silero state: the recurrent state and the last 64 samples.
#[derive(Debug)]
pub struct SileroVad {
    model: SileroModel,
    state: Vec<f32>,
    context: [f32; SILERO_CONTEXT_LEN],
    errors: u64,
}

impl SileroVad {
    /// A detector at the start of a stream.
    pub fn new(model: SileroModel) -> Self {
        Self {
            model,
            state: vec![0.0; STATE_LEN],
            context: [0.0; SILERO_CONTEXT_LEN],
            errors: 0,
        }
    }

    /// How many frames failed to run (each counted as silence).
    pub fn errors(&self) -> u64 {
        self.errors
    }
}

impl VoiceActivityDetector for SileroVad {
    /// Runs the model on one 512-sample frame. An inference error (which
    /// would be a runtime fault, not bad audio) is logged, counted in
    /// [`SileroVad::errors`] and reported as probability 0.
    fn process(&mut self, frame: &[i16]) -> f32 {
        let mut input = Vec::with_capacity(SILERO_CONTEXT_LEN + SILERO_FRAME_LEN);
        input.extend_from_slice(&self.context);
        input.extend(
            frame
                .iter()
                .take(SILERO_FRAME_LEN)
                .map(|&s| f32::from(s) / 32_768.0),
        );
        input.resize(SILERO_CONTEXT_LEN + SILERO_FRAME_LEN, 0.0);
        self.context.copy_from_slice(&input[SILERO_FRAME_LEN..]);
        match self.model.infer(input, std::mem::take(&mut self.state)) {
            Ok((p, next)) if next.len() == STATE_LEN => {
                self.state = next;
                p.clamp(0.0, 1.0)
            }
            Ok(_) => {
                self.errors += 1;
                tracing::warn!("silero returned a state of unexpected size");
                self.state = vec![0.0; STATE_LEN];
                0.0
            }
            Err(error) => {
                self.errors += 1;
                tracing::warn!(%error, "silero inference failed");
                self.state = vec![0.0; STATE_LEN];
                0.0
            }
        }
    }

    fn reset(&mut self) {
        self.state = vec![0.0; STATE_LEN];
        self.context = [0.0; SILERO_CONTEXT_LEN];
    }

    fn frame_len(&self) -> usize {
        SILERO_FRAME_LEN
    }
}
