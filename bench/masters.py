"""`python -m bench.masters [--json] [--records N] [--model FILE]`: accuracy and speed of master-record linking.

A seeded generator writes groups of department records with the truth (which real entity each
describes): the seed's name variants, typos, swapped characters, missing, mistyped and 15-digit
identifiers, traditional characters, branch offices, names one meaningful word apart, one name in
several districts, common person names. Parameters are estimated on a training part (seed S); the
held-out part (seed S+1) is never used for tuning and gives the reported precision and recall.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import opencc

from govmesh.kernel.identifiers import make_citizen_id, make_credit_code
from govmesh.services.masters.batch import INPUT_HEADER, link_table, read_prepared
from govmesh.services.masters.domain.comparisons import LinkageModel, default_model
from govmesh.services.masters.domain.linker import IncrementalLinker, InMemoryCandidateIndex
from govmesh.services.masters.domain.records import DepartmentRecord, Kind
from govmesh.services.masters.domain.rules import DecisionKind, Thresholds
from govmesh.services.masters.splink_model import estimate_model
from govmesh.services.masters.trained import load_models

DISTRICTS = ["440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117"]
HISTORIC = {"440104": "440102", "440103": "440107", "440112": "440116", "440117": "440184"}
DISTRICT_NAMES = {"440103": "荔湾区", "440104": "越秀区", "440105": "海珠区", "440106": "天河区",
                  "440111": "白云区", "440112": "黄埔区", "440113": "番禺区", "440114": "花都区",
                  "440115": "南沙区", "440117": "从化区"}  # fmt: skip
DEPARTMENTS = ["AIC", "LTB", "NTB", "QTS", "PSB", "CAB", "SSB"]
TRADE_CHARS = "美华新宏达盛兴隆泰丰源恒利顺昌嘉瑞福星光明金银海天龙凤祥和安康永佳旺鑫辉腾飞鹏远志诚信德"
INDUSTRIES = ["科技", "贸易", "实业", "电子", "物流", "餐饮管理", "建筑工程", "服装", "食品", "医药", "装饰", "广告"]
ROADS = ["体育西路", "中山大道", "环市东路", "东风中路", "江南大道", "工业大道", "广州大道北", "黄埔大道西", "解放北路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀英", "华", "建华", "志强", "海燕", "建国", "婷婷", "晓明", "丽娟", "国强", "桂英", "文", "斌",
         "浩然", "子涵"]  # fmt: skip
SIMILAR = {"华": "化", "达": "大", "兴": "星", "源": "元", "利": "力", "明": "民", "伟": "为", "芳": "方", "强": "墙",
           "军": "君", "杰": "洁", "海": "每", "龙": "隆", "祥": "详", "志": "智"}  # fmt: skip
NUMERALS = "零一二三四五六七八九"
_S2T = opencc.OpenCC("s2t")


@dataclass(frozen=True)
class Labelled:
    record: DepartmentRecord
    entity: str


def _chinese_number(value: int) -> str:
    if value < 10:
        return NUMERALS[value]
    tens, ones = divmod(value, 10)
    text = ("" if tens == 1 else NUMERALS[tens]) + "十" if value < 100 else str(value)
    return text + (NUMERALS[ones] if ones and value < 100 else "")


class Generator:
    """Seeded entities and their department records; every random draw goes through self.rng."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.sequence = seed * 10_000_000
        self.record_counter = 0

    def _next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def _record_id(self) -> str:
        self.record_counter += 1
        return f"R{self.seed}-{self.record_counter:08d}"

    # --- perturbations --------------------------------------------------------------------

    def _typo(self, text: str) -> str:
        positions = [index for index, char in enumerate(text) if char in SIMILAR]
        if not positions:
            return text
        index = self.rng.choice(positions)
        return text[:index] + SIMILAR[text[index]] + text[index + 1 :]

    def _swap(self, text: str) -> str:
        if len(text) < 3:
            return text
        index = self.rng.randrange(len(text) - 1)
        return text[:index] + text[index + 1] + text[index] + text[index + 2 :]

    def _surface(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            return str(_S2T.convert(text))
        if roll < 0.12:
            return " ".join(text) if len(text) < 6 else text.replace("有限", "有限 ")
        return text

    def _mistype(self, identifier: str) -> str:
        index = self.rng.randrange(len(identifier) - 1)
        digit = str((int(identifier[index]) + 1) % 10) if identifier[index].isdigit() else "0"
        return identifier[:index] + digit + identifier[index + 1 :]

    def _date(self, date: dt.date) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return ""
        if roll < 0.25:
            return f"{date.year}/{date.month}/{date.day}"
        if roll < 0.3:
            return f"{date.year}年{date.month}月{date.day}日"
        return date.isoformat()

    def _address(self, district: str, road: str, number: int, room: int) -> str:
        prefix = self.rng.choice(["", "广州市", "广东省广州市", "广州"]) + self.rng.choice(
            [DISTRICT_NAMES[district], ""]
        )
        written_number = _chinese_number(number) if self.rng.random() < 0.15 else str(number)
        text = f"{prefix}{road}{written_number}号{room}室"
        return self._typo(text) if self.rng.random() < 0.05 else text

    def _district(self, district: str) -> str:
        roll = self.rng.random()
        if roll < 0.1:
            return ""
        if roll < 0.2 and district in HISTORIC:
            return HISTORIC[district]
        return district

    # --- enterprises -------------------------------------------------------------------------

    def _enterprise(self, trade: str, industry: str, form: str, district: str, branch: str = "") -> dict[str, object]:
        return {
            "trade": trade, "industry": industry, "form": form, "branch": branch, "district": district,
            "uscc": make_credit_code(district, self._next_sequence()),
            "road": self.rng.choice(ROADS), "number": self.rng.randint(1, 999), "room": self.rng.randint(101, 2999),
            "legal_rep": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN),
            "established": dt.date(2000, 1, 1) + dt.timedelta(days=self.rng.randrange(8000)),
        }  # fmt: skip

    def _enterprise_name(self, entity: dict[str, object]) -> str:
        trade, industry = str(entity["trade"]), str(entity["industry"])
        form = str(entity["form"])
        if form == "有限公司" and self.rng.random() < 0.3:
            form = "有限责任公司"
        roll = self.rng.random()
        if roll < 0.06:
            trade = self._typo(trade)
        elif roll < 0.09:
            trade = self._swap(trade)
        prefix = self.rng.choice(["广州市", "广州", "", "广东省广州市", "(广州)"])
        name = f"{trade}(广州){industry}{form}" if prefix == "(广州)" else f"{prefix}{trade}{industry}{form}"
        return self._surface(name + str(entity["branch"]))

    def _identifier(self, valid: str, *, fifteen: str | None = None) -> str:
        roll = self.rng.random()
        if roll < 0.22:
            return ""
        if roll < 0.3:
            return self._mistype(valid)
        if roll < 0.34:
            return valid.lower() if valid[-1].isalpha() else f" {valid} "
        if fifteen is not None and roll < 0.5:
            return fifteen
        return valid

    def enterprise_records(self, entity: dict[str, object], label: str, count: int) -> Iterator[Labelled]:
        district = str(entity["district"])
        for department in self.rng.sample(DEPARTMENTS, count):
            legal_rep = str(entity["legal_rep"])
            yield Labelled(
                DepartmentRecord(
                    kind=Kind.ENTERPRISE, department=department, record_id=self._record_id(),
                    name=self._enterprise_name(entity), uscc=self._identifier(str(entity["uscc"])),
                    address=self._address(district, str(entity["road"]), int(str(entity["number"])),
                                          int(str(entity["room"]))),
                    legal_rep="" if self.rng.random() < 0.15 else self._surface(legal_rep),
                    district=self._district(district), established=self._date(entity["established"]),  # type: ignore[arg-type]
                ),
                label,
            )  # fmt: skip

    def enterprise_group(self, group: int) -> Iterator[Labelled]:
        """One enterprise, and sometimes a look-alike that is a different enterprise."""
        trade = "".join(self.rng.sample(TRADE_CHARS, self.rng.choice((2, 2, 3))))
        industry, district = self.rng.choice(INDUSTRIES), self.rng.choice(DISTRICTS)
        form = "股份有限公司" if self.rng.random() < 0.1 else "有限公司"
        parent = self._enterprise(trade, industry, form, district)
        yield from self.enterprise_records(parent, f"E{self.seed}-{group}", self.rng.randint(1, 4))
        roll = self.rng.random()
        twin: dict[str, object] | None = None
        if roll < 0.08:  # a branch office, often at the parent's legal representative
            twin = self._enterprise(trade, industry, form, self.rng.choice(DISTRICTS), branch=self._branch_name())
            twin["legal_rep"] = parent["legal_rep"] if self.rng.random() < 0.5 else twin["legal_rep"]
        elif roll < 0.14:  # one meaningful word apart: a sister company of the same group
            other = self.rng.choice([word for word in INDUSTRIES if word != industry])
            twin = self._enterprise(trade, other, form, district)
            twin["legal_rep"] = parent["legal_rep"] if self.rng.random() < 0.5 else twin["legal_rep"]
        elif roll < 0.2:  # the same name registered in another district
            twin = self._enterprise(trade, industry, form, self.rng.choice([d for d in DISTRICTS if d != district]))
        elif roll < 0.23:  # the same words, a different legal form
            twin = self._enterprise(trade, industry, "股份有限公司" if form == "有限公司" else "有限公司", district)
        if twin is not None:
            yield from self.enterprise_records(twin, f"E{self.seed}-{group}b", self.rng.randint(1, 3))

    def _branch_name(self) -> str:
        return self.rng.choice(["天河分公司", "番禺分公司", "海珠营业部", "白云分公司", "北京路分店"])

    # --- persons --------------------------------------------------------------------------------

    def person_group(self, group: int) -> Iterator[Labelled]:
        """One person; common names (张伟, 王芳…) make different people share a name by themselves."""
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        district = self.rng.choice(DISTRICTS)
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=self.rng.randrange(23000))
        sequence = self.rng.randrange(1000)
        citizen_id = make_citizen_id(district, birth, sequence)
        fifteen = citizen_id[:6] + citizen_id[8:17] if birth.year < 2000 else None
        road, number, room = self.rng.choice(ROADS), self.rng.randint(1, 999), self.rng.randint(101, 2999)
        gender = "男" if sequence % 2 else "女"
        for department in self.rng.sample(DEPARTMENTS, self.rng.randint(1, 4)):
            written = name
            roll = self.rng.random()
            if roll < 0.06:
                written = self._typo(name)
            elif roll < 0.09:
                written = self._swap(name)
            yield Labelled(
                DepartmentRecord(
                    kind=Kind.PERSON, department=department, record_id=self._record_id(), name=self._surface(written),
                    id_number=self._identifier(citizen_id, fifteen=fifteen),
                    address=self._address(district, road, number, room) if self.rng.random() < 0.85 else "",
                    district=self._district(district), birth_date=self._date(birth),
                    gender=gender if self.rng.random() < 0.8 else "",
                ),
                f"P{self.seed}-{group}",
            )  # fmt: skip

    def dataset(self, entities: int) -> list[Labelled]:
        records: list[Labelled] = []
        for group in range(entities):
            records.extend(self.enterprise_group(group) if group % 2 else self.person_group(group))
        self.rng.shuffle(records)
        return records


