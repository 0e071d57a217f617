#!/usr/bin/env python3
"""Regenerate the shipped app-usage subset and print its launch statistics.

The input is the full `app_events.csv` export of the GESIS Methods Hub
tutorial data (columns user_id,app,event,timestamp, one open and one close
row per foreground visit). The script keeps the rows of the apps in
SUBSET_APPS byte for byte and in their original order, copies the
excluded-packages list next to them, and prints the statistics quoted in
data/android-app-usage-2021/README.md.

Usage:
    scripts/subset-trace.py SOURCE_DIR [--out DIR]
    scripts/subset-trace.py --stats-only [--out DIR]

Standard library only. Messages follow LC_ALL, LC_MESSAGES or LANG: a value
starting with "zh" selects Chinese, like the rollout-sim binary.
"""

import argparse
import collections
import csv
import datetime
import os
import shutil
import statistics
import sys

# Apps kept in the subset: the non-system apps with the most distinct users
# among the 40, limited so that the file stays under 2 MB (2,000,000 bytes).
# Facebook (24 users) and Instagram (22 users) rank higher than Google Maps
# but were left out because each adds about 333 kB.
SUBSET_APPS = (
    "com.whatsapp",
    "com.android.chrome",
    "com.google.android.youtube",
    "com.amazon.mShop.android.shopping",
    "com.google.android.apps.maps",
)

EVENTS_FILE = "app_events.csv"
EXCLUDED_FILE = "excluded_packages_for_clean_stats.txt"
DEFAULT_OUT = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "android-app-usage-2021")
)
MAX_SUBSET_BYTES = 2_000_000

# Visits of one (user, app) pair at most this far apart (close to next open)
# count as one visit, matching `merge_gap_ms = 1000` in the Rust reader.
MERGE_GAP_SECONDS = 1.0


