"""Alternating timing: candidates are run in turns within one process, so machine
noise (other jobs, frequency scaling) hits them alike. Reports, per candidate, the
fastest round's time per call: on a shared machine interference only ever adds time,
so the minimum over rounds is the stable estimate (medians moved by 20-50% here).

On the CPU the clock is the thread's CPU time (torch runs with one thread here), so
time the process spends descheduled by other jobs on a shared machine is not counted;
on CUDA it is wall time around synchronised calls."""

import argparse
import time

import torch


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--skip-compiled", action="store_true", help="run_all: skip inductor rows")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda was asked for, but torch.cuda.is_available() is False")
    return args


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def per_call_seconds(fn, device, calls):
    clock = time.perf_counter if str(device).startswith("cuda") else time.thread_time
    _sync(device)
    start = clock()
    for _ in range(calls):
        fn()
    _sync(device)
    return (clock() - start) / calls


def compare(candidates, device="cpu", rounds=15, target_seconds=0.05):
    """Times each ``name -> fn`` in alternating rounds; returns ``name -> s/call`` of the
    fastest round.

    The number of calls per round is chosen so one round of the first candidate takes
    about ``target_seconds``.
    """
    for fn in candidates.values():  # warm up (lazy builds, caches, allocator)
        for _ in range(20):
            fn()
    # Global module hooks (torch_keraslike's, while a model is being built) would slow
    # every torch module call, the baselines' included: none may be left for timing.
    if torch.nn.modules.module._has_any_global_hook():
        raise RuntimeError("global torch module hooks are installed; the timings would not be comparable")
    first = next(iter(candidates.values()))
    single = max(per_call_seconds(first, device, 50), 1e-7)
    calls = max(10, int(target_seconds / single))
    samples = {name: [] for name in candidates}
    for round_index in range(rounds):
        order = list(candidates.items())
        if round_index % 2:
            order.reverse()
        for name, fn in order:
            samples[name].append(per_call_seconds(fn, device, calls))
    return {name: min(values) for name, values in samples.items()}


def report(title, results, baseline, target=None):
    """Prints a small table of per-call times and ratios to ``baseline``."""
    base = results[baseline]
    print(f"\n{title}")
    print(f"{'candidate':<28}{'us/call':>10}{'ratio':>8}")
    for name, seconds in results.items():
        print(f"{name:<28}{seconds * 1e6:>10.2f}{seconds / base:>8.2f}x")
    if target is not None:
        print(f"target: at most {target}x {baseline}")
