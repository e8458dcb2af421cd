#!/usr/bin/python3
"""Writes the small ONNX graphs the engine tests run against ONNX Runtime.

Run with Debian's python3-onnx and numpy:  /usr/bin/python3 tests/Engines.Tests/Data/make_test_models.py
Every graph has simple, deterministic math so the C# tests can compute expected values by hand.
The outputs are committed; re-run only when a graph changes. Opset 17 / IR 8 keep them loadable by any
ONNX Runtime from 1.14 on.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]
HERE = os.path.dirname(os.path.abspath(__file__))

# Engine-contract geometry (mirrors EngineContractModels in the tests):
# LqTile 4, Scale 4, LatentFactor 4, LatentChannels 2 -> image 16x16, latent 4x4, lq 4x4.
LQ = 4
IMG = 16
LAT = 4
LAT_C = 2


def save(graph, name):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="resshift-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name)
    onnx.save(model, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def add_mul_matmul():
    # y = (a * b + a) @ W, W[k, j] = k + j  (a, b: [N, 4]; y: [N, 3])
    w = np.array([[k + j for j in range(3)] for k in range(4)], dtype=np.float32)
    nodes = [
        helper.make_node("Mul", ["a", "b"], ["ab"]),
        helper.make_node("Add", ["ab", "a"], ["s"]),
        helper.make_node("MatMul", ["s", "W"], ["y"]),
    ]
    g = helper.make_graph(nodes, "add_mul_matmul", [f32("a", ["N", 4]), f32("b", ["N", 4])],
                          [f32("y", ["N", 3])], [const("W", w)])
    save(g, "add_mul_matmul.onnx")


def half_scale():
    # y = x * 2 + 0.5 in float16 (x, y: [N, 3])
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["x2"]),
        helper.make_node("Add", ["x2", "half"], ["y"]),
    ]
    g = helper.make_graph(nodes, "half_scale",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["N", 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["N", 3])],
                          [const("two", np.array(2.0, dtype=np.float16)),
                           const("half", np.array(0.5, dtype=np.float16))])
    save(g, "half_scale.onnx")


def int64_affine():
    # y = i * 3 + 10 (i, y: int64 [N])
    nodes = [
        helper.make_node("Mul", ["i", "three"], ["i3"]),
        helper.make_node("Add", ["i3", "ten"], ["y"]),
    ]
    g = helper.make_graph(nodes, "int64_affine",
                          [helper.make_tensor_value_info("i", TensorProto.INT64, ["N"])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, ["N"])],
                          [const("three", np.array(3, dtype=np.int64)), const("ten", np.array(10, dtype=np.int64))])
    save(g, "int64_affine.onnx")


def encoder(name="encoder.onnx", input_name="image"):
    # latent[n, o] = sum_c E[o, c] * mean over each 4x4 block of image[n, c]
    # E = [[1, 0, 0], [0, 0.5, 0.5]]; a stride-4 Conv with weights E[o, c] / 16.
    e = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]], dtype=np.float32)
    w = np.repeat(np.repeat((e / 16.0)[:, :, None, None], 4, axis=2), 4, axis=3).astype(np.float32)
    nodes = [helper.make_node("Conv", [input_name, "We"], ["latent"], kernel_shape=[4, 4], strides=[4, 4])]
    g = helper.make_graph(nodes, "encoder", [f32(input_name, ["N", 3, IMG, IMG])],
                          [f32("latent", ["N", LAT_C, LAT, LAT])], [const("We", w)])
    save(g, name)


def denoiser(name="denoiser.onnx", t_type=TensorProto.INT64):
    # x0 = 0.5 * x + mean_c(lq) + float(t)   (mean_c(lq): [N,1,4,4], t broadcast as [N,1,1,1])
    nodes = [
        helper.make_node("Mul", ["x", "half"], ["xh"]),
        helper.make_node("ReduceMean", ["lq"], ["lqm"], axes=[1], keepdims=1),
        helper.make_node("Add", ["xh", "lqm"], ["s"]),
    ]
    if t_type == TensorProto.INT64:
        nodes.append(helper.make_node("Cast", ["t"], ["tf"], to=TensorProto.FLOAT))
        t_float = "tf"
    else:
        t_float = "t"
    nodes += [
        helper.make_node("Reshape", [t_float, "t_shape"], ["t4"]),
        helper.make_node("Add", ["s", "t4"], ["x0"]),
    ]
    g = helper.make_graph(
        nodes, "denoiser",
        [f32("x", ["N", LAT_C, LAT, LAT]), helper.make_tensor_value_info("t", t_type, ["N"]),
         f32("lq", ["N", 3, LQ, LQ])],
        [f32("x0", ["N", LAT_C, LAT, LAT])],
        [const("half", np.array(0.5, dtype=np.float32)),
         const("t_shape", np.array([-1, 1, 1, 1], dtype=np.int64))])
    save(g, name)


def decoder(name="decoder.onnx"):
    # image[n, k, y, x] = sum_o D[k, o] * latent[n, o, y // 4, x // 4] + bias[k]
    # D = [[1, 0], [0, 1], [1, 1]], bias = [0, 0.25, -0.5]; a 1x1 Conv then nearest Resize x4.
    d = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)[:, :, None, None]
    bias = np.array([0.0, 0.25, -0.5], dtype=np.float32)
    nodes = [
        helper.make_node("Conv", ["latent", "Wd", "Bd"], ["c"], kernel_shape=[1, 1]),
        helper.make_node("Resize", ["c", "", "scales"], ["image"], mode="nearest"),
    ]
    g = helper.make_graph(nodes, "decoder", [f32("latent", ["N", LAT_C, LAT, LAT])],
                          [f32("image", ["N", 3, IMG, IMG])],
                          [const("Wd", d), const("Bd", bias),
                           const("scales", np.array([1.0, 1.0, 4.0, 4.0], dtype=np.float32))])
    save(g, name)


if __name__ == "__main__":
    add_mul_matmul()
    half_scale()
    int64_affine()
    encoder()
    denoiser()
    decoder()
    # Contract violations the engine set must reject at load time.
    encoder("encoder_wrong_name.onnx", input_name="img")
    denoiser("denoiser_float_t.onnx", t_type=TensorProto.FLOAT)
