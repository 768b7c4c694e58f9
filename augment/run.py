"""One ``voxcart augment`` run: its options as one record, each named split materialized.

The command parses its flags into :class:`AugmentOptions` and calls :func:`augment_splits`.
Every split is checked before the first one is augmented, so ``--split train,dev`` fails
(dev is never augmented in place) without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voxcart.augment.bank_cache import project_banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.materialize import AugmentReport, Progress, check_arguments, materialize
from voxcart.datasets.store.project import Project


@dataclass(frozen=True)
class AugmentOptions:
    """What ``voxcart augment`` stores.

    Attributes:
        preset: a preset name or a pipeline ``.toml`` path.
        copies: augmented variants per clip.
        splits: the splits to augment (only ``train`` is augmented in place).
        seed: base seed; the same seed gives the same variants.
        as_test_set: build this named noisy evaluation set from the test clips instead
            (`splits` is then ignored).
        noise_bank: a folder of noise recordings, or None for the generated bank.
        rir_bank: a folder of room impulse responses, or None for simulated rooms.
    """

    preset: str
    copies: int = 2
    splits: tuple[str, ...] = ("train",)
    seed: int = 0
    as_test_set: str | None = None
    noise_bank: Path | None = None
    rir_bank: Path | None = None

    def __post_init__(self) -> None:
        """Check every option before anything is augmented.

        Raises:
            AugmentError: no split, a split named twice, or an invalid option (see
                :func:`voxcart.augment.materialize.materialize`).
        """
        if not self.splits:
            raise AugmentError("splits=() is empty; name the split to augment (train)")
        if len(set(self.splits)) != len(self.splits):
            raise AugmentError(f"splits={','.join(self.splits)} names a split twice")
        for split in self.runs():
            check_arguments(self.copies, split, self.seed, self.as_test_set)

    def runs(self) -> tuple[str, ...]:
        """The splits one run augments (just ``test`` for a test set)."""
        return ("test",) if self.as_test_set is not None else self.splits


def augment_splits(
    project: Project, options: AugmentOptions, progress: Progress | None = None
) -> list[AugmentReport]:
    """Store augmented copies of each split of `options`, one report per split.

    Raises:
        AugmentError, AugmentConfigError, BankError: as
            :func:`voxcart.augment.materialize.materialize`.
    """
    banks = project_banks(project.root, options.noise_bank, options.rir_bank)
    return [
        materialize(
            project,
            options.preset,
            copies=options.copies,
            split=split,
            seed=options.seed,
            as_test_set=options.as_test_set,
            progress=progress,
            banks=banks,
        )
        for split in options.runs()
    ]
