"""Web demo: upload an image or a short video and see each head's top 5 classes as bar charts.

Run (from the repository root), with a train.py checkpoint or an ONNX file made by inference/export_onnx.py:
    python inference/demo_app.py --checkpoint runs/<experiment>/<time>/checkpoints/best.ckpt [--port 8501]
    streamlit run inference/demo_app.py -- --checkpoint model.onnx
    SIGN_DEMO_MODEL=model.onnx streamlit run inference/demo_app.py
then open http://localhost:8501 (`--address 0.0.0.0` serves other machines too). The upload is read and preprocessed
exactly as `inference/predict.py` reads a file; for a model that reads landmarks, MediaPipe Holistic runs over it
and the page shows the skeleton it found over the frames the model saw. Probabilities are calibrated; below the
minimum confidence (`--min_confidence P`, and a slider on the page) a head answers `unknown`, its top 5 still shown.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from datasets.errors import DataError
from datasets.media_inputs import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from inference.confidence import UNKNOWN, add_min_confidence_argument, best_or_unknown
from inference.holistic import NOBODY, NobodyDetected
from inference.model_inputs import ClipReader
from inference.predictor import InferenceError, Predictor, load_predictor, top_k
from inference.skeleton_drawing import skeleton_frames
from utils.config import ConfigError

# pylint: enable=wrong-import-position

MODEL_ENV = "SIGN_DEMO_MODEL"
TOP_K = 5


def parse_args(argv: Optional[list[str]] = None, strict: bool = True) -> argparse.Namespace:
    """The command line (the part after `--` under `streamlit run`); `strict=False` ignores unknown arguments."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, help=f"a .ckpt or .onnx model (default: ${MODEL_ENV})")
    parser.add_argument("--port", type=int, default=8501, help="the port to serve on (default 8501)")
    parser.add_argument("--address", default="localhost", help="the address to serve on (0.0.0.0: every interface)")
    add_min_confidence_argument(parser)
    return parser.parse_args(argv) if strict else parser.parse_known_args(argv)[0]


@st.cache_resource(show_spinner="Loading the model...")
def cached_predictor(path: str) -> Predictor:
    """The model, loaded once per server (not once per page view)."""
    return load_predictor(Path(path))


def predict_upload(predictor: Predictor, name: str, data: bytes) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(the frames the model sees, uint8 `[T, H, W, 3]`, with the skeleton MediaPipe found drawn on for a model that
    reads landmarks; {head: probabilities `[C]`}) for an uploaded image or video, read like `predict.py` reads a
    file. `NobodyDetected` when MediaPipe finds none of the model's joints."""
    reader = ClipReader(predictor)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        clip = reader.read(reader.find(path)[0], keep_frames=True)
    probabilities = predictor.predict([clip.inputs])[0]
    if reader.spec is not None and clip.landmarks is not None:
        return skeleton_frames(clip.frames, clip.landmarks, reader.spec), probabilities
    return clip.frames, probabilities


def show_predictions(predictor: Predictor, probabilities: dict[str, np.ndarray], min_confidence: float = 0.0) -> None:
    """Each head's best class as text (`unknown` below `min_confidence`) and its top 5 as a horizontal bar chart,
    in two columns."""
    columns = st.columns(2)
    for index, head in enumerate(predictor.heads):
        ranked = top_k(probabilities[head], predictor.class_names[head], TOP_K)
        answer = best_or_unknown(probabilities[head], predictor.class_names[head], min_confidence)
        with columns[index % 2]:
            if answer == UNKNOWN:
                st.markdown(f"**{head}**: {UNKNOWN} (best {ranked[0][0]}, {ranked[0][1]:.1%} < {min_confidence:.1%})")
            else:
                st.markdown(f"**{head}**: {ranked[0][0]} ({ranked[0][1]:.1%})")
            table = pd.DataFrame(ranked, columns=["class", "probability"])
            st.bar_chart(table, x="class", y="probability", horizontal=True, sort="-probability", height=180)


