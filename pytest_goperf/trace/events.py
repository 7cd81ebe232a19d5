"""Event type numbers and argument counts of the Go 1.22+ trace wire format.

Why a table: an event on the wire is a type byte followed by a fixed number of
uvarints, so the argument count per type is all a decoder needs to walk a
batch.  The numbering is shared by every version; each version only appends
types (1.23: coroutines, GoStatusStack, experimental batches; 1.25: sync
batches with clock snapshots; 1.26: the end-of-generation marker).  Source:
``$GOROOT/src/internal/trace/tracev2/events.go`` (tests check this table
against it when a Go source tree is present).
"""

from __future__ import annotations

# Structural events (not part of the per-M event streams).
EV_NONE = 0
EV_EVENT_BATCH = 1
EV_STACKS = 2
EV_STACK = 3
EV_STRINGS = 4
EV_STRING = 5
EV_CPU_SAMPLES = 6
EV_CPU_SAMPLE = 7
EV_FREQUENCY = 8

# Timed events (args below include the leading timestamp delta).
EV_PROCS_CHANGE = 9
EV_PROC_START = 10
EV_PROC_STOP = 11
EV_PROC_STEAL = 12
EV_PROC_STATUS = 13
EV_GO_CREATE = 14
EV_GO_CREATE_SYSCALL = 15
EV_GO_START = 16
EV_GO_DESTROY = 17
EV_GO_DESTROY_SYSCALL = 18
EV_GO_STOP = 19
EV_GO_BLOCK = 20
EV_GO_UNBLOCK = 21
EV_GO_SYSCALL_BEGIN = 22
EV_GO_SYSCALL_END = 23
EV_GO_SYSCALL_END_BLOCKED = 24
EV_GO_STATUS = 25
EV_STW_BEGIN = 26
EV_STW_END = 27
EV_GC_ACTIVE = 28
EV_GC_BEGIN = 29
EV_GC_END = 30
EV_GC_SWEEP_ACTIVE = 31
EV_GC_SWEEP_BEGIN = 32
EV_GC_SWEEP_END = 33
EV_GC_MARK_ASSIST_ACTIVE = 34
EV_GC_MARK_ASSIST_BEGIN = 35
EV_GC_MARK_ASSIST_END = 36
EV_HEAP_ALLOC = 37
EV_HEAP_GOAL = 38
EV_GO_LABEL = 39
EV_USER_TASK_BEGIN = 40
EV_USER_TASK_END = 41
EV_USER_REGION_BEGIN = 42
EV_USER_REGION_END = 43
EV_USER_LOG = 44
# Go 1.23
EV_GO_SWITCH = 45
EV_GO_SWITCH_DESTROY = 46
EV_GO_CREATE_BLOCKED = 47
EV_GO_STATUS_STACK = 48
EV_EXPERIMENTAL_BATCH = 49
# Go 1.25
EV_SYNC = 50
EV_CLOCK_SNAPSHOT = 51
# Go 1.26
EV_END_OF_GENERATION = 52

# Experimental AllocFree events (Go 1.23+, GODEBUG=traceallocfree=1).  They sit
# in the ordinary per-M batches with a raw type byte >= 0x80, which therefore
# fuses with the following timestamp-delta uvarint when read as uvarints.
EV_SPAN = 128
EV_GOROUTINE_STACK_FREE = 136

