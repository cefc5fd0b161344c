"""A small fictional CBS open-data export for the demo region, in the real StatLine layout.

Two tables a year, written as StatLine gives them (``<table id>_UntypedDataSet_<year>.csv``: ``;``, every
value quoted, codes padded to 10 characters, periods ``2023JJ00``, ``.`` for a secret figure):

* ``landing/cbs_wmo/``: "Wmo-cliënten; type maatwerkvoorziening, wijken" with Nederland, the gemeenten and
  wijken, for the types "Totaal Wmo-maatwerkvoorzieningen" and "Hulp bij het huishouden". The demo's own
  wijken get a CBS count near their planted client count (CBS's definition differs a little), rounded to 5
  and shown as "." below 10; the last year only has the first half year (2024HJ01), as CBS publishes it first;
* ``landing/cbs_kwb/``: "Kerncijfers wijken en buurten": inhabitants, the five KWB age bands, and the
  mate van stedelijkheid; the number suffixes of the columns change between years, as at CBS.

A third table, ``landing/cbs_wmo_kenmerken/`` (85043NED, "Wmo-cliënten; type maatwerkvoorziening,
persoonskenmerken, regio"), gives the demo gemeenten's HbH clients by household-income fifth (:func:`write_kenmerken`).

It also writes the published growth forecast the first demo gemeente entered for comparison
(``landing/groeiprognose/``, like Nijmegen's VNG/ABF +41%). Beside the demo region the tables hold fictional comparison gemeenten (codes GM97xx/GM98xx) with wijken of
every kind, so the benchmark has peers. Table ids 99yy0NED (Wmo) and 99yy1NED (KWB) are fictional.
:func:`write_statline` is also what the tests use to write StatLine fixtures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HBH = "Hulp bij het huishouden"
TOTAL = "Totaal Wmo-maatwerkvoorzieningen"
KWB_BANDS = (0.17, 0.12, 0.26, 0.45)  # the demo's 0-64 split into 0-15, 15-25, 25-45, 45-65
PEER_GEMEENTEN = 160


def wmo_table_id(year: int) -> str:
    return f"99{year % 100:02d}0NED"


def kwb_table_id(year: int) -> str:
    return f"99{year % 100:02d}1NED"


def _code(x: str) -> str:
    return f"{x:<10}"


def _name(x: str) -> str:
    return f"{x:<40}"


def round5(x: float) -> int:
    return int(5 * round(x / 5))


def write_statline(path: Path, header: list[str], rows: list[list]) -> int:
    """Write a StatLine CSV export: ``;``-separated, every value quoted, CRLF, UTF-8; ``None`` → ``.``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(f'"{h}"' for h in header)]
    for i, r in enumerate(rows):
        cells = [str(i)] + ["." if v is None else str(v) for v in r]
        lines.append(";".join(f'"{c}"' for c in cells))
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return len(rows)


def kwb_header(year: int) -> list[str]:
    """KWB's property keys; CBS renumbers them between years (from 2022 one place on here)."""
    s = 1 if year >= 2022 else 0
    return ["ID", "WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2", "Codering_3",
            f"IndelingswijzigingWijkenEnBuurten_{4}", f"AantalInwoners_{5}", f"Mannen_{6}", f"Vrouwen_{7}",
            f"k_0Tot15Jaar_{8 + s}", f"k_15Tot25Jaar_{9 + s}", f"k_25Tot45Jaar_{10 + s}", f"k_45Tot65Jaar_{11 + s}",
            f"k_65JaarOfOuder_{12 + s}", f"MateVanStedelijkheid_{116 + 3 * s}"]


WMO_HEADER = ["ID", "WijkenEnBuurten", "TypeMaatwerkarrangement", "Perioden", "Gemeentenaam_1", "SoortRegio_2",
              "Codering_3", "WmoClienten_4", "WmoClientenPer1000Inwoners_5"]


def _entry(rel: str, dataset: str, rows: int) -> dict:
    return {"path": rel, "dataset": dataset, "rows": rows, "format": "statline", "defects": [],
            "dialect": {"name": "statline", "separator": ";", "decimal": ".", "date_format": None,
                        "encoding": "utf-8", "line_terminator": "CRLF"}}


