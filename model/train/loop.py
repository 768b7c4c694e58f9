"""The fine-tuning loop: AdamW with warm-up and decay, accumulation, clipping, mixed precision,
length-bucketed batches, dev-WER early stopping, atomic checkpoints and resume, DDP.

:func:`train` runs in every process of a torchrun job (or in a single process); rank 0 alone
writes checkpoints, the metrics log and the final model, and registers the model version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from voxcart.datasets.store.project import Project
from voxcart.model.train import distributed as dist_util
from voxcart.model.train.batching import bucket_batches
from voxcart.model.train.checkpoint import (
    capture_rng,
    list_checkpoints,
    load_state,
    restore_rng,
    save_atomic,
    save_checkpoint,
    seed_everything,
)
from voxcart.model.train.config import TrainConfig, TrainingError
from voxcart.model.train.data import (
    ClipDataset,
    CtcCollator,
    DataStats,
    encode_texts,
    make_augmenter,
)
from voxcart.model.train.dev_wer import evaluate, uses_attention_mask
from voxcart.model.train.distributed import DistContext
from voxcart.model.train.optim import (
    autocast_context,
    build_optimizer,
    lr_factor,
    precision_dtype,
    training_bucket_size,
)
from voxcart.model.train.output import (
    OutputPlan,
    TrainResult,
    check_output_free,
    plan_output,
    publish_model,
    select_data,
)
from voxcart.model.train.presets import LoadedBase, load_base, parameter_summary, prepare_model

Progress = Callable[[int, int | None], None]


class _Run:
    """The state of one training process (kept together so the loop stays readable)."""

    def __init__(
        self, project: Project, plan: OutputPlan, config: TrainConfig, ctx: DistContext
    ) -> None:
        self.project, self.plan, self.config, self.ctx = project, plan, config, ctx
        self.step = 0
        self.epoch = 0
        self.position = 0  # optimizer steps already taken within the current epoch
        self.best_wer: float | None = None
        self.last_wer: float | None = None
        self.bad_evals = 0
        self.window: list[float] = []
        self.samples = 0
        self.window_start = time.perf_counter()
        self.last_loss: float | None = None
        self.skipped_clips = 0

    def log(self, record: dict[str, Any]) -> None:
        if self.ctx.is_main:
            self.plan.run_dir.mkdir(parents=True, exist_ok=True)
            with self.plan.metrics_log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")


def train(
    project: Project,
    base: str,
    out: str,
    config: TrainConfig,
    *,
    resume: bool = False,
    device: str = "auto",
    progress: Progress | None = None,
    label_sources: Sequence[str] = (),
) -> TrainResult:
    """Fine-tune a CTC model on the project's human-accepted train clips and register it.

    Args:
        project: the open project.
        base: ``small`` (from scratch), a Hugging Face CTC model folder, or a registered ctc
            model's name.
        out: name of the new model version (its folder: ``<project>/models/<out>/``).
        config: the training settings.
        resume: continue from the newest checkpoint of the run named `out`.
        device: auto, cpu or cuda.
        progress: called as ``progress(step, total_steps)`` after every optimizer step.
        label_sources: non-human revision sources whose transcripts count as labels too
            (``oracle`` in an active-learning simulation); a library option.

    Raises:
        TrainingError: no usable training clips, a bad base, an incompatible checkpoint, the
            GPU out of memory (checkpoints already written are kept), bad settings.
        ModelError: `out` is not a valid model name or is taken.
    """
    ctx = dist_util.setup(device)
    try:
        return _train(project, base, out, config, resume, ctx, progress, label_sources)
    finally:
        dist_util.teardown(ctx)


def _train(
    project: Project,
    base: str,
    out: str,
    config: TrainConfig,
    resume: bool,
    ctx: DistContext,
    progress: Progress | None,
    label_sources: Sequence[str] = (),
) -> TrainResult:
    plan = plan_output(project, out, base)
    if ctx.is_main:
        check_output_free(project, plan, resume)
    dist_util.barrier(ctx)
    data = select_data(project, config, label_sources)
    loaded = prepare_model(
        load_base(plan.base_source, (c.text for c in data.train), config), config
    )
    train_enc = encode_texts(data.train, loaded.vocab)
    dev_enc = encode_texts(data.dev, loaded.vocab)
    if train_enc.empty == len(data.train):
        raise TrainingError(
            f"none of the {len(data.train)} training transcripts has a character of the base "
            f"model's vocabulary ({''.join(loaded.vocab.tokens[3:30])}...); use --base small"
        )
    seed_everything(config.seed + ctx.rank)
    run = _Run(project, plan, config, ctx)
    model = loaded.model.to(ctx.device)
    augment = make_augmenter(project.root, config.augment, config.seed)
    extractor = getattr(loaded.processor, "feature_extractor", None)
    normalize_audio = bool(getattr(extractor, "do_normalize", True))
    train_set = ClipDataset(
        data.train, train_enc.labels, normalize_audio=normalize_audio, augment=augment
    )
    dev_set = ClipDataset(data.dev, dev_enc.labels, normalize_audio=normalize_audio)
    durations = [clip.duration_s for clip in data.train]
    bucket = training_bucket_size(durations, config.batch_size, config.max_batch_seconds)

    def epoch_batches(epoch: int) -> list[list[list[int]]]:
        batches = bucket_batches(
            durations,
            batch_size=config.batch_size,
            max_batch_seconds=config.max_batch_seconds,
            bucket_size=bucket,
            seed=config.seed * 1_000_003 + epoch,
        )
        mine = dist_util.shard(batches, ctx)
        return [mine[i : i + config.grad_accum] for i in range(0, len(mine), config.grad_accum)]

    steps_per_epoch = len(epoch_batches(0))
    if steps_per_epoch == 0:
        raise TrainingError(
            f"{len(data.train)} training clip(s) make fewer batches than the {ctx.world_size} "
            "processes; label more clips, lower --batch-size or use fewer processes"
        )
    total = config.max_steps or config.epochs * steps_per_epoch
    warmup = config.warmup_steps if config.warmup_steps is not None else total // 10
    lr = config.lr or (1e-3 if loaded.new_head and plan.base_source == "small" else 1e-4)
    optimizer = build_optimizer(model, config, lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, warmup, total, config.schedule)
    )
    dtype = precision_dtype(config, ctx.device)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
    identity = _identity(plan, loaded, config, ctx)
    resumed_from = None
    if resume:
        resumed_from = _restore(run, model, optimizer, scheduler, scaler, identity)
    if ctx.distributed:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(
            model,
            device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None,
            find_unused_parameters=config.layerdrop > 0,
        )
    if ctx.is_main and resumed_from is None:
        summary = {**parameter_summary(model), **data.stats.to_dict()}
        run.log({"event": "start", "total_steps": total, "lr": lr, **summary})
    collator = CtcCollator(attention_mask=uses_attention_mask(loaded.processor))
    stopped_early = False
    model.train()
    while run.step < total and not stopped_early:
        train_set.set_epoch(run.epoch)
        chunks = epoch_batches(run.epoch)[run.position :]
        for chunk in _loader(train_set, chunks, collator, config):
            try:
                loss = _step(run, model, chunk, optimizer, scaler, dtype, config)
            except torch.cuda.OutOfMemoryError as exc:
                raise TrainingError(
                    f"the GPU ran out of memory at step {run.step + 1} with "
                    f"max_batch_seconds={config.max_batch_seconds}; lower --max-batch-seconds "
                    "(or --batch-size) and raise --grad-accum to keep the effective batch; "
                    "finished checkpoints are kept (add --resume)"
                ) from exc
            scheduler.step()
            run.step += 1
            run.position += 1
            if loss is not None:
                run.window.append(loss)
            stopped_early = _after_step(
                run, model, loaded, dev_set, optimizer, scheduler, scaler, dtype, identity, total
            )
            if progress is not None:
                progress(run.step, total)
            if run.step >= total or stopped_early:
                break
        else:
            run.epoch += 1
            run.position = 0
    return _finish(
        run,
        model,
        loaded,
        dev_set,
        dtype,
        data.stats,
        train_enc.dropped_chars,
        stopped_early,
        resumed_from,
    )


def _loader(
    dataset: ClipDataset, chunks: list[list[list[int]]], collator: CtcCollator, config: TrainConfig
) -> Iterator[list[dict[str, Any]]]:
    """Yield one list of collated micro-batches per optimizer step."""
    flat = [batch for chunk in chunks for batch in chunk]
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_sampler=flat,
        collate_fn=collator,
        num_workers=config.num_workers,
        # Its own generator: creating the iterator must not draw from the global RNG, or a
        # resumed run's dropout and masks would drift from an uninterrupted one.
        generator=torch.Generator().manual_seed(config.seed),
    )
    iterator = iter(loader)
    for chunk in chunks:
        yield [next(iterator) for _ in chunk]


def _step(
    run: _Run,
    model: nn.Module,
    micro_batches: list[dict[str, Any]],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    dtype: torch.dtype | None,
    config: TrainConfig,
) -> float | None:
    """One optimizer step over accumulated micro-batches; the mean loss, or None if no
    clip of the step could be read."""
    ctx = run.ctx
    usable = [b for b in micro_batches if "input_values" in b]
    for batch in micro_batches:
        run.skipped_clips += len(batch["errors"])
        for error in batch["errors"]:
            run.log({"event": "skipped_clip", "step": run.step + 1, "reason": error})
    optimizer.zero_grad(set_to_none=True)
    losses: list[float] = []
    for number, batch in enumerate(usable):
        inputs = {
            k: batch[k].to(ctx.device)
            for k in ("input_values", "labels", "attention_mask")
            if k in batch
        }
        last = number == len(usable) - 1
        sync = nullcontext() if last or not ctx.distributed else model.no_sync()  # type: ignore[operator]
        with sync:
            with autocast_context(ctx.device, dtype):
                loss = model(**inputs).loss
            scaler.scale(loss / len(usable)).backward()
        losses.append(float(loss.detach()))
        run.samples += int(batch["input_values"].shape[0]) * ctx.world_size
    if not usable:
        return None
    if config.max_grad_norm > 0:
        scaler.unscale_(optimizer)
        params = [p for p in model.parameters() if p.requires_grad]
        torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    return sum(losses) / len(losses)


def _identity(
    plan: OutputPlan, loaded: LoadedBase, config: TrainConfig, ctx: DistContext
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: same base, vocabulary, model surgery and
    process count."""
    return {
        "base": plan.base_source,
        "vocab": list(loaded.vocab.tokens),
        "lora": config.lora,
        "lora_rank": config.lora_rank if config.lora else None,
        "model": dict(config.model),
        "world_size": ctx.world_size,
    }


