"""Load one catalog version from its directory, enforcing the schema, and resolve its fields.

A version directory holds:

- `version.toml`: `id`, `reviewed_on`, `reviewed_by`, `status` (draft | approved), `notes`,
  `based_on`, `api_version` and, once approved, a `[seal]` of every file's SHA-256;
- `fields.toml`: the `[[steps]]` in order, shared definitions `[fields."<path>"]` for exact paths
  and `[person."<sub path>"]` for every person role (`individual.`, `representative.`, `owners.`, ...);
- `lists/<name>.toml`: named option lists (`[[option]] value, label, group`);
- `bank_formats.toml`: payout bank account formats (`[formats.<id>]`);
- `countries/<CC>.toml`: `country`, `default_currency`, country overrides `[fields.*]`/`[person.*]`,
  and `[business_types.<type>]` with `minimum` and `eventually` path lists and overrides of its own.

A field's definition is merged from the most general to the most specific: shared person, shared
exact path, country person, country path, business type person, business type path; `validation`
merges key by key. Every problem is collected before `CatalogError` is raised.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from . import integrity, sections, sources
from .fieldtypes import REGISTRY
from .model import (
    BUSINESS_TYPES, BUSINESS_TYPES_ONLY_IN, ORIGINS, PERSON_PREFIXES, REQUIRED_LEVELS, SERVICE_AGREEMENTS, CatalogError,
    CountryCatalog, Field, Note, Option, Step, Version,
)
from .reader import Reader

DEFINITION_KEYS = ("type", "label", "help", "step", "validation", "condition", "service_agreements", "origin",
                   "answers", *sources.NOTE_KEYS)
COUNTRY_KEYS = ("country", "default_currency", "fields", "person", "business_types")
BUSINESS_TYPE_KEYS = ("minimum", "eventually", "fields", "person", *sources.NOTE_KEYS)
# Where a field goes when its definition names no step.
DEFAULT_STEPS = (
    ("external_account", "bank_account"), ("tos_acceptance", "terms"), ("documents.", "documents"),
    ("company.verification.", "documents"), ("individual.", "individual"), ("representative.", "representative"),
    ("owners.", "owners"), ("directors.", "directors"), ("executives.", "executives"),
    ("authorizers.", "authorizers"), ("legal_guardians.", "legal_guardians"),
)


def _split(path: str) -> tuple[str | None, str]:
    head, _, rest = path.partition(".")
    return (head, rest) if head in PERSON_PREFIXES and rest else (None, path)


def default_step(path: str) -> str:
    """Return the step a field goes to when its definition names none."""
    return next((step for prefix, step in DEFAULT_STEPS if path == prefix or path.startswith(prefix)), "business")


class VersionLoader:
    """Read and resolve one version directory."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.dir = directory
        self.read = Reader(root)
        self.shared: dict[str, Any] = {}
        self.order: dict[tuple[str, str], int] = {}
        self.built: dict[tuple[str, tuple[int, ...]], Field | None] = {}
        self.leveled: dict[tuple[Any, ...], Field] = {}
        self.parsed: list[dict[str, Any]] = []
        self._sort: Any = None
        self.fields_file = self.read.name(directory / "fields.toml")
        self.noted: set[int] = set()  # ids of definition tables whose notes were checked

    def load(self) -> Version:
        """Return the resolved version or raise `CatalogError` with every problem found."""
        info = sections.read_info(self.read, self.dir)
        steps = self._steps()
        lists, names_from = sections.read_lists(self.read, self.dir)
        formats = sections.read_bank_formats(self.read, self.dir)
        self._check_shared(steps, lists, formats)
        countries = {}
        for path in sorted((self.dir / "countries").glob("*.toml")):
            country = self._country(path, steps, lists, formats)
            if country is not None:
                countries[country.country] = country
        if info is not None and info.status == "approved" and info.seal:
            for place, message in integrity.check(self.dir, info.seal):
                needle = place.removeprefix("seal.") if place != "seal" else "seal"  # the file's line in the seal
                self.read.problem(self.read.name(self.dir / "version.toml"), place, message, needle)
        if self.read.problems:
            raise CatalogError(self.read.problems)
        assert info is not None
        notes = self.dir / "NOTES.md"
        notes_md = notes.read_text(encoding="utf-8") if notes.is_file() else ""
        return Version(info, tuple(steps.values()), lists, formats, countries, names_from, notes_md)

    # -- fields.toml --------------------------------------------------------------------------

    def _steps(self) -> dict[str, Step]:
        path = self.dir / "fields.toml"
        data = self.read.load(path) or {}
        file = self.read.name(path)
        self.read.unknown_keys(file, "", data, ("steps", "fields", "person"))
        steps: dict[str, Step] = {}
        for index, raw in self.read.tables(file, "steps", data.get("steps")):
            place = f"steps[{index}]"
            if self.read.expect(file, f"{place}.id", raw.get("id"), str, "a string", "id") and \
                    self.read.expect(file, f"{place}.label", raw.get("label"), str, "a non-empty string", "label"):
                steps[raw["id"]] = Step(raw["id"], raw["label"], raw.get("help"))
        if not steps:
            self.read.problem(file, "steps", "must list the form's steps ([[steps]] id, label)")
        for kind in ("fields", "person"):
            table = self.read.table(file, kind, data.get(kind))
            self.shared[kind] = table
            for position, key in enumerate(table):
                self.order[(kind, key)] = position
        return steps

    def _check_shared(self, steps: dict[str, Step], lists: dict[str, tuple[Option, ...]], formats: dict[str, Any]
                      ) -> None:
        """Check every shared definition on its own, whether or not a country asks it yet."""
        ctx = _Context(self.fields_file, "", {}, steps, lists, formats)
        for kind, prefix in (("fields", ""), ("person", "individual.")):
            for key, spec in self.shared[kind].items():
                at = _Where(self.fields_file, f'{kind}."{key}"', key, ctx, complete=False)
                if not isinstance(spec, dict):
                    self.read.problem(at.file, at.place, "must be a table", key)
                    continue
                unknown = [k for k in spec if k not in DEFINITION_KEYS]
                for name in unknown:
                    self.read.problem(at.file, at.place, f"has unknown key {name!r}; allowed: "
                                                         f"{', '.join(DEFINITION_KEYS)}", name)
                known = {k: v for k, v in spec.items() if k not in unknown}
                self._build(at, prefix + key, known, "individual" if prefix else None, key)

    # -- countries/CC.toml ----------------------------------------------------------------------

    def _country(self, path: Path, steps: dict[str, Step], lists: dict[str, tuple[Option, ...]],
                 formats: dict[str, Any]) -> CountryCatalog | None:
        data = self.read.load(path)
        if data is None:
            return None
        # `_field` caches by the identity of definition tables: keep every parsed file alive for the
        # whole load so that no id is reused by another country's tables.
        self.parsed.append(data)
        file = self.read.name(path)
        self.read.unknown_keys(file, "", data, COUNTRY_KEYS)
        code = data.get("country")
        if not self.read.expect(file, "country", code, str, "a country code", "country"):
            return None
        if code != path.stem:
            self.read.problem(file, "country", f"is {code!r} but the file is named {path.name}", "country")
        self.read.expect(file, "default_currency", data.get("default_currency"), str, "a currency code")
        resolved: dict[str, tuple[Field, ...]] = {}
        list_notes: dict[str, tuple[Note, ...]] = {}
        country_person = self.read.table(file, "person", data.get("person"))
        country_fields = self.read.table(file, "fields", data.get("fields"))
        for business_type, table in self.read.table(file, "business_types", data.get("business_types")).items():
            place = f"business_types.{business_type}"
            table = self.read.table(file, place, table)
            if business_type not in BUSINESS_TYPES:
                self.read.problem(file, place, f"is not a business type; allowed: {', '.join(BUSINESS_TYPES)}",
                                  business_type)
                continue
            if code not in BUSINESS_TYPES_ONLY_IN.get(business_type, {code}):
                self.read.problem(file, place, f"is not available in {code}", business_type)
                continue
            self.read.unknown_keys(file, place, table, BUSINESS_TYPE_KEYS)
            own = (self.read.table(file, f"{place}.person", table.get("person")),
                   self.read.table(file, f"{place}.fields", table.get("fields")))
            context = _Context(file, place, table, steps, lists, formats, (country_person, country_fields, *own))
            self._check_notes(file, place, table, business_type)
            resolved[business_type] = self._business_type(context)
            list_notes[business_type] = sources.notes_of(table)
        if not resolved:
            self.read.problem(file, "business_types", "must define at least one business type")
        return CountryCatalog(str(code), data.get("default_currency", ""), resolved, list_notes)

    def _business_type(self, ctx: _Context) -> tuple[Field, ...]:
        fields: list[Field] = []
        seen: dict[str, str] = {}
        # The hot path of the load (about 4,700 fields): a path the business type does not override
        # resolves as for the country's other business types, and a path the country does not
        # override either resolves as in every other country. Either is one dictionary lookup.
        own_person, own_fields, leveled, file = ctx.bt_person, ctx.bt_fields, self.leveled, ctx.file
        country_person, country_fields = ctx.country_person, ctx.country_fields
        for level in REQUIRED_LEVELS:
            paths = ctx.table.get(level, [])
            if not isinstance(paths, list):
                self.read.problem(ctx.file, f"{ctx.place}.{level}", "must be a list of field paths", level)
                continue
            for index, path in enumerate(paths):
                if path.__class__ is not str or path in seen:
                    place = f"{ctx.place}.{level}[{index}]"
                    if path.__class__ is not str:
                        self.read.expect(ctx.file, place, path, str, "a field path")
                    else:
                        self.read.problem(ctx.file, place, f"lists {path!r} again (already in {seen[path]})", path)
                    continue
                seen[path] = level
                field = None
                rest = path.partition(".")[2]  # for a person path, its key in `person` tables
                if path not in own_fields and not (own_person and rest in own_person):
                    field = leveled.get((file, path, level))
                    if field is None and path not in country_fields and not (country_person and rest in country_person):
                        field = leveled.get((path, level))
                if field is None:
                    field = self._field(ctx, path, level, index)
                if field is not None:
                    fields.append(field)
        if not fields:
            self.read.problem(ctx.file, ctx.place, "must list fields in `minimum` or `eventually`", ctx.place)
        fields.sort(key=self._sort_key(ctx.steps))
        by_path = {f.path: f for f in fields}
        for field in fields:
            if field.condition:
                self._check_condition(ctx, field, by_path)
        return tuple(fields)

    def _check_notes(self, file: str, place: str, table: dict[str, Any], needle: str) -> None:
        """Record a problem for a malformed `source` or `assumption` (`catalog validate` finds missing ones)."""
        for key in sources.NOTE_KEYS:
            if key in table:
                for message in sources.problems(table[key], key):
                    self.read.problem(file, f"{place}.{key}", message, needle)

    def _sort_key(self, steps: dict[str, Step]) -> Any:
        """Return the sort key of fields: step order, then definition order, then path."""
        if self._sort is None:
            step_order = {step: index for index, step in enumerate(steps)}
            self._sort = lambda f: (step_order.get(f.step, len(step_order)), f.order, f.path)
        return self._sort

    def _field(self, ctx: _Context, path: str, level: str, index: int) -> Field | None:
        role, rest = _split(path)
        # Business types of a country mostly share definitions: look there first (the hot path).
        own = (ctx.bt_person.get(rest) if role else None, ctx.bt_fields.get(path))
        quick = (ctx.file, path, level) if own == (None, None) else None
        if quick is not None and quick in self.leveled:
            return self.leveled[quick]
        layers = self._layers(ctx, path, role, rest)
        # Many countries share definitions too: resolve (and report) each combination of layers once.
        key = (path, tuple(map(id, layers)))
        if key not in self.built:
            named = list(zip(self._places(ctx, path, role, rest), layers, strict=True))
            present = [where for where, layer in named if layer is not None]
            file, at = present[-1] if present else (ctx.file, f"{ctx.place}.{level}[{index}]")
            self.built[key] = self._resolve(ctx, path, file, at, named, role, rest)
        field = self.built[key]
        if field is not None and field.required != level:
            field = self.leveled.get((key, level)) or replace(field, required=level)
            self.leveled[(key, level)] = field
        if quick is not None and field is not None:
            self.leveled[quick] = field
            if not any(layers[2 if role else 1:]):  # nothing from the country or the business type
                self.leveled[(path, level)] = field
        return field

    def _layers(self, ctx: _Context, path: str, role: str | None, rest: str) -> list[Any]:
        """Return the definitions of a path from the most general to the most specific (None: absent)."""
        shared = self.shared
        if role:
            return [shared["person"].get(rest), shared["fields"].get(path), ctx.country_person.get(rest),
                    ctx.country_fields.get(path), ctx.bt_person.get(rest), ctx.bt_fields.get(path)]
        return [shared["fields"].get(path), ctx.country_fields.get(path), ctx.bt_fields.get(path)]

    def _places(self, ctx: _Context, path: str, role: str | None, rest: str) -> list[tuple[str, str]]:
        """Return (file, place) of each layer `_layers` returns, in the same order."""
        prefix = f"{ctx.place}."
        if role:
            return [(self.fields_file, f'person."{rest}"'), (self.fields_file, f'fields."{path}"'),
                    (ctx.file, f'person."{rest}"'), (ctx.file, f'fields."{path}"'),
                    (ctx.file, f'{prefix}person."{rest}"'), (ctx.file, f'{prefix}fields."{path}"')]
        return [(self.fields_file, f'fields."{path}"'), (ctx.file, f'fields."{path}"'),
                (ctx.file, f'{prefix}fields."{path}"')]

    def _resolve(self, ctx: _Context, path: str, file: str, place: str, named: list[tuple[tuple[str, str], Any]],
                 role: str | None, rest: str) -> Field | None:
        merged: dict[str, Any] = {}
        notes: list[Note] = []
        for (layer_file, where), layer in named:
            if layer is None:
                continue
            if not isinstance(layer, dict):
                self.read.problem(layer_file, where, "must be a table", path)
                return None
            if id(layer) not in self.noted:  # each table once, however many fields it resolves
                self.noted.add(id(layer))
                self._check_notes(layer_file, where, layer, path.rsplit(".", 1)[-1] if role else path)
            notes += sources.notes_of(layer)
            for key, value in layer.items():
                if key in sources.NOTE_KEYS:
                    continue
                if key not in DEFINITION_KEYS:
                    self.read.problem(layer_file, where, f"has unknown key {key!r}; allowed: "
                                                         f"{', '.join(DEFINITION_KEYS)}", key)
                elif key == "validation" and isinstance(value, dict):
                    merged["validation"] = {**merged.get("validation", {}), **value}
                else:
                    merged[key] = value
        if not merged:
            self.read.problem(file, place, f"names {path!r}, which has no definition in fields.toml or this file",
                              path)
            return None
        needle = place.rsplit('"', 2)[-2] if place.endswith('"') else path
        return self._build(_Where(file, place, needle, ctx), path, merged, role, rest, tuple(dict.fromkeys(notes)))

    def _build(self, at: _Where, path: str, spec: dict[str, Any], role: str | None, rest: str,
               notes: tuple[Note, ...] = ()) -> Field | None:
        ctx = at.ctx
        problems_before = self.read.reported
        type_name, label = spec.get("type"), spec.get("label")
        field_type = REGISTRY.get(type_name) if isinstance(type_name, str) else None
        if field_type is None:
            self.read.problem(at.file, at.place, f"type {type_name!r} is not in the registry; known: "
                                               f"{', '.join(REGISTRY)}", at.needle)
        if not isinstance(label, str) or not label.strip():
            self.read.problem(at.file, at.place, "needs a non-empty `label`", at.needle)
        help_text = spec.get("help")
        if help_text is not None and (not isinstance(help_text, str) or not help_text.strip()):
            self.read.problem(at.file, at.place, "`help` must be a non-empty string", at.needle)
        step = spec.get("step") or default_step(path)
        if step not in ctx.steps:
            self.read.problem(at.file, at.place, f"step {step!r} is not one of the steps in fields.toml "
                                               f"({', '.join(ctx.steps)})", at.needle)
        validation = spec.get("validation", {})
        if not isinstance(validation, dict):
            self.read.problem(at.file, at.place, "`validation` must be a table", at.needle)
            validation = {}
        elif field_type is not None:
            for key, problem in field_type.check(validation, at.complete):
                self.read.problem(at.file, at.place, f"validation.{key} {problem}", at.needle)
            self._check_references(at, path, validation)
        agreements = spec.get("service_agreements", list(SERVICE_AGREEMENTS))
        if not isinstance(agreements, list) or not agreements or any(a not in SERVICE_AGREEMENTS for a in agreements):
            self.read.problem(at.file, at.place, f"`service_agreements` must list some of "
                                               f"{', '.join(SERVICE_AGREEMENTS)}", at.needle)
        origin = spec.get("origin", "stripe")
        if origin not in ORIGINS:
            self.read.problem(at.file, at.place, f"`origin` must be one of {', '.join(ORIGINS)}", at.needle)
        answers = spec.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
            self.read.problem(at.file, at.place, "`answers` must list Stripe requirement paths", at.needle)
            answers = []
        condition = spec.get("condition", {})
        if not isinstance(condition, dict) or any(not isinstance(v, list) or not v for v in condition.values()):
            self.read.problem(at.file, at.place, "`condition` must map field paths to non-empty lists "
                                               "of values", at.needle)
            condition = {}
        if self.read.reported > problems_before:
            return None
        kind, key = ("person", rest) if role and (("fields", path) not in self.order) else ("fields", path)
        order = self.order.get((kind, key), 10_000)
        return Field(path=path, type=str(type_name), step=step, required="minimum", label=str(label), help=help_text,
                     validation=validation, condition={k: tuple(v) for k, v in condition.items()},
                     service_agreements=tuple(agreements), order=order, origin=origin, answers=tuple(answers),
                     notes=notes)

    def _check_references(self, at: _Where, path: str, validation: dict[str, Any]) -> None:
        ctx = at.ctx
        source = validation.get("source")
        if isinstance(source, str):
            if source not in ctx.lists:
                self.read.problem(at.file, at.place, f"validation.source {source!r} is not a list in lists/ "
                                                   f"({', '.join(sorted(ctx.lists))})", at.needle)
            else:
                known = {option.value for option in ctx.lists[source]}
                unknown = [c for c in validation.get("choices", []) if c not in known]
                if unknown:
                    self.read.problem(at.file, at.place, f"validation.choices {', '.join(map(str, unknown))} "
                                                       f"are not in lists/{source}.toml", at.needle)
        bank_formats = [validation.get("format"), *validation.get("alternatives", [])]
        for bank_format in bank_formats:
            if isinstance(bank_format, str) and bank_format not in ctx.formats:
                self.read.problem(at.file, at.place, f"bank format {bank_format!r} is not defined in "
                                                   f"bank_formats.toml", at.needle)

    def _check_condition(self, ctx: _Context, field: Field, by_path: dict[str, Field]) -> None:
        for key, values in field.condition.items():
            role, rest = _split(key)
            relationship = role is not None and rest.startswith("relationship.")
            target = by_path.get(key)
            if target is None and not relationship:
                self.read.problem(ctx.file, ctx.place, f"{field.path}: condition on {key!r}, which this business "
                                                       f"type does not ask", field.path)
            elif target is not None and target.type == "select":
                known = {o.value for o in ctx.lists.get(target.validation["source"], ())}
                unknown = [v for v in values if v not in known]
                if unknown:
                    self.read.problem(ctx.file, ctx.place, f"{field.path}: condition values "
                                                           f"{', '.join(map(str, unknown))} are not options of {key}",
                                      field.path)


_EMPTY: dict[str, Any] = {}


class _Where(NamedTuple):
    """Where a definition's problems are reported, and the key that locates its line."""

    file: str
    place: str
    needle: str
    ctx: _Context
    complete: bool = True  # False for a shared definition on its own: countries may add required keys


class _Context:
    """What resolving one business type of one country needs."""

    def __init__(self, file: str, place: str, table: dict[str, Any], steps: dict[str, Step],
                 lists: dict[str, tuple[Option, ...]], formats: dict[str, Any],
                 overrides: tuple[dict[str, Any], ...] = (_EMPTY, _EMPTY, _EMPTY, _EMPTY)) -> None:
        self.file, self.place, self.table = file, place, table
        self.steps, self.lists, self.formats = steps, lists, formats
        # Definition tables of the country, then of the business type: person.*, fields.*
        self.country_person, self.country_fields, self.bt_person, self.bt_fields = overrides


def load_version(directory: Path, root: Path | None = None) -> Version:
    """Load and resolve one version directory; raise `CatalogError` naming every problem."""
    return VersionLoader(directory, root or directory.parent.parent).load()