def write(out_dir: Path, region, pop: np.ndarray, pop_years: np.ndarray, realised: np.ndarray,
          client_years: np.ndarray, seed: int) -> list[dict]:
    """Write the demo's CBS tables for the years after the first one up to the year before the last; returns
    manifest entries. ``region``/``pop``/``realised``: the generator's Region, population (wijk, band,
    pop_years) and planted clients (wijk, band, client_years)."""
    rng = np.random.default_rng([seed, 1717])
    out_dir = Path(out_dir)
    years = [int(y) for y in client_years[1:-1]]  # CBS is a year behind
    if not years:
        return []
    W = len(region.wijk_code)
    # fixed traits of the demo wijken: urbanity (the big town more urban) and CBS's definition factor
    urb = np.where(region.wijk_gem == 0, rng.integers(1, 3, W), rng.integers(2, 5, W))
    factor = rng.uniform(0.94, 1.02, W)
    # fictional peers: gemeenten of every size with 2..12 wijken of every kind
    peers = []
    for g in range(PEER_GEMEENTEN):
        code = f"GM{9700 + g}"
        size = float(np.exp(rng.uniform(np.log(6_000), np.log(320_000))))
        n = int(np.clip(round(size / 12_000), 2, 12))
        parts = rng.dirichlet(np.full(n, 6.0)) * size
        for k in range(n):
            share65 = float(np.clip(rng.normal(0.21, 0.06), 0.05, 0.45))
            peers.append(dict(gem=code, gem_name=f"Vergelijkgemeente {g + 1}", wijk=f"WK{9700 + g}{k + 1:02d}",
                              inh=float(parts[k]), share65=share65,
                              urb=int(rng.integers(1, 6)),
                              noise=float(np.exp(rng.normal(0, 0.25)))))
    ci = {int(y): i for i, y in enumerate(client_years)}
    pi = {int(y): i for i, y in enumerate(pop_years)}
    files = []
    for year in years:
        inh = pop[:, :, pi[year]].sum(axis=1).astype(float)
        o65 = pop[:, 1:, pi[year]].sum(axis=1).astype(float)
        clients = realised[:, :, ci[year]].sum(axis=1).astype(float) * factor
        k65 = clients.sum() / max(o65.sum(), 1.0)  # clients per inhabitant 65+ in the demo region
        total_factor = 2.4  # all maatwerkvoorzieningen against HbH alone
        regions = []  # (code, name, kind, gemeente name, inhabitants, 65+, hbh clients, urbanity, 0-64)
        for g, gcode in enumerate(region.gem_code):
            idx = np.flatnonzero(region.wijk_gem == g)
            regions.append((gcode, region.gem_naam[g], "Gemeente", region.gem_naam[g], inh[idx].sum(), o65[idx].sum(),
                            clients[idx].sum(), int(round(urb[idx].mean())), pop[idx, 0, pi[year]].sum()))
            for w in idx:
                regions.append((region.wijk_code[w], region.wijk_naam[w], "Wijk", region.gem_naam[g], inh[w], o65[w],
                                clients[w], int(urb[w]), pop[w, 0, pi[year]]))
        growth = 1.0 + 0.02 * (year - years[0])
        by_gem: dict[str, list] = {}
        for p in peers:
            i_ = p["inh"] * growth ** 0.2
            o = i_ * p["share65"]
            c = k65 * o * p["noise"] * growth
            row = (p["wijk"], p["wijk"][-2:], "Wijk", p["gem_name"], i_, o, c,
                   None if i_ < 400 else p["urb"], i_ - o)
            by_gem.setdefault(p["gem"], []).append(row)
        for gcode, rows in by_gem.items():
            regions.append((gcode, rows[0][3], "Gemeente", rows[0][3], sum(r[4] for r in rows),
                            sum(r[5] for r in rows), sum(r[6] for r in rows), rows[0][7] or 3, sum(r[8] for r in rows)))
            regions += [(r[0], f"Wijk {r[1]}", *r[2:]) for r in rows]
        nl = ("NL01", "Nederland", "Land", "Nederland", sum(r[4] for r in regions if r[2] == "Gemeente"),
              sum(r[5] for r in regions if r[2] == "Gemeente"), sum(r[6] for r in regions if r[2] == "Gemeente"),
              None, sum(r[8] for r in regions if r[2] == "Gemeente"))
        regions.insert(0, nl)

        last = year == years[-1]
        period = f"{year}HJ01" if last else f"{year}JJ00"
        half = 0.85 if last else 1.0  # fewer persons in a half year than in a whole year
        wmo_rows, kwb_rows = [], []
        for code, name, kind, gname, i_, o, c, u, young in regions:
            for typ, mult in ((TOTAL, total_factor), (HBH, 1.0)):
                n = c * mult * half
                shown = round5(n) if n >= 9.5 else None  # CBS: multiples of 5, "." below 10
                rate = f"{1000 * n / i_:.1f}" if shown is not None and i_ > 0 else None
                wmo_rows.append([_code(code), typ, period, _name(gname), f"{kind:<10}", _code(code),
                                 shown, rate])
            bands = [round5(young * s) for s in KWB_BANDS]
            kwb_rows.append([_code(code), _name(gname), f"{kind:<10}", _code(code), "1", round5(i_),
                             round5(i_ * 0.49), round5(i_ * 0.51), *bands, round5(o),
                             u])  # None: "." (CBS shows no urbanity for a tiny wijk, nor here for Nederland)
        rel = f"cbs_wmo/{wmo_table_id(year)}_UntypedDataSet_{year}.csv"
        files.append(_entry(rel, "cbs_wmo", write_statline(out_dir / rel, WMO_HEADER, wmo_rows)))
        rel = f"cbs_kwb/{kwb_table_id(year)}_UntypedDataSet_{year}.csv"
        files.append(_entry(rel, "cbs_kwb", write_statline(out_dir / rel, kwb_header(year), kwb_rows)))
    return files + write_growth(out_dir, region)