# --- accuracy -------------------------------------------------------------------------------------


def _pairs(sizes: Counter[object]) -> int:
    return sum(size * (size - 1) // 2 for size in sizes.values())


def pairwise_scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against the truth, from co-membership counts."""
    both = _pairs(Counter(zip(truth, predicted, strict=True)))
    predicted_pairs, true_pairs = _pairs(Counter(predicted)), _pairs(Counter(truth))
    return {
        "precision": both / predicted_pairs if predicted_pairs else 1.0,
        "recall": both / true_pairs if true_pairs else 1.0,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
    }


def write_csv(records: list[Labelled], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(INPUT_HEADER)
        for item in records:
            record = item.record
            writer.writerow([
                record.record_id, record.kind.value, record.department, record.name, record.uscc, record.id_number,
                record.address, record.legal_rep, record.district, record.established, record.birth_date,
                record.gender,
            ])  # fmt: skip


def train(records: list[Labelled], workdir: Path) -> dict[Kind, LinkageModel]:
    """Estimate both kinds' models with Splink on the training part only."""
    path = workdir / "train.csv"
    write_csv(records, path)
    prepared = read_prepared(path)
    table = prepared.table()
    import pyarrow as pa
    import pyarrow.compute as pc

    kinds = pa.array([kind.value for kind in prepared.kinds], pa.string())
    return {kind: estimate_model(table.filter(pc.equal(kinds, kind.value)), kind) for kind in Kind}


def batch_accuracy(records: list[Labelled], models: dict[Kind, LinkageModel], thresholds: Thresholds,
                   workdir: Path) -> dict[str, float]:  # fmt: skip
    path = workdir / "heldout.csv"
    write_csv(records, path)
    prepared = read_prepared(path)
    groups, _ = link_table(prepared, models, thresholds)
    predicted = [str(groups.find(position)) for position in range(len(records))]
    return pairwise_scores([item.entity for item in records], predicted)


def incremental_accuracy(records: list[Labelled], models: dict[Kind, LinkageModel],
                         thresholds: Thresholds) -> dict[str, float]:  # fmt: skip
    linker = IncrementalLinker(InMemoryCandidateIndex(), models, thresholds)
    decisions = [linker.link(item.record) for item in records]
    scores = pairwise_scores([item.entity for item in records], [decision.master_id for decision in decisions])
    scores["review_share"] = sum(d.kind is DecisionKind.REVIEW for d in decisions) / len(decisions)
    return scores


# --- speed ----------------------------------------------------------------------------------------

_BATCH_CHILD = """
import json, resource, sys, time
from pathlib import Path
from bench.masters import TreeCpu
from govmesh.services.masters.batch import link_csv
if __name__ == "__main__":
    cpu = TreeCpu()
    started = time.perf_counter()
    summary = link_csv(Path(sys.argv[1]), Path(sys.argv[2]))
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu.stop(), "peak_rss_mib": peak,
                      "masters": summary.masters}))
"""


class TreeCpu:
    """CPU seconds of this process and every process under it (worker pools included), sampled from /proc.

    Pool workers are reaped by a fork server, not by us, so getrusage(RUSAGE_CHILDREN) misses them.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        parents: dict[int, tuple[int, float]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / self._ticks)
        mine = {os.getpid()}
        for _ in range(4):  # children, grandchildren (a fork server's workers), and so on
            mine |= {child for child, (parent, _) in parents.items() if parent in mine}
        for pid in mine & parents.keys():
            self._seen[pid] = max(self._seen.get(pid, 0.0), parents[pid][1])

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(self._seen.values())


def batch_speed(records: int, workdir: Path, seed: int) -> dict[str, float]:
    """Link a generated file of `records` records in a fresh process: records/s and that process's peak memory."""
    generator = Generator(seed)
    data: list[Labelled] = []
    group = 0
    while len(data) < records:
        data.extend(generator.enterprise_group(group) if group % 2 else generator.person_group(group))
        group += 1
    path, out = workdir / "speed.csv", workdir / "speed-out.csv"
    write_csv(data[:records], path)
    del data
    completed = subprocess.run(
        [sys.executable, "-c", _BATCH_CHILD, str(path), str(out)], check=True, capture_output=True, text=True
    )
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "records": records,
        "seconds": measured["seconds"],
        "records_per_second": records / measured["seconds"],
        "cpu_seconds": measured["cpu_seconds"],
        "records_per_cpu_second": records / measured["cpu_seconds"],
        "peak_rss_mib": measured["peak_rss_mib"],
    }