def use_chinese():
    """Return True when the locale variables select Chinese."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return value.lower().startswith("zh")
    return False


CHINESE = use_chinese()


def message(english, chinese):
    """Pick the English or Chinese text of a message."""
    return chinese if CHINESE else english


def write_subset(source_dir, out_dir):
    """Copy the rows of SUBSET_APPS and the excluded list, and return the number of rows copied."""
    source_path = os.path.join(source_dir, EVENTS_FILE)
    out_path = os.path.join(out_dir, EVENTS_FILE)
    os.makedirs(out_dir, exist_ok=True)

    kept_rows = 0
    # newline="" keeps the source's line endings, so kept rows stay byte-identical.
    with open(source_path, encoding="utf-8", newline="") as source, open(
        out_path, "w", encoding="utf-8", newline=""
    ) as out:
        header = source.readline()
        if header.strip() != "user_id,app,event,timestamp":
            sys.exit(
                message(
                    f"unexpected header {header.strip()!r} in {source_path}. "
                    "Expected user_id,app,event,timestamp.",
                    f"{source_path} 的表头 {header.strip()!r} 不符合预期，"
                    "应为 user_id,app,event,timestamp。",
                )
            )
        out.write(header)
        for line in source:
            # No field of this export is quoted, so splitting on commas is exact.
            app = line.split(",", 2)[1]
            if app in SUBSET_APPS:
                out.write(line)
                kept_rows += 1

    shutil.copyfile(
        os.path.join(source_dir, EXCLUDED_FILE), os.path.join(out_dir, EXCLUDED_FILE)
    )

    size = os.path.getsize(out_path)
    if size >= MAX_SUBSET_BYTES:
        sys.exit(
            message(
                f"{out_path} has {size} bytes, over the {MAX_SUBSET_BYTES}-byte limit. "
                "Remove an app from SUBSET_APPS.",
                f"{out_path} 共 {size} 字节，超过 {MAX_SUBSET_BYTES} 字节的上限。"
                "请从 SUBSET_APPS 中删去一个应用。",
            )
        )
    print(
        message(
            f"wrote {kept_rows} rows ({size} bytes) to {out_path}",
            f"已写入 {kept_rows} 行（{size} 字节）到 {out_path}",
        )
    )
    return kept_rows


def read_visits(path):
    """Pair open and close rows per (user, app), as the Rust reader does.

    Returns ({(user, app): [(open, close), ...]}, dropped trailing opens).
    Times are aware datetimes. At equal times a close comes first while a
    visit is open, and an open comes first otherwise, which keeps the
    zero-length visits of the source.
    """
    events = collections.defaultdict(list)
    with open(path, encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            time = datetime.datetime.fromisoformat(row["timestamp"])
            events[(row["user_id"], row["app"])].append((time, row["event"]))

    visits = {}
    dropped = 0
    for pair, pair_events in events.items():
        pair_events.sort(key=lambda event: event[0])
        pending = collections.deque(pair_events)
        opened = None
        pair_visits = []
        while pending:
            time = pending[0][0]
            group = []
            while pending and pending[0][0] == time:
                group.append(pending.popleft()[1])
            opens = group.count("open")
            closes = group.count("close")
            if opens + closes != len(group):
                sys.exit(
                    message(
                        f"invalid event in {group} for {pair} at {time}. "
                        "Valid events are open and close.",
                        f"{pair} 在 {time} 的事件 {group} 无效。有效的事件为 open 和 close。",
                    )
                )
            while opens or closes:
                if opened is not None and closes:
                    pair_visits.append((opened, time))
                    opened = None
                    closes -= 1
                elif opened is None and opens:
                    opened = time
                    opens -= 1
                else:
                    sys.exit(
                        message(
                            f"open and close rows of {pair} do not alternate at {time}. "
                            "Fix the source file or read it with the Rust reader for the line.",
                            f"{pair} 的 open 和 close 行在 {time} 处没有交替出现。"
                            "请修正源文件，或用 Rust 读取器读取以得到行号。",
                        )
                    )
        if opened is not None:
            dropped += 1
        if pair_visits:
            visits[pair] = pair_visits
    return visits, dropped


def merge_visits(pair_visits, gap_seconds):
    """Merge consecutive visits whose gap (close to next open) is at most gap_seconds."""
    merged = [list(pair_visits[0])]
    for open_time, close_time in pair_visits[1:]:
        if (open_time - merged[-1][1]).total_seconds() <= gap_seconds:
            merged[-1][1] = close_time
        else:
            merged.append([open_time, close_time])
    return merged


def reopen_gaps(visit_lists):
    """Return the seconds from each close to the next open of the same pair."""
    return [
        (following[0] - previous[1]).total_seconds()
        for pair_visits in visit_lists
        for previous, following in zip(pair_visits, pair_visits[1:])
    ]


def share_within(gaps, minutes):
    """Return the share of gaps of at most `minutes` minutes (NaN without gaps)."""
    if not gaps:
        return float("nan")
    return sum(1 for gap in gaps if gap <= minutes * 60) / len(gaps)


def print_stats(path):
    """Print the counts and launch statistics of a trace file."""
    visits, dropped = read_visits(path)
    merged = {
        pair: merge_visits(pair_visits, MERGE_GAP_SECONDS)
        for pair, pair_visits in visits.items()
    }

    # A user's active days: local calendar dates (in the timestamp's own UTC
    # offset) with at least one visit of any app in the file.
    active_days = collections.defaultdict(set)
    for (user, _app), pair_visits in merged.items():
        for open_time, _close in pair_visits:
            active_days[user].add(open_time.date())

    rates = [
        len(pair_visits) / len(active_days[user])
        for (user, _app), pair_visits in merged.items()
    ]
    durations = [
        (close - open_).total_seconds()
        for pair_visits in merged.values()
        for open_, close in pair_visits
    ]
    gaps = reopen_gaps(merged.values())
    times = [time for pair_visits in visits.values() for visit in pair_visits for time in visit]

    raw_visits = sum(len(pair_visits) for pair_visits in visits.values())
    merged_visits = sum(len(pair_visits) for pair_visits in merged.values())
    print(message("users:", "用户数："), len(active_days))
    print(message("(user, app) pairs:", "（用户，应用）对："), len(merged))
    print(message("visits, unmerged:", "访问次数（未合并）："), raw_visits)
    print(message("trailing opens dropped:", "丢弃的末尾 open："), dropped)
    print(message("visits, merged (gap <= 1 s):", "访问次数（间隔 <= 1 秒合并后）："), merged_visits)
    print(message("first open:", "最早 open："), min(times).isoformat())
    print(message("last close:", "最晚 close："), max(times).isoformat())
    print(
        message("visits per pair per active day, median / mean:", "每对每活跃日访问次数，中位数 / 平均数："),
        f"{statistics.median(rates):.2f} / {statistics.mean(rates):.2f}",
    )
    print(
        message("visit length, median / mean (s):", "访问时长，中位数 / 平均数（秒）："),
        f"{statistics.median(durations):.0f} / {statistics.mean(durations):.0f}",
    )
    print(message("re-opens:", "再次打开次数："), len(gaps))
    print(
        message("re-open gap, median (s):", "再次打开间隔，中位数（秒）："),
        f"{statistics.median(gaps):.0f}",
    )
    for minutes in (5, 30):
        share = share_within(gaps, minutes)
        print(
            message(
                f"re-opens within {minutes} min of the previous close:",
                f"距上次关闭 {minutes} 分钟内再次打开的比例：",
            ),
            f"{100 * share:.1f} %",
        )

    print()
    print(message("per app:", "按应用："))
    columns = message(
        "app\tusers\tvisits\tper_active_day_median\tlength_median_s\tgap_median_s\t"
        "within_5min\twithin_30min",
        "应用\t用户数\t访问次数\t每活跃日次数中位数\t时长中位数（秒）\t间隔中位数（秒）\t"
        "5分钟内\t30分钟内",
    )
    print(columns)
    for app in SUBSET_APPS:
        app_pairs = {pair: pair_visits for pair, pair_visits in merged.items() if pair[1] == app}
        if not app_pairs:
            continue
        app_rates = [
            len(pair_visits) / len(active_days[user])
            for (user, _app), pair_visits in app_pairs.items()
        ]
        app_lengths = [
            (close - open_).total_seconds()
            for pair_visits in app_pairs.values()
            for open_, close in pair_visits
        ]
        app_gaps = reopen_gaps(app_pairs.values())
        within = [share_within(app_gaps, minutes) for minutes in (5, 30)]
        app_visits = sum(len(pair_visits) for pair_visits in app_pairs.values())
        print(
            f"{app}\t{len(app_pairs)}\t{app_visits}\t"
            f"{statistics.median(app_rates):.2f}\t{statistics.median(app_lengths):.0f}\t"
            f"{statistics.median(app_gaps):.0f}\t{100 * within[0]:.1f} %\t{100 * within[1]:.1f} %"
        )


def main():
    parser = argparse.ArgumentParser(
        description=message(
            "Regenerate the app-usage subset and print its statistics.",
            "重新生成应用使用数据子集并输出其统计。",
        )
    )
    parser.add_argument(
        "source_dir",
        nargs="?",
        help=message(
            f"folder with the full {EVENTS_FILE} and {EXCLUDED_FILE}",
            f"包含完整 {EVENTS_FILE} 和 {EXCLUDED_FILE} 的文件夹",
        ),
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=message(
            "output folder (default: data/android-app-usage-2021 of this repository)",
            "输出文件夹（默认：本仓库的 data/android-app-usage-2021）",
        ),
    )
    parser.add_argument(
        "--stats-only",
        action="store_true",
        help=message(
            "only print the statistics of the subset already in --out",
            "只输出 --out 中已有子集的统计",
        ),
    )
    args = parser.parse_args()

    if not args.stats_only:
        if args.source_dir is None:
            parser.error(
                message(
                    "missing SOURCE_DIR. Pass the folder of the full export, or --stats-only.",
                    "缺少 SOURCE_DIR。请给出完整数据所在的文件夹，或使用 --stats-only。",
                )
            )
        write_subset(args.source_dir, args.out)
    print_stats(os.path.join(args.out, EVENTS_FILE))


if __name__ == "__main__":
    main()
