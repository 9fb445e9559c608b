"""Device and precision: the device is picked by what is present, CPU precision by measuring it.

bf16 autocast doubles a CPU training step on some processors (AMX) and slows it on others, so
`precision="auto"` on a CPU times a few training steps of the actual model both ways and keeps
bf16 only when it is clearly faster. Verdicts like that one (`measured`) are cached per processor,
torch version, thread count and what was measured.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

BF16_MIN_SPEEDUP = 1.15


def pick_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def device_summary() -> str:
    """A short line for status bars and logs, e.g. "CUDA (NVIDIA H100), bf16"."""
    import torch

    device = pick_device()
    if device == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(0)}), {'bf16' if torch.cuda.is_bf16_supported() else 'fp16'}"
    if device == "mps":
        return "MPS, fp32"
    return f"CPU ({torch.get_num_threads()} threads){', bf16 capable' if cpu_supports_bf16() else ''}"


def cpu_supports_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine() == "arm64"  # Apple silicon
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _cpu_name() -> str:
    """The model name with family and model numbers: virtual machines name different processors alike ("AMD EPYC")."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines()
                      if ":" in line)
    except OSError:
        return platform.processor() or platform.machine()
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    return f"{fields.get('model name', platform.machine())} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def _cache_file() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return root / "workbench" / "measurements.json"


def measured(what: str, measure) -> float:
    """`measure()`'s result for `what` on this machine, measured once and cached."""
    import torch

    key = f"{_cpu_name()}|torch {torch.__version__}|{torch.get_num_threads()}t|{what}"
    cache = _cache_file()
    known = json.loads(cache.read_text()) if cache.is_file() else {}
    if key not in known:
        known[key] = measure()
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known, indent=1))
    return known[key]


def choose_precision(requested: str, model, batch_size: int, seq_len: int) -> tuple[str, str]:
    """The precision to train in and why, e.g. ("fp32", "bf16 measured 0.6x fp32 on this CPU")."""
    import torch

    device = pick_device()
    if requested != "auto":
        if requested == "bf16" and device == "cpu" and not cpu_supports_bf16():
            return "fp32", "this CPU has no bf16 support, so training runs in fp32"
        return requested, "as set in training.precision"
    if device == "cuda":
        return ("bf16", "the GPU supports bf16") if torch.cuda.is_bf16_supported() else ("fp16", "the GPU lacks bf16")
    if device != "cpu" or not cpu_supports_bf16():
        return "fp32", f"no faster precision on {device}"
    what = f"bf16|{model.config.model_type}|{sum(p.numel() for p in model.parameters())}|{batch_size}x{seq_len}"
    speedup = measured(what, lambda: measure_bf16_speedup(model, batch_size, seq_len))
    choice = "bf16" if speedup >= BF16_MIN_SPEEDUP else "fp32"
    return choice, f"bf16 autocast measured {speedup:.2f}x the speed of fp32 on this CPU"


def choose_inference_precision(requested: str, model, batch_size: int, seq_len: int) -> tuple[str, str]:
    """The precision to predict in and why: fp32 unless bf16 is asked for, or `auto` measures bf16
    forward passes clearly faster on this CPU (or the GPU has bf16). bf16 logits differ from fp32's in
    the second or third digit, so a row near a decision boundary may change its label."""
    import torch

    device = pick_device()
    if requested == "fp32":
        return "fp32", "as asked"
    if device == "cuda":
        return ("bf16", "the GPU supports bf16") if torch.cuda.is_bf16_supported() else ("fp32", "the GPU lacks bf16")
    if device != "cpu" or not cpu_supports_bf16():
        return "fp32", f"no bf16 on {device}"
    if requested == "bf16":
        return "bf16", "as asked"
    what = (f"bf16-inference|{model.config.model_type}|{sum(p.numel() for p in model.parameters())}|"
            f"{batch_size}x{seq_len}")
    speedup = measured(what, lambda: measure_bf16_speedup(model, batch_size, seq_len, backward=False))
    choice = "bf16" if speedup >= BF16_MIN_SPEEDUP else "fp32"
    return choice, f"bf16 autocast forward passes measured {speedup:.2f}x the speed of fp32 on this CPU"


def measure_bf16_speedup(model, batch_size: int, seq_len: int, rounds: int = 3, backward: bool = True) -> float:
    """fp32 step time / bf16 step time for forward+backward (or, without `backward`, a forward pass
    under `torch.inference_mode`) on random ids; leaves no gradients behind.

    fp32 is timed before and after bf16 and the fastest step of each kept, so a burst of load from
    another process on the machine cannot make one of them look faster than it is."""
    import torch

    from workbench.core.tasks.logits import stacked_logits

    vocab = model.config.vocab_size
    ids = torch.randint(5, vocab, (batch_size, seq_len))
    mask = torch.ones_like(ids)

    def step_time(bf16: bool) -> float:
        start = time.perf_counter()
        if not backward:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                model(input_ids=ids, attention_mask=mask)
            return time.perf_counter() - start
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(input_ids=ids, attention_mask=mask)
        stacked_logits(out).float().sum().backward()  # qa models give start and end logits
        return time.perf_counter() - start

    was_training = model.training
    model.train(backward)
    try:
        step_time(False), step_time(True)  # warm-up: first calls pay for allocation and kernel choice
        fp32 = min(step_time(False) for _ in range(rounds))
        bf16 = min(step_time(True) for _ in range(rounds))
        fp32 = min(fp32, *(step_time(False) for _ in range(rounds)))
        return fp32 / bf16
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
