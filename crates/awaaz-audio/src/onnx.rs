//! The process's one ONNX Runtime environment.
//!
//! ONNX Runtime allows a single environment per process: a second `init`
//! fails and can never be made to work. Every ONNX model in awaaz (Silero VAD
//! here, Piper in awaaz-speech, Smart Turn) takes its environment from
//! [`environment`], which loads the shared library on first use.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

use crate::AudioError;

/// Where the ONNX Runtime library is looked for when no path is given:
/// `AWAAZ_ORT_DYLIB`, else `<AWAAZ_MODELS_DIR or ./models>/onnxruntime/libonnxruntime.so`.
pub fn default_dylib() -> PathBuf {
    if let Some(path) = std::env::var_os("AWAAZ_ORT_DYLIB") {
        return PathBuf::from(path);
    }
    crate::models_dir()
        .join("onnxruntime")
        .join("libonnxruntime.so")
}

/// The shared environment, loading the library at `dylib` (or
/// [`default_dylib`]) on the first call. Later calls return the same
/// environment whatever path they pass.
///
/// # Errors
/// [`AudioError::ModelNotFound`] when the library file is missing,
/// [`AudioError::RuntimeLoad`] when it cannot be loaded.
pub fn environment(dylib: Option<&Path>) -> Result<Environment, AudioError> {
    static ENV: OnceLock<Mutex<Option<Environment>>> = OnceLock::new();
    let slot = ENV.get_or_init(|| Mutex::new(None));
    // A poisoned lock only means another thread panicked mid-load; the slot
    // itself is still a valid Option.
    let mut slot = slot
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    let path = dylib.map_or_else(default_dylib, Path::to_path_buf);
    if !path.is_file() {
        return Err(AudioError::ModelNotFound { path });
    }
    let env = ort::init_from(&path)
        .map_err(|e| AudioError::RuntimeLoad {
            path: path.clone(),
            source: Box::new(e),
        })?
        .with_name("awaaz")
        .build()
        .map_err(|e| AudioError::RuntimeLoad {
            path: path.clone(),
            source: Box::new(e),
        })?;
    *slot = Some(env.clone());
    Ok(env)
}