def _state(
    run: _Run,
    model: nn.Module,
    optimizer: Any,
    scheduler: Any,
    scaler: Any,
    identity: dict[str, Any],
) -> dict[str, Any]:
    inner = getattr(model, "module", model)
    return {
        "model": inner.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": capture_rng(),
        "step": run.step,
        "epoch": run.epoch,
        "position": run.position,
        "best_wer": run.best_wer,
        "last_wer": run.last_wer,
        "bad_evals": run.bad_evals,
        "identity": identity,
        "config": run.config.to_dict(),
    }


def _restore(
    run: _Run,
    model: nn.Module,
    optimizer: Any,
    scheduler: Any,
    scaler: Any,
    identity: dict[str, Any],
) -> int | None:
    found = list_checkpoints(run.plan.run_dir)
    if not found:
        return None
    path = found[-1]
    state = load_state(path)
    if state.get("identity") != identity:
        raise TrainingError(
            f"checkpoint {path} was written by a run with another base, vocabulary, LoRA "
            "setting, [model] table or process count; resume with the same settings or "
            "choose another --out"
        )
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"checkpoint {path} does not fit this model: {exc}") from exc
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    if run.ctx.is_main:
        restore_rng(state["rng"])
    else:
        seed_everything(run.config.seed + run.ctx.rank + 7919 * int(state["step"]))
    run.step, run.epoch, run.position = state["step"], state["epoch"], state["position"]
    run.best_wer, run.last_wer = state["best_wer"], state["last_wer"]
    run.bad_evals = state["bad_evals"]
    run.log({"event": "resume", "step": run.step, "checkpoint": path.name})
    return run.step