def write_growth(out_dir: Path, region) -> list[dict]:
    """The published growth the first demo gemeente entered for comparison (like Nijmegen's VNG/ABF figure:
    +41% from 2018 to 2026), as ``landing/groeiprognose/groeiprognose.csv``."""
    rel = "groeiprognose/groeiprognose.csv"
    path = Path(out_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [[region.gem_code[0], "VNG/ABF prognosemodel (demo)", "2018", "2026", "41"]]
    path.write_text("gemeente_code;bron;basisjaar;doeljaar;groei_procent\n" + "".join(";".join(r) + "\n" for r in rows),
                    encoding="utf-8")
    return [{"path": rel, "dataset": "groeiprognose", "rows": len(rows), "format": "csv", "defects": [],
             "dialect": {"name": "groei", "separator": ";", "decimal": ",", "date_format": None, "encoding": "utf-8",
                         "line_terminator": "LF"}}]


# "Wmo-cliënten; type maatwerkvoorziening, persoonskenmerken, regio" (85043NED): the keys of its StatLine export
KENMERKEN_TABLE = "85043NED"
KENMERKEN_HEADER = ["ID", "Persoonskenmerken", "TypeMaatwerkvoorziening", "RegioS", "Perioden", "WmoClienten_1",
                    "WmoClientenPer1000Inwoners_2"]
INCOME_FIFTHS = tuple(f"Inkomen: {k}e 20%-groep" for k in range(1, 6))
# the demo's income classes over CBS's household-income fifths (staging.cbs_wmo_income reads them back:
# 1st + 2nd = laag, 3rd = midden, 4th + 5th = hoog)
FIFTH_OF_CLASS = {"laag": ((0, 0.55), (1, 0.45)), "midden": ((2, 1.0),), "hoog": ((3, 0.6), (4, 0.4))}
INCOME_UNKNOWN_SHARE = 0.02


def write_kenmerken(out_dir: Path, region, clients_per_class: dict, client_years: np.ndarray,
                    pop: np.ndarray, pop_years: np.ndarray) -> list[dict]:
    """``landing/cbs_wmo_kenmerken/85043NED_UntypedDataSet_<…>.csv``: the demo gemeenten's HbH clients by household
    income fifth, as CBS would publish them: the demo's income classes (``clients_per_class``: the manifest's
    clients per class, gemeente and year) spread over the fifths, a small share "onbekend", and "Totaal personen";
    counts rounded to 5, "." below 10 (its rate hidden with it). The years CBS has: as :func:`write` (a year behind,
    the latest one a half year)."""
    years = [int(y) for y in client_years[1:-1]]
    if not years:
        return []
    pi = {int(y): i for i, y in enumerate(pop_years)}
    rows = []
    for year in years:
        last = year == years[-1]
        period = f"{year}HJ01" if last else f"{year}JJ00"
        half = 0.85 if last else 1.0
        for g, gcode in enumerate(region.gem_code):
            per = clients_per_class[gcode][str(year)]
            inh = float(pop[region.wijk_gem == g, :, pi[year]].sum())
            fifths = np.zeros(5)
            for cls, parts in FIFTH_OF_CLASS.items():
                for k, share in parts:
                    fifths[k] += per[cls] * share * half * (1 - INCOME_UNKNOWN_SHARE)
            total = sum(per.values()) * half
            values = [*fifths, total * INCOME_UNKNOWN_SHARE, total]
            for name, n in zip([*INCOME_FIFTHS, "Inkomen: onbekend", "Totaal personen"], values):
                shown = round5(n) if n >= 9.5 else None
                rate = f"{1000 * n / inh:.1f}" if shown is not None and inh > 0 else None
                rows.append([name, HBH, _code(gcode), period, shown, rate])
    rel = f"cbs_wmo_kenmerken/{KENMERKEN_TABLE}_UntypedDataSet_{years[-1]}.csv"
    return [_entry(rel, "cbs_wmo_kenmerken", write_statline(Path(out_dir) / rel, KENMERKEN_HEADER, rows))]
