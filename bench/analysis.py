"""Body analysis and number parsing throughput, each beside its baseline in the same run.

    .venv/bin/python bench/analysis.py [--bodies 20000] [--numbers 100000]

Bodies: one generated corpus (GSM, extension-heavy, Greek, emoji, mixed; 1-10 parts) run
through ``smscast.domain.analysis.analyse`` and through the PyPI package ``smsutil``'s
``split`` (the baseline). Numbers: ``bench/numbers_bench.py`` (batch path vs plain
``phonenumbers.parse`` + ``is_valid_number``). Machines are noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import smsutil

from smscast.domain.analysis import analyse
from smscast.domain.segments import split

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numbers_bench

GSM = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?:;-'\""
    "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà\n"
)
EXTENSION = "^{}\\[~]|€"
GREEK = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ "
EMOJI = "😀😂🎉👍🔥❤️✨🙏🚀📱"
MIXED = GSM + "çáâêîôûœ“”‘’…–—" + "中文字"


def corpus(count: int, seed: int = 7) -> list[str]:
    """Bodies of 1-10 parts in five families, about 300 characters on average."""
    rng = random.Random(seed)
    bodies: list[str] = []
    for i in range(count):
        family = i % 5
        parts = rng.choices(range(1, 11), weights=[18, 20, 16, 13, 10, 8, 6, 4, 3, 2])[0]
        if family == 0:
            length = rng.randint(max(1, 153 * (parts - 1)), 153 * parts)
            text = "".join(rng.choices(GSM, k=length))
        elif family == 1:
            length = rng.randint(max(1, 140 * (parts - 1)), 140 * parts)
            text = "".join(rng.choices(GSM + EXTENSION * 4, k=length))
        elif family == 2:
            length = rng.randint(max(1, 67 * (parts - 1)), 67 * parts)
            text = "".join(rng.choices(GREEK, k=length))
        elif family == 3:
            length = rng.randint(max(1, 60 * (parts - 1)), 60 * parts)
            text = "".join(rng.choices(GSM[:40] + EMOJI, k=length))
        else:
            length = rng.randint(max(1, 67 * (parts - 1)), 67 * parts)
            text = "".join(rng.choices(MIXED, k=length))
        bodies.append(text[:1600])
    return bodies


def _full_report(body: str) -> object:
    analysis = analyse(body)
    return analysis.unsupported_gsm_characters, analysis.transcode


def rate(work: Callable[[Sequence[str]], object], items: Sequence[str], rounds: int = 3) -> float:
    work(items[: max(1, len(items) // 10)])  # warm-up
    best = min(_timed(work, items) for _ in range(rounds))
    return len(items) / best


def _timed(work: Callable[[Sequence[str]], object], items: Sequence[str]) -> float:
    started = time.perf_counter()
    work(items)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--numbers", type=int, default=100_000)
    args = parser.parse_args()

    bodies = corpus(args.bodies)
    mean_length = statistics.fmean(len(b) for b in bodies)
    agree = sum(analyse(b).parts == len(smsutil.split(b).parts) for b in bodies)
    baseline = rate(lambda items: [smsutil.split(b) for b in items], bodies)
    figures = {
        "analyse (encoding, characters, parts)": rate(
            lambda items: [analyse(b) for b in items], bodies
        ),
        "split (the part texts, as smsutil)": rate(lambda items: [split(b) for b in items], bodies),
        "analyse + full report (unsupported, transcode)": rate(
            lambda items: [_full_report(b) for b in items], bodies
        ),
    }
    print(f"bodies: {len(bodies):,} generated, mean {mean_length:.0f} characters")
    print(f"  part counts equal to smsutil's: {agree:,} of {len(bodies):,}")
    print(f"  {'smsutil.split (baseline)':52} {baseline:10,.0f} bodies/s")
    for name, value in figures.items():
        print(f"  {'smscast ' + name:52} {value:10,.0f} bodies/s  {value / baseline:5.1f}x")

    numbers = numbers_bench.run(count=args.numbers)
    base = numbers["baseline_per_s"]
    print(f"numbers: {args.numbers:,} generated (campaign-like mix, ~5% duplicates)")
    print(f"  {'phonenumbers parse + is_valid_number (baseline)':52} {base:10,.0f} numbers/s")
    for name, key in (
        ("smscast parse_recipient (one by one)", "single_per_s"),
        ("smscast parse_recipients (batch)", "batch_per_s"),
    ):
        print(f"  {name:52} {numbers[key]:10,.0f} numbers/s  {numbers[key] / base:5.1f}x")
    print(f"  batch answers identical to one by one: {'yes' if numbers['identical'] else 'NO'}")


if __name__ == "__main__":
    main()
