"""Where and how a torch model runs: device choice, GPU autocast, CPU int8 quantization.

``"auto"`` picks CUDA, then Apple MPS, then the CPU. On a GPU, inference runs under autocast
in bfloat16 (CUDA cards that support it) or float16; on the CPU in float32, optionally with
the ``nn.Linear`` layers dynamically quantized to int8 (smaller and usually faster, with a
small accuracy cost).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from voxcart.model.errors import ModelError

if TYPE_CHECKING:
    import torch

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
Precision = Literal["auto", "fp32", "bf16", "fp16"]
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")


def pick_device(preference: str = "auto") -> torch.device:
    """The device to run on.

    Args:
        preference: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Raises:
        ModelError: the preference is unknown or that device is not available here.
    """
    import torch

    kind = preference.split(":", 1)[0]
    if kind not in DEVICES:
        raise ModelError(f"device={preference!r} is not allowed; use one of {DEVICES}")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device={preference!r} but CUDA is not available; use device='auto'")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ModelError(f"device={preference!r} but MPS is not available; use device='auto'")
    try:
        return torch.device(preference)
    except RuntimeError as exc:
        raise ModelError(f"device={preference!r} is not a valid torch device: {exc}") from exc


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The autocast dtype for `device`, or None for plain float32.

    ``"auto"`` is float32 on the CPU, bfloat16 on CUDA cards that support it, float16 on
    other GPUs.

    Raises:
        ModelError: the precision is unknown, or half precision is asked for on the CPU.
    """
    import torch

    if precision not in PRECISIONS:
        raise ModelError(f"precision={precision!r} is not allowed; use one of {PRECISIONS}")
    if precision == "fp32":
        return None
    if device.type == "cpu":
        if precision != "auto":
            raise ModelError(
                f"precision={precision!r} is for GPUs; on the CPU use fp32 (or quantize=true)"
            )
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


@contextlib.contextmanager
def inference(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """No-grad inference, under autocast when `dtype` is given."""
    import torch

    with torch.inference_mode():
        if dtype is None:
            yield
        else:
            with torch.autocast(device_type=device.type, dtype=dtype):
                yield


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of `model` with its ``nn.Linear`` layers dynamically quantized to int8 (CPU only).

    Raises:
        ModelError: the model's parameters are not on the CPU.
    """
    import torch

    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ModelError(
            "int8 quantization runs on the CPU only; set device='cpu' or quantize=false"
        )
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, which is not a dependency;
        # dynamic quantization of Linear layers still works and needs nothing else.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", message=".*quantiz.*deprecated", category=UserWarning)
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is a GPU out-of-memory error (CUDA or MPS)."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_cache(device: torch.device) -> None:
    """Release cached GPU memory after an out-of-memory error."""
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()