def incremental_latency(records: list[Labelled], models: dict[Kind, LinkageModel]) -> dict[str, float]:
    """Per-record latency of the incremental linker, warm index, over every record of the list."""
    linker = IncrementalLinker(InMemoryCandidateIndex(), models)
    timings: list[float] = []
    for item in records:
        started = time.perf_counter()
        linker.link(item.record)
        timings.append(time.perf_counter() - started)
    warm = sorted(timings[len(timings) // 10 :])
    return {
        "records": len(records),
        "p50_ms": warm[len(warm) // 2] * 1000,
        "p99_ms": warm[int(len(warm) * 0.99)] * 1000,
        "max_ms": warm[-1] * 1000,
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    thresholds = Thresholds(link=args.link_threshold, review=args.review_threshold)
    with tempfile.TemporaryDirectory(prefix="bench-masters-") as directory:
        workdir = Path(directory)
        started = time.perf_counter()
        if args.model is not None:
            trained = load_models(args.model)
            models = dict(trained.models)
            training: dict[str, object] = {"model": str(args.model), "version": trained.version,
                                           "records": trained.trained_on}  # fmt: skip
        else:
            models = train(Generator(args.seed).dataset(args.entities), workdir)
            training = {"records": f"seed {args.seed}, {args.entities} entities"}
        training["seconds"] = time.perf_counter() - started
        heldout = Generator(args.seed + 1).dataset(args.entities)
        untrained = {kind: default_model(kind) for kind in Kind}
        result: dict[str, object] = {
            "command": " ".join(["python -m bench.masters", *sys.argv[1:]]),
            "thresholds": {"link": thresholds.link, "review": thresholds.review},
            "training": training,
            "heldout_records": len(heldout),
            "batch_accuracy": batch_accuracy(heldout, models, thresholds, workdir),
            "incremental_accuracy": incremental_accuracy(heldout, models, thresholds),
            "untrained_batch_accuracy": batch_accuracy(heldout, untrained, thresholds, workdir),
            "untrained_incremental_accuracy": incremental_accuracy(heldout, untrained, thresholds),
            "incremental_latency": incremental_latency(heldout, models),
        }
        if args.records:
            result["batch_speed"] = batch_speed(args.records, workdir, args.seed + 2)
    result["bench_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--records", type=int, default=1_000_000, help="records for the speed run (0: skip)")
    parser.add_argument(
        "--entities", type=int, default=20_000, help="entities in each of the training and held-out parts"
    )
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument(
        "--model", type=Path, default=None, help="measure this model file (e.g. the shipped one) instead of training"
    )
    parser.add_argument("--link-threshold", type=float, default=Thresholds().link)
    parser.add_argument("--review-threshold", type=float, default=Thresholds().review)
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