def _after_step(
    run: _Run,
    model: nn.Module,
    loaded: LoadedBase,
    dev_set: ClipDataset,
    optimizer: Any,
    scheduler: Any,
    scaler: Any,
    dtype: torch.dtype | None,
    identity: dict[str, Any],
    total: int,
) -> bool:
    """Log, evaluate and checkpoint as due; True when early stopping ends the run."""
    config, ctx = run.config, run.ctx
    stop = False
    if run.step % config.log_every == 0 or run.step == total:
        elapsed = max(1e-9, time.perf_counter() - run.window_start)
        mean = sum(run.window) / len(run.window) if run.window else None
        run.last_loss = mean if mean is not None else run.last_loss
        run.log(
            {
                "step": run.step,
                "epoch": run.epoch,
                "loss": mean,
                "lr": scheduler.get_last_lr()[0],
                "samples_per_s": run.samples / elapsed,
            }
        )
        run.window, run.samples, run.window_start = [], 0, time.perf_counter()
    if (
        config.eval_every
        and run.step % config.eval_every == 0
        and len(dev_set)
        and run.step < total
    ):
        stop = _evaluate(run, model, loaded, dev_set, dtype)
    if run.step % config.save_every == 0 or run.step == total:
        if ctx.is_main:
            state = _state(run, model, optimizer, scheduler, scaler, identity)
            save_checkpoint(run.plan.run_dir, run.step, state, config.keep_checkpoints)
        dist_util.barrier(ctx)
    return stop