def app(model: Optional[Path], min_confidence: float = 0.0) -> None:
    """The page: the model's name, the uploader, the upload and its predictions."""
    st.set_page_config(page_title="Sign recognition demo", layout="wide")
    st.title("Sign recognition demo")
    if model is None:
        st.error(f"No model: start the demo with --checkpoint best.ckpt|model.onnx or set {MODEL_ENV}.")
        st.stop()
    try:
        predictor = cached_predictor(str(model))
    except (ConfigError, InferenceError) as error:
        st.error(str(error))
        st.stop()
    st.caption(f"Model: {model} ({', '.join(predictor.heads)})")
    min_confidence = st.slider(
        "Minimum confidence: below it a head answers unknown", 0.0, 1.0, value=min_confidence, step=0.001, format="%.3f"
    )
    suffixes = [suffix.lstrip(".") for suffix in IMAGE_SUFFIXES + VIDEO_SUFFIXES]
    upload = st.file_uploader("An image or a short video of a sign", type=suffixes)
    if upload is None:
        return
    try:
        frames, probabilities = predict_upload(predictor, upload.name, upload.getvalue())
    except NobodyDetected:
        st.warning(f"{upload.name}: {NOBODY}, so there is nothing for the model to read.")
        return
    except DataError as error:
        st.error(str(error))
        return
    preview, results = st.columns([1, 2])
    with preview:
        if upload.name.lower().endswith(IMAGE_SUFFIXES):
            st.image(frames[0], caption=upload.name, width="stretch")
        else:
            st.video(upload.getvalue())
            # The player may not know the codec; the sampled frames always show.
            st.image(list(frames), caption=[f"frame {i + 1}" for i in range(len(frames))], width=96)
            skeleton = ", with the skeleton MediaPipe found" if "landmarks" in predictor.inputs else ""
            st.caption(f"The {len(frames)} frames the model sees (validation sampling){skeleton}.")
    with results:
        show_predictions(predictor, probabilities, min_confidence)


def launch(args: argparse.Namespace) -> int:
    """Check the model, then serve this file with Streamlit (headless, no usage statistics) until stopped."""
    try:
        load_predictor(args.checkpoint)
    except (ConfigError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "streamlit", "run", str(Path(__file__).resolve())]
    # A named browser address also stops Streamlit from asking an outside service for this machine's public IP.
    shown = socket.gethostname() if args.address in ("0.0.0.0", "::") else args.address
    command += ["--server.headless", "true", "--server.address", args.address, "--server.port", str(args.port)]
    command += [
        "--browser.serverAddress",
        shown,
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    page_args = ["--checkpoint", str(args.checkpoint), "--min_confidence", str(args.min_confidence)]
    return run_forwarding_signals(command + ["--", *page_args])


def run_forwarding_signals(command: list[str]) -> int:
    """Run `command` as a child, pass SIGTERM and SIGINT on to it and wait for it to end, so that stopping the
    launcher stops the server too (a killed launcher would otherwise leave Streamlit serving, orphaned).

    Returns the child's exit status (128 + the signal's number when a signal ended it)."""
    child = subprocess.Popen(command)  # pylint: disable=consider-using-with  # waited for below, signals or not

    def forward(number: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(number)

    previous = {number: signal.signal(number, forward) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - status if status < 0 else status


def main() -> None:
    """Under `streamlit run` (or Streamlit's AppTest) draw the page; under plain `python` launch Streamlit."""
    serving = get_script_run_ctx(suppress_warning=True) is not None
    # Under Streamlit, sys.argv holds the arguments after `--` (or a test runner's own), so unknown ones are ignored.
    args = parse_args(sys.argv[1:], strict=not serving)
    model = args.checkpoint or (Path(os.environ[MODEL_ENV]) if os.environ.get(MODEL_ENV) else None)
    if serving:
        app(model, args.min_confidence)
    elif model is None:
        print(f"error: give --checkpoint best.ckpt|model.onnx or set {MODEL_ENV}", file=sys.stderr)
        sys.exit(2)
    else:
        args.checkpoint = model
        sys.exit(launch(args))


if __name__ == "__main__":
    main()
