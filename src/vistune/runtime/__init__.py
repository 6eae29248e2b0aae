"""What runs the models underneath the engines and captioners: checkpoints, devices and
precision (``models``), the checked private torch/transformers APIs (``compat``) and the
OpenVINO runtime (``openvino``). Nothing here imports a stage above it."""