def _evaluate(
    run: _Run, model: nn.Module, loaded: LoadedBase, dev_set: ClipDataset, dtype: torch.dtype | None
) -> bool:
    """Rank 0 scores the dev set and saves improved weights; every rank learns whether to stop."""
    stop = _score(run, model, loaded, dev_set, dtype) if run.ctx.is_main else False
    return bool(dist_util.broadcast_object(run.ctx, stop))


def _score(
    run: _Run, model: nn.Module, loaded: LoadedBase, dev_set: ClipDataset, dtype: torch.dtype | None
) -> bool:
    """Score the dev set (rank 0 only); True when patience has run out."""
    config, ctx = run.config, run.ctx
    inner = getattr(model, "module", model)
    wer, _ = evaluate(
        inner,
        loaded.processor,
        dev_set,
        device=ctx.device,
        max_batch_seconds=config.max_batch_seconds,
        autocast=autocast_context(ctx.device, dtype),
    )
    run.last_wer = wer
    if wer is not None and (run.best_wer is None or wer < run.best_wer):
        run.best_wer, run.bad_evals = wer, 0
        save_atomic({"model": inner.state_dict(), "step": run.step}, run.plan.best_path)
    else:
        run.bad_evals += 1
    patience = config.early_stopping_patience
    stop = bool(patience) and run.bad_evals >= patience
    run.log({"step": run.step, "dev_wer": wer, "best_dev_wer": run.best_wer, "early_stop": stop})
    return stop


def _finish(
    run: _Run,
    model: nn.Module,
    loaded: LoadedBase,
    dev_set: ClipDataset,
    dtype: torch.dtype | None,
    stats: DataStats,
    dropped: int,
    stopped_early: bool,
    resumed_from: int | None,
) -> TrainResult:
    config, ctx = run.config, run.ctx
    version_id = None
    if ctx.is_main:
        if len(dev_set):
            _score(run, model, loaded, dev_set, dtype)
        inner = getattr(model, "module", model)
        if run.plan.best_path.is_file():
            inner.load_state_dict(load_state(run.plan.best_path)["model"])
        metrics = {
            "best_dev_wer": run.best_wer,
            "final_dev_wer": run.last_wer,
            "train_loss": run.last_loss,
            "steps": run.step,
            "epochs": run.epoch,
            "stopped_early": stopped_early,
            "skipped_clips": run.skipped_clips,
        }
        extra = {
            "data": stats.to_dict(),
            "dropped_chars": dropped,
            "pseudo_labels": stats.pseudo_labels > 0,
            "world_size": ctx.world_size,
            "precision": str(dtype).removeprefix("torch.") if dtype else "fp32",
            "resumed_from": resumed_from,
        }
        version_id = publish_model(run.project, run.plan, inner, loaded, config, extra, metrics)
        run.log({"event": "done", "model_version_id": version_id, **metrics})
    dist_util.barrier(ctx)
    return TrainResult(
        model_name=run.plan.name,
        model_version_id=version_id,
        path=run.plan.final_dir,
        steps=run.step,
        best_dev_wer=run.best_wer,
        final_dev_wer=run.last_wer,
        train_loss=run.last_loss,
        stats=stats,
        dropped_chars=dropped,
        stopped_early=stopped_early,
        resumed_from=resumed_from,
        metrics_log=run.plan.metrics_log,
    )
