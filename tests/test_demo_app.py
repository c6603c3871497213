"""inference/demo_app.py: the Streamlit page with a checkpoint or an ONNX model; a real upload in headless Chromium."""

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from streamlit.testing.v1 import AppTest

from inference import demo_app
from inference.holistic import NOBODY
from inference.model_inputs import ClipReader
from inference.predictor import load_predictor, top_k
from tests.landmark_checkpoints import ASL_ALPHABET, hand_photos

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "inference" / "demo_app.py")
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCREENSHOT_ENV = "DEMO_SCREENSHOT"  # set to a .png path to keep the browser test's screenshot


def expected_best(model: Path, image: Path, head: str) -> str:
    """The best class of `head` for `image`, computed without the app."""
    predictor = load_predictor(model)
    reader = ClipReader(predictor)
    probabilities = predictor.predict([reader.read(reader.find(image)[0]).inputs])[0]
    return top_k(probabilities[head], predictor.class_names[head], 1)[0][0]


def run_app(monkeypatch, model: Path | None) -> AppTest:
    """The page as Streamlit's AppTest renders it, with the model given by the environment variable."""
    if model is None:
        monkeypatch.delenv(demo_app.MODEL_ENV, raising=False)
    else:
        monkeypatch.setenv(demo_app.MODEL_ENV, str(model))
    return AppTest.from_file(APP, default_timeout=60).run()


def test_upload_shows_each_heads_best_class_and_top_5_chart(monkeypatch, tiny_dataset, tiny_onnx):
    model = tiny_onnx  # an ONNX file named by the environment variable; the browser test uses a checkpoint
    image = tiny_dataset / "letter_a_0000" / "letter_a_0000_0.jpg"
    app = run_app(monkeypatch, model)
    assert not app.exception and not app.error
    app.file_uploader[0].set_value((image.name, image.read_bytes(), "image/jpeg")).run()
    assert not app.exception and not app.error
    shown = [markdown.value for markdown in app.markdown]
    heads = load_predictor(model).heads
    assert sorted(line.split("**")[1] for line in shown if line.startswith("**")) == sorted(heads)
    assert f"**letter**: {expected_best(model, image, 'letter')} (" in "\n".join(shown)
    assert len(app.get("vega_lite_chart")) == len(heads)  # one top-5 bar chart per head


@pytest.mark.skipif(not ASL_ALPHABET.is_file(), reason=f"needs the ASL Alphabet photos at {ASL_ALPHABET}")
def test_landmark_model_shows_the_skeleton_and_each_heads_top_5(monkeypatch, tmp_path, landmark_checkpoint):
    photo = hand_photos(tmp_path)[0]  # a photo in which MediaPipe finds the hand
    app = run_app(monkeypatch, landmark_checkpoint)
    app.file_uploader[0].set_value((photo.name, photo.read_bytes(), "image/png")).run()
    assert not app.exception and not app.error and not app.warning
    shown = "\n".join(markdown.value for markdown in app.markdown)
    assert f"**letter**: {expected_best(landmark_checkpoint, photo, 'letter')} (" in shown
    assert len(app.get("vega_lite_chart")) == 1
    # The frame the page shows is the photo with the skeleton MediaPipe found drawn over it.
    frames, _ = demo_app.predict_upload(load_predictor(landmark_checkpoint), photo.name, photo.read_bytes())
    original = np.asarray(Image.open(photo).convert("RGB"))
    assert frames.shape == (1, *original.shape) and (np.abs(frames[0].astype(int) - original).max(-1) > 60).sum() > 100


def test_landmark_model_says_when_nobody_is_detected(monkeypatch, landmark_checkpoint):
    blank = io.BytesIO()
    Image.new("RGB", (160, 120), (230, 230, 230)).save(blank, format="PNG")
    app = run_app(monkeypatch, landmark_checkpoint)
    app.file_uploader[0].set_value(("blank.png", blank.getvalue(), "image/png")).run()
    assert not app.exception and not app.error
    assert app.warning[0].value.startswith(f"blank.png: {NOBODY}")


def test_without_a_model_the_page_says_how_to_give_one(monkeypatch):
    app = run_app(monkeypatch, None)
    assert demo_app.MODEL_ENV in app.error[0].value


def test_launcher_rejects_a_missing_model(capsys, tmp_path):
    assert demo_app.launch(demo_app.parse_args(["--checkpoint", str(tmp_path / "missing.ckpt")])) == 2
    assert "missing.ckpt: no such checkpoint" in capsys.readouterr().err


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="demo_url")
def fixture_demo_url(request, tmp_path):
    """The demo served by `python inference/demo_app.py` on a free local port with the checkpoint fixture named by
    the test's parameter (default `tiny_checkpoint`); stopped after the test."""
    checkpoint = request.getfixturevalue(getattr(request, "param", "tiny_checkpoint"))
    port = free_port()
    command = [sys.executable, APP, "--checkpoint", str(checkpoint), "--port", str(port), "--address", "127.0.0.1"]
    url, log = f"http://127.0.0.1:{port}", tmp_path / "streamlit.log"
    with (
        log.open("w") as output,
        subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True) as server,
    ):
        try:
            wait_until_healthy(url, server, log)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the launcher and the Streamlit server it started
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    """Wait (at most 90 s) until Streamlit's health endpoint answers ok; fail with its log if the server died."""
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)


def browser_upload(request, tmp_path: Path, checkpoint: str) -> tuple[Path, Path, str]:
    """(the model, an image to upload, the head to look at) for the browser test with `checkpoint` (a fixture)."""
    if checkpoint == "landmark_checkpoint":  # MediaPipe must find a hand: a real photo
        if not ASL_ALPHABET.is_file():
            pytest.skip(f"needs the ASL Alphabet photos at {ASL_ALPHABET} (../shared/data)")
        return request.getfixturevalue(checkpoint), hand_photos(tmp_path / "photos")[0], "letter"
    image = request.getfixturevalue("tiny_dataset") / "yes_0000" / "yes_0000_0.jpg"
    return request.getfixturevalue(checkpoint), image, "gloss"


@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
)
@pytest.mark.parametrize("demo_url", ["tiny_checkpoint", "landmark_checkpoint"], indirect=True)
def test_upload_in_a_real_browser_shows_the_prediction(request, demo_url, tmp_path):
    model, image, head = browser_upload(request, tmp_path, request.node.callspec.params["demo_url"])
    best = expected_best(model, image, head)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1600"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.get(demo_url)
        upload = WebDriverWait(driver, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type=file]"))
        upload.send_keys(str(image))
        WebDriverWait(driver, 90).until(lambda d: f"{head}: {best} (" in d.find_element(By.TAG_NAME, "body").text)
        charts = min(2, len(load_predictor(model).heads))  # a top-5 chart per head
        WebDriverWait(driver, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "canvas, svg.marks")) >= charts)
        screenshot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "demo.png")
        driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 10_000
    finally:
        driver.quit()