# Name and argument count (timestamp delta included) of every event type.
SPECS: dict[int, tuple[str, int]] = {
    EV_EVENT_BATCH: ("EventBatch", 4),
    EV_STACKS: ("Stacks", 0),
    EV_STACK: ("Stack", 2),
    EV_STRINGS: ("Strings", 0),
    EV_STRING: ("String", 1),
    EV_CPU_SAMPLES: ("CPUSamples", 0),
    EV_CPU_SAMPLE: ("CPUSample", 5),
    EV_FREQUENCY: ("Frequency", 1),
    EV_PROCS_CHANGE: ("ProcsChange", 3),
    EV_PROC_START: ("ProcStart", 3),
    EV_PROC_STOP: ("ProcStop", 1),
    EV_PROC_STEAL: ("ProcSteal", 4),
    EV_PROC_STATUS: ("ProcStatus", 3),
    EV_GO_CREATE: ("GoCreate", 4),
    EV_GO_CREATE_SYSCALL: ("GoCreateSyscall", 2),
    EV_GO_START: ("GoStart", 3),
    EV_GO_DESTROY: ("GoDestroy", 1),
    EV_GO_DESTROY_SYSCALL: ("GoDestroySyscall", 1),
    EV_GO_STOP: ("GoStop", 3),
    EV_GO_BLOCK: ("GoBlock", 3),
    EV_GO_UNBLOCK: ("GoUnblock", 4),
    EV_GO_SYSCALL_BEGIN: ("GoSyscallBegin", 3),
    EV_GO_SYSCALL_END: ("GoSyscallEnd", 1),
    EV_GO_SYSCALL_END_BLOCKED: ("GoSyscallEndBlocked", 1),
    EV_GO_STATUS: ("GoStatus", 4),
    EV_STW_BEGIN: ("STWBegin", 3),
    EV_STW_END: ("STWEnd", 1),
    EV_GC_ACTIVE: ("GCActive", 2),
    EV_GC_BEGIN: ("GCBegin", 3),
    EV_GC_END: ("GCEnd", 2),
    EV_GC_SWEEP_ACTIVE: ("GCSweepActive", 2),
    EV_GC_SWEEP_BEGIN: ("GCSweepBegin", 2),
    EV_GC_SWEEP_END: ("GCSweepEnd", 3),
    EV_GC_MARK_ASSIST_ACTIVE: ("GCMarkAssistActive", 2),
    EV_GC_MARK_ASSIST_BEGIN: ("GCMarkAssistBegin", 2),
    EV_GC_MARK_ASSIST_END: ("GCMarkAssistEnd", 1),
    EV_HEAP_ALLOC: ("HeapAlloc", 2),
    EV_HEAP_GOAL: ("HeapGoal", 2),
    EV_GO_LABEL: ("GoLabel", 2),
    EV_USER_TASK_BEGIN: ("UserTaskBegin", 5),
    EV_USER_TASK_END: ("UserTaskEnd", 3),
    EV_USER_REGION_BEGIN: ("UserRegionBegin", 4),
    EV_USER_REGION_END: ("UserRegionEnd", 4),
    EV_USER_LOG: ("UserLog", 5),
    EV_GO_SWITCH: ("GoSwitch", 3),
    EV_GO_SWITCH_DESTROY: ("GoSwitchDestroy", 3),
    EV_GO_CREATE_BLOCKED: ("GoCreateBlocked", 4),
    EV_GO_STATUS_STACK: ("GoStatusStack", 5),
    EV_EXPERIMENTAL_BATCH: ("ExperimentalBatch", 4),
    EV_SYNC: ("Sync", 0),
    EV_CLOCK_SNAPSHOT: ("ClockSnapshot", 4),
    EV_END_OF_GENERATION: ("EndOfGeneration", 0),
    128: ("Span", 4),
    129: ("SpanAlloc", 4),
    130: ("SpanFree", 2),
    131: ("HeapObject", 3),
    132: ("HeapObjectAlloc", 3),
    133: ("HeapObjectFree", 2),
    134: ("GoroutineStack", 3),
    135: ("GoroutineStackAlloc", 3),
    136: ("GoroutineStackFree", 2),
}

# Highest event type each format version may use in per-M batches.
MAX_EVENT: dict[int, int] = {22: EV_USER_LOG, 23: EV_GO_STATUS_STACK, 25: EV_GO_STATUS_STACK, 26: EV_GO_STATUS_STACK}
SUPPORTED_VERSIONS = (22, 23, 25, 26)



def timed_argc(version: int, experimental: bool = False) -> list[int]:
    """Argument count per type byte for per-M batches of ``version`` (-1: not allowed).

    ``experimental`` also admits the AllocFree events (types 128-136, Go 1.23+).
    """
    argc = [-1] * 256
    for typ, (_name, nargs) in SPECS.items():
        if EV_PROCS_CHANGE <= typ <= MAX_EVENT[version]:
            argc[typ] = nargs
        elif experimental and version >= 23 and EV_SPAN <= typ <= EV_GOROUTINE_STACK_FREE:
            argc[typ] = nargs
    return argc


# Goroutine and proc statuses (tracev2.GoStatus / ProcStatus).
GO_BAD, GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING = 0, 1, 2, 3, 4
PROC_BAD, PROC_RUNNING, PROC_IDLE, PROC_SYSCALL, PROC_SYSCALL_ABANDONED = 0, 1, 2, 3, 4

# Limits the runtime never exceeds; larger values mean a corrupt trace.
MAX_BATCH_SIZE = 64 << 10
MAX_FRAMES_PER_STACK = 128
MAX_STRING_SIZE = 1 << 10


def event_name(typ: int) -> str:
    """Human name of an event type, for error messages."""
    spec = SPECS.get(typ)
    return spec[0] if spec else f"Invalid({typ})"
