"""Fine-tuning CTC models: configuration, data, the training loop, checkpoints and output.

- ``batching``: Length-bucketed batching: group clips of similar duration so that padding stays
  small.
- ``char_vocab``: The character vocabulary of a CTC model: building it from text and encoding text
  with it.
- ``checkpoint``: Resumable training checkpoints: written atomically, the last few kept, RNG states
  included.
- ``config``: Fine-tuning settings: one frozen dataclass with defaults and help, from TOML and the
  CLI.
- ``data``: Training data from the store: human-accepted train clips, the dev split, optional
  pseudo-labels.
- ``dev_wer``: Dev-set word error rate during training: greedy CTC decoding scored by the
  corpus WER.
- ``distributed``: Multi-process training with torch.distributed (DDP), as launched by ``torchrun``.
- ``entry``: Entry point of each torchrun process: ``torchrun --nproc-per-node N -m
  voxcart.model.train.entry --base small --out NAME -p PROJECT ...`` takes the options of ``voxcart
  train``.
- ``loop``: The fine-tuning loop: AdamW with warm-up and decay, accumulation, clipping, mixed
  precision, length-bucketed batches, dev-WER early stopping, atomic checkpoints and resume, DDP.
- ``optim``: Optimization settings of a run: AdamW groups, the learning-rate schedule, mixed
  precision and the size of length buckets.
- ``output``: Where a training run reads from and writes to, and how its result becomes a model
  version.
- ``presets``: Where a fine-tuning run starts: a from-scratch preset or a Hugging Face CTC model
  folder.
"""
