"""Using a trained model: the predictor (PyTorch or ONNX Runtime) and the predict, export, camera and demo tools.
The top of the import graph: nothing else in the project imports it."""
