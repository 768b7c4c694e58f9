"""The work queue: enqueue clips, lease the best task atomically, renew, release, complete.

- ``tasks``: the task records and checks shared by every operation; enqueue, complete, cancel.
- ``lease``: leasing the best task in one statement, resuming, renewing, releasing, reclaiming.
- ``status``: how many tasks each queue holds, by state (``voxcart queue status``).
"""

from voxcart.datasets.store.queue.lease import (
    LeaseRequest,
    best_priority,
    current_leases,
    lease_best,
    lease_in,
    lease_next,
    lease_params,
    lease_statement,
    leased_task,
    reclaim_expired,
    release,
    renew,
)
from voxcart.datasets.store.queue.status import QueueCount, queue_counts
from voxcart.datasets.store.queue.tasks import (
    DEFAULT_LEASE_S,
    KIND_MAX,
    MAX_LEASE_S,
    SECOND_PASS_KIND,
    EnqueueResult,
    LeasedTask,
    cancel,
    complete,
    complete_statement,
    enqueue,
    not_completed,
    resolve_now,
    task_is_open,
)

__all__ = [
    "DEFAULT_LEASE_S",
    "KIND_MAX",
    "MAX_LEASE_S",
    "SECOND_PASS_KIND",
    "EnqueueResult",
    "LeaseRequest",
    "LeasedTask",
    "QueueCount",
    "best_priority",
    "cancel",
    "complete",
    "complete_statement",
    "current_leases",
    "enqueue",
    "lease_best",
    "lease_in",
    "lease_next",
    "lease_params",
    "lease_statement",
    "leased_task",
    "not_completed",
    "queue_counts",
    "reclaim_expired",
    "release",
    "renew",
    "resolve_now",
    "task_is_open",
]
