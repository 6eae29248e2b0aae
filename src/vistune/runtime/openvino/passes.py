"""Graph passes every OpenVINO export uses (MusicGen's and BLIP's): port names, the stateful
key/value cache form, and NNCF weight compression."""

from __future__ import annotations


def name_ports(ports, names: list[str]) -> None:
    """Give each of ``ports`` (a graph's inputs or outputs) its name from ``names``, in order."""
    for port, name in zip(ports, names, strict=True):
        port.get_tensor().set_names({name})


def make_stateful(model, cache_in: list[str], cache_out: list[str]) -> None:
    """optimum-intel's stateful form (optimum/exporters/openvino/stateful.py, which we cannot
    import: the package pins an older transformers): a ``beam_idx`` Gather on every cache
    input, then the cache inputs/outputs turned into states that start as zeros of the batch's
    size. The CPU plugin recognises this pattern and fuses attention with its own cache."""
    import numpy as np
    import openvino as ov
    from openvino import opset13
    from openvino.passes import MakeStateful, Manager

    batch = model.input("input_ids").get_partial_shape()[0]
    beam = opset13.parameter(name="beam_idx", dtype=ov.Type.i32, shape=ov.PartialShape([batch]))
    beam.output(0).get_tensor().add_names({"beam_idx"})
    model.add_parameters([beam])
    for name in cache_in:
        port = model.input(name)
        consumers = port.get_target_inputs()
        gather = opset13.gather(port, beam, opset13.constant(0))
        for consumer in consumers:
            consumer.replace_source_output(gather.output(0))
    model.validate_nodes_and_infer_types()
    manager = Manager()
    manager.register_pass(MakeStateful(dict(zip(cache_in, cache_out, strict=True))))
    manager.run_passes(model)
    rows = opset13.gather(opset13.shape_of(model.input("input_ids"), output_type="i64"),
                          opset13.constant([0]), opset13.constant(0))
    for op in model.get_ops():
        if op.get_type_name() == "ReadValue":
            dims = [d.min_length for d in op.get_output_partial_shape(0)]
            parts = [rows if i == 0 else opset13.constant(np.array([d], dtype=np.int64))
                     for i, d in enumerate(dims)]
            op.set_arguments([opset13.broadcast(
                opset13.constant(0.0, dtype=op.get_output_element_type(0)),
                opset13.concat(parts, axis=0))])
    model.validate_nodes_and_infer_types()


def compress_weights(graph, **options):
    """``nncf.compress_weights(graph, **options)`` with NNCF's statistics table hidden and its
    progress bar sent to stderr: stdout may carry streamed audio (``-o -``)."""
    import contextlib
    import logging
    import sys

    import nncf

    nncf.set_log_level(logging.WARNING)
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.compress_weights(graph, **options)
