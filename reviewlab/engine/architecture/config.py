"""``[reviewlab.architecture]``: the thresholds of the god-module rule and the project's layering rules.

[reviewlab.architecture]
max_fan_out = 20        # GEN-A003: a module importing more project modules than this (0: no limit)
max_fan_in = 0          # GEN-A003: a module imported by more project modules than this (0, the default: no limit)
max_lines = 1000        # GEN-A003: a module longer than this (0: no limit)

[[reviewlab.architecture.layers]]      # GEN-A002: one table per layer
name = "domain"
paths = ["src/app/domain/"]            # path prefixes, relative to the reviewed root
must_not_import = ["api", "infra"]     # names of other layers

A module belongs to the layer with the longest path that contains it (``src/app/domain/`` and
``src/app/domain`` both contain ``src/app/domain/model.py`` and the Go package ``src/app/domain``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class LayerConfig(BaseModel):
    """One layer: the paths of its modules and the layers its modules must not import."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    paths: tuple[str, ...] = Field(min_length=1)
    must_not_import: tuple[str, ...] = ()

    @field_validator("paths", "must_not_import", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a layer name must not be blank")
        return value.strip()

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(_normalise(path) for path in value)
        if any(not path for path in cleaned):
            raise ValueError("a layer path must name a directory or file below the root (not '', '.' or '/')")
        return cleaned

    def contains(self, module: str) -> int:
        """The length of the longest of the layer's paths that contains ``module`` (a module id), else 0."""
        return max((len(p) for p in self.paths if module == p or module.startswith(p + "/")), default=0)


def _normalise(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/")


class ArchitectureConfig(BaseModel):
    """The architecture review's settings. Limits of 0 turn that check off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_fan_out: int = Field(default=20, ge=0)
    max_fan_in: int = Field(default=0, ge=0)
    max_lines: int = Field(default=1000, ge=0)
    layers: tuple[LayerConfig, ...] = ()

    @model_validator(mode="after")
    def _known_layers(self) -> ArchitectureConfig:
        names = [layer.name for layer in self.layers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"layer name(s) defined more than once: {', '.join(duplicates)}")
        known = set(names)
        for layer in self.layers:
            unknown = sorted(set(layer.must_not_import) - known)
            if unknown:
                raise ValueError(
                    f"layer {layer.name!r}: must_not_import names unknown layer(s) {', '.join(unknown)}; "
                    f"defined layers: {', '.join(sorted(known))}"
                )
            if layer.name in layer.must_not_import:
                raise ValueError(f"layer {layer.name!r}: must_not_import names the layer itself")
        return self

    def layer_of(self, module: str) -> LayerConfig | None:
        """The layer ``module`` (a module id: a file path, or a Go package directory) belongs to, if any."""
        best: LayerConfig | None = None
        best_length = 0
        for layer in self.layers:
            length = layer.contains(module)
            if length > best_length:
                best, best_length = layer, length
        return best
